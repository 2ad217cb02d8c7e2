import { DeleteProvisionedProductPlanCommand } from '@aws-sdk/client-service-catalog';
import { z } from 'zod';
import { ApprovalStore } from '../shared/approval-store';
import { isTransient } from '../shared/errors';
import { dynamo, serviceCatalog } from '../shared/clients';
import { ACCEPT_LANGUAGES, type ExpiryResult, planIdSchema } from '../shared/run';
import { lambdaHandler, logger, parseInput, requireEnv } from '../shared/runtime';

const eventSchema = z.object({
  planId: planIdSchema,
  acceptLanguage: z.enum(ACCEPT_LANGUAGES),
  executionArn: z.string().min(1),
});

/**
 * Closes an approval nobody completed in time: the record becomes EXPIRED (so no late click counts), and with
 * plangate:deleteExpiredPlans the plan is deleted so stale plans do not pile up. A failed deletion is reported,
 * not thrown: the run must still end EXPIRED and say so.
 */
export async function expireApproval(event: unknown): Promise<ExpiryResult> {
  const { planId, acceptLanguage, executionArn } = parseInput(eventSchema, event);
  const expiredAt = new Date().toISOString();
  const record = await new ApprovalStore(dynamo, requireEnv('TABLE_NAME')).expire(planId, executionArn, expiredAt);
  if (!record) throw new Error(`Plan ${planId} has no approval owned by run ${executionArn}`);
  const approved = new Set(record.approverEmails ?? []);
  const self = record.selfApprover?.toLowerCase();
  const result: ExpiryResult = {
    expiredAt,
    requiredApprovals: record.requiredApprovals ?? 1,
    approvals: record.approvals ?? [],
    undecided: record.approvers.filter((a) => !approved.has(a.email.toLowerCase()) && a.email.toLowerCase() !== self).map((a) => a.name ?? a.email),
  };
  if (process.env.DELETE_EXPIRED_PLANS !== 'true') return result;
  try {
    await serviceCatalog.send(new DeleteProvisionedProductPlanCommand({ PlanId: planId, AcceptLanguage: acceptLanguage }));
    logger.info('Expired plan deleted', { planId });
    return { ...result, planDeleted: true };
  } catch (error) {
    if (isTransient(error)) throw error; // the state machine retries the whole step; expiring again is harmless
    const e = error as Error;
    logger.warn('Expired plan not deleted', { planId, error: e.name });
    return { ...result, planDeleted: false, deleteError: `${e.name}: ${e.message}` };
  }
}

export const handler = lambdaHandler(expireApproval);
