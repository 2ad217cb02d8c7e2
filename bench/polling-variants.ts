import { STATES } from '../lambdas/shared/contracts/state-names';
import type { LocalWorkflow } from '../local/template';

/** The baseline's own states, not the definition's. */
const FIXED_WAIT = 'Wait 30 s';
const FOUND = 'Found';
export const BASELINE_OWN_STATES: readonly string[] = [FIXED_WAIT, FOUND];

/** States of the polling loop: what a run spends transitions on while it waits for its record. */
export const LOOP_STATES = new Set<string>([STATES.checkRecord, STATES.recordFinished, STATES.waitForRecord, STATES.awaitRecordEvent, FIXED_WAIT]);

/** The synthesized definition, entered where ExecutePlan leaves off; the run ends at the outcome's notification. */
export function pollingPhase(workflow: LocalWorkflow): LocalWorkflow {
  return { ...workflow, definition: { ...workflow.definition, StartAt: STATES.startPolling } };
}

/** The baseline: the same CheckRecord task, then a fixed 30 s Wait until the record is final. */
export function fixedLoop(workflow: LocalWorkflow): LocalWorkflow {
  const states = workflow.definition.States as Record<string, Record<string, unknown>>;
  const { Catch: _catch, ...check } = states[STATES.checkRecord]!;
  return {
    ...workflow,
    definition: {
      StartAt: STATES.startPolling,
      States: {
        [STATES.startPolling]: { ...states[STATES.startPolling], Next: STATES.checkRecord },
        [STATES.checkRecord]: { ...check, Next: STATES.recordFinished },
        [STATES.recordFinished]: {
          Type: 'Choice',
          Choices: [
            { Variable: '$.record.status', StringEquals: 'SUCCEEDED', Next: FOUND },
            { Variable: '$.record.status', StringEquals: 'FAILED', Next: FOUND },
          ],
          Default: FIXED_WAIT,
        },
        [FIXED_WAIT]: { Type: 'Wait', Seconds: 30, Next: STATES.checkRecord },
        [FOUND]: { Type: 'Succeed' },
      },
    },
  };
}

/**
 * The design PlanGate replaced: no stack events, the same CheckRecord polled on its safety-net schedule (run it with
 * 15 s doubling to 120 s), a Wait between checks where today's definition would await an event.
 */
export function pollOnly(workflow: LocalWorkflow): LocalWorkflow {
  const states = workflow.definition.States as Record<string, { Choices?: { StringEquals?: string }[] }>;
  const finished = states[STATES.recordFinished]!;
  return {
    ...workflow,
    definition: {
      ...workflow.definition,
      StartAt: STATES.startPolling,
      States: { ...states, [STATES.recordFinished]: { ...finished, Choices: finished.Choices!.filter((c) => c.StringEquals !== 'await') } },
    },
  };
}
