import type { ApprovalRecord } from '../contracts/approval-record';
import { type ExecuteWindow, executeWindowInputSchema, WINDOW_HORIZON_DAYS } from '../contracts/execute-window';
import type { WindowAction } from '../contracts/window-actions';
import * as z from '../contracts/zod';
import { utcTime } from './describe';

/*
 * The schedule of a run waiting for its execution window (issue 23): how long it still waits, whether a new window may
 * replace the one it has, and how each action on it is told.
 */

const DAY_MS = 86_400_000;

/** A reschedule closer to the window's opening than this is refused: the wait may be ending as it arrives. */
export const RESCHEDULE_CUTOFF_MS = 5_000;

/** The window the run now has: a reschedule's, else the run input's. */
export const windowOf = (record: Pick<ApprovalRecord, 'executeWindow' | 'review'>): ExecuteWindow | undefined =>
  record.executeWindow ?? record.review.executeWindow;

/** The wait task's TimeoutSeconds: until notBefore, at least one second (Step Functions' smallest). */
export function secondsUntil(window: ExecuteWindow, now: Date): number {
  return Math.max(1, Math.ceil((Date.parse(window.notBefore) - now.getTime()) / 1000));
}

/**
 * A new window for a waiting run, checked as a run input's is (same fields, same bounds, messages naming the field),
 * and closing at most WINDOW_HORIZON_DAYS after the run asked for approval, as a run input's may: the state machine's
 * time limit allows for that much, and reschedules cannot push a run past it.
 */
export function rescheduledWindow(input: unknown, runStartedAt: string, now: Date): { window: ExecuteWindow } | { error: string } {
  const parsed = z.safeParse(executeWindowInputSchema, input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { error: `executeWindow${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}` };
  }
  const window = { notBefore: new Date(parsed.data.notBefore).toISOString(), notAfter: new Date(parsed.data.notAfter).toISOString() };
  const latest = new Date(Date.parse(runStartedAt) + WINDOW_HORIZON_DAYS * DAY_MS);
  if (Date.parse(window.notAfter) > latest.getTime()) {
    return {
      error: `executeWindow.notAfter: must be at most ${utcTime(latest)}, ${WINDOW_HORIZON_DAYS} days after the run asked for approval (${utcTime(new Date(runStartedAt))}), so that it ends within its time limit`,
    };
  }
  if (Date.parse(window.notBefore) - now.getTime() < RESCHEDULE_CUTOFF_MS) {
    return { error: 'executeWindow.notBefore: must be at least 5 seconds ahead; to execute now, ask an operator for run-now' };
  }
  return { window };
}

/** "Cancelled by alice@example.com at 2026-12-05 01:00 UTC: the database team needs the night", for the page and the CLI. */
export function describeWindowAction(action: WindowAction): string {
  const when = utcTime(new Date(action.at));
  const who = action.by === action.principal ? action.by : `${action.by} (${action.principal})`;
  const reason = action.reason ? `: ${action.reason}` : '';
  switch (action.action) {
    case 'reschedule':
      return `Rescheduled by ${who} at ${when} to not before ${utcTime(new Date(action.window!.notBefore))}, not after ${utcTime(new Date(action.window!.notAfter))}${reason}`;
    case 'cancel':
      return `Cancelled by ${who} at ${when}${reason}`;
    case 'run-now':
      return `Run now by ${who} at ${when}${reason}`;
  }
}
