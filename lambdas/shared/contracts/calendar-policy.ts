import { changeCalendarSchema } from './change-calendar';
import * as z from './zod';

/*
 * What plangate:changeCalendar decides besides its windows (contracts/change-calendar.ts): what a closed calendar does
 * to an approved plan. The configuration (lib/config.ts) and ReviewPlan and ExecutePlan (CHANGE_CALENDAR) parse it
 * with this same schema.
 */

export const ON_CLOSED = ['reject', 'wait'] as const;

export const MAX_WAIT_HOURS = 24 * 30;

export const calendarPolicySchema = z.extend(changeCalendarSchema, {
  /**
   * A closed calendar when the plan is to be executed: `reject` ends the run FROZEN (the plan released); `wait` waits
   * until it opens, at most maxWaitHours after the approval, then FROZEN.
   */
  onClosed: z.optional(z.enum(ON_CLOSED, { error: 'must be "reject" or "wait"' })),
  maxWaitHours: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_WAIT_HOURS))),
});
export type CalendarPolicy = z.infer<typeof calendarPolicySchema>;

/** What an unset onClosed and maxWaitHours mean. */
export const CALENDAR_DEFAULTS = { onClosed: 'reject', maxWaitHours: 72 } as const;
