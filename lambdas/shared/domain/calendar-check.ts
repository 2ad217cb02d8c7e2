import { CALENDAR_DEFAULTS, type CalendarPolicy, FREEZE_RULE, type SsmCalendarState } from '../contracts/calendar-policy';
import type { CalendarAtReview, DeferredExecution } from '../contracts/steps';
import { type CalendarSubject, calendarState } from './change-calendar';
import { formatLocal } from './recurrence';

/** A CLOSED SSM Change Calendar as a deny window's reason. */
function ssmReason(ssm: SsmCalendarState): string {
  if (ssm.error) return `SSM Change Calendar ${ssm.calendar} could not be read, so it counts as CLOSED (${ssm.error})`;
  const until = ssm.nextTransition ? ` until ${formatLocal(Date.parse(ssm.nextTransition), 'UTC')} UTC` : '';
  return `SSM Change Calendar ${ssm.calendar} is CLOSED${until}`;
}

/**
 * The change calendar at an instant, as the run's state records it: the windows, and the SSM Change Calendars' states
 * read at that instant (a CLOSED one is an active deny window). Closed, it opens once every closed source has opened
 * (the latest of their openings, none if one of them does not say); open, it changes at the earliest transition.
 */
export function calendarAt(policy: CalendarPolicy, at: Date, subject: CalendarSubject, ssm: readonly SsmCalendarState[] = []): CalendarAtReview {
  const state = calendarState(policy.windows, at, subject);
  const closedSsm = ssm.filter((calendar) => calendar.state === 'CLOSED');
  const open = state.open && closedSsm.length === 0;
  const reasons = [...(state.reason ? [state.reason] : []), ...closedSsm.map(ssmReason)];
  const transitions = open
    ? [state.nextTransition, ...ssm.map((calendar) => calendar.nextTransition)].filter((t) => t !== undefined)
    : [...(state.open ? [] : [state.nextTransition]), ...closedSsm.map((calendar) => (calendar.error ? undefined : calendar.nextTransition))];
  const times = transitions.map((t) => (t === undefined ? Number.NaN : Date.parse(t)));
  const next = open ? Math.min(...times) : times.some(Number.isNaN) ? Number.NaN : Math.max(...times);
  return {
    open,
    ...(reasons.length ? { reason: reasons.join('; ') } : {}),
    ...(Number.isFinite(next) ? { nextTransition: new Date(next).toISOString() } : {}),
    checkedAt: at.toISOString(),
  };
}

/**
 * What a closed calendar does to a plan about to be executed: nothing when open; with onClosed `wait`, a deferral
 * until it opens, if it opens within maxWaitHours of the approval; with `require-freeze-approval`, nothing if the plan's
 * approval met a change-freeze requirement (`freezeApproved`); otherwise a refusal (the run ends FROZEN), in words.
 */
export function calendarVerdict(
  policy: CalendarPolicy,
  at: Date,
  subject: CalendarSubject,
  approvedAt: Date,
  freezeApproved = false,
  ssm: readonly SsmCalendarState[] = [],
): { open: true } | { deferred: DeferredExecution } | { refused: string } {
  const calendar = calendarAt(policy, at, subject, ssm);
  if (calendar.open) return { open: true };
  const reason = calendar.reason ?? 'the change calendar is closed';
  if (policy.onClosed === 'require-freeze-approval') {
    if (freezeApproved) return { open: true };
    // Closed only after the review: the policy asked for no freeze approval, so nobody approved executing in a freeze.
    return { refused: `${reason}, and the plan has no ${FREEZE_RULE} approval (the calendar was open when it was reviewed)` };
  }
  if ((policy.onClosed ?? CALENDAR_DEFAULTS.onClosed) === 'wait') {
    const maxWaitHours = policy.maxWaitHours ?? CALENDAR_DEFAULTS.maxWaitHours;
    const deadline = approvedAt.getTime() + maxWaitHours * 3600_000;
    if (calendar.nextTransition && Date.parse(calendar.nextTransition) <= deadline) {
      return { deferred: { deferredUntil: calendar.nextTransition, reason } };
    }
    return { refused: `${reason}, and it does not open within ${maxWaitHours} hours of the approval (plangate:changeCalendar.maxWaitHours)` };
  }
  return { refused: reason };
}
