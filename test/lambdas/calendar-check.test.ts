import type { CalendarPolicy } from '../../lambdas/shared/contracts/calendar-policy';
import { calendarVerdict } from '../../lambdas/shared/domain/calendar-check';

/** What a closed change calendar does to an approved plan, right before it is executed (issue 23). */
const now = new Date('2026-12-28T10:00:00Z');
const approvedAt = new Date('2026-12-28T09:00:00Z');
const subject = { risk: 'HIGH' as const, resourceTypes: ['AWS::RDS::DBInstance'] };
const freeze = (end: string) => ({ name: 'year-end', kind: 'deny' as const, start: '2026-12-24T00:00', end, timeZone: 'Europe/Berlin' });
const policy = (over: Partial<CalendarPolicy>): CalendarPolicy => ({ windows: [freeze('2027-01-04T08:00')], ...over });

test('an open calendar lets the plan run', () => {
  expect(calendarVerdict(policy({ windows: [] }), now, subject, approvedAt)).toEqual({ open: true });
});

test('by default a closed calendar refuses, naming the window and when it ends', () => {
  const verdict = calendarVerdict(policy({}), now, subject, approvedAt);
  expect(verdict).toEqual({ refused: expect.stringContaining('year-end') });
  expect((verdict as { refused: string }).refused).toContain('2027-01-04 08:00 Europe/Berlin');
});

test('with onClosed wait, the plan waits until the calendar opens, if it opens within maxWaitHours of the approval', () => {
  const soon = policy({ windows: [freeze('2026-12-28T13:00')], onClosed: 'wait', maxWaitHours: 6 });
  // 13:00 in Berlin (UTC+1 in winter) is 12:00 UTC.
  expect(calendarVerdict(soon, now, subject, approvedAt)).toEqual({
    deferred: { deferredUntil: '2026-12-28T12:00:00.000Z', reason: expect.stringContaining('year-end') },
  });
  const refused = calendarVerdict(policy({ onClosed: 'wait', maxWaitHours: 6 }), now, subject, approvedAt);
  expect(refused).toEqual({ refused: expect.stringContaining('does not open within 6 hours of the approval') });
});

test('a window scoped to other resource types does not close the calendar for this plan', () => {
  const scoped = policy({ windows: [{ ...freeze('2027-01-04T08:00'), scope: { resourceTypes: ['AWS::IAM::*'] } }] });
  expect(calendarVerdict(scoped, now, subject, approvedAt)).toEqual({ open: true });
});

describe('onClosed require-freeze-approval', () => {
  const frozen = policy({ onClosed: 'require-freeze-approval', freezeApprovers: { group: 'change-board', count: 1 } });

  test('a closed calendar lets through a plan approved with its change-freeze requirement', () => {
    expect(calendarVerdict(frozen, now, subject, approvedAt, true)).toEqual({ open: true });
  });

  test('a plan reviewed while open (no change-freeze requirement) ends FROZEN when the calendar has closed since', () => {
    expect(calendarVerdict(frozen, now, subject, approvedAt, false)).toEqual({
      refused: expect.stringMatching(/year-end.*no change-freeze approval \(the calendar was open when it was reviewed\)/),
    });
  });
});
