import type { CalendarPolicy } from '../../lambdas/shared/contracts/calendar-policy';
import { type Creator, runInputSchema } from '../../lambdas/shared/contracts/steps';
import * as z from '../../lambdas/shared/contracts/zod';
import { emergencyOf } from '../../lambdas/shared/domain/emergency';

/** Who may start an emergency change (issue 23): plangate:changeCalendar.emergency.requesters, by email or IAM principal pattern. */
const calendar: CalendarPolicy = {
  windows: [],
  emergency: { requesters: ['oncall@example.com', 'arn:aws:sts::111122223333:assumed-role/Oncall/*'] },
};
const emergency = (requestedBy?: string) => ({ planId: 'plan-1', changeClass: 'emergency' as const, emergencyReason: 'outage', requestedBy });

test.each([
  ['an email, in any case', 'OnCall@Example.com'],
  ['an IAM principal matching a pattern', 'arn:aws:sts::111122223333:assumed-role/Oncall/dave'],
  ['an Identity Center session named by a listed email', 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/oncall@example.com'],
])('%s is an allowed requester, and the mark names them and the reason', (_, requestedBy) => {
  expect(emergencyOf(emergency(requestedBy), calendar)).toEqual({ reason: 'outage', requestedBy });
});

test("CloudTrail's verified creator counts when the run input names no allowed requester", () => {
  const creator: Creator = {
    arn: 'arn:aws:sts::111122223333:assumed-role/Oncall/erin',
    verifiedBy: 'cloudtrail',
    eventId: 'e',
    eventTime: '2026-12-01T00:00:00Z',
  };
  expect(emergencyOf(emergency(undefined), calendar, creator)).toEqual({ reason: 'outage', requestedBy: creator.arn });
});

test.each([
  [
    'someone else',
    emergency('arn:aws:sts::111122223333:assumed-role/Developer/mallory'),
    calendar,
    'requestedBy arn:aws:sts::111122223333:assumed-role/Developer/mallory is not one',
  ],
  ['a run naming no requester', emergency(undefined), calendar, 'a run without requestedBy is not one'],
  ['a gate without emergency requesters', emergency('oncall@example.com'), { windows: [] }, 'plangate:changeCalendar.emergency is not configured'],
  ['a gate without a calendar', emergency('oncall@example.com'), undefined, 'plangate:changeCalendar.emergency is not configured'],
])('an emergency change from %s is refused, saying why', (_, input, policy, why) => {
  expect(emergencyOf(input, policy)).toEqual({ refused: expect.stringContaining(why) });
});

test('a standard run is no emergency, whoever asks', () => {
  expect(emergencyOf({ planId: 'plan-1', requestedBy: 'oncall@example.com' }, calendar)).toBeUndefined();
});

test('the run input needs emergencyReason (1-1000 characters) with changeClass emergency', () => {
  const problem = (input: unknown) => {
    const parsed = z.safeParse(runInputSchema, input);
    return parsed.success ? undefined : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };
  expect(problem({ planId: 'plan-1', changeClass: 'emergency' })).toBe('emergencyReason: emergencyReason is required with changeClass "emergency"');
  expect(problem({ planId: 'plan-1', changeClass: 'emergency', emergencyReason: 'x'.repeat(1001) })).toContain(
    'emergencyReason must be 1-1000 characters',
  );
  expect(problem({ planId: 'plan-1', changeClass: 'urgent' })).toContain('changeClass must be "standard" or "emergency"');
  expect(problem({ planId: 'plan-1', changeClass: 'emergency', emergencyReason: 'outage' })).toBeUndefined();
});
