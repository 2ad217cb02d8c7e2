import { CALENDAR_DEFAULTS, type CalendarPolicy, FREEZE_RULE } from '../contracts/calendar-policy';
import type { CalendarAtReview, DeferredExecution } from '../contracts/steps';
import { type CalendarSubject, calendarState } from './change-calendar';

/** The change calendar at an instant, as the run's state records it. */
export function calendarAt(policy: CalendarPolicy, at: Date, subject: CalendarSubject): CalendarAtReview {
  const state = calendarState(policy.windows, at, subject);
  return {
    open: state.open,
    ...(state.reason ? { reason: state.reason } : {}),
    ...(state.nextTransition ? { nextTransition: state.nextTransition } : {}),
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
): { open: true } | { deferred: DeferredExecution } | { refused: string } {
  const calendar = calendarAt(policy, at, subject);
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
