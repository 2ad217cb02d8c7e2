/*
 * The run's state document must stay within Step Functions' limit on a state's input and output (256 KiB of UTF-8).
 * Going over is `States.DataLimitExceeded`, which no Catch takes: the run fails outside the workflow. So each part of
 * the document has a budget, the step that builds a part fits it into its budget (dropping the least important list
 * items and counting them), and the budgets add up to less than the limit (test/lambdas/state-budget.test.ts). The
 * full lists stay where they came from (the plan and the record in Service Catalog, the approvals in the table).
 */

/** Step Functions' limit on a state's input or output, and on a task's result. */
export const STATE_LIMIT_BYTES = 256 * 1024;

const KiB = 1024;

/**
 * The most each part of the state may take, as JSON in UTF-8 with its key. `decision` is `$.approval` or `$.expiry`:
 * a run that expires has no approval (the timed-out task's result is discarded), so one budget serves both.
 */
export const STATE_BUDGET = {
  run: 1 * KiB,
  input: 1 * KiB,
  review: 80 * KiB,
  decision: 72 * KiB,
  execution: 2 * KiB,
  record: 40 * KiB,
  error: 12 * KiB,
  outcome: 64,
  notification: 40 * KiB,
} as const;
export type StatePart = keyof typeof STATE_BUDGET;

/** How many bytes a value takes in the state document. */
export const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');

/**
 * The value `build` makes from as many leading items as fit in `budget` bytes (the size grows with the count, so the
 * count is found by bisection). `dropped` is how many items were left out, for the value to say so.
 */
export function fitList<T, R>(items: readonly T[], budget: number, build: (kept: T[], dropped: number) => R): R {
  const make = (count: number) => build(items.slice(0, count), items.length - count);
  const all = make(items.length);
  if (bytesOf(all) <= budget) return all;
  let fits = 0;
  let over = items.length;
  while (over - fits > 1) {
    const mid = (fits + over) >>> 1;
    if (bytesOf(make(mid)) <= budget) fits = mid;
    else over = mid;
  }
  return make(fits);
}

/** An approval as the run's state carries it: who (without the IAM principals they may sign as), how, when, why. */
export function approvalForState<A extends { approver: { iamPrincipals?: unknown } }>(approval: A): A {
  const { iamPrincipals: _, ...approver } = approval.approver;
  return { ...approval, approver };
}

/** A part that is over its budget even with its lists fitted: a bug in the caps, reported rather than carried into the state. */
export class StateBudgetError extends Error {
  override readonly name = 'StateBudgetError';
}

/** Returns the part unchanged if it is within its budget; throws otherwise (the run then ends INTERNAL_ERROR). */
export function withinBudget<T>(part: StatePart, value: T): T {
  const bytes = bytesOf(value);
  if (bytes > STATE_BUDGET[part]) {
    throw new StateBudgetError(`The run's ${part} is ${bytes} bytes, over its ${STATE_BUDGET[part]}-byte share of the state`);
  }
  return value;
}
