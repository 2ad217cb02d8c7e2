import { changeCalendarSchema } from './change-calendar';
import * as z from './zod';

/*
 * What plangate:changeCalendar decides besides its windows (contracts/change-calendar.ts): what a closed calendar does
 * to an approved plan. The configuration (lib/config.ts) and ReviewPlan and ExecutePlan (CHANGE_CALENDAR) parse it
 * with this same schema.
 */

export const ON_CLOSED = ['reject', 'wait', 'require-freeze-approval'] as const;

export const MAX_WAIT_HOURS = 24 * 30;

/** An SSM document name, or its ARN (a calendar shared from another account). */
const SSM_CALENDAR = /^([a-zA-Z0-9_.-]{3,128}|arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:document\/[a-zA-Z0-9_.-]{3,128})$/;

export const calendarPolicySchema = /* @__PURE__ */ (() =>
  z.extend(changeCalendarSchema, {
    /**
     * A closed calendar when the plan is to be executed: `reject` ends the run FROZEN (the plan released); `wait` waits
     * until it opens, at most maxWaitHours after the approval, then FROZEN.
     */
    onClosed: z.optional(z.enum(ON_CLOSED, { error: 'must be "reject", "wait" or "require-freeze-approval"' })),
    maxWaitHours: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_WAIT_HOURS))),
    /** With onClosed `require-freeze-approval`: the extra approvals (a group of plangate:groups) a plan reviewed while closed needs. */
    freezeApprovers: z.optional(
      z.strictObject({ group: z.string().check(z.minLength(1)), count: z.number().check(z.int(), z.minimum(1), z.maximum(100)) }),
    ),
    /** Who may start a run with changeClass `emergency` (skips the calendar, not the approvals), and who else is told. */
    emergency: z.optional(
      z.strictObject({
        /** Emails, or IAM principal ARN patterns (`*` for any run of characters), matched against the run's requestedBy. */
        requesters: z
          .array(z.string().check(z.minLength(1), z.maxLength(2048)))
          .check(z.minLength(1, 'must name at least one requester'), z.maxLength(50)),
        notify: z.optional(z.array(z.email({ error: 'must be an email address' })).check(z.maxLength(50))),
      }),
    ),
    /** AWS Systems Manager Change Calendars, read with ssm:GetCalendarState when checked: a CLOSED one is a deny window. */
    ssmCalendars: z.optional(
      z
        .array(z.string().check(z.regex(SSM_CALENDAR, 'must be an SSM Change Calendar name or document ARN')))
        .check(z.minLength(1, 'must not be empty'), z.maxLength(10)),
    ),
    /** An .ics file read at synth (lib/ics.ts), relative to the CDK app's directory: its events become deny windows. */
    icsFile: z.optional(z.string().check(z.minLength(1))),
  }))();
export type CalendarPolicy = z.infer<typeof calendarPolicySchema>;

/** The requirement a plan reviewed while the calendar was closed needs with onClosed `require-freeze-approval`. */
export const FREEZE_RULE = 'change-freeze';

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
