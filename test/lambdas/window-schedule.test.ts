import { staleQuorum } from '../../lambdas/shared/domain/eligibility';
import { describeWindowAction, rescheduledWindow, secondsUntil } from '../../lambdas/shared/domain/window-schedule';
import { windowWait } from '../../lambdas/window-wait/window-wait';
import { review } from './fixtures';

/** A run waiting for its execution window (issue 23): its wait, a new window's checks, and who still may approve it. */
const MINUTE = 60_000;
const DAY = 86_400_000;
const now = new Date('2026-12-01T12:00:00.000Z');
const at = (offsetMs: number, from = Date.now()) => new Date(from + offsetMs).toISOString();

describe('the wait until notBefore', () => {
  test.each([
    ['90.2 seconds ahead', 90_200, 91],
    ['already passed', -MINUTE, 1],
    ['now', 0, 1],
  ])('%s: the task waits %s → %i s (at least 1, as Step Functions takes)', (_, offset, seconds) => {
    expect(secondsUntil({ notBefore: at(offset, now.getTime()), notAfter: at(DAY, now.getTime()) }, now)).toBe(seconds);
  });
});

describe('a new window', () => {
  const started = at(-DAY);
  test('is checked as a run input is, naming the field', () => {
    expect(rescheduledWindow({ notBefore: at(2 * MINUTE), notAfter: at(MINUTE) }, started, new Date())).toEqual({
      error: 'executeWindow.notAfter: must be after executeWindow.notBefore',
    });
    expect(rescheduledWindow({ notBefore: '2026-12-05T02:00:00+01:00', notAfter: at(MINUTE) }, started, new Date())).toMatchObject({
      error: expect.stringContaining('executeWindow.notBefore: must be an RFC 3339 time in UTC'),
    });
    expect(rescheduledWindow({ notBefore: at(31 * DAY), notAfter: at(32 * DAY) }, started, new Date())).toEqual({
      error: 'executeWindow.notBefore: must be at most 30 days ahead',
    });
  });

  test('closes at most 37 days after the run asked for approval, as a run input may: reschedules cannot push a run past its time limit', () => {
    const askedLongAgo = at(-20 * DAY);
    expect(rescheduledWindow({ notBefore: at(15 * DAY), notAfter: at(20 * DAY) }, askedLongAgo, new Date())).toMatchObject({
      error: expect.stringMatching(
        /^executeWindow\.notAfter: must be at most .*, 37 days after the run asked for approval \(.*\), so that it ends within its time limit$/,
      ),
    });
    expect(rescheduledWindow({ notBefore: at(10 * DAY), notAfter: at(11 * DAY) }, askedLongAgo, new Date())).toHaveProperty('window');
  });

  test('must open at least 5 seconds ahead (sooner is run-now, an operator’s), and is kept in one form', () => {
    expect(rescheduledWindow({ notBefore: at(2_000), notAfter: at(MINUTE) }, started, new Date())).toMatchObject({
      error: expect.stringContaining('must be at least 5 seconds ahead; to execute now, ask an operator for run-now'),
    });
    const second = Math.ceil((Date.now() + 60 * MINUTE) / 1000) * 1000;
    const window = { notBefore: new Date(second).toISOString().replace('.000Z', 'Z'), notAfter: new Date(second + MINUTE).toISOString() };
    expect(rescheduledWindow(window, started, new Date())).toEqual({
      window: { notBefore: new Date(second).toISOString(), notAfter: new Date(second + MINUTE).toISOString() },
    });
  });
});

test('each action is told with who (and the verified principal), when, what and why', () => {
  const base = { by: 'alice@example.com', principal: 'arn:aws:sts::1:assumed-role/A/alice', at: '2026-12-01T12:00:00Z' };
  expect(describeWindowAction({ ...base, action: 'cancel', reason: 'not tonight' })).toBe(
    'Cancelled by alice@example.com (arn:aws:sts::1:assumed-role/A/alice) at 2026-12-01 12:00 UTC: not tonight',
  );
  expect(
    describeWindowAction({ ...base, action: 'reschedule', window: { notBefore: '2026-12-02T02:00:00Z', notAfter: '2026-12-02T04:00:00Z' } }),
  ).toBe(
    'Rescheduled by alice@example.com (arn:aws:sts::1:assumed-role/A/alice) at 2026-12-01 12:00 UTC to not before 2026-12-02 02:00 UTC, not after 2026-12-02 04:00 UTC',
  );
  expect(describeWindowAction({ ...base, by: base.principal, action: 'run-now' })).toBe(
    'Run now by arn:aws:sts::1:assumed-role/A/alice at 2026-12-01 12:00 UTC',
  );
});

describe('approvers still eligible at execution', () => {
  const approval = (email: string, groups?: string[]) => ({
    approver: { email },
    channel: 'web' as const,
    decidedAt: '2026-12-01T10:00:00Z',
    groups,
  });
  const policy = {
    autoApproved: false,
    requiredApprovals: 2,
    rule: 'dba',
    requirements: [
      { rule: 'dba', group: 'dba', count: 1, stage: 1 },
      { rule: 'plangate:requiredApprovals', group: '*', count: 2, stage: 1 },
    ],
  };
  const record = (...approvals: ReturnType<typeof approval>[]) => ({
    review: { ...review(), policy },
    requiredApprovals: 2,
    approvals,
    decision: { decision: 'APPROVED' as const, ...approvals.at(-1)!, requestedAt: '2026-12-01T09:00:00Z', approvals },
  });
  const approvers = [{ email: 'ann@example.com' }, { email: 'dan@example.com' }, { email: 'eve@example.com' }];
  const inGroups = async (_: string, groups: string[]) => groups;

  test('all still listed and in their groups: the quorum holds', async () => {
    expect(await staleQuorum(record(approval('ann@example.com'), approval('dan@example.com', ['dba'])), approvers, inGroups)).toBeUndefined();
  });

  test('one no longer in plangate:approvers: the quorum fails, naming them', async () => {
    const stale = await staleQuorum(record(approval('ann@example.com'), approval('dan@example.com', ['dba'])), approvers.slice(1), inGroups);
    expect(stale).toMatchObject({ ineligible: [{ email: 'ann@example.com', why: 'no longer in plangate:approvers' }] });
  });

  test('one no longer in the Identity Center group: their approval no longer meets the group’s requirement', async () => {
    const left = async (email: string, groups: string[]) => (email === 'dan@example.com' ? [] : groups);
    const stale = await staleQuorum(record(approval('ann@example.com'), approval('dan@example.com', ['dba'])), approvers, left);
    expect(stale).toMatchObject({ ineligible: [{ email: 'dan@example.com', why: 'no longer in dba' }], waiting: expect.stringContaining('dba') });
  });

  test('an extra approval keeps the quorum: someone leaving changes nothing', async () => {
    const three = record(approval('ann@example.com'), approval('dan@example.com', ['dba']), approval('eve@example.com', ['dba']));
    expect(
      await staleQuorum(three, approvers.slice(0, 2).concat([{ email: 'eve@example.com' }]), async (e, g) => (e === 'dan@example.com' ? [] : g)),
    ).toBeUndefined();
  });

  test('membership that cannot be checked throws (ExecutePlan fails closed)', async () => {
    const down = () => Promise.reject(new Error('unreachable'));
    await expect(staleQuorum(record(approval('ann@example.com'), approval('dan@example.com', ['dba'])), approvers, down)).rejects.toThrow(
      'unreachable',
    );
  });
});

describe('WindowWait', () => {
  const run = 'arn:aws:states:us-east-1:111111111111:execution:sm:run-1';
  const waiting = {
    pk: 'PLAN#plan-abc',
    planId: 'plan-abc',
    executionArn: run,
    status: 'APPROVED' as const,
    requestedAt: '2026-12-01T09:00:00Z',
    expiresAt: 1,
    approvers: [],
    review: { ...review(), executeWindow: { notBefore: '2026-12-01T12:10:00Z', notAfter: '2026-12-01T13:00:00Z' } },
  };
  const event = { planId: 'plan-abc', executionArn: run };

  test("computes the wait from the record's window, a reschedule's first", async () => {
    const store = { get: jest.fn().mockResolvedValue(waiting), arm: jest.fn() };
    expect(await windowWait(event, { store, now: () => now })).toEqual({ waitSeconds: 600 });
    store.get.mockResolvedValue({ ...waiting, executeWindow: { notBefore: '2026-12-01T12:00:30Z', notAfter: '2026-12-01T13:00:00Z' } });
    expect(await windowWait(event, { store, now: () => now })).toEqual({ waitSeconds: 30 });
    expect(store.arm).not.toHaveBeenCalled();
  });

  test('keeps the token on the record, with the window it waits for', async () => {
    const store = { get: jest.fn().mockResolvedValue(waiting), arm: jest.fn().mockResolvedValue(true) };
    expect(await windowWait({ ...event, taskToken: 'token-1' }, { store, now: () => now })).toEqual({ waiting: true });
    expect(store.arm).toHaveBeenCalledWith('plan-abc', run, 'token-1', waiting.review.executeWindow);
  });

  test('a record that can no longer wait (closed, or another run’s) fails the task', async () => {
    const store = { get: jest.fn().mockResolvedValue({ ...waiting, outcome: {} }), arm: jest.fn().mockResolvedValue(false) };
    await expect(windowWait({ ...event, taskToken: 'token-1' }, { store, now: () => now })).rejects.toThrow('can no longer wait for its window');
    store.get.mockResolvedValue({ ...waiting, executionArn: `${run}-other` });
    await expect(windowWait(event, { store, now: () => now })).rejects.toThrow('has no execution window from run');
  });
});
