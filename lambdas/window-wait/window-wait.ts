import type { WindowStore } from '../shared/adapters/window-store';
import { type EnvironmentOf, TABLE_NAME } from '../shared/contracts/environment';
import { RunCancelledError } from '../shared/contracts/errors';
import { parseInput } from '../shared/contracts/parse-input';
import { accountIdSchema, regionSchema } from '../shared/contracts/spokes';
import { executionArnSchema, planIdSchema } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { planRefOf } from '../shared/domain/plan-location';
import { describeWindowAction, secondsUntil, windowOf } from '../shared/domain/window-schedule';
import { logger } from '../shared/runtime/logger';

export const WINDOW_WAIT_ENV = { TABLE_NAME };
export type WindowWaitEnv = EnvironmentOf<typeof WINDOW_WAIT_ENV>;

const runSchema = z.object({
  planId: planIdSchema,
  accountId: z.optional(accountIdSchema),
  region: z.optional(regionSchema),
  executionArn: executionArnSchema,
});
/** The waiting task's call carries its token too. */
const eventSchema = z.object({ ...runSchema.shape, taskToken: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))) });

export interface WindowWaitDeps {
  store: Pick<WindowStore, 'get' | 'arm'>;
  now: () => Date;
}

/**
 * The wait of a windowed run (issue 23), in two calls (reschedule, cancel and run-now are RunActions'). Without a token ("Schedule the execution"): how many seconds
 * until the window the run now has opens, the next task's timeout. With one ("Wait for the execution window"): keeps
 * the token on the approval record, where reschedule, cancel and run-now find it; its timeout is notBefore reached.
 */
export async function windowWait(event: unknown, deps: WindowWaitDeps): Promise<{ waitSeconds: number } | { waiting: true }> {
  const input = parseInput(eventSchema, event);
  const planRef = planRefOf(input, input.executionArn);
  const record = await deps.store.get(planRef);
  const window = record && record.executionArn === input.executionArn ? windowOf(record) : undefined;
  if (!record || !window) throw new Error(`Plan ${input.planId} has no execution window from run ${input.executionArn}`);
  if (!input.taskToken) return { waitSeconds: secondsUntil(window, deps.now()) };
  if (await deps.store.arm(planRef, input.executionArn, input.taskToken, window)) {
    logger.info('Waiting for the execution window', { planId: input.planId, notBefore: window.notBefore });
    return { waiting: true };
  }
  const now = await deps.store.get(planRef);
  if (now?.executionArn === input.executionArn && now.cancelled) {
    throw new RunCancelledError(`Plan ${input.planId} was not executed: ${describeWindowAction(now.cancelled)}`);
  }
  throw new Error(`Plan ${input.planId}'s run ${input.executionArn} can no longer wait for its window (record status: ${now?.status ?? 'none'})`);
}
