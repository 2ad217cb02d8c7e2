import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { decideRequest, historyPage, type InboxDeps, inboxPage, requestPage } from '../../lambdas/inbox/inbox';
import { ApprovalStore } from '../../lambdas/shared/adapters/approval-store';
import { encodeCursor, HistoryIndex } from '../../lambdas/shared/adapters/history';
import { historyKeys, planKey } from '../../lambdas/shared/contracts/table-keys';
import type { DecisionDeps } from '../../lambdas/shared/services/decision';
import { decisionAnswer } from '../../lambdas/shared/web/answers';
import { historyTable, openRequest } from '../support/history-table';

/** The inbox, the history and the signed-in request page, against dynalite with the history index. */
let local: Awaited<ReturnType<typeof historyTable>>;
let store: ApprovalStore;
let deps: InboxDeps & DecisionDeps;
let completed: unknown[];
const NOW = new Date('2026-12-02T12:00:00.000Z');
/** Who a signed-in page shows, with the session's verified identity (as signed-in-pages.ts passes it). */
const signedIn = (email: string) => ({
  email,
  csrfToken: 'csrf-token',
  signOutUrl: 'https://x/prod/auth/sign-out',
  signedIn: { issuer: 'https://idp.example', subject: `sub-${email}` },
});
const alice = signedIn('Alice@example.com');
const soon = Math.floor(NOW.getTime() / 1000) + 3600;

beforeAll(async () => {
  local = await historyTable();
});
afterAll(() => local.close());
beforeEach(async () => {
  const tableName = await local.create();
  store = new ApprovalStore(local.documents, tableName);
  completed = [];
  deps = {
    store,
    history: new HistoryIndex(local.documents, tableName),
    baseUrl: 'https://api.example.com/prod/',
    now: () => NOW,
    verifiedGroups: async () => [],
    askOpenedStage: async () => {},
    completeTask: async (_token, output) => {
      completed.push(output);
    },
  };
});

describe('the inbox', () => {
  test('lists what waits for the signed-in approver, newest first, with where, risk, what is missing and expiry', async () => {
    await store.claim(openRequest('plan-older', '2026-11-30T09:00:00.000Z', { expiresAt: soon }));
    await store.claim(openRequest('plan-newer', '2026-12-01T09:00:00.000Z', { expiresAt: soon }));
    const page = await inboxPage(alice, deps);
    expect(page.indexOf('plan-newer')).toBeLessThan(page.indexOf('plan-older'));
    // Absolute, on the base URL: behind API Gateway every path is under the stage.
    expect(page).toContain('href="https://api.example.com/prod/requests/plan-newer"');
    expect(page).toContain('account 000000000000, region us-east-1');
    expect(page).toContain('HIGH (1 high, 0 medium, 1 low)');
    expect(page).toContain('Still missing: waiting on any approver: 0 of 2');
    expect(page).toContain('Expires <time datetime="2026-12-02T13:00:00.000Z"');
  });

  test('leaves out what is not theirs to decide: approved already, their own request, not asked, decided, expired', async () => {
    await store.claim(openRequest('plan-approved-by-alice', '2026-12-01T09:00:00.000Z', { expiresAt: soon, approverEmails: ['alice@example.com'] }));
    await store.claim(openRequest('plan-alice-asked-for', '2026-12-01T09:00:00.000Z', { expiresAt: soon, selfApprover: 'alice@example.com' }));
    await store.claim(openRequest('plan-for-carol', '2026-12-01T09:00:00.000Z', { expiresAt: soon, approvers: [{ email: 'carol@example.com' }] }));
    await store.claim(openRequest('plan-decided', '2026-12-01T09:00:00.000Z', { expiresAt: soon, status: 'APPROVED' }));
    await store.claim(openRequest('plan-expired', '2026-12-01T09:00:00.000Z', { expiresAt: soon - 7200 }));
    const page = await inboxPage(alice, deps);
    expect(page).toContain('Nothing is waiting for your approval.');
    expect(page).not.toContain('plan-');
  });

  test('untrusted text is escaped', async () => {
    const hostile = openRequest('plan-x', '2026-12-01T09:00:00.000Z', { expiresAt: soon, requestedBy: '<img src=x onerror=alert(1)>' });
    hostile.review.plan!.planName = '<script>alert(1)</script>';
    await store.claim(hostile);
    const page = await inboxPage(alice, deps);
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('the history', () => {
  test('shows a request older than Step Functions keeps (seeded in the table, no execution), filtered by outcome', async () => {
    const old = {
      ...openRequest('plan-ancient', '2026-05-16T08:00:00.000Z', { status: 'APPROVED' }),
      outcome: { outcome: 'SUCCEEDED' as const, reason: 'The plan was executed', finishedAt: '2026-05-16T09:00:00.000Z' },
      pk: planKey('plan-ancient'),
      ...historyKeys('2026-05-16T08:00:00.000Z', 'plan-ancient'),
    };
    await local.documents.send(new PutCommand({ TableName: (store as unknown as { tableName: string }).tableName, Item: old }));
    await store.claim(openRequest('plan-new', '2026-12-01T09:00:00.000Z'));
    const all = await historyPage({}, deps);
    expect(all.statusCode).toBe(200);
    expect(all.html.indexOf('plan-new')).toBeLessThan(all.html.indexOf('plan-ancient'));
    const succeeded = await historyPage({ outcome: 'SUCCEEDED' }, deps);
    expect(succeeded.html).toContain('APPROVED, SUCCEEDED');
    expect(succeeded.html).not.toContain('plan-new');
    expect(succeeded.html).toContain('value="SUCCEEDED"');
  });

  test('pages with an opaque cursor that keeps the filters; a tampered cursor or a bad filter is a 400', async () => {
    for (let day = 1; day <= 27; day++) {
      await store.claim(openRequest(`plan-${day}`, `2026-11-${String(day).padStart(2, '0')}T09:00:00.000Z`));
    }
    const first = await historyPage({ to: '2026-11-30' }, deps);
    const next = /<a id="older" href="https:\/\/api\.example\.com\/prod\/history\?([^"]+)"/.exec(first.html)?.[1];
    expect(next).toBeDefined();
    const query = Object.fromEntries(new URLSearchParams(next!.replace(/&amp;/g, '&')));
    expect(query.to).toBe('2026-11-30');
    const second = await historyPage(query, deps);
    expect(second.html).toContain('(plan-1)');
    expect(second.html).toContain('(plan-2)');
    expect(second.html).not.toContain('(plan-3)');

    expect((await historyPage({ cursor: 'x'.repeat(10) }, deps)).statusCode).toBe(400);
    const foreign = encodeCursor({ month: '2026-11', after: { pk: 'PLAN#a', historyMonth: 'MONTH#2026-11', historyAt: 'a' } }).replace(/.$/, '!');
    expect((await historyPage({ cursor: foreign }, deps)).statusCode).toBe(400);
    expect((await historyPage({ status: 'nonsense' }, deps)).statusCode).toBe(400);
  });
});

describe('a request page for a signed-in approver', () => {
  test('shows the decision form to an approver, the plan only to someone else, and 404 for no request', async () => {
    await store.claim(openRequest('plan-a', '2026-12-01T09:00:00.000Z', { expiresAt: soon }));
    const mine = await requestPage('plan-a', alice, deps);
    expect(mine.statusCode).toBe(200);
    expect(mine.html).toContain('value="approve"');
    const theirs = await requestPage('plan-a', signedIn('mallory@example.com'), deps);
    expect(theirs.html).not.toContain('value="approve"');
    expect(theirs.html).toContain('This page is shared with the channel');
    expect((await requestPage('plan-none', alice, deps)).statusCode).toBe(404);
    expect((await requestPage('../etc', alice, deps)).statusCode).toBe(404);
  });

  test('decides as the signed-in approver: Alice counts, Bob completes the quorum, Mallory is refused', async () => {
    await store.claim(openRequest('plan-a', '2026-12-01T09:00:00.000Z', { expiresAt: soon }));
    const refused = await decideRequest('plan-a', signedIn('mallory@example.com'), { decision: 'APPROVED' }, deps);
    expect(refused).toMatchObject({ statusCode: 403 });
    const byAlice = await decideRequest('plan-a', alice, { decision: 'APPROVED', comment: 'ok' }, deps);
    if ('statusCode' in byAlice) throw new Error('expected a decision');
    expect(decisionAnswer(byAlice.outcome, byAlice.approver, NOW).statusCode).toBe(200);
    expect(byAlice.outcome.result).toBe('counted');
    const byBob = await decideRequest('plan-a', signedIn('bob@example.com'), { decision: 'APPROVED' }, deps);
    expect(byBob).toMatchObject({ outcome: { result: 'decided' } });
    expect(completed).toEqual([expect.objectContaining({ decision: 'APPROVED', approver: expect.objectContaining({ email: 'bob@example.com' }) })]);
    expect((await store.get('plan-a'))?.approvals?.map((a) => a.channel)).toEqual(['web', 'web']);
    // Each decision keeps who the identity provider said decided (issuer and subject).
    expect((await store.get('plan-a'))?.decision).toMatchObject({ signedIn: { issuer: 'https://idp.example', subject: 'sub-bob@example.com' } });
  });
});
