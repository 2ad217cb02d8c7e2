import { z } from 'zod';
import { ApprovalStore, duplicateRunError } from '../shared/approval-store';
import { dynamo } from '../shared/clients';
import type { ApprovalPolicy } from '../shared/rules';
import type { ReviewResult, RuleDecision } from '../shared/run';
import { lambdaHandler, logger, parseInput, requireEnv } from '../shared/runtime';
import { configuredApprovers } from '../shared/approvers';

const eventSchema = z.object({
  executionArn: z.string().min(1),
  review: z.custom<ReviewResult & { policy: ApprovalPolicy }>(
    (r) => typeof r === 'object' && r !== null && 'planId' in r && (r as ReviewResult).policy?.autoApproved === true,
    'review must be ReviewPlan output for a plan the rules auto-approve',
  ),
});

/**
 * Approves a plan the rules let through without a human (plangate:autoApproveUpTo). It writes the same
 * approval record a human decision would, so ExecutePlan's check and the audit trail are the same for both,
 * and a second run for the plan ends as a duplicate here too.
 */
export async function autoApprove(event: unknown): Promise<RuleDecision> {
  const { executionArn, review } = parseInput(eventSchema, event);
  const now = new Date().toISOString();
  const decision: RuleDecision = { decision: 'APPROVED', channel: 'rule', rule: review.policy.rule, requestedAt: now, decidedAt: now };
  const claim = await new ApprovalStore(dynamo, requireEnv('TABLE_NAME')).claim({
    planId: review.planId,
    executionArn,
    status: 'APPROVED',
    requestedAt: now,
    expiresAt: Math.floor(Date.now() / 1000),
    requestedBy: review.requestedBy,
    approvers: configuredApprovers(),
    review,
    requiredApprovals: 0,
    decision,
  });
  if (!claim.claimed) throw duplicateRunError(review.planId, claim.owner);
  logger.info('Plan auto-approved', { planId: review.planId, rule: review.policy.rule });
  return decision;
}

export const handler = lambdaHandler(autoApprove);
