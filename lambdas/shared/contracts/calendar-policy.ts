import { changeCalendarSchema } from './change-calendar';
import * as z from './zod';

/*
 * What plangate:changeCalendar decides besides its windows (contracts/change-calendar.ts): what a closed calendar does
 * to an approved plan. The configuration (lib/config.ts) and ReviewPlan and ExecutePlan (CHANGE_CALENDAR) parse it
 * with this same schema.
 */

export const ON_CLOSED = ['reject', 'wait'] as const;

export const MAX_WAIT_HOURS = 24 * 30;

/** An SSM document name, or its ARN (a calendar shared from another account). */
const SSM_CALENDAR = /^([a-zA-Z0-9_.-]{3,128}|arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:document\/[a-zA-Z0-9_.-]{3,128})$/;

export const calendarPolicySchema = z.extend(changeCalendarSchema, {
  /**
   * A closed calendar when the plan is to be executed: `reject` ends the run FROZEN (the plan released); `wait` waits
   * until it opens, at most maxWaitHours after the approval, then FROZEN.
   */
  onClosed: z.optional(z.enum(ON_CLOSED, { error: 'must be "reject" or "wait"' })),
  maxWaitHours: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_WAIT_HOURS))),
  /** AWS Systems Manager Change Calendars, read with ssm:GetCalendarState when checked: a CLOSED one is a deny window. */
  ssmCalendars: z.optional(
    z
      .array(z.string().check(z.regex(SSM_CALENDAR, 'must be an SSM Change Calendar name or document ARN')))
      .check(z.minLength(1, 'must not be empty'), z.maxLength(10)),
  ),
  /** An .ics file read at synth (lib/ics.ts), relative to the CDK app's directory: its events become deny windows. */
  icsFile: z.optional(z.string().check(z.minLength(1))),
});
export type CalendarPolicy = z.infer<typeof calendarPolicySchema>;

/** What an unset onClosed and maxWaitHours mean. */
export const CALENDAR_DEFAULTS = { onClosed: 'reject', maxWaitHours: 72 } as const;

/** One SSM Change Calendar's state at the check (lambdas/shared/adapters/ssm-calendars.ts reads it). */
export interface SsmCalendarState {
  calendar: string;
  state: 'OPEN' | 'CLOSED';
  /** When its state changes (ISO 8601), as GetCalendarState's NextTransitionTime. */
  nextTransition?: string;
  /** Why it could not be read: it then counts as CLOSED (fail closed). */
  error?: string;
}
