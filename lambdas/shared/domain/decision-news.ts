import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import type { HumanDecision } from '../contracts/steps';
import { approverName, describeProgress, describeWhere, planTitle, snsSubject } from './describe';
import { askedSoFar } from './quorum';
import { clip, untrusted } from './text';

/*
 * Telling people what happened: when someone approves or rejects, the requester and the other approvers asked for the
 * request hear it. The words here; services/tell-decision.ts sends them.
 */

/** An approval that counts without completing the quorum, or the decision that ends the request. */
export type DecisionNews = 'counted' | 'decided';

/**
 * Who hears of a decision: the approvers asked so far and the requester (when they are an approver: only approvers
 * receive the approval topic's emails), never the one who decided, each once, as plangate:approvers spells them.
 */
export function whoToTell(record: ApprovalRecord, decision: HumanDecision, approvers: Approver[]): Approver[] {
  const decider = decision.approver.email.toLowerCase();
  const requester = [record.selfApprover, record.creator?.approverEmail].flatMap((email) =>
    approvers.filter((a) => email && a.email.toLowerCase() === email.toLowerCase()),
  );
  const told = new Map<string, Approver>();
  for (const approver of [...askedSoFar(record), ...requester]) {
    const email = approver.email.toLowerCase();
    if (email !== decider && !told.has(email)) told.set(email, approvers.find((a) => a.email.toLowerCase() === email) ?? approver);
  }
  return [...told.values()];
}

/** The email: who decided what, their comment, and where the request now stands. */
export function decisionNewsEmail(record: ApprovalRecord, decision: HumanDecision, news: DecisionNews): { subject: string; body: string } {
  const verb = decision.decision === 'APPROVED' ? 'approved' : 'rejected';
  const title = planTitle(record.review);
  const where = describeWhere(record.executionArn, record.review);
  const standing =
    news === 'counted'
      ? `The request still waits for approvals: ${describeProgress(record)}.`
      : decision.decision === 'APPROVED'
        ? 'The approvals are complete: PlanGate executes the plan and sends the outcome to the notification list.'
        : 'The request has ended: the plan will not be executed.';
  const lines = [
    `${approverName(decision.approver)} ${verb} plan ${untrusted(title)} (${decision.channel}, ${decision.decidedAt}).`,
    ...(where ? [`Where: ${where}.`] : []),
    ...(decision.comment ? [`Comment: ${untrusted(clip(decision.comment, 1000))}`] : []),
    '',
    standing,
    '',
    'You receive this because you were asked to approve this request, or asked for it. Open the PlanGate inbox to see what waits for you.',
  ];
  return { subject: snsSubject(`[PlanGate] ${decision.approver.name ?? decision.approver.email} ${verb}: ${title}`), body: lines.join('\n') };
}
