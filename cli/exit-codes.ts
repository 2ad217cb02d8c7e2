import type { Outcome } from '../lambdas/shared/contracts/steps';

/** Exit codes that are not a run's outcome. The README's command-line section lists them all. */
export const EXIT = {
  ok: 0,
  /** AWS refused, credentials or region missing, an unknown plan or stack. */
  error: 1,
  /** Bad arguments. */
  usage: 2,
  /** `--wait` ran out of time; the run goes on. */
  stillRunning: 3,
  /** The approval API refused the caller: not an approver, or approving their own request. */
  forbidden: 4,
  /** Already decided, already approved by this caller, or (release) the run still runs. */
  conflict: 5,
  /** The approval request expired or was closed. */
  gone: 6,
  /** Break-glass: the caller's uses in the last 24 hours are used up (plangate:breakGlass.maxUsesPerDay). */
  tooSoon: 7,
  /** `evidence verify` found a problem: a bundle or manifest changed or missing, a broken chain, a run without a bundle. */
  unverified: 8,
} as const;

/** `plangate start --wait` exits with its run's outcome: 0 only when the plan was executed and succeeded. */
export const OUTCOME_EXIT: Record<Outcome, number> = {
  SUCCEEDED: 0,
  REJECTED: 10,
  DENIED: 11,
  EXPIRED: 12,
  FAILED: 13,
  TIMED_OUT: 14,
  PLAN_NOT_READY: 15,
  PLAN_CHANGED: 16,
  INVALID_INPUT: 17,
  DUPLICATE: 18,
  INTERNAL_ERROR: 19,
  ABORTED: 20,
  RUN_FAILED: 21,
  RUN_TIMED_OUT: 22,
  RELEASED: 23,
  SPOKE_UNREACHABLE: 24,
  FROZEN: 25,
  APPROVAL_STALE: 26,
  WINDOW_MISSED: 27,
  CANCELLED: 28,
};

/** An expected failure: its message is printed alone (no stack trace) and the process exits with its code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
