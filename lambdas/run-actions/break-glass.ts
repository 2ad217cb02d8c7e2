import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { BreakGlassStore } from '../shared/adapters/break-glass-store';
import { type ApprovalRecord, refOf } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import { type BreakGlassPolicy, breakGlassSettings, MAX_BREAK_GLASS_TEXT } from '../shared/contracts/break-glass';
import { approverWithPrincipal } from '../shared/domain/approvers';
import { breakGlassNotice, breakGlassUser, openedReview, reviewRefusal } from '../shared/domain/break-glass';
import { describeDecider } from '../shared/domain/describe';
import { jsonResponse } from '../shared/runtime/http';
import { logger } from '../shared/runtime/logger';
import { addRunKeys } from '../shared/runtime/run-keys';
import { closed, type DecisionResult, deliverDecision, isClosed, isExpired, type TaskDeps } from '../shared/services/decision';
import { isAnswer, signedAction, textField } from './request';

export interface BreakGlassDeps {
  policy: BreakGlassPolicy;
  store: BreakGlassStore;
  /** Tells every approver at once: an email to each, and the Slack channel. */
  tell: (notice: { subject: string; body: string }) => Promise<void>;
}

const MAX_TICKET_LENGTH = 200;

const REFUSED: Partial<Record<DecisionResult['result'], { status: number; error: (planId: string) => string }>> = {
  'already-decided': { status: 409, error: (p) => `Plan ${p} is already decided` },
  expired: { status: 410, error: (p) => `The approval request for plan ${p} has expired` },
  closed: { status: 410, error: (p) => `The approval request for plan ${p} was closed before it was decided` },
  'try-again': { status: 503, error: () => 'The approval could not be delivered just now and was not recorded. Try again.' },
};

/**
 * `plangate break-glass`: POST /cli/plans/{planId}/break-glass, signed. A requester of plangate:breakGlass approves an
 * open request outright (even their own plan), within their rate limit: recorded as a break-glass decision, the task
 * completed once, every approver told, and a follow-up review opened.
 */
export async function handleBreakGlass(
  event: APIGatewayProxyEvent,
  planIdParam: string,
  deps: TaskDeps,
  approvers: Approver[],
  breakGlass: BreakGlassDeps | undefined,
): Promise<APIGatewayProxyResult> {
  const checked = signedAction(event, planIdParam, ['reason', 'ticket'], 'a reason to break glass');
  if (isAnswer(checked)) return checked;
  const { caller, planId, fields } = checked;
  if (!breakGlass) return jsonResponse(404, { error: 'Break-glass is off: plangate:breakGlass is not configured' });
  const reason = textField(fields, 'reason', MAX_BREAK_GLASS_TEXT, true);
  if (isAnswer(reason)) return reason;
  const ticket = textField(fields, 'ticket', MAX_TICKET_LENGTH, false);
  if (isAnswer(ticket)) return ticket;
  const settings = breakGlassSettings(breakGlass.policy);
  const user = breakGlassUser(caller, settings, approvers);
  if ('refused' in user) {
    logger.warn('Break-glass refused', { principal: caller, planId });
    return jsonResponse(403, { error: user.refused });
  }
  const record = await deps.store.get(planId);
  if (!record) return jsonResponse(404, { error: `Plan ${planId} has no approval request` });
  addRunKeys({ planId: record.planId, executionArn: record.executionArn });
  const now = deps.now();
  if (isClosed(record) || isExpired(record, now) || record.status !== 'PENDING') return refusal(closed(record, now), planId);

  const { store, tell } = breakGlass;
  const approver = user.approver;
  const used = await store.takeUse(approver.email, now, settings.maxUsesPerDay);
  if (!used.taken) {
    const retryAfter = Math.max(1, Math.ceil((used.nextAt.getTime() - now.getTime()) / 1000));
    return jsonResponse(
      429,
      {
        error: `${approver.email} has used break-glass ${settings.maxUsesPerDay} time(s) in the last 24 hours (plangate:breakGlass.maxUsesPerDay); the next use is allowed at ${used.nextAt.toISOString()}`,
        nextAllowedAt: used.nextAt.toISOString(),
      },
      { 'Retry-After': String(retryAfter) },
    );
  }
  const decidedAt = now.toISOString();
  const breakGlassUse = {
    reason: reason!,
    ...(ticket ? { ticket } : {}),
    validUntil: new Date(now.getTime() + settings.validityMinutes * 60_000).toISOString(),
  };
  const decision = {
    decision: 'APPROVED' as const,
    approver,
    comment: reason,
    channel: 'cli' as const,
    principal: caller,
    requestedAt: record.requestedAt,
    decidedAt,
    breakGlass: breakGlassUse,
  };
  const review = openedReview(approver, now, settings.reviewWithinHours);
  const planRef = refOf(record);
  // On the index before the decision: a review is never missing from what WatchRuns counts.
  await store.indexReview({ planRef, executionArn: record.executionArn, dueAt: review.dueAt });
  const attempt = async (current: ApprovalRecord, handOver: boolean): Promise<DecisionResult> => {
    const token = await deps.store.decide(planRef, current.executionArn, decision, Math.floor(deps.now().getTime() / 1000), {
      breakGlassReview: review,
    });
    if (!token) return closed((await deps.store.getRun(planRef, current.executionArn)) ?? current, deps.now());
    // Not the ordinary decision news: every approver gets the break-glass notice below instead.
    return deliverDecision({ ...deps, tellDecision: undefined }, current, decision, token, handOver ? (next) => attempt(next, false) : undefined);
  };
  const outcome = await attempt(record, true);
  if (outcome.result !== 'decided') {
    // Another approval (or break-glass) won, or the task could not be completed: nothing was approved by this use.
    await store.dropReview(planRef, record.executionArn, review.openedAt);
    await store.unindexReview(planRef, record.executionArn);
    await store.giveBack(approver.email, now);
    return refusal(outcome, planId);
  }
  logger.warn('Break-glass approval', { planId: record.planId, principal: caller, approver: approver.email });
  try {
    await tell(breakGlassNotice(record, approver, breakGlassUse, caller, review));
  } catch (error) {
    // The approval stands; the record, the page and the outcome notification still show it.
    logger.error('Could not tell the approvers of a break-glass approval', { planId: record.planId, error: (error as Error).name });
  }
  return jsonResponse(200, {
    result: 'decided',
    message: `Plan ${planId} is approved by break-glass; it executes now, and must execute before ${breakGlassUse.validUntil}.`,
    planId,
    status: 'APPROVED',
    decision: { decision: 'APPROVED', by: describeDecider(decision), decidedAt, principal: caller },
    breakGlass: breakGlassUse,
    review: { status: review.status, dueAt: review.dueAt, closeWith: `plangate review ${planId}` },
  });
}

function refusal(outcome: DecisionResult, planId: string): APIGatewayProxyResult {
  const refused = REFUSED[outcome.result] ?? {
    status: 409,
    error: (p: string) => `Plan ${p} could not be approved by break-glass (${outcome.result})`,
  };
  return jsonResponse(
    refused.status,
    { result: outcome.result, error: refused.error(planId), planId, ...('record' in outcome ? { status: outcome.record.status } : {}) },
    outcome.result === 'try-again' ? { 'Retry-After': '5' } : {},
  );
}

/**
 * `plangate review`: POST /cli/plans/{planId}/review, signed. An approver other than the one who broke glass closes the
 * plan's open break-glass review, with an optional comment: who, when and the comment stay on the record.
 */
export async function handleReview(
  event: APIGatewayProxyEvent,
  planIdParam: string,
  deps: TaskDeps,
  approvers: Approver[],
  breakGlass: BreakGlassDeps | undefined,
): Promise<APIGatewayProxyResult> {
  const checked = signedAction(event, planIdParam, ['comment'], 'a review');
  if (isAnswer(checked)) return checked;
  const { caller, planId, fields } = checked;
  if (!breakGlass) return jsonResponse(404, { error: 'Break-glass is off: plangate:breakGlass is not configured' });
  const comment = textField(fields, 'comment', MAX_BREAK_GLASS_TEXT, false);
  if (isAnswer(comment)) return comment;
  const reviewer = approverWithPrincipal(caller, approvers);
  if (!reviewer) return jsonResponse(403, { error: `${caller} is not an approver: no approver's iamPrincipals match it` });
  const current = await deps.store.get(planId);
  if (!current) return jsonResponse(404, { error: `Plan ${planId} has no approval request` });
  // A run that broke glass and was not executed in time may have been followed by a new run for the plan.
  const earlier = current.previousRun && !current.breakGlassReview && (await deps.store.getRun(planId, current.previousRun.executionArn));
  const record = earlier || current;
  addRunKeys({ planId: record.planId, executionArn: record.executionArn });
  const refused = reviewRefusal(record, reviewer);
  if (refused) {
    const status = !record.breakGlassReview ? 404 : record.breakGlassReview.status === 'CLOSED' ? 409 : 403;
    return jsonResponse(status, { error: refused });
  }
  const closedAt = deps.now().toISOString();
  const reviewed = await breakGlass.store.closeReview(
    record.pk,
    record.executionArn,
    { email: reviewer.email, principal: caller },
    closedAt,
    comment,
  );
  if (!reviewed) {
    const now = (await deps.store.getRun(planId, record.executionArn)) ?? record;
    return jsonResponse(409, { error: reviewRefusal(now, reviewer) ?? `The break-glass review of plan ${planId} changed; try again` });
  }
  await breakGlass.store.unindexReview(refOf(record), record.executionArn);
  logger.info('Break-glass review closed', { planId: record.planId, reviewer: reviewer.email });
  return jsonResponse(200, {
    result: 'reviewed',
    message: `The break-glass review of plan ${planId} is closed.`,
    planId,
    review: reviewed.breakGlassReview,
  });
}
