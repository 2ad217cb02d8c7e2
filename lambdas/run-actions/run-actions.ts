import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Approver } from '../shared/contracts/approver';
import { APPROVERS, BREAK_GLASS, SLACK_WEBHOOK_SECRET_ID, TABLE_NAME, WINDOW_OPERATORS } from '../shared/contracts/environment';
import type { WindowActionName } from '../shared/contracts/window-actions';
import { jsonResponse } from '../shared/runtime/http';
import type { TaskDeps } from '../shared/services/decision';
import { type BreakGlassDeps, handleBreakGlass, handleReview } from './break-glass';
import { handleWindowAction, type WindowActionDeps } from './window-actions';

export const RUN_ACTIONS_ENV = { TABLE_NAME, APPROVERS, BREAK_GLASS, WINDOW_OPERATORS, SLACK_WEBHOOK_SECRET_ID };

export interface RunActionsDeps extends TaskDeps {
  approvers: Approver[];
  /** With plangate:breakGlass: `plangate break-glass` and `plangate review`. */
  breakGlass?: BreakGlassDeps;
  /** `plangate reschedule|cancel|run-now`, on a run waiting for its execution window. */
  window: WindowActionDeps;
}

const ACTION_PATH = /^\/cli\/plans\/([^/]+)\/(break-glass|review|reschedule|cancel|run-now)\/?$/;

/**
 * The signed command line's actions on a run besides deciding (which the approval API takes, as the page and Slack
 * do): break-glass and its review, and a windowed run's reschedule, cancel and run-now. API Gateway lets only
 * SigV4-signed calls through to here (`AWS_IAM`); each action still checks the signature's caller itself.
 */
export function handleRunAction(event: APIGatewayProxyEvent, deps: RunActionsDeps): Promise<APIGatewayProxyResult> {
  const match = ACTION_PATH.exec(event.path ?? '');
  if (!match) return Promise.resolve(jsonResponse(404, { error: `Nothing at ${event.httpMethod} ${event.path}` }));
  const [, planId, action] = match as unknown as [string, string, string];
  if (action === 'break-glass') return handleBreakGlass(event, planId, deps, deps.approvers, deps.breakGlass);
  if (action === 'review') return handleReview(event, planId, deps, deps.approvers, deps.breakGlass);
  return handleWindowAction(event, planId, action as WindowActionName, deps.window, deps.approvers);
}
