import { ApprovalStore, duplicateRunError, newLinkId } from '../shared/adapters/approval-store';
import { emailApprover } from '../shared/adapters/approver-email';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { readSecret } from '../shared/adapters/secrets';
import { approvalRequestMessage } from '../shared/adapters/slack/blocks';
import { postToSlack } from '../shared/adapters/slack/post';
import type { PreviousRun } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import type { Environment } from '../shared/contracts/environment';
import { parseInput } from '../shared/contracts/parse-input';
import { executionArnSchema, type ReviewedPlan, reviewedPlanSchema } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { waitingOn } from '../shared/domain/approvers';
import { describeProgress } from '../shared/domain/describe';
import { planRefOf } from '../shared/domain/plan-location';
import { logger } from '../shared/runtime/logger';
import { composeApprovalEmail } from './message';

export const REQUEST_APPROVAL_ENV = [
  'TABLE_NAME',
  'APPROVAL_TOPIC_ARN',
  'APPROVAL_BASE_URL',
  'APPROVAL_TIMEOUT_SECONDS',
  'APPROVERS',
  'SLACK_WEBHOOK_SECRET_ID',
  'SLACK_SIGNING_SECRET_ID',
] as const;
export type RequestApprovalEnv = Environment<(typeof REQUEST_APPROVAL_ENV)[number]>;

const eventSchema = z.object({
  taskToken: z.string().check(z.minLength(1), z.maxLength(1024)),
  executionArn: executionArnSchema,
  review: reviewedPlanSchema,
  /** Set by the state machine's second approval task, which starts at the reminder time. */
  reminder: z.optional(z.boolean()),
});
type ApprovalTask = z.infer<typeof eventSchema>;

/** The link an approver opens; the approval API serves it. */
export function approvalLink(baseUrl: string, linkId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/approvals/${linkId}`;
}

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
  const claim = await store.claim({
    planId: review.planId,
    ...(planRef === review.planId ? {} : { planRef }),
    executionArn,
    status: 'PENDING',
    taskToken,
    requestedAt: now.toISOString(),
    expiresAt: Math.floor(expiresAt.getTime() / 1000),
    requestedBy: review.requestedBy,
    approvers,
    review,
    requiredApprovals: review.policy.requiredApprovals,
    selfApprover: review.policy.selfApprover,
    creator: review.creator,
  });
  if (!claim.claimed) throw duplicateRunError(review.planId, claim.owner);
  // CloudTrail's record of who created the plan may have arrived since the review, before this claim: PlanCreated
  // then found no record to put it on. Read after the claim, so one of the two always sees the other.
  const creator = review.creator ?? (await store.getCreator(planRef));
  if (creator && !review.creator) await store.applyCreator(planRef, creator);
  const ask: Ask = { store, env, review, executionArn, expiresAt, now, previousRun: claim.previousRun };
  await sendLinks(ask, approvers);
  await postRequestToSlack(ask);
  logger.info('Approval requested', { planId: review.planId, approvers: approvers.length, expiresAt });
}

/** Hands the approval the new task's token, then reminds whoever has not approved (the requester aside). */
async function remind(store: ApprovalStore, env: RequestApprovalEnv, { taskToken, executionArn, review }: ApprovalTask) {
  const now = new Date();
  const record = await store.rearm(planRefOf(review, executionArn), executionArn, taskToken, now.toISOString());
  if (!record) throw new Error(`Plan ${review.planId} has no open approval owned by run ${executionArn}`);
  // A decision is on its way to the first task, which has timed out: the approval API retries it on this one.
  if (record.status !== 'PENDING') return;
  const missing = waitingOn(record);
  const expiresAt = new Date(record.expiresAt * 1000);
  const progress = `Still waiting: ${describeProgress(record)}. Not yet approved by ${missing.map((a) => a.name ?? a.email).join(', ')}.`;
  const ask: Ask = { store, env, review, executionArn, expiresAt, now, reminder: progress, previousRun: record.previousRun };
  await sendLinks(ask, missing);
  await postRequestToSlack(ask);
  logger.info('Approvers reminded', { planId: review.planId, reminded: missing.length, expiresAt });
}

/** The plan a link opens: a spoke plan's by its key too. */
function linkPlan(review: ReviewedPlan, executionArn: string) {
  const planRef = planRefOf(review, executionArn);
  return { planId: review.planId, ...(planRef === review.planId ? {} : { planRef }) };
}

/** One round of asking for a decision: the first request, or the reminder. */
interface Ask {
  store: ApprovalStore;
  env: RequestApprovalEnv;
  review: ReviewedPlan;
  executionArn: string;
  expiresAt: Date;
  now: Date;
  /** The reminder's progress line (who has approved, who not); absent on the first request. */
  reminder?: string;
  /** The earlier, released request for the same plan, whose outcome the approvers are shown. */
  previousRun?: PreviousRun;
}

/** One personal link per approver, by email. */
async function sendLinks({ store, env, review, executionArn, expiresAt, now, reminder, previousRun }: Ask, approvers: Approver[]) {
  for (const approver of approvers) {
    const linkId = newLinkId();
    await store.putLink(linkId, { ...linkPlan(review, executionArn), executionArn, approver, createdAt: now.toISOString() });
    const email = composeApprovalEmail({
      review,
      executionArn,
      approver,
      link: approvalLink(env.APPROVAL_BASE_URL, linkId),
      expiresAt,
      reminder,
      previousRun,
    });
    await emailApprover(env.APPROVAL_TOPIC_ARN, approver.email, email);
  }
}

/** Posts the request (or reminder) to the Slack channel, with a view-only link to the page (decisions need a person). */
async function postRequestToSlack({ store, env, review, executionArn, expiresAt, now, reminder }: Ask) {
  const webhookSecretId = env.SLACK_WEBHOOK_SECRET_ID;
  if (!webhookSecretId) return;
  const linkId = newLinkId();
  await store.putLink(linkId, { ...linkPlan(review, executionArn), executionArn, createdAt: now.toISOString() });
  const message = approvalRequestMessage({
    review,
    executionArn,
    pageUrl: approvalLink(env.APPROVAL_BASE_URL, linkId),
    expiresAt,
    interactive: Boolean(env.SLACK_SIGNING_SECRET_ID),
    reminder,
  });
  try {
    await postToSlack(await readSecret(webhookSecretId), message);
  } catch (error) {
    // Slack must never stop the approval: the emails are already out.
    logger.warn('Slack request not posted', { error: (error as Error).message });
  }
}
