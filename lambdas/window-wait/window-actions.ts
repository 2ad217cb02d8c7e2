import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isEndedTaskError } from '../shared/adapters/aws-errors';
import type { WindowStore } from '../shared/adapters/window-store';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import { planRefSchema } from '../shared/contracts/steps';
import type { WindowAction, WindowActionName, WindowWake } from '../shared/contracts/window-actions';
import { approverWithPrincipal, isRequester } from '../shared/domain/approvers';
import { repeatedKey } from '../shared/domain/strict-json';
import { decodedSegment, oneLine } from '../shared/domain/text';
import { describeWindowAction, rescheduledWindow, windowOf } from '../shared/domain/window-schedule';
import { jsonResponse, signedCaller } from '../shared/runtime/http';
import { logger } from '../shared/runtime/logger';
import { addRunKeys } from '../shared/runtime/run-keys';

const MAX_BODY_BYTES = 10_000;
const MAX_REASON_LENGTH = 1_000;

export interface WindowActionDeps {
  windowStore: Pick<WindowStore, 'get' | 'take' | 'untake'>;
  /** Ends the wait with success: the run executes (run-now) or waits again for its new window (reschedule). */
  completeWindow: (taskToken: string, output: WindowWake) => Promise<void>;
  /** Ends the wait with RunCancelledError: the run ends CANCELLED. */
  cancelWindow: (taskToken: string, cause: string) => Promise<void>;
  /** plangate:windowOperators: who may run a waiting run now (undefined: nobody). */
  operators?: string[];
  now: () => Date;
}

/** The route's path: /cli/plans/{planId}/reschedule|cancel|run-now. */
export const WINDOW_ACTION_PATH = /^\/cli\/plans\/([^/]+)\/(reschedule|cancel|run-now)\/?$/;

/** What the command line shows of a windowed run: its window and every action on it, never its task token. */
export function windowSummary(record: ApprovalRecord) {
  return {
    planId: record.planId,
    status: record.status,
    ...(windowOf(record) ? { executeWindow: windowOf(record) } : {}),
    waiting: isWaiting(record),
    actions: (record.windowActions ?? []).map(describeWindowAction),
    ...(record.outcome ? { outcome: record.outcome.outcome, reason: record.outcome.reason } : {}),
  };
}

/** Whether the run is waiting for its execution window now (an action can take the wait). */
const isWaiting = (record: ApprovalRecord) =>
  record.status === 'APPROVED' && Boolean(record.taskToken) && !record.outcome && !record.execution && !record.cancelled;

const notWaiting = (planId: string, record: ApprovalRecord | undefined) =>
  jsonResponse(409, {
    result: 'not-waiting',
    message: `Plan ${planId} is not waiting for its execution window${record ? ` (${whyNotWaiting(record)})` : ''}`,
    ...(record ? windowSummary(record) : { planId }),
  });

function whyNotWaiting(record: ApprovalRecord): string {
  if (record.outcome) return `its run ended ${record.outcome.outcome}`;
  if (record.cancelled) return describeWindowAction(record.cancelled);
  if (record.execution) return 'it is being executed';
  if (record.status !== 'APPROVED') return `its approval is ${record.status}`;
  if (!windowOf(record)) return 'its run has no execution window';
  return 'its run is between waits or executing; look again in a moment';
}

/** API Gateway's proxy event (the window routes), as opposed to the state machine's tasks WindowWait otherwise gets. */
export const isApiRequest = (event: unknown): event is APIGatewayProxyEvent =>
  typeof event === 'object' && event !== null && 'httpMethod' in event && 'requestContext' in event;

/** The route's answer: the action its path names, or 404. */
export function windowRequest(event: APIGatewayProxyEvent, deps: WindowActionDeps, approvers: Approver[]): Promise<APIGatewayProxyResult> {
  const match = WINDOW_ACTION_PATH.exec(event.path ?? '');
  if (!match) return Promise.resolve(jsonResponse(404, { error: `Nothing at ${event.httpMethod} ${event.path}` }));
  return handleWindowAction(event, match[1]!, match[2] as WindowActionName, deps, approvers);
}

/**
 * `plangate reschedule|cancel|run-now`: POST /cli/plans/{planId}/<action>, signed with the caller's AWS credentials,
 * for a run waiting for its execution window (issue 23). Reschedule and cancel are an approver's (one whose
 * `iamPrincipals` match the caller), run-now an operator's (plangate:windowOperators). Each takes the wait's task token
 * off the record in one conditional write, with the action recorded, so only one action ends each wait.
 */
export async function handleWindowAction(
  event: APIGatewayProxyEvent,
  planIdParam: string,
  action: WindowActionName,
  deps: WindowActionDeps,
  approvers: Approver[],
): Promise<APIGatewayProxyResult> {
  if (event.httpMethod.toUpperCase() !== 'POST')
    return jsonResponse(405, { error: `${event.httpMethod} is not supported here; POST` }, { Allow: 'POST' });
  const caller = signedCaller(event);
  if (!caller) return jsonResponse(403, { error: 'This route takes requests signed with AWS credentials (SigV4)' });
  const planId = planRefSchema.safeParse(decodedSegment(planIdParam));
  if (!planId.success) return jsonResponse(400, { error: 'The path does not name a plan' });
  const body = parseBody(event);
  if ('error' in body) return jsonResponse(body.status, { error: body.error });
  const by = whoMay(action, caller, approvers, deps.operators);
  if ('refused' in by) {
    logger.warn('Window action from a principal who may not take it', { principal: caller, planId: planId.data, action });
    return jsonResponse(403, { error: by.refused });
  }
  const record = await deps.windowStore.get(planId.data);
  if (!record) return jsonResponse(404, { error: `Plan ${planId.data} has no approval request` });
  addRunKeys({ planId: record.planId, executionArn: record.executionArn });
  if (!isWaiting(record)) return notWaiting(planId.data, record);
  const now = deps.now();
  let window: WindowAction['window'];
  if (action === 'reschedule') {
    const checked = rescheduledWindow({ notBefore: body.notBefore, notAfter: body.notAfter }, record.requestedAt, now);
    if ('error' in checked) return jsonResponse(400, { error: checked.error });
    window = checked.window;
  }
  const taken: WindowAction = {
    action,
    by: by.who,
    principal: caller,
    at: now.toISOString(),
    ...(body.reason ? { reason: body.reason } : {}),
    window,
  };
  const before = await deps.windowStore.take(planId.data, record.executionArn, taken, now);
  if (!before?.taskToken) return notWaiting(planId.data, await deps.windowStore.get(planId.data));
  logger.info('Window action taken', { planId: record.planId, action, by: by.who, principal: caller });
  const after = () => deps.windowStore.get(planId.data);
  try {
    if (action === 'cancel') await deps.cancelWindow(before.taskToken, `Plan ${planId.data} was not executed: ${describeWindowAction(taken)}`);
    else await deps.completeWindow(before.taskToken, { action });
  } catch (error) {
    const name = (error as Error).name;
    if (action === 'cancel') {
      // The record's cancellation stands whatever happened: ExecutePlan refuses to execute once it is there.
      logger.warn('Could not end the wait of a cancelled run', { planId: record.planId, error: name });
      return answer(202, 'cancel', `Plan ${planId.data} is cancelled; its run ends CANCELLED at the latest when its window opens.`, await after());
    }
    if (isEndedTaskError(error) && action === 'run-now') {
      return answer(200, action, `Plan ${planId.data}'s window had already opened: its run is executing it (after revalidation).`, await after());
    }
    await deps.windowStore.untake(planId.data, record.executionArn, before);
    logger.error('Could not end the wait for a window action', { planId: record.planId, action, error: name });
    if (isEndedTaskError(error)) return notWaiting(planId.data, await after());
    return jsonResponse(503, { error: 'The run could not be reached just now; nothing changed. Try again.' }, { 'Retry-After': '5' });
  }
  const done = {
    reschedule: `Plan ${planId.data} is rescheduled: ${describeWindowAction(taken)}.`,
    cancel: `Plan ${planId.data} is cancelled; its run ends CANCELLED and the plan is released.`,
    'run-now': `Plan ${planId.data}'s run stops waiting and executes it now, after revalidation.`,
  }[action];
  return answer(200, action, done, await after());
}

function answer(status: number, result: string, message: string, record: ApprovalRecord | undefined) {
  return jsonResponse(status, { result, message, ...(record ? windowSummary(record) : {}) });
}

/** Reschedule and cancel are an approver's, run-now an operator's; the answer names the setting that decides. */
function whoMay(
  action: WindowActionName,
  caller: string,
  approvers: Approver[],
  operators: string[] | undefined,
): { who: string } | { refused: string } {
  if (action === 'run-now') {
    if (!operators?.length) return { refused: 'run-now is for operators, and plangate:windowOperators names none' };
    return isRequester(caller, [], operators)
      ? { who: caller }
      : { refused: `${caller} is not an operator: no plangate:windowOperators pattern matches it` };
  }
  const approver = approverWithPrincipal(caller, approvers);
  return approver ? { who: approver.email } : { refused: `${caller} is not an approver: no approver's iamPrincipals match it` };
}

type Body = { notBefore?: unknown; notAfter?: unknown; reason?: string } | { error: string; status: number };

/** A JSON object: `reason` (one line, at most 1,000 characters) and, to reschedule, `notBefore` and `notAfter`. */
function parseBody(event: Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'>): Body {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return { status: 413, error: `The request body is larger than ${MAX_BODY_BYTES} bytes.` };
  if (!raw) return {};
  const contentType = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  if (contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
    return { status: 415, error: 'Send application/json.' };
  }
  let fields: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    fields = parsed as Record<string, unknown>;
  } catch {
    return { status: 400, error: 'The request body is not a JSON object.' };
  }
  if (repeatedKey(raw) !== undefined) return { status: 400, error: 'The request body gives a key more than once.' };
  const reason = fields.reason ?? '';
  if (typeof reason !== 'string') return { status: 400, error: 'The reason must be text.' };
  if (reason.length > MAX_REASON_LENGTH) return { status: 400, error: `The reason is longer than ${MAX_REASON_LENGTH} characters.` };
  return { notBefore: fields.notBefore, notAfter: fields.notAfter, reason: oneLine(reason).trim() || undefined };
}
