import { planParameters } from '../../lambdas/shared/domain/parameters';
import { parseDecisionForm } from '../../lambdas/shared/web/form';
import { CONFIRM_REJECT, confirmRejectPage, pendingPage } from '../../lambdas/shared/web/page';
import { openRequest } from '../support/history-table';

/** What an approver sees: the plan's parameters, the decision before the changes, and a rejection that asks first. */
const NOW = new Date('2026-12-01T10:00:00.000Z');
const alice = { email: 'alice@example.com', name: 'Alice' };
const form = (body: string) => parseDecisionForm({ body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, isBase64Encoded: false });

describe('provisioning parameters', () => {
  test('those the plan sets come first, kept ones after; secret-looking values are never kept', () => {
    const { parameters } = planParameters([
      { Key: 'InstanceType', UsePreviousValue: true },
      { Key: 'DbPassword', Value: 'hunter2' },
      { Key: 'MinCapacity', Value: '4' },
      { Key: 'SlackToken', Value: 'xoxb-1' },
      { Key: 'ApiKey', Value: 'k' },
    ]);
    expect(parameters).toEqual([
      { key: 'DbPassword', masked: true },
      { key: 'MinCapacity', value: '4' },
      { key: 'SlackToken', masked: true },
      { key: 'ApiKey', masked: true },
      { key: 'InstanceType', kept: true },
    ]);
    expect(JSON.stringify(parameters)).not.toMatch(/hunter2|xoxb/);
  });

  test('at most 40, the rest counted; none when the plan has none', () => {
    const many = Array.from({ length: 45 }, (_, i) => ({ Key: `P${i}`, Value: 'v'.repeat(1000) }));
    const kept = planParameters(many);
    expect(kept.parameters).toHaveLength(40);
    expect(kept.parametersUnlisted).toBe(5);
    expect(kept.parameters![0]!.value!.length).toBeLessThanOrEqual(300);
    expect(planParameters(undefined)).toEqual({});
  });

  test('the page lists them, escaped, and shows no secret value', () => {
    const record = { ...openRequest('plan-a', '2026-12-01T09:00:00.000Z'), pk: 'PLAN#plan-a' };
    record.review.plan = {
      ...record.review.plan!,
      ...planParameters([
        { Key: 'MinCapacity', Value: '<b>4</b>' },
        { Key: 'DbPassword', Value: 'hunter2' },
      ]),
    };
    const page = pendingPage(record, alice, NOW);
    expect(page).toContain('<table id="parameters">');
    expect(page).toContain('<code>&lt;b&gt;4&lt;/b&gt;</code>');
    expect(page).toContain('<code>DbPassword</code></td><td>(hidden)</td>');
    expect(page).not.toContain('hunter2');
  });
});

describe('the decision on the page', () => {
  test('comes before the changes table, so a phone shows the risk and the buttons first', () => {
    const record = { ...openRequest('plan-a', '2026-12-01T09:00:00.000Z'), pk: 'PLAN#plan-a' };
    const page = pendingPage(record, alice, NOW);
    expect(page.indexOf('id="decide"')).toBeGreaterThan(page.indexOf('<th>Risk</th>'));
    expect(page.indexOf('id="decide"')).toBeLessThan(page.indexOf('<table id="changes"'));
    expect(page).toContain(`name="decision" value="${CONFIRM_REJECT}">Reject…</button>`);
  });

  test("the page's Reject asks for confirmation; decision=reject (Slack, scripts, the confirmation) decides at once", () => {
    expect(form(`decision=${CONFIRM_REJECT}&comment=too+risky`)).toEqual({ decision: 'REJECTED', comment: 'too risky', confirmReject: true });
    expect(form('decision=reject&confirm=yes&comment=too+risky')).toEqual({ decision: 'REJECTED', comment: 'too risky' });
    expect(form('decision=reject')).toEqual({ decision: 'REJECTED' });
    expect(
      parseDecisionForm({
        body: JSON.stringify({ decision: CONFIRM_REJECT }),
        headers: { 'content-type': 'application/json' },
        isBase64Encoded: false,
      }),
    ).toMatchObject({ status: 400 });
  });

  test('the confirmation keeps the comment and posts decision=reject with confirm=yes', () => {
    const record = { ...openRequest('plan-a', '2026-12-01T09:00:00.000Z'), pk: 'PLAN#plan-a' };
    const page = confirmRejectPage(record, 'not <now>');
    expect(page).toContain('<input type="hidden" name="confirm" value="yes">');
    expect(page).toContain('maxlength="1000">not &lt;now&gt;</textarea>');
    expect(page).toContain('name="decision" value="reject">Yes, reject</button>');
    expect(page).toContain('If you reject, the request ends at once');
  });
});
