import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApprovalStore } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { type ApprovalRecord, refOf } from '../shared/contracts/approval-record';
import type { OutcomeDetail } from '../shared/contracts/events';
import { notAnObject, parseInput } from '../shared/contracts/parse-input';
import type { Outcome, RunState } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { describeProgress } from '../shared/domain/describe';
import { planRefOfInput } from '../shared/domain/plan-location';
import { clip } from '../shared/domain/text';
import { type CloseRunEnv, closeRun } from '../shared/services/close-run';
import { isApiRequest, releaseRequest } from './release-request';

export { CLOSE_RUN_ENV } from '../shared/services/close-run';

/** Step Functions' "Execution Status Change" event, for an execution that ended outside the workflow's own endings. */
const statusChangeSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().check(z.minLength(1)),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
    startDate: z.number(),
    input: z.nullish(z.string()),
    /** False when the input was too large for the event (over 248 KiB): DescribeExecution has it. */
    inputDetails: z.nullish(z.object({ included: z.boolean() })),
    error: z.nullish(z.string()),
    cause: z.nullish(z.string()),
  }),
});

/**
 * Closes a run that ended outside the workflow's own endings (stopped, failed, timed out), from the EventBridge rule
 * on Step Functions' status events; or, for `plangate release` through the approval API, releases a plan whose run
 * is gone. Either way, through the same closing as Notify's.
 */
export async function closeRunFunction(event: unknown, env: CloseRunEnv): Promise<OutcomeDetail | APIGatewayProxyResult> {
  if (isApiRequest(event)) return releaseRequest(event, env);
  return closeEnded(parseInput(statusChangeSchema, event).detail, env);
}

async function closeEnded(detail: z.infer<typeof statusChangeSchema>['detail'], env: CloseRunEnv): Promise<OutcomeDetail> {
  const input = parseJson(detail.inputDetails?.included === false ? await inputOf(detail.executionArn) : detail.input);
  const planRef = planRefOfInput(input, detail.executionArn);
  const record = planRef ? await new ApprovalStore(dynamo, env.TABLE_NAME).get(planRef) : undefined;
  const own = record?.executionArn === detail.executionArn ? record : undefined;
  const notObject = notAnObject(input);
  const isObject = notObject === undefined;
  const outcome: Outcome = !isObject
    ? 'INVALID_INPUT'
    : detail.status === 'ABORTED'
      ? 'ABORTED'
      : detail.status === 'TIMED_OUT'
        ? 'RUN_TIMED_OUT'
        : 'RUN_FAILED';
  const why = [detail.error, detail.cause].filter(Boolean).join(': ');
  const reason = notObject
    ? notObject
    : `${{ ABORTED: 'The run was stopped', TIMED_OUT: 'The run reached the state machine’s time limit', FAILED: 'The run failed' }[detail.status]}${
        why ? ` (${clip(why, 1000)})` : ''
      } ${phase(own, planRef !== undefined)}`;
  const state: RunState = {
    input,
    run: { executionArn: detail.executionArn, startedAt: new Date(detail.startDate).toISOString(), planChecks: 0 },
    outcome,
    review: own?.review,
    approval: own?.decision,
    error: { Error: detail.error ?? detail.status, Cause: reason },
  };
  return closeRun(
    {
      state,
      planId: own && refOf(own),
      closer: 'CloseRun',
      error: detail.error ?? undefined,
      cause: detail.cause ? clip(detail.cause, 4000) : undefined,
    },
    env,
  );
}

/** Where the run had got to, from its approval record, and so what became of the plan. */
function phase(record: ApprovalRecord | undefined, hadPlan: boolean): string {
  if (!record) return hadPlan ? 'before it asked for approval. The plan was not executed.' : 'before it had a plan to review.';
  switch (record.status) {
    case 'PENDING':
      return `while it waited for approval (${describeProgress(record)}). The plan was not executed; a new run may be started for it.`;
    case 'APPROVED':
      return record.execution
        ? `after the plan was executed (IdempotencyToken ${record.execution.idempotencyToken}): it may still be running; check its record in Service Catalog.`
        : 'after the plan was approved, before it was executed. The plan was not executed; a new run may be started for it.';
    default:
      return `after its approval ended ${record.status}. The plan was not executed.`;
  }
}

/** A run's input, when its status event left it out. */
async function inputOf(executionArn: string): Promise<string | undefined> {
  // Loaded on first use: only an input over the event's limit is described.
  const { stepFunctions, DescribeExecutionCommand } = await import('../shared/adapters/clients/step-functions');
  return (await stepFunctions.send(new DescribeExecutionCommand({ executionArn }))).input;
}

function parseJson(text: string | null | undefined): unknown {
  if (text === undefined || text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
