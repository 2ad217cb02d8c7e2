import { emailApprover } from '../adapters/approver-email';
import type { Approver } from '../contracts/approver';
import type { ReviewedPlan } from '../contracts/steps';
import { emergencyNotice } from '../domain/emergency';

/**
 * Tells every approver (of every stage) and plangate:changeCalendar.emergency.notify, once each and at once, that an
 * emergency change is under way: RequestApproval before it asks anyone, AutoApprove when the rules let it through.
 */
export async function announceEmergency(
  topicArn: string,
  approvers: Approver[],
  notify: string[] | undefined,
  run: { review: ReviewedPlan; executionArn: string; autoApproved?: boolean },
): Promise<void> {
  const { review, executionArn, autoApproved } = run;
  if (!review.emergency) return;
  const notice = emergencyNotice(review, review.emergency, executionArn, autoApproved);
  const told = new Set([...approvers.map((a) => a.email), ...(notify ?? [])].map((e) => e.toLowerCase()));
  for (const email of told) await emailApprover(topicArn, email, notice);
}
