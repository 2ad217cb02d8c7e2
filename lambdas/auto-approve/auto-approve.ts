import { ApprovalStore, duplicateRunError } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import type { Environment } from '../shared/contracts/environment';
import { parseInput } from '../shared/contracts/parse-input';
import { executionArnSchema, type RuleDecision, reviewedPlanSchema } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { planRefOf } from '../shared/domain/plan-location';
import { logger } from '../shared/runtime/logger';

export const AUTO_APPROVE_ENV = ['TABLE_NAME', 'APPROVERS'] as const;
export type AutoApproveEnv = Environment<(typeof AUTO_APPROVE_ENV)[number]>;

const eventSchema = z.object({
  executionArn: executionArnSchema,
  review: reviewedPlanSchema.check(z.refine((r) => r.policy.autoApproved, 'review must be ReviewPlan output for a plan the rules auto-approve')),
});

/**
 * Approves a plan the rules let through without a human (plangate:autoApproveUpTo). It writes the same
 * approval record a human decision would, so ExecutePlan's check and the audit trail are the same for both,
 * and a second run for the plan ends as a duplicate here too.
 */
export async function autoApprove(event: unknown, env: AutoApproveEnv): Promise<RuleDecision> {
  const { executionArn, review } = parseInput(eventSchema, event);
  const now = new Date().toISOString();
  const decision: RuleDecision = { decision: 'APPROVED', channel: 'rule', rule: review.policy.rule, requestedAt: now, decidedAt: now };
  const planRef = planRefOf(review, executionArn);
  const claim = await new ApprovalStore(dynamo, env.TABLE_NAME).claim({
    planId: review.planId,
    ...(planRef === review.planId ? {} : { planRef }),
    executionArn,
    status: 'APPROVED',
    requestedAt: now,
    expiresAt: Math.floor(Date.now() / 1000),
    requestedBy: review.requestedBy,
    approvers: env.APPROVERS,
    review,
    requiredApprovals: 0,
    decision,
  });
  if (!claim.claimed) throw duplicateRunError(review.planId, claim.owner);
  logger.info('Plan auto-approved', { planId: review.planId, rule: review.policy.rule });
  return decision;
}
