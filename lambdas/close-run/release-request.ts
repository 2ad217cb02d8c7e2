import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApprovalStore, hasRun } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import { ReleaseRefusedError } from '../shared/contracts/errors';
import { planRefSchema, type RunState } from '../shared/contracts/steps';
import { describeDecider } from '../shared/domain/describe';
import { repeatedKey } from '../shared/domain/strict-json';
import { decodedSegment, oneLine } from '../shared/domain/text';
import { jsonResponse, signedCaller } from '../shared/runtime/http';
import { logger } from '../shared/runtime/logger';
import { addRunKeys } from '../shared/runtime/run-keys';
import { type CloseRunEnv, closeRun } from '../shared/services/close-run';

const MAX_BODY_BYTES = 10_000;
const MAX_REASON_LENGTH = 1_000;

/** API Gateway's proxy event (the release route), as opposed to the EventBridge events CloseRun otherwise gets. */
export const isApiRequest = (event: unknown): event is APIGatewayProxyEvent =>
  typeof event === 'object' && event !== null && 'httpMethod' in event && 'requestContext' in event;

/**
 * `plangate release`: POST /cli/plans/{planId}/release, signed with the caller's AWS credentials. IAM decides who may
 * call it (`execute-api:Invoke` on the route); the signed caller is recorded as who released the plan.
 */
export async function releaseRequest(event: APIGatewayProxyEvent, env: CloseRunEnv): Promise<APIGatewayProxyResult> {
  const match = /^\/cli\/plans\/([^/]+)\/release\/?$/.exec(event.path ?? '');
  if (!match) return jsonResponse(404, { error: `Nothing at ${event.httpMethod} ${event.path}` });
  if (event.httpMethod.toUpperCase() !== 'POST')
    return jsonResponse(405, { error: `${event.httpMethod} is not supported here; POST to release` }, { Allow: 'POST' });
  const caller = signedCaller(event);
  if (!caller) return jsonResponse(403, { error: 'This route takes requests signed with AWS credentials (SigV4)' });
  const planId = planRefSchema.safeParse(decodedSegment(match[1]!));
  if (!planId.success) {
    return jsonResponse(400, {
      error:
        'The path does not name a plan: planId must be 1-100 characters of letters, digits, "_" or "-" (a spoke\'s: <accountId>:<region>:<planId>)',
    });
  }
  const body = parseBody(event);
  if ('error' in body) return jsonResponse(400, { error: body.error });
  try {
    return jsonResponse(200, await release({ planId: planId.data, by: caller, reason: body.reason }, env));
  } catch (error) {
    if (!(error instanceof ReleaseRefusedError)) throw error;
    return jsonResponse(error.reason === 'unknown-plan' ? 404 : 409, { error: error.message });
  }
}

function parseBody(event: APIGatewayProxyEvent): { reason?: string } | { error: string } {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (!raw.trim()) return {};
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return { error: `The request body is larger than ${MAX_BODY_BYTES} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { error: 'The request body is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: 'The request body must be a JSON object' };
  const repeated = repeatedKey(raw);
  if (repeated !== undefined) return { error: `The key "${oneLine(repeated).slice(0, 40)}" is given more than once` };
  const { reason } = parsed as { reason?: unknown };
  if (reason === undefined) return {};
  if (typeof reason !== 'string') return { error: 'The reason must be text' };
  if (reason.length > MAX_REASON_LENGTH) return { error: `The reason is longer than ${MAX_REASON_LENGTH} characters` };
  return { reason: oneLine(reason).trim() || undefined };
}

export interface ReleaseResult {
  planId: string;
  released: true;
  status: string;
  outcome?: string;
}

/**
 * Releases a plan whose run is gone, so a new run can claim it: a record its run never closed is closed as RELEASED
 * first (approvers and the outcome told). Only what never ran and was never decided against: refused for a rejected
 * plan, one that was executed (or may have been), while its run is still running, and for a plan with no record.
 */
export async function release(request: { planId: string; by: string; reason?: string }, env: CloseRunEnv): Promise<ReleaseResult> {
  const store = new ApprovalStore(dynamo, env.TABLE_NAME);
  const record = await store.get(request.planId);
  if (!record) throw new ReleaseRefusedError(`Plan ${request.planId} has no approval record: there is nothing to release`, 'unknown-plan');
  addRunKeys({ planId: record.planId, executionArn: record.executionArn });
  refuseDecidedOrExecuted(record);
  if (!record.outcome) {
    const { status, startDate } = await describeExecution(record.executionArn);
    if (status === 'RUNNING') {
      throw new ReleaseRefusedError(
        `Run ${record.executionArn} is still running for plan ${request.planId}; stop it first, and it is closed and released on its own`,
        'still-running',
      );
    }
    const reason = `Released by ${request.by}${request.reason ? `: ${request.reason}` : ''}. Its run had ended (${status}) without closing the approval.`;
    const state: RunState = {
      input: { planId: record.planId },
      run: { executionArn: record.executionArn, startedAt: (startDate ?? new Date(record.requestedAt)).toISOString(), planChecks: 0 },
      outcome: 'RELEASED',
      review: record.review,
      approval: record.decision,
      error: { Error: 'Released', Cause: reason },
    };
    await closeRun({ state, planId: request.planId, closer: 'Release' }, env);
  }
  const released = await store.release(request.planId, request.by, {
    outcome: 'RELEASED',
    reason: `Released by ${request.by}`,
    finishedAt: new Date().toISOString(),
  });
  if (!released) {
    // Its run was closed in between, and not as something a release may undo.
    const now = await store.get(request.planId);
    if (now) refuseDecidedOrExecuted(now);
    throw new Error(`The approval record of plan ${request.planId} changed while it was being released; try again`);
  }
  logger.info('Plan released', { planId: request.planId, by: request.by });
  return { planId: request.planId, released: true, status: released.status, outcome: released.outcome?.outcome };
}

/** A rejection stands, and a plan that ran (or may have) is not asked about again: both stay locked. */
function refuseDecidedOrExecuted(record: ApprovalRecord) {
  if (record.status === 'REJECTED') {
    const by = record.decision && record.decision.channel !== 'rule' ? ` by ${describeDecider(record.decision)}` : '';
    throw new ReleaseRefusedError(
      `Plan ${record.planId} was rejected${by}; a rejected plan stays locked. Create a new plan for the change instead.`,
      'rejected',
    );
  }
  if (hasRun(record)) {
    throw new ReleaseRefusedError(
      `Plan ${record.planId} was executed (IdempotencyToken ${record.execution?.idempotencyToken}); an executed plan stays locked.`,
      'executed',
    );
  }
}

/** The run's execution; one Step Functions no longer keeps (after 90 days) is gone, which is what release is for. */
async function describeExecution(executionArn: string): Promise<{ status: string; startDate?: Date }> {
  // Loaded on first use: most of CloseRun's invocations are status events that never describe a run.
  const { stepFunctions, DescribeExecutionCommand } = await import('../shared/adapters/clients/step-functions');
  try {
    const { status, startDate } = await stepFunctions.send(new DescribeExecutionCommand({ executionArn }));
    return { status: status ?? 'UNKNOWN', startDate };
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return { status: 'no longer kept by Step Functions' };
    throw error;
  }
}
