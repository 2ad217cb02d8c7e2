import { ApprovalStore } from '../shared/adapters/approval-store';
import { emailApprover } from '../shared/adapters/approver-email';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import type { Environment } from '../shared/contracts/environment';
import { parseInput } from '../shared/contracts/parse-input';
import { accountIdSchema, regionSchema } from '../shared/contracts/spokes';
import { acceptLanguageSchema, type ExpiryResult, executionArnSchema, planIdSchema } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { waitingOn } from '../shared/domain/approvers';
import { describeProgress, planTitle, snsSubject } from '../shared/domain/describe';
import { askedSoFar } from '../shared/domain/quorum';
import { hubLocation, locationOf, planRefOf } from '../shared/domain/plan-location';
import { approvalForState, fitList, STATE_BUDGET, withinBudget } from '../shared/domain/state-budget';
import { clip, untrusted } from '../shared/domain/text';
import { logger } from '../shared/runtime/logger';
import { isTransient } from '../shared/runtime/transient';

export const EXPIRE_APPROVAL_ENV = ['TABLE_NAME', 'APPROVAL_TOPIC_ARN', 'DELETE_EXPIRED_PLANS'] as const;
export type ExpireApprovalEnv = Environment<(typeof EXPIRE_APPROVAL_ENV)[number]>;

const eventSchema = z.object({
  planId: planIdSchema,
  accountId: z.optional(accountIdSchema),
  region: z.optional(regionSchema),
  acceptLanguage: acceptLanguageSchema,
  executionArn: executionArnSchema,
});

/**
 * Closes an approval nobody completed in time: the record becomes EXPIRED (so no late click counts), every
 * approver who was asked hears that it is closed, and with plangate:deleteExpiredPlans the plan is deleted so
 * stale plans do not pile up. A failed deletion is reported, not thrown: the run must still end EXPIRED and say so.
 */
export async function expireApproval(event: unknown, env: ExpireApprovalEnv): Promise<ExpiryResult> {
  const input = parseInput(eventSchema, event);
  const { planId, acceptLanguage, executionArn } = input;
  const expiredAt = new Date().toISOString();
  const record = await new ApprovalStore(dynamo, env.TABLE_NAME).expire(planRefOf(input, executionArn), executionArn, expiredAt);
  if (!record) throw new Error(`Plan ${planId} has no approval owned by run ${executionArn}`);
  // With approval rules, only the stages opened yet asked anyone: a later stage's approvers were never waited on.
  const asked = askedSoFar(record);
  const undecided = waitingOn({ ...record, approvers: asked });
  // Within its share of the run's state: the approvals (fewer than the quorum), and the undecided that fit, counted.
  const result: ExpiryResult = withinBudget(
    'decision',
    fitList(undecided, STATE_BUDGET.decision - 8 * 1024, (waiting, dropped) => ({
      expiredAt,
      requiredApprovals: record.requiredApprovals ?? 1,
      approvals: (record.approvals ?? []).map(approvalForState),
      undecided: waiting.map((a) => a.name ?? a.email),
      ...(dropped ? { undecidedUnlisted: dropped } : {}),
    })),
  );
  await tellApprovers(record, asked, result, env);
  if (!env.DELETE_EXPIRED_PLANS) return result;
  // Loaded on first use: only plangate:deleteExpiredPlans deletes (off by default).
  const { serviceCatalogAt, DeleteProvisionedProductPlanCommand } = await import('../shared/adapters/clients/service-catalog');
  try {
    // An unreachable spoke is reported like any failed deletion: the run still ends EXPIRED.
    const serviceCatalog = await serviceCatalogAt(locationOf(input), hubLocation(executionArn), executionArn);
    await serviceCatalog.send(new DeleteProvisionedProductPlanCommand({ PlanId: planId, AcceptLanguage: acceptLanguage }));
    logger.info('Expired plan deleted', { planId });
    return { ...result, planDeleted: true };
  } catch (error) {
    if (isTransient(error)) throw error; // the state machine retries the whole step; expiring again is harmless
    const e = error as Error;
    logger.warn('Expired plan not deleted', { planId, error: e.name });
    return { ...result, planDeleted: false, deleteError: clip(`${e.name}: ${e.message}`, 1_000) };
  }
}

/** One closing email per approver asked (the topic's filter policy routes each to its owner); nobody else had a link. */
async function tellApprovers(record: ApprovalRecord, asked: Approver[], expiry: ExpiryResult, env: ExpireApprovalEnv) {
  const title = planTitle(record.review);
  const body = [
    `The approval request for plan ${untrusted(title)} expired at ${expiry.expiredAt} without the approvals it needed.`,
    `Progress: ${describeProgress(expiry)}.`,
    `The plan was not executed${env.DELETE_EXPIRED_PLANS ? ' and is being deleted (plangate:deleteExpiredPlans)' : ''}.`,
    '',
    'Nothing more is needed from you: your link no longer works. To make this change, create a new plan.',
  ].join('\n');
  const subject = snsSubject(`[PlanGate] Approval expired: ${title}`);
  for (const approver of asked) await emailApprover(env.APPROVAL_TOPIC_ARN, approver.email, { subject, body });
}
