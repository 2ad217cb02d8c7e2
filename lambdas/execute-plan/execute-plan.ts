import { createHash } from 'node:crypto';
import { ExecuteProvisionedProductPlanCommand, type ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { ApprovalStore } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { serviceCatalogAt } from '../shared/adapters/clients/service-catalog';
import { describePlan } from '../shared/adapters/plans';
import { RecordWaits } from '../shared/adapters/record-waits';
import { readSsmCalendars } from '../shared/adapters/ssm-calendars';
import { WindowStore } from '../shared/adapters/window-store';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import { FREEZE_RULE } from '../shared/contracts/calendar-policy';
import { APPROVAL_VALIDITY_HOURS, CHANGE_CALENDAR, type EnvironmentOf, TABLE_NAME } from '../shared/contracts/environment';
import {
  ApprovalMissingError,
  ApprovalStaleError,
  CalendarClosedError,
  PlanChangedError,
  PlanDeniedError,
  PlanNotReadyError,
  RunCancelledError,
  SpokeAccessDeniedError,
  WindowMissedError,
} from '../shared/contracts/errors';
import { DEFAULT_APPROVAL_VALIDITY_HOURS } from '../shared/contracts/execute-window';
import { parseInput } from '../shared/contracts/parse-input';
import { accountIdSchema, regionSchema } from '../shared/contracts/spokes';
import {
  type AcceptLanguage,
  acceptLanguageSchema,
  type Creator,
  type DeferredExecution,
  type ExecutionResult,
  executionArnSchema,
  planIdSchema,
} from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { lapsedBreakGlass } from '../shared/domain/break-glass';
import { calendarVerdict } from '../shared/domain/calendar-check';
import { staleQuorum } from '../shared/domain/eligibility';
import { revalidateWindow } from '../shared/domain/execute-window-check';
import { hubLocation, locationOf, planRefOf, scopedId } from '../shared/domain/plan-location';
import { describeWaiting, progressOf, quorumPolicyOf } from '../shared/domain/quorum';
import { changesDigest } from '../shared/domain/risk';
import { describeWindowAction, windowOf } from '../shared/domain/window-schedule';
import { logger } from '../shared/runtime/logger';

export const EXECUTE_PLAN_ENV = { TABLE_NAME, CHANGE_CALENDAR, APPROVAL_VALIDITY_HOURS };
export type ExecutePlanEnv = EnvironmentOf<typeof EXECUTE_PLAN_ENV>;

const eventSchema = z.object({
  planId: planIdSchema,
  /** Where the plan is (absent in runs reviewed before spokes: the hub). */
  accountId: z.optional(accountIdSchema),
  region: z.optional(regionSchema),
  acceptLanguage: acceptLanguageSchema,
  executionArn: executionArnSchema,
});

/**
 * The IdempotencyToken for executing a plan in a run: the same run and plan always give the same token,
 * so a retried call returns the first call's record instead of executing again.
 * 64 hex characters fit Service Catalog's `[a-zA-Z0-9][a-zA-Z0-9_-]*`, 1-128.
 */
export function idempotencyToken(executionArn: string, planId: string): string {
  return createHash('sha256').update(`${executionArn}\n${planId}`).digest('hex');
}

/** Service Catalog's answers for a plan that cannot be executed (gone, or not CREATE_SUCCESS). */
const REFUSALS = new Set(['InvalidStateException', 'ResourceNotFoundException', 'InvalidParametersException']);

/**
 * Executes an approved plan, once. Before calling Service Catalog it checks the approval record
 * itself says this run's plan was approved, so no path through the state machine can skip the decision.
 */
export async function executePlan(event: unknown, env: ExecutePlanEnv, eligibility?: Eligibility): Promise<ExecutionResult | DeferredExecution> {
  const input = parseInput(eventSchema, event);
  const { planId, acceptLanguage, executionArn } = input;
  const planRef = planRefOf(input, executionArn);
  const store = new ApprovalStore(dynamo, env.TABLE_NAME);
  const approval = await store.get(planRef);
  if (approval?.executionArn !== executionArn || approval.status !== 'APPROVED') {
    throw new ApprovalMissingError(`Plan ${planId} has no approval from run ${executionArn} (record status: ${approval?.status ?? 'none'})`);
  }
  // A windowed run's wait ends here: from now on no cancel, reschedule or run-now can take it, and one that came first wins.
  if (approval.review.executeWindow) {
    const { cancelled } = await new WindowStore(dynamo, env.TABLE_NAME).startExecution(planRef, executionArn);
    if (cancelled) throw new RunCancelledError(`Plan ${planId} was not executed: ${describeWindowAction(cancelled)}`);
  }

  await checkCreatorDidNotApprove(approval, approval.creator ?? (await store.getCreator(planRef)));
  const hub = hubLocation(executionArn);
  const location = locationOf(input);
  const serviceCatalog = await serviceCatalogAt(location, hub, executionArn);
  const { plan, resourceChanges } = await checkPlanUnchanged(serviceCatalog, planId, acceptLanguage, approval.review.changesDigest);
  // A windowed run (executeWindow) revalidates here, after its wait: still inside the window (as rescheduled), no
  // approval gone stale, every approver still eligible.
  const window = windowOf(approval);
  if (window && plan.status === 'CREATE_SUCCESS') {
    const validityHours = env.APPROVAL_VALIDITY_HOURS ?? DEFAULT_APPROVAL_VALIDITY_HOURS;
    const refused = revalidateWindow(window, approval.decision, new Date(), validityHours);
    if (refused) {
      const Refusal = refused.outcome === 'WINDOW_MISSED' ? WindowMissedError : ApprovalStaleError;
      throw new Refusal(`Plan ${planId} was not executed: ${refused.reason}`);
    }
    await checkApproversEligible(approval, eligibility);
  }
  // A break-glass approval holds for plangate:breakGlass.validityMinutes only, whatever made the run wait.
  const lapsed = plan.status === 'CREATE_SUCCESS' ? lapsedBreakGlass(approval.decision, new Date()) : undefined;
  if (lapsed) throw new ApprovalStaleError(`Plan ${planId} was not executed: ${lapsed}`);
  // The check that decides: right before the call, on the calendar as it is now (ReviewPlan's was only for showing).
  // An emergency change (allowed by ReviewPlan, marked on the approved record) skips it, and nothing else.
  if (env.CHANGE_CALENDAR && plan.status === 'CREATE_SUCCESS' && !approval.review.emergency) {
    const subject = {
      risk: approval.review.summary?.risk ?? 'HIGH',
      resourceTypes: resourceChanges.map((c) => c.ResourceType ?? ''),
      accountId: location?.accountId ?? hub?.accountId,
      region: location?.region ?? hub?.region,
    };
    const approvedAt = new Date(approval.decision?.decidedAt ?? approval.requestedAt);
    // The record is APPROVED, so every requirement of its policy was met: a change-freeze one too, if it has one.
    const freezeApproved = approval.review.policy?.requirements?.some((r) => r.rule === FREEZE_RULE) ?? false;
    const now = new Date();
    const ssm = await readSsmCalendars(env.CHANGE_CALENDAR.ssmCalendars, now);
    const verdict = calendarVerdict(env.CHANGE_CALENDAR, now, subject, approvedAt, freezeApproved, ssm);
    if ('refused' in verdict) throw new CalendarClosedError(`Plan ${planId} was not executed: ${verdict.refused}`);
    if ('deferred' in verdict) {
      logger.info('Execution deferred by the change calendar', { planId, until: verdict.deferred.deferredUntil });
      return verdict.deferred;
    }
  }
  // Before executing, so a stack event that comes before the run waits for it is kept for the run.
  if (plan.provisionedProductId) {
    await new RecordWaits(dynamo, env.TABLE_NAME).expect(scopedId(plan.provisionedProductId, location, hub), executionArn);
  }

  const token = idempotencyToken(executionArn, planId);
  // On the audit record before the call, so it names the token even if this run dies mid-call.
  const { first } = await store.recordExecution(planRef, executionArn, { idempotencyToken: token, startedAt: new Date().toISOString() });
  try {
    const { RecordDetail } = await serviceCatalog.send(
      new ExecuteProvisionedProductPlanCommand({ PlanId: planId, AcceptLanguage: acceptLanguage, IdempotencyToken: token }),
    );
    if (!RecordDetail?.RecordId) throw new Error(`ExecuteProvisionedProductPlan returned no record for plan ${planId}`);
    logger.info('Plan executed', { planId, recordId: RecordDetail.RecordId, status: RecordDetail.Status });
    return {
      recordId: RecordDetail.RecordId,
      idempotencyToken: token,
      recordStatus: RecordDetail.Status ?? 'CREATED',
      executedAt: new Date().toISOString(),
    };
  } catch (error) {
    // Denied in a spoke (its role refuses) is a refusal too, and the run ends SPOKE_UNREACHABLE naming the role.
    const denied = error instanceof SpokeAccessDeniedError;
    if (denied || REFUSALS.has((error as Error).name)) {
      // Nothing ran only if no earlier attempt of this run called Service Catalog (its answer may have been lost)
      // and the plan was not executing already: then the plan may be released when the run closes.
      if (first && plan.status === 'CREATE_SUCCESS') {
        await store.recordExecutionRefused(planRef, executionArn, { error: (error as Error).name, at: new Date().toISOString() });
      }
      if (denied) throw error;
      throw new PlanNotReadyError(`Service Catalog refused to execute plan ${planId}: ${(error as Error).name}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Who may approve, as the deployment now says: plangate:approvers, and group membership verified now. */
export interface Eligibility {
  approvers: Approver[];
  /** Throws when membership cannot be checked (Identity Center unreachable). */
  verifiedGroups: (email: string, groups: string[]) => Promise<string[]>;
}

/**
 * A windowed run's quorum must still hold with only the approvers still eligible. Fails closed: membership that cannot
 * be checked now counts for nothing, and the run ends APPROVAL_STALE saying so (nothing was executed; a new run asks again).
 */
async function checkApproversEligible(approval: ApprovalRecord, eligibility: Eligibility | undefined) {
  const refuse = (why: string) => new ApprovalStaleError(`Plan ${approval.planId} was not executed: ${why}; start a new run to approve it again`);
  if (!eligibility) throw refuse("its approvers' eligibility could not be checked");
  let stale: Awaited<ReturnType<typeof staleQuorum>>;
  try {
    stale = await staleQuorum(approval, eligibility.approvers, eligibility.verifiedGroups);
  } catch (error) {
    logger.error('Could not check group membership at execution', { planId: approval.planId, error: (error as Error).name });
    throw refuse(`group membership could not be checked in IAM Identity Center (${(error as Error).name})`);
  }
  if (stale) {
    const who = stale.ineligible.map((i) => `${i.email} (${i.why})`).join(', ');
    throw refuse(`approvals no longer count: ${who}; without them, ${stale.waiting}`);
  }
}

/**
 * The quorum must hold without the approval of the plan's creator, as CloudTrail recorded them, even when that record
 * arrived only after the approvals did (a run input can name anyone as its requester).
 */
async function checkCreatorDidNotApprove(approval: ApprovalRecord, creator: Creator | undefined) {
  const decision = approval.decision;
  // Break-glass approves outright, the requester's or creator's own plan too (plangate:breakGlass).
  if (!creator?.approverEmail || !decision || decision.channel === 'rule' || decision.breakGlass) return;
  const own = creator.approverEmail.toLowerCase();
  const counted = (decision.approvals ?? [decision]).filter((a) => a.approver.email.toLowerCase() !== own);
  const without = progressOf(quorumPolicyOf(approval), counted);
  if (!without.complete) {
    throw new PlanDeniedError(
      `Plan ${approval.planId} was approved with the approval of its creator ${creator.arn} (CloudTrail recorded them creating it), who may not ` +
        `approve it: without it, ${approval.review.policy?.requirements ? describeWaiting(without) : `${counted.length} of ${approval.requiredApprovals ?? 1} approvals`}. It was not executed.`,
    );
  }
}

/**
 * Immediately before executing: the plan must still have exactly the changes approved. A plan already
 * executing is let through: if this run started it (a retry after a lost answer), the same IdempotencyToken
 * returns the same record; if another did, Service Catalog refuses.
 */
async function checkPlanUnchanged(
  serviceCatalog: ServiceCatalogClient,
  planId: string,
  acceptLanguage: AcceptLanguage,
  approvedDigest: string | undefined,
) {
  const described = await describePlan(serviceCatalog, planId, acceptLanguage);
  const { plan, resourceChanges } = described;
  if (plan.status !== 'CREATE_SUCCESS' && !plan.status.startsWith('EXECUTE_')) {
    throw new PlanChangedError(`Plan ${planId} is now ${plan.status}, no longer CREATE_SUCCESS as when it was approved; it was not executed`);
  }
  if (changesDigest(resourceChanges) !== approvedDigest) {
    throw new PlanChangedError(
      `Plan ${planId} changed after it was reviewed: its resource changes are not the ones approved, so it was not executed`,
    );
  }
  return described;
}
