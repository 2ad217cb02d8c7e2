import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isEndedTaskError } from '../shared/adapters/aws-errors';
import type { WindowStore } from '../shared/adapters/window-store';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import { MAX_RESCHEDULES, type WindowAction, type WindowActionName, type WindowWake } from '../shared/contracts/window-actions';
import { approverWithPrincipal, isRequester } from '../shared/domain/approvers';
import { describeWindowAction, rescheduledWindow, windowOf } from '../shared/domain/window-schedule';
import { jsonResponse } from '../shared/runtime/http';
import { logger } from '../shared/runtime/logger';
import { addRunKeys } from '../shared/runtime/run-keys';
import { isAnswer, signedAction, textField } from './request';

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

const rescheduledTooOften = (record: ApprovalRecord) => (record.windowActions?.length ?? 0) >= MAX_RESCHEDULES;

const tooOften = (planId: string, record: ApprovalRecord) =>
  jsonResponse(409, {
    result: 'too-many-reschedules',
    message: `Plan ${planId}'s window was rescheduled ${MAX_RESCHEDULES} times, the most one run allows: it waits for the window it has. An approver may still cancel it, an operator run it now.`,
    ...windowSummary(record),
  });

function whyNotWaiting(record: ApprovalRecord): string {
  if (record.outcome) return `its run ended ${record.outcome.outcome}`;
  if (record.cancelled) return describeWindowAction(record.cancelled);
  if (record.execution) return 'it is being executed';
  if (record.status !== 'APPROVED') return `its approval is ${record.status}`;
  if (!windowOf(record)) return 'its run has no execution window';
  return 'its run is between waits or executing; look again in a moment';
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
  const checked = signedAction(event, planIdParam, action === 'reschedule' ? ['notBefore', 'notAfter', 'reason'] : ['reason'], `to ${action}`);
  if (isAnswer(checked)) return checked;
  const { caller, fields, planId } = checked;
  const reason = textField(fields, 'reason', MAX_REASON_LENGTH, false);
  if (isAnswer(reason)) return reason;
  const body = { notBefore: fields.notBefore, notAfter: fields.notAfter, reason };
  const by = whoMay(action, caller, approvers, deps.operators);
  if ('refused' in by) {
    logger.warn('Window action from a principal who may not take it', { principal: caller, planId: planId, action });
    return jsonResponse(403, { error: by.refused });
  }
  const record = await deps.windowStore.get(planId);
  if (!record) return jsonResponse(404, { error: `Plan ${planId} has no approval request` });
  addRunKeys({ planId: record.planId, executionArn: record.executionArn });
  if (!isWaiting(record)) return notWaiting(planId, record);
  if (action === 'reschedule' && rescheduledTooOften(record)) return tooOften(planId, record);
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
  const before = await deps.windowStore.take(planId, record.executionArn, taken, now);
  if (!before?.taskToken) {
    const current = await deps.windowStore.get(planId);
    // Another reschedule got in first and was the last one allowed.
    if (action === 'reschedule' && current && isWaiting(current) && rescheduledTooOften(current)) return tooOften(planId, current);
    return notWaiting(planId, current);
  }
  logger.info('Window action taken', { planId: record.planId, action, by: by.who, principal: caller });
  const after = () => deps.windowStore.get(planId);
  try {
    if (action === 'cancel') await deps.cancelWindow(before.taskToken, `Plan ${planId} was not executed: ${describeWindowAction(taken)}`);
    else await deps.completeWindow(before.taskToken, { action });
  } catch (error) {
    const name = (error as Error).name;
    if (action === 'cancel') {
      // The record's cancellation stands whatever happened: ExecutePlan refuses to execute once it is there.
      logger.warn('Could not end the wait of a cancelled run', { planId: record.planId, error: name });
      return answer(202, 'cancel', `Plan ${planId} is cancelled; its run ends CANCELLED at the latest when its window opens.`, await after());
    }
    if (isEndedTaskError(error) && action === 'run-now') {
      return answer(200, action, `Plan ${planId}'s window had already opened: its run is executing it (after revalidation).`, await after());
    }
    await deps.windowStore.untake(planId, record.executionArn, before);
    logger.error('Could not end the wait for a window action', { planId: record.planId, action, error: name });
    if (isEndedTaskError(error)) return notWaiting(planId, await after());
    return jsonResponse(503, { error: 'The run could not be reached just now; nothing changed. Try again.' }, { 'Retry-After': '5' });
  }
  const done = {
    reschedule: `Plan ${planId} is rescheduled: ${describeWindowAction(taken)}.`,
    cancel: `Plan ${planId} is cancelled; its run ends CANCELLED and the plan is released.`,
    'run-now': `Plan ${planId}'s run stops waiting and executes it now, after revalidation.`,
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
