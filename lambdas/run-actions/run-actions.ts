import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Approver } from '../shared/contracts/approver';
import { BREAK_GLASS, WINDOW_OPERATORS } from '../shared/contracts/environment';
import type { WindowActionName } from '../shared/contracts/window-actions';
import { jsonResponse } from '../shared/runtime/http';
import type { DecisionDeps } from '../shared/services/decision';
import { DECISION_ENV } from '../shared/services/decision-deps';
import { type BreakGlassDeps, handleBreakGlass, handleReview } from './break-glass';
import { handleCliDecision } from './decision';
import { handleWindowAction, type WindowActionDeps } from './window-actions';

export const RUN_ACTIONS_ENV = { ...DECISION_ENV, BREAK_GLASS, WINDOW_OPERATORS };

export interface RunActionsDeps extends DecisionDeps {
  approvers: Approver[];
  /** With plangate:breakGlass: `plangate break-glass` and `plangate review`. */
  breakGlass?: BreakGlassDeps;
  /** `plangate reschedule|cancel|run-now`, on a run waiting for its execution window. */
  window: WindowActionDeps;
}

const ACTION_PATH = /^\/cli\/plans\/([^/]+)\/(decision|break-glass|review|reschedule|cancel|run-now)\/?$/;

/**
 * The signed command line's actions on a run (every /cli route but `release`, which CloseRun takes): a decision (as
 * the page's and Slack's, through the same recordDecision), break-glass and its review, and a windowed run's
 * reschedule, cancel and run-now. API Gateway lets only SigV4-signed calls through to here (`AWS_IAM`); each action
 * still checks the signature's caller itself.
 */
export function handleRunAction(event: APIGatewayProxyEvent, deps: RunActionsDeps): Promise<APIGatewayProxyResult> {
  const match = ACTION_PATH.exec(event.path ?? '');
  if (!match) return Promise.resolve(jsonResponse(404, { error: `Nothing at ${event.httpMethod} ${event.path}` }));
  const [, planId, action] = match as unknown as [string, string, string];
  if (action === 'decision') return handleCliDecision(event, planId, deps, deps.approvers);
  if (action === 'break-glass') return handleBreakGlass(event, planId, deps, deps.approvers, deps.breakGlass);
  if (action === 'review') return handleReview(event, planId, deps, deps.approvers, deps.breakGlass);
  return handleWindowAction(event, planId, action as WindowActionName, deps.window, deps.approvers);
}
