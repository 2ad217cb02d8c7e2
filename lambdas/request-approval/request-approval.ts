import { ApprovalStore, duplicateRunError } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import {
  APPROVAL_TIMEOUT_SECONDS,
  APPROVERS,
  ASK_APPROVERS_ENV,
  EMERGENCY_NOTIFY,
  type EnvironmentOf,
  GROUPS,
} from '../shared/contracts/environment';
import { PlanDeniedError } from '../shared/contracts/errors';
import { parseInput } from '../shared/contracts/parse-input';
import type { Groups } from '../shared/contracts/policies';
import { type ApprovalPolicy, executionArnSchema, reviewedPlanSchema } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { describeProgress } from '../shared/domain/describe';
import { planRefOf } from '../shared/domain/plan-location';
import { groupsOf, progressOf, recordProgress } from '../shared/domain/quorum';
import { unapprovableCause, unreachableNow } from '../shared/domain/rules';
import { logger } from '../shared/runtime/logger';
import { announceEmergency } from '../shared/services/announce-emergency';
import { type Ask, approversAsked, postRequestToSlack, requirementsText, sendLinks, stillToApprove } from '../shared/services/ask-approvers';

export const REQUEST_APPROVAL_ENV = { ...ASK_APPROVERS_ENV, APPROVAL_TIMEOUT_SECONDS, APPROVERS, GROUPS, EMERGENCY_NOTIFY };
export type RequestApprovalEnv = EnvironmentOf<typeof REQUEST_APPROVAL_ENV>;

const eventSchema = z.object({
  taskToken: z.string().check(z.minLength(1), z.maxLength(1024)),
  executionArn: executionArnSchema,
  review: reviewedPlanSchema,
  /** Set by the state machine's second approval task, which starts at the reminder time. */
  reminder: z.optional(z.boolean()),
});
type ApprovalTask = z.infer<typeof eventSchema>;

/**
 * Invoked with .waitForTaskToken, twice at most. First it opens the approval for a run: stores the task
 * token with the reviewed plan, then sends every approver a personal link. If nobody has decided by the
 * reminder time, the state machine invokes it again with a new task: it hands the approval that task's
 * token and reminds the approvers who have not approved yet. The run waits until the approval API
 * completes the task, or the task times out.
 */
export async function requestApproval(event: unknown, env: RequestApprovalEnv): Promise<void> {
  const task = parseInput(eventSchema, event);
  const store = new ApprovalStore(dynamo, env.TABLE_NAME);
  await (task.reminder ? remind(store, env, task) : open(store, env, task));
}

/** Opens the approval; a plan another run already owns ends this run as a duplicate. */
async function open(store: ApprovalStore, env: RequestApprovalEnv, { taskToken, executionArn, review }: ApprovalTask) {
  const approvers = env.APPROVERS;
  const now = new Date();
  const expiresAt = new Date(now.getTime() + env.APPROVAL_TIMEOUT_SECONDS * 1000);
  const planRef = planRefOf(review, executionArn);
  const opened = {
    planId: review.planId,
    ...(planRef === review.planId ? {} : { planRef }),
    executionArn,
    status: 'PENDING' as const,
    taskToken,
    requestedAt: now.toISOString(),
    expiresAt: Math.floor(expiresAt.getTime() / 1000),
    requestedBy: review.requestedBy,
    approvers,
    review,
    requiredApprovals: review.policy.requiredApprovals,
    ...(env.GROUPS && review.policy.requirements ? { groupMembers: membersOf(env.GROUPS, review.policy) } : {}),
    selfApprover: review.policy.selfApprover,
    creator: review.creator,
  };
  const claim = await store.claim(opened);
  if (!claim.claimed) throw duplicateRunError(review.planId, claim.owner);
  // CloudTrail's record of who created the plan may have arrived since the review, before this claim: PlanCreated
  // then found no record to put it on. Read after the claim, so one of the two always sees the other.
  const creator = review.creator ?? (await store.getCreator(planRef));
  if (creator && !review.creator) await store.applyCreator(planRef, creator);
  const ask: Ask = { store, env, review, executionArn, expiresAt, now, previousRun: claim.previousRun, requirements: requirementsText(opened) };
  // With stages, the first stage's approvers only: the approval API asks each next stage once the one before is met.
  const asked = approversAsked(progressOf(review.policy, []), approvers, env.GROUPS);
  // Every approver (of every stage) and plangate:changeCalendar.emergency.notify, at once; no link in it.
  await announceEmergency(env.APPROVAL_TOPIC_ARN, approvers, env.EMERGENCY_NOTIFY, { review, executionArn });
  await sendLinks(ask, asked);
  await postRequestToSlack(ask);
  logger.info('Approval requested', { planId: review.planId, approvers: asked.length, expiresAt });
}

/** Hands the approval the new task's token, then reminds whoever has not approved (the requester aside). */
async function remind(store: ApprovalStore, env: RequestApprovalEnv, { taskToken, executionArn, review }: ApprovalTask) {
  const now = new Date();
  const record = await store.rearm(planRefOf(review, executionArn), executionArn, taskToken, now.toISOString());
  if (!record) throw new Error(`Plan ${review.planId} has no open approval owned by run ${executionArn}`);
  // PlanCreated closed the request as the first task timed out (its creator, known late, leaves too few approvers):
  // this wait ends as that one would have.
  if (record.status === 'CLOSED')
    throw new PlanDeniedError(unapprovableCause(record, unreachableNow(record) ?? "the plan's creator may not approve it"));
  // A decision is on its way to the first task, which has timed out: the approval API retries it on this one.
  if (record.status !== 'PENDING') return;
  const missing = stillToApprove(record, approversAsked(recordProgress(record), env.APPROVERS, env.GROUPS));
  const expiresAt = new Date(record.expiresAt * 1000);
  const progress = `Still waiting: ${describeProgress(record)}. Not yet approved by ${missing.map((a) => a.name ?? a.email).join(', ')}.`;
  const ask: Ask = {
    store,
    env,
    review,
    executionArn,
    expiresAt,
    now,
    reminder: progress,
    previousRun: record.previousRun,
    requirements: requirementsText(record),
  };
  await sendLinks(ask, missing);
  await postRequestToSlack(ask);
  logger.info('Approvers reminded', { planId: review.planId, reminded: missing.length, expiresAt });
}

/** The members of the groups a policy's requirements name. */
const membersOf = (groups: Groups, policy: ApprovalPolicy) => Object.fromEntries(groupsOf(policy).map((g) => [g, groups[g]?.members ?? []]));
