import type { OutcomeDetail } from '../shared/contracts/events';
import { parseInput } from '../shared/contracts/parse-input';
import { runStateSchema } from '../shared/contracts/steps';
import { planRefOf } from '../shared/domain/plan-location';
import { CLOSE_RUN_ENV, type CloseRunEnv, closeRun } from '../shared/services/close-run';

export const NOTIFY_ENV = CLOSE_RUN_ENV;
export type NotifyEnv = CloseRunEnv;

/**
 * Every ending the workflow drives converges here with the whole state document: the run is closed (its approval
 * record gets the outcome, a request nobody decided is closed, the plan released if it was not executed) and
 * everyone is told how it ended. The same closing serves runs that end outside the workflow (the CloseRun function).
 */
export async function notify(event: unknown, env: NotifyEnv): Promise<OutcomeDetail> {
  const state = parseInput(runStateSchema, event);
  // Only a reviewed plan can have an approval record, and only this run's record is ever closed.
  return closeRun({ state, planId: state.review && planRefOf(state.review, state.run.executionArn), closer: 'Notify' }, env);
}
