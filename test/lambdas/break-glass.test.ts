import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import type { Approver } from '../../lambdas/shared/contracts/approver';
import type { HumanDecision } from '../../lambdas/shared/contracts/steps';
import { breakGlassUser, isOverdue, lapsedBreakGlass, openedReview, reviewRefusal, takeUse } from '../../lambdas/shared/domain/break-glass';
import { describeDecider } from '../../lambdas/shared/domain/describe';

/** The plain functions of break-glass (issue 23 item 5): who may, the rate limit, the lapse, and who may close the review. */
const alice: Approver = { email: 'alice@example.com', name: 'Alice', iamPrincipals: ['arn:aws:sts::111122223333:assumed-role/Oncall/alice'] };
const bob: Approver = { email: 'bob@example.com', iamPrincipals: ['arn:aws:sts::111122223333:assumed-role/Approver/bob'] };
const policy = { requesters: ['arn:aws:sts::111122223333:assumed-role/Oncall/*'] };
const HOUR = 3_600_000;

describe('who may break glass', () => {
  test('a listed requester who is an approver may, as that approver', () => {
    expect(breakGlassUser('arn:aws:sts::111122223333:assumed-role/Oncall/alice', policy, [alice, bob])).toEqual({ approver: alice });
  });

  test('an approver who is not listed may not, and is told the setting', () => {
    expect(breakGlassUser('arn:aws:sts::111122223333:assumed-role/Approver/bob', policy, [alice, bob])).toEqual({
      refused: expect.stringContaining('is not a break-glass requester (plangate:breakGlass.requesters)'),
    });
  });

  test('a listed requester no approver names may not: there is no person to count the use against', () => {
    expect(breakGlassUser('arn:aws:sts::111122223333:assumed-role/Oncall/mallory', policy, [alice, bob])).toEqual({
      refused: expect.stringContaining("no approver's iamPrincipals match it"),
    });
  });
});

describe('the rate limit: at most maxUsesPerDay in any 24 hours', () => {
  const now = new Date('2027-03-01T12:00:00Z');

  test('the first use passes and is stored', () => {
    expect(takeUse([], now, 1)).toEqual({ uses: [now.getTime()] });
  });

  test('a second use within 24 hours is refused until a day after the first', () => {
    const first = now.getTime() - 5 * HOUR;
    expect(takeUse([first], now, 1)).toEqual({ nextAt: new Date(first + 24 * HOUR) });
  });

  test('a use older than 24 hours no longer counts, and is dropped', () => {
    expect(takeUse([now.getTime() - 25 * HOUR], now, 1)).toEqual({ uses: [now.getTime()] });
  });

  test('with 2 a day, the next use after two is allowed a day after the older of them', () => {
    const uses = [now.getTime() - 2 * HOUR, now.getTime() - 20 * HOUR];
    expect(takeUse(uses.slice(0, 1), now, 2)).toEqual({ uses: [uses[0], now.getTime()] });
    expect(takeUse(uses, now, 2)).toEqual({ nextAt: new Date(uses[1]! + 24 * HOUR) });
  });
});

const breakGlassDecision = (decidedAt: string, validUntil: string): HumanDecision => ({
  decision: 'APPROVED',
  approver: alice,
  channel: 'cli',
  principal: 'arn:aws:sts::111122223333:assumed-role/Oncall/alice',
  requestedAt: decidedAt,
  decidedAt,
  breakGlass: { reason: 'Payments down', ticket: 'INC-42', validUntil },
});

describe('a break-glass approval holds for validityMinutes', () => {
  const decision = breakGlassDecision('2027-03-01T12:00:00.000Z', '2027-03-01T12:15:00.000Z');

  test('executed in time, it may execute', () => {
    expect(lapsedBreakGlass(decision, new Date('2027-03-01T12:14:59Z'))).toBeUndefined();
  });

  test('executed later (a window, a calendar wait), it is refused saying until when it held', () => {
    expect(lapsedBreakGlass(decision, new Date('2027-03-01T12:16:00Z'))).toMatch(
      /^the break-glass approval by alice@example.com at 2027-03-01T12:00:00.000Z was valid until 2027-03-01T12:15:00.000Z \(plangate:breakGlass.validityMinutes\)/,
    );
  });

  test('an ordinary approval is not limited so', () => {
    const { breakGlass: _, ...ordinary } = decision;
    expect(lapsedBreakGlass(ordinary, new Date('2028-01-01T00:00:00Z'))).toBeUndefined();
  });

  test('every surface names it as break-glass, with the reason and the ticket', () => {
    expect(describeDecider(decision)).toBe(
      'BREAK-GLASS by Alice <alice@example.com> (reason: Payments down; ticket INC-42; valid until 2027-03-01T12:15:00.000Z)',
    );
  });
});

describe('closing the follow-up review', () => {
  const opened = openedReview(alice, new Date('2027-03-01T12:00:00Z'), 72);
  const record = { planId: 'plan-1', breakGlassReview: opened } as Pick<ApprovalRecord, 'planId' | 'breakGlassReview'>;

  test('it is due reviewWithinHours after the use', () => {
    expect(opened).toEqual({ status: 'OPEN', user: 'alice@example.com', openedAt: '2027-03-01T12:00:00.000Z', dueAt: '2027-03-04T12:00:00.000Z' });
  });

  test('the break-glass user may not close it, whatever case their email is in', () => {
    expect(reviewRefusal(record, { email: 'Alice@Example.com' })).toBe('You broke glass on plan plan-1, so a different approver must review it');
  });

  test('another approver may', () => {
    expect(reviewRefusal(record, bob)).toBeUndefined();
  });

  test('a plan without one, or one closed already, says so', () => {
    expect(reviewRefusal({ planId: 'plan-2' }, bob)).toBe('Plan plan-2 has no break-glass review');
    const closed = {
      ...opened,
      status: 'CLOSED' as const,
      closedBy: { email: 'carol@example.com', principal: 'arn' },
      closedAt: '2027-03-02T00:00:00Z',
    };
    expect(reviewRefusal({ planId: 'plan-1', breakGlassReview: closed }, bob)).toBe(
      'The break-glass review of plan plan-1 was closed by carol@example.com at 2027-03-02T00:00:00Z',
    );
  });

  test('it is overdue once open past its due time, while its break-glass decision stands', () => {
    const decision = breakGlassDecision('2027-03-01T12:00:00.000Z', '2027-03-01T12:15:00.000Z');
    const late = new Date('2027-03-04T12:00:01Z');
    expect(isOverdue({ breakGlassReview: opened, decision }, late)).toBe(true);
    expect(isOverdue({ breakGlassReview: opened, decision }, new Date('2027-03-04T11:59:59Z'))).toBe(false);
    expect(isOverdue({ breakGlassReview: { ...opened, status: 'CLOSED' }, decision }, late)).toBe(false);
    // A decision that was undone (its task could not be completed) leaves no review to do.
    expect(isOverdue({ breakGlassReview: opened }, late)).toBe(false);
  });
});
