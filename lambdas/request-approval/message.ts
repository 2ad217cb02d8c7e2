import { describeChange, describeCounts, describeRisk, planTitle, snsSubject } from '../shared/describe';
import type { Approver, ReviewResult } from '../shared/run';

/** How many changes an email lists before pointing at the page for the rest. */
const LISTED_IN_EMAIL = 15;

/** The personal approval request an approver receives by email. */
export function composeApprovalEmail(input: {
  review: ReviewResult;
  approver: Approver;
  link: string;
  expiresAt: Date;
  requiredApprovals: number;
}): { subject: string; body: string } {
  const { review, approver, link, expiresAt, requiredApprovals } = input;
  const plan = review.plan;
  const summary = review.summary;
  const listed = summary?.changes.slice(0, LISTED_IN_EMAIL) ?? [];
  const more = (summary?.total ?? 0) - listed.length;
  const lines = [
    `Hello ${approver.name ?? approver.email},`,
    '',
    `A Service Catalog plan is waiting for your decision.`,
    '',
    `Plan: ${planTitle(review)}`,
    `Provisioned product: ${plan?.provisionedProductName ?? '(unknown)'} (${plan?.provisionedProductId ?? 'new'})`,
    `Requested by: ${review.requestedBy ?? '(not given)'}`,
    `Changes: ${describeCounts(summary)}`,
    `Risk: ${describeRisk(summary)}`,
    `Approvals needed: ${requiredApprovals} from different approvers (one rejection ends the request)`,
    '',
    ...(listed.length ? ['Riskiest changes first (removals and replacements lead):', ...listed.map((c) => `  - ${describeChange(c)}`)] : []),
    ...(more > 0 ? [`  ... and ${more} more on the approval page`] : []),
    '',
    `Review and decide (this link is yours alone; do not forward it):`,
    link,
    '',
    `The request expires at ${expiresAt.toISOString()}. Nothing is executed without an approval.`,
  ];
  return { subject: snsSubject(`[PlanGate] Approval needed: ${planTitle(review)}`), body: lines.join('\n') };
}
