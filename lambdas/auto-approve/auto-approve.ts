import { ApprovalStore, duplicateRunError } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { APPROVAL_TOPIC_ARN, APPROVERS, EMERGENCY_NOTIFY, type EnvironmentOf, TABLE_NAME } from '../shared/contracts/environment';
import { parseInput } from '../shared/contracts/parse-input';
import { executionArnSchema, type RuleDecision, reviewedPlanSchema } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { planRefOf } from '../shared/domain/plan-location';
import { logger } from '../shared/runtime/logger';

export const AUTO_APPROVE_ENV = { TABLE_NAME, APPROVERS };
/** Set only with emergency changes configured (plangate:changeCalendar.emergency): an auto-approved one is announced too. */
export const EMERGENCY_ENV = { APPROVAL_TOPIC_ARN, EMERGENCY_NOTIFY };
export type AutoApproveEnv = EnvironmentOf<typeof AUTO_APPROVE_ENV> & Partial<EnvironmentOf<typeof EMERGENCY_ENV>>;

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
  if (review.emergency) {
    // ReviewPlan allows an emergency change only when emergency requesters are configured, which sets the topic.
    if (!env.APPROVAL_TOPIC_ARN) throw new Error('An emergency change cannot be announced: APPROVAL_TOPIC_ARN is not set');
    // Loaded on first use, with the SNS client: only an emergency change is announced here.
    const { announceEmergency } = await import('../shared/services/announce-emergency');
    await announceEmergency(env.APPROVAL_TOPIC_ARN, env.APPROVERS, env.EMERGENCY_NOTIFY, { review, executionArn, autoApproved: true });
  }
  return decision;
}
