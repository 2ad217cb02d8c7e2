import { SendTaskFailureCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ApprovalStore } from '../shared/adapters/approval-store';
import { isEndedTaskError } from '../shared/adapters/aws-errors';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { stepFunctions } from '../shared/adapters/clients/step-functions';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import {
  APPROVAL_TOPIC_ARN,
  APPROVERS,
  AWS_REGION,
  type EnvironmentOf,
  SPOKES,
  STATE_MACHINE_ARN,
  TABLE_NAME,
} from '../shared/contracts/environment';
import { DROP_REASONS, type DropReason } from '../shared/contracts/metrics';
import { parseInput } from '../shared/contracts/parse-input';
import { accountIdSchema, regionSchema } from '../shared/contracts/spokes';
import { type Approval, type Creator, planIdSchema, type RunInput } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { approverWhoRequested, waitingOn } from '../shared/domain/approvers';
import { describeProgress, planTitle, snsSubject } from '../shared/domain/describe';
import { hubForEvent, isAllowed, isSpoke, scopedId } from '../shared/domain/plan-location';
import { unapprovableCause, unreachableNow } from '../shared/domain/rules';
import { untrusted } from '../shared/domain/text';
import { logger } from '../shared/runtime/logger';
import { countDroppedEvent } from '../shared/runtime/metrics';
import { addRunKeys } from '../shared/runtime/run-keys';

export const PLAN_CREATED_ENV = { TABLE_NAME, STATE_MACHINE_ARN, APPROVAL_TOPIC_ARN, APPROVERS, SPOKES, AWS_REGION };
export type PlanCreatedEnv = EnvironmentOf<typeof PLAN_CREATED_ENV>;

/**
 * CloudTrail's record of CreateProvisionedProductPlan, as EventBridge delivers it. Only AWS puts events with an `aws.`
 * source on a bus (PutEvents refuses them), so the caller it names is who created the plan: PlanGate's verified requester.
 */
const cloudTrailEventSchema = z.object({
  source: z.literal('aws.servicecatalog'),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  /** Set by EventBridge: where the plan was created (a spoke's, forwarded to the hub bus). The detail is not trusted for it. */
  account: accountIdSchema,
  region: regionSchema,
  detail: z.object({
    eventSource: z.literal('servicecatalog.amazonaws.com'),
    /** The account CloudTrail recorded the call in: it must be the envelope's (a spoke could forge another). */
    recipientAccountId: z.optional(z.string()),
    eventName: z.literal('CreateProvisionedProductPlan'),
    eventID: z.string().check(z.minLength(1), z.maxLength(100)),
    eventTime: z.string(),
    userIdentity: z.object({ arn: z.string().check(z.regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/, 'must be an IAM or STS principal ARN')) }),
    // CloudTrail records response elements in lowerCamelCase.
    responseElements: z.object({ planId: planIdSchema }),
  }),
});

/**
 * A plan was created: keeps who created it (CREATOR#<planId>), puts them on a request already open for the plan (an
 * approval they gave there no longer counts, and the other approvers are told; a request nobody else may approve now
 * ends DENIED), then starts a run for the plan, unless it just denied one. A run
 * input naming someone else as the requester can no longer let the creator approve their own plan.
 */
export async function planCreated(
  event: unknown,
  env: PlanCreatedEnv,
): Promise<{ planId: string; creator: Creator; executionArn?: string } | { dropped: DropReason }> {
  const { account, region, detail } = parseInput(cloudTrailEventSchema, event);
  const planId = detail.responseElements.planId;
  const envelope = { accountId: account, region };
  // With spokes, a record that does not say which account it was made in is not taken on trust either.
  if (detail.recipientAccountId === undefined ? env.SPOKES !== undefined : detail.recipientAccountId !== account) {
    return drop(DROP_REASONS.recipientMismatch, { planId, account, recipientAccountId: detail.recipientAccountId });
  }
  const hub = hubForEvent(envelope, env.SPOKES, env.AWS_REGION);
  if (!hub || !isAllowed(envelope, hub, env.SPOKES)) return drop(DROP_REASONS.notAllowed, { planId, account, region });
  const spoke = isSpoke(envelope, hub);
  const planRef = scopedId(planId, envelope, hub);
  const arn = detail.userIdentity.arn;
  const creator: Creator = {
    arn,
    approverEmail: approverWhoRequested(arn, env.APPROVERS)?.email,
    verifiedBy: 'cloudtrail',
    eventId: detail.eventID,
    eventTime: detail.eventTime,
  };
  const store = new ApprovalStore(dynamo, env.TABLE_NAME);
  const stands = await store.recordCreator(planRef, creator, new Date().toISOString());
  const applied = await store.applyCreator(planRef, stands);
  const record = applied?.record ?? (await store.get(planRef));
  let denied: string | undefined;
  if (record) {
    addRunKeys({ planId, executionArn: record.executionArn });
    denied = await denyIfUnreachable(store, planRef, record);
    const finding = creatorFinding(record, stands, applied?.voided ?? []);
    if (finding) await tellApprovers(record, stands, denied ? `${finding} ${denied}` : finding, env);
  }
  // No new request right after denying one, nor when the event comes again (EventBridge delivers at least once): the
  // approvers were told why, and a run the creator starts next knows them as the creator (CREATOR#). Otherwise the new
  // run would race the denied one's closing for the plan.
  if (denied || (record && deniedForItsCreator(record))) return { planId, creator: stands };
  const input: RunInput = { planId, ...(spoke ? { accountId: account, region } : {}), requestedBy: stands.arn };
  const executionArn = await startRun(input, stands, env.STATE_MACHINE_ARN);
  return { planId, creator: stands, executionArn };
}

/**
 * A request its creator's exclusion leaves unapprovable (CloudTrail's record came after the review, which could not
 * leave them out) ends at once, DENIED, as the review would have ended it: the request is closed and its wait failed
 * with PlanDeniedError, in that order, so no decision counts in between. Otherwise the approvers would be asked for a
 * decision none of them may give, until it expired. Returns what the approvers are told, or undefined.
 */
async function denyIfUnreachable(store: ApprovalStore, planRef: string, record: ApprovalRecord): Promise<string | undefined> {
  const reason = record.status === 'PENDING' && !record.outcome ? unreachableNow(record) : undefined;
  if (!reason) return undefined;
  const closed = await store.closeUnreachable(planRef, record.executionArn);
  if (!closed?.taskToken) return undefined;
  const cause = unapprovableCause(record, reason);
  try {
    await stepFunctions.send(new SendTaskFailureCommand({ taskToken: closed.taskToken, error: 'PlanDeniedError', cause }));
  } catch (error) {
    // The first wait timed out meanwhile: the reminder's wait, finding the request closed, ends DENIED itself
    // (RequestApproval), or, without a reminder, the run ends EXPIRED.
    if (isEndedTaskError(error)) return undefined;
    throw error;
  }
  logger.warn('Request closed: its quorum is unreachable without the plan creator', { planId: record.planId, reason });
  return `Nobody else may approve it now (${reason}), so its run ends DENIED.`;
}

/**
 * A request closed because of its plan's creator: by denyIfUnreachable (CLOSED, before its run closes it) or as its
 * run ended DENIED (here, or at ExecutePlan, whose quorum needed the creator).
 */
const deniedForItsCreator = (record: ApprovalRecord) =>
  record.creator !== undefined && (record.outcome ? record.outcome.outcome === 'DENIED' : record.status === 'CLOSED');

/** An event PlanGate does not act on: logged and counted (DroppedEvents), never an error EventBridge would retry. */
function drop(reason: DropReason, about: Record<string, unknown>): { dropped: DropReason } {
  logger.warn('CloudTrail event dropped', { reason, ...about });
  countDroppedEvent(reason);
  return { dropped: reason };
}

/**
 * What the approvers of a request opened before CloudTrail's record arrived must hear: an approval by the creator that
 * no longer counts (or, on a decided request, that counted), or a request that named someone else as its requester.
 * Nothing when the request named the creator all along.
 */
export function creatorFinding(record: ApprovalRecord, creator: Creator, voided: Approval[]): string | undefined {
  const title = planTitle(record.review);
  const own = (email: string) => email.toLowerCase() === creator.approverEmail?.toLowerCase();
  const decision = record.decision?.channel === 'rule' ? undefined : record.decision;
  if (voided.length) {
    return `CloudTrail shows that ${creator.arn} created plan ${title}, so the approval they gave it no longer counts. ${describeProgress(record)}.`;
  }
  if (decision?.decision === 'APPROVED' && (decision.approvals ?? [decision]).some((a) => own(a.approver.email))) {
    const executed = record.execution && !record.execution.refused;
    return (
      `CloudTrail shows that ${creator.arn} created plan ${title}, and their approval counted towards its decision. ` +
      (executed ? 'The plan was executed: review the change.' : 'PlanGate will not execute it on that approval.')
    );
  }
  // A closed request asks nobody any more: a new run for the plan names the creator from the start.
  if (record.outcome) return undefined;
  const named = approverWhoRequested(record.requestedBy, record.approvers);
  const namedCreator = record.requestedBy === creator.arn || (named !== undefined && own(named.email));
  if (!namedCreator) {
    return `The request for plan ${title} names ${record.requestedBy ?? 'nobody'} as its requester, but CloudTrail shows that ${creator.arn} created the plan; they may not approve it.`;
  }
  return undefined;
}

/** Every approver of the request hears it, the creator aside (they know), by the same personal channel as the request. */
async function tellApprovers(record: ApprovalRecord, creator: Creator, finding: string, env: PlanCreatedEnv) {
  logger.warn('Plan creator differs from the request', { planId: record.planId, creator: creator.arn, requestedBy: record.requestedBy });
  const still = record.status === 'PENDING' && !record.outcome ? waitingOn(record).map((a) => a.name ?? a.email) : [];
  const body = [
    untrusted(finding),
    ...(still.length ? ['', `Still waiting on: ${untrusted(still.join(', '))}.`] : []),
    '',
    'PlanGate learns who created a plan from CloudTrail; the requester a run input names is only a claim.',
  ].join('\n');
  const subject = snsSubject(`[PlanGate] Plan ${planTitle(record.review)}: who created it`);
  // Loaded on first use: a request opened before its plan's CloudTrail record is rare, and no other path emails.
  const { emailApprover } = await import('../shared/adapters/approver-email');
  for (const approver of record.approvers) {
    if (approver.email.toLowerCase() === creator.approverEmail?.toLowerCase()) continue;
    await emailApprover(env.APPROVAL_TOPIC_ARN, approver.email, { subject, body });
  }
}

/**
 * Starts the run for the plan, named after CloudTrail's event so a redelivered event starts nothing new. A run for a
 * plan another run already owns ends DUPLICATE, as before; the approvers were told above what it found.
 */
async function startRun(input: RunInput, creator: Creator, stateMachineArn: string): Promise<string | undefined> {
  const { planId } = input;
  const name = `created-${creator.eventId.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 80);
  try {
    const { executionArn } = await stepFunctions.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return executionArn;
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    logger.info('Run for this CloudTrail event already started', { planId, name });
    return undefined;
  }
}
