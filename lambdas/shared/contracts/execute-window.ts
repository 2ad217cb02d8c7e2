import * as z from './zod';

/*
 * The run input's executeWindow (issue 23): when an approved plan may be executed. Bounded so that a whole run (the
 * approval timeout, at most 7 days, the wait until notBefore and the window) stays far inside Step Functions' one-year
 * limit for a standard execution.
 */

/** How far ahead a window may start, and how long it may be. */
export const MAX_NOT_BEFORE_DAYS = 30;
export const MAX_WINDOW_DAYS = 7;
/**
 * The latest a window may close, counted from when the run asked for approval: what a run input may ask for, and the
 * bound on a reschedule. The state machine's time limit allows for it (lib/plan-approval-workflow.ts).
 */
export const WINDOW_HORIZON_DAYS = MAX_NOT_BEFORE_DAYS + MAX_WINDOW_DAYS;

/** How long an approval stays valid for a windowed run, unless plangate:approvalValidityHours says otherwise. */
export const DEFAULT_APPROVAL_VALIDITY_HOURS = 72;
export const MAX_APPROVAL_VALIDITY_HOURS = 24 * 30;

const DAY_MS = 86_400_000;

/** RFC 3339 in UTC only (`Z`): an offset is refused rather than converted, so nobody misreads the instant. */
const UTC_INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?Z$/;

/** The instant, or undefined when the text is not an RFC 3339 UTC time that exists (no 30 February). */
export function utcInstant(text: string): Date | undefined {
  const match = UTC_INSTANT.exec(text);
  const at = match ? new Date(text) : undefined;
  return at && !Number.isNaN(at.getTime()) && at.toISOString().startsWith(match![1]!) ? at : undefined;
}

const RFC_3339_UTC = 'must be an RFC 3339 time in UTC ending in Z (no offset), such as 2026-12-05T02:00:00Z';
const instant = /* @__PURE__ */ (() =>
  z.string({ error: RFC_3339_UTC }).check(z.refine((text) => utcInstant(text) !== undefined, { error: RFC_3339_UTC })))();

/** The window as ReviewPlan carries it (`$.review.executeWindow`) and the approval record keeps it: checked when it started. */
export const executeWindowSchema = /* @__PURE__ */ (() => z.object({ notBefore: z.string(), notAfter: z.string() }))();
export type ExecuteWindow = z.infer<typeof executeWindowSchema>;

/**
 * The window as a run input gives it, checked against the time the run is reviewed. Each message names its field, as
 * the run's INVALID_INPUT reason shows it (`executeWindow.notAfter: must be after executeWindow.notBefore`).
 */
export const executeWindowInputSchema = /* @__PURE__ */ (() =>
  z
    .strictObject(
      { notBefore: instant, notAfter: instant },
      { error: 'must be {"notBefore", "notAfter"}, two RFC 3339 times in UTC, and nothing else' },
    )
    .check(
      z.superRefine((window, ctx) => {
        ctx.issues.push(...windowProblems(window, new Date()));
      }),
    ))();

/** What is wrong with a window of valid instants, at `now`; nothing when it is usable. */
export function windowProblems(window: ExecuteWindow, now: Date) {
  const notBefore = utcInstant(window.notBefore);
  const notAfter = utcInstant(window.notAfter);
  if (!notBefore || !notAfter) return [];
  const problem = (field: keyof ExecuteWindow, message: string) => ({ code: 'custom' as const, path: [field], message, input: window });
  if (notAfter <= notBefore) return [problem('notAfter', 'must be after executeWindow.notBefore')];
  const problems = [];
  if (notAfter <= now) problems.push(problem('notAfter', `must be in the future (it is ${now.toISOString()})`));
  if (notBefore.getTime() - now.getTime() > MAX_NOT_BEFORE_DAYS * DAY_MS) {
    problems.push(problem('notBefore', `must be at most ${MAX_NOT_BEFORE_DAYS} days ahead`));
  }
  if (notAfter.getTime() - notBefore.getTime() > MAX_WINDOW_DAYS * DAY_MS) {
    problems.push(problem('notAfter', `must be at most ${MAX_WINDOW_DAYS} days after executeWindow.notBefore`));
  }
  return problems;
}
