import { PublishCommand } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { ApprovalStore, duplicateRunError, newLinkId, waitingOn } from '../shared/approval-store';
import { dynamo, sns } from '../shared/clients';
import { configuredApprovers } from '../shared/approvers';
import { describeProgress } from '../shared/describe';
import type { ApprovalPolicy } from '../shared/rules';
import type { Approver, ReviewResult } from '../shared/run';
import { lambdaHandler, logger, parseInput, requireEnv, requireNumberEnv } from '../shared/runtime';
import { getSecret } from '../shared/secrets';
import { approvalRequestMessage, postToSlack } from '../shared/slack';
import { composeApprovalEmail } from './message';

const eventSchema = z.object({
  taskToken: z.string().min(1).max(1024),
  executionArn: z.string().min(1),
  review: z.custom<ReviewResult & { policy: ApprovalPolicy }>(
    (r) => typeof r === 'object' && r !== null && 'planId' in r && 'summary' in r && 'policy' in r,
    'review must be ReviewPlan output for a CREATE_SUCCESS plan',
  ),
  /** Set by the state machine's second approval task, which starts at the reminder time. */
  reminder: z.boolean().optional(),
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
export async function requestApproval(event: unknown): Promise<void> {
  const task = parseInput(eventSchema, event);
  const store = new ApprovalStore(dynamo, requireEnv('TABLE_NAME'));
  await (task.reminder ? remind(store, task) : open(store, task));
}

/** Opens the approval; a plan another run already owns ends this run as a duplicate. */
async function open(store: ApprovalStore, { taskToken, executionArn, review }: ApprovalTask) {
  const approvers = configuredApprovers();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + requireNumberEnv('APPROVAL_TIMEOUT_SECONDS') * 1000);
  const claim = await store.claim({
    planId: review.planId,
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
  });
  if (!claim.claimed) throw duplicateRunError(review.planId, claim.owner);
  await sendLinks(store, review, approvers, expiresAt, now);
  await postRequestToSlack(store, review, expiresAt, now);
  logger.info('Approval requested', { planId: review.planId, approvers: approvers.length, expiresAt });
}

/** Hands the approval the new task's token, then reminds whoever has not approved (the requester aside). */
async function remind(store: ApprovalStore, { taskToken, executionArn, review }: ApprovalTask) {
  const now = new Date();
  const record = await store.rearm(review.planId, executionArn, taskToken, now.toISOString());
  if (!record) throw new Error(`Plan ${review.planId} has no open approval owned by run ${executionArn}`);
  // A decision is on its way to the first task, which has timed out: the approval API retries it on this one.
  if (record.status !== 'PENDING') return;
  const missing = waitingOn(record);
  const expiresAt = new Date(record.expiresAt * 1000);
  const progress = `Still waiting: ${describeProgress(record)}. Not yet approved by ${missing.map((a) => a.name ?? a.email).join(', ')}.`;
  await sendLinks(store, review, missing, expiresAt, now, progress);
  await postRequestToSlack(store, review, expiresAt, now, progress);
  logger.info('Approvers reminded', { planId: review.planId, reminded: missing.length, expiresAt });
}

/** One personal link per approver, by email. */
async function sendLinks(store: ApprovalStore, review: ApprovalTask['review'], approvers: Approver[], expiresAt: Date, now: Date, reminder?: string) {
  const topicArn = requireEnv('APPROVAL_TOPIC_ARN');
  const baseUrl = requireEnv('APPROVAL_BASE_URL');
  for (const approver of approvers) {
    const linkId = newLinkId();
    await store.putLink(linkId, review.planId, approver, now.toISOString());
    const email = composeApprovalEmail({ review, approver, link: approvalLink(baseUrl, linkId), expiresAt, reminder });
    // The filter policy on each approver's email subscription matches this attribute, so each link reaches one person.
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: email.subject,
        Message: email.body,
        MessageAttributes: { approver: { DataType: 'String', StringValue: approver.email } },
      }),
    );
  }
}

/** Posts the request (or reminder) to the Slack channel, with a view-only link to the page (decisions need a person). */
async function postRequestToSlack(store: ApprovalStore, review: ReviewResult, expiresAt: Date, now: Date, reminder?: string) {
  const webhookSecretId = process.env.SLACK_WEBHOOK_SECRET_ID;
  if (!webhookSecretId) return;
  const linkId = newLinkId();
  await store.putLink(linkId, review.planId, undefined, now.toISOString());
  const message = approvalRequestMessage({
    review,
    pageUrl: approvalLink(requireEnv('APPROVAL_BASE_URL'), linkId),
    expiresAt,
    interactive: Boolean(process.env.SLACK_SIGNING_SECRET_ID),
    reminder,
  });
  try {
    await postToSlack(await getSecret(webhookSecretId), message);
  } catch (error) {
    // Slack must never stop the approval: the emails are already out.
    logger.warn('Slack request not posted', { error: (error as Error).message });
  }
}

export const handler = lambdaHandler(requestApproval);
