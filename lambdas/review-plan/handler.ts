import { z } from 'zod';
import { serviceCatalog } from '../shared/clients';
import { PlanDeniedError, PlanNotReadyError } from '../shared/errors';
import { type AcceptLanguage, type ReviewResult, runInputSchema } from '../shared/run';
import { lambdaHandler, logger, parseInput, requireEnv } from '../shared/runtime';
import { describePlan, summarizeChanges } from '../shared/plan';
import { changesDigest, matchesType } from '../shared/risk';
import { configuredApprovers } from '../shared/approvers';
import { type ApprovalRules, approvalPolicy, UnreachableQuorum } from '../shared/rules';

const eventSchema = z.object({ input: runInputSchema });

/**
 * Reviews the plan a run was started for: validates the run input, then reports the plan's status and,
 * once it is CREATE_SUCCESS, a summary of all its resource changes. A plan still being created is
 * reported as such (the state machine waits and asks again); any other status ends the run.
 */
export async function reviewPlan(event: unknown): Promise<ReviewResult> {
  const { input } = parseInput(eventSchema, event);
  const acceptLanguage = input.acceptLanguage ?? (requireEnv('DEFAULT_ACCEPT_LANGUAGE') as AcceptLanguage);
  const { plan, resourceChanges } = await describePlan(serviceCatalog, input.planId, acceptLanguage);
  logger.info('Plan described', { planId: plan.planId, status: plan.status, changes: resourceChanges.length });

  const result: ReviewResult = {
    planId: input.planId,
    acceptLanguage,
    requestedBy: input.requestedBy,
    planStatus: plan.status,
    plan,
    reviewedAt: new Date().toISOString(),
  };
  if (plan.status === 'CREATE_IN_PROGRESS') return result;
  if (plan.status !== 'CREATE_SUCCESS') {
    const reason = plan.statusMessage ? `: ${plan.statusMessage}` : '';
    throw new PlanNotReadyError(`Plan ${plan.planId} is ${plan.status}, not CREATE_SUCCESS${reason}`);
  }
  const denied = deniedTypesIn(resourceChanges.map((c) => c.ResourceType ?? ''));
  if (denied.length) {
    throw new PlanDeniedError(`Plan ${plan.planId} is denied by rule: it changes ${denied.join(', ')}, which plangate:deniedResourceTypes forbids`);
  }
  const summary = summarizeChanges(resourceChanges, sensitiveTypes());
  const policy = approvalPolicy(summary.risk, approvalRules(), configuredApprovers(), input.requestedBy);
  if (policy instanceof UnreachableQuorum) throw new PlanDeniedError(`Plan ${plan.planId} cannot be approved: ${policy.reason}`);
  return { ...result, summary, changesDigest: changesDigest(resourceChanges), policy };
}

/** APPROVAL_RULES, which the construct sets from plangate:autoApproveUpTo and plangate:requiredApprovals. */
function approvalRules(): ApprovalRules {
  return JSON.parse(requireEnv('APPROVAL_RULES')) as ApprovalRules;
}

/** The plan's resource types that configuration denies (DENIED_RESOURCE_TYPES patterns). */
function deniedTypesIn(types: string[]): string[] {
  const patterns = JSON.parse(process.env.DENIED_RESOURCE_TYPES ?? '[]') as string[];
  return [...new Set(types.filter((type) => patterns.some((p) => matchesType(p, type))))];
}

/** Resource types that make any change HIGH risk (from configuration), or the default list. */
function sensitiveTypes(): string[] | undefined {
  const configured = process.env.SENSITIVE_RESOURCE_TYPES;
  return configured ? (JSON.parse(configured) as string[]) : undefined;
}

export const handler = lambdaHandler(reviewPlan);
