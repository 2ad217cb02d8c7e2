import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import { planRefSchema } from '../shared/contracts/steps';
import { approverWithPrincipal } from '../shared/domain/approvers';
import { describeDecider } from '../shared/domain/describe';
import { describeWaiting, recordProgress } from '../shared/domain/quorum';
import { decodedSegment } from '../shared/domain/text';
import { jsonResponse, signedCaller } from '../shared/runtime/http';
import { logger } from '../shared/runtime/logger';
import { addRunKeys } from '../shared/runtime/run-keys';
import { type DecisionDeps, type DecisionResult, recordDecision, stageRefusal } from '../shared/services/decision';
import { parseDecisionForm } from '../shared/web/form';

/** What the command line shows after a decision: the approval's state, never its task token. */
function summary(record: ApprovalRecord) {
  return {
    planId: record.planId,
    status: record.status,
    requiredApprovals: record.requiredApprovals ?? 1,
    ...(record.review.policy?.requirements ? { waiting: describeWaiting(recordProgress(record)) } : {}),
    approvals: (record.approvals ?? []).map((a) => ({ approver: a.approver.name ?? a.approver.email, channel: a.channel, decidedAt: a.decidedAt })),
    ...(record.decision
      ? { decision: { decision: record.decision.decision, by: describeDecider(record.decision), decidedAt: record.decision.decidedAt } }
      : {}),
    ...(record.outcome ? { outcome: record.outcome.outcome, reason: record.outcome.reason } : {}),
  };
}

const ANSWERS: Record<DecisionResult['result'], { status: number; message: (planId: string) => string }> = {
  decided: { status: 200, message: (p) => `Plan ${p} is decided.` },
  counted: { status: 200, message: (p) => `Your approval of plan ${p} is counted; more approvals are needed.` },
  'already-counted': { status: 409, message: (p) => `You have already approved plan ${p}.` },
  'self-approval': { status: 403, message: (p) => `You asked for plan ${p}, so another approver must approve it. You may still reject it.` },
  'already-decided': { status: 409, message: (p) => `Plan ${p} is already decided.` },
  expired: { status: 410, message: (p) => `The approval request for plan ${p} has expired; the plan was not executed.` },
  closed: { status: 410, message: (p) => `The approval request for plan ${p} was closed before it was decided.` },
  'try-again': { status: 503, message: () => 'Your decision could not be delivered just now and was not recorded. Try again.' },
  // Told with what the request waits on (stageRefusal).
  'later-stage': { status: 409, message: () => '' },
  'not-needed': { status: 409, message: () => '' },
};

/**
 * `plangate approve|reject`: POST /cli/plans/{planId}/decision, signed with the caller's AWS credentials. The
 * approver is the one whose `iamPrincipals` match the signed caller; the decision then goes through the same rules
 * as the web page and Slack (quorum, no self-approval, once only), recorded with channel `cli` and the principal.
 */
export async function handleCliDecision(
  event: APIGatewayProxyEvent,
  planIdParam: string,
  deps: DecisionDeps,
  approvers: Approver[],
): Promise<APIGatewayProxyResult> {
  if (event.httpMethod.toUpperCase() !== 'POST')
    return jsonResponse(405, { error: `${event.httpMethod} is not supported here; POST a decision` }, { Allow: 'POST' });
  const caller = signedCaller(event);
  if (!caller) return jsonResponse(403, { error: 'This route takes requests signed with AWS credentials (SigV4)' });
  const planId = planRefSchema.safeParse(decodedSegment(planIdParam));
  if (!planId.success)
    return jsonResponse(400, {
      error:
        'The path does not name a plan: planId must be 1-100 characters of letters, digits, "_" or "-" (a spoke\'s: <accountId>:<region>:<planId>)',
    });
  const form = parseDecisionForm(event);
  if ('error' in form) return jsonResponse(form.status, { error: form.error });
  const approver = approverWithPrincipal(caller, approvers);
  if (!approver) {
    logger.warn('Command-line decision from a principal that is not an approver', { principal: caller, planId: planId.data });
    return jsonResponse(403, { error: `${caller} is not an approver: no approver's iamPrincipals match it` });
  }
  const record = await deps.store.get(planId.data);
  if (!record) return jsonResponse(404, { error: `Plan ${planId.data} has no approval request` });
  addRunKeys({ planId: record.planId, executionArn: record.executionArn });
  const outcome = await recordDecision(deps, record, {
    decision: form.decision,
    approver,
    comment: form.comment,
    channel: 'cli',
    principal: caller,
    requestedAt: record.requestedAt,
    decidedAt: deps.now().toISOString(),
  });
  const answer = ANSWERS[outcome.result];
  const body = {
    result: outcome.result,
    message:
      outcome.result === 'later-stage' || outcome.result === 'not-needed'
        ? Object.values(stageRefusal(outcome)).join('. ')
        : answer.message(planId.data),
    ...('record' in outcome ? summary(outcome.record) : { planId: planId.data }),
  };
  return jsonResponse(answer.status, body, outcome.result === 'try-again' ? { 'Retry-After': '5' } : {});
}
