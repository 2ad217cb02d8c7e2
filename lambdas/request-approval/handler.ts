import { PublishCommand } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { ApprovalStore, newLinkId } from '../shared/approval-store';
import { dynamo, sns } from '../shared/clients';
import { DuplicateRunError } from '../shared/errors';
import { approverWhoRequested, configuredApprovers } from '../shared/approvers';
import type { RiskLevel } from '../shared/risk';
import type { ReviewResult } from '../shared/run';
import { lambdaHandler, logger, parseInput, requireEnv, requireNumberEnv } from '../shared/runtime';
import { getSecret } from '../shared/secrets';
import { approvalRequestMessage, postToSlack } from '../shared/slack';
import { composeApprovalEmail } from './message';

const eventSchema = z.object({
  taskToken: z.string().min(1).max(1024),
  executionArn: z.string().min(1),
  review: z.custom<ReviewResult>(
    (r) => typeof r === 'object' && r !== null && 'planId' in r && 'summary' in r,
    'review must be ReviewPlan output for a CREATE_SUCCESS plan',
  ),
});

/** The link an approver opens; the approval API serves it. */
export function approvalLink(baseUrl: string, linkId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/approvals/${linkId}`;
}

/**
 * Opens the approval for a run (invoked with .waitForTaskToken): stores the task token with the
 * reviewed plan, then sends every approver a personal link. The run waits until the approval API
 * completes the task, or the task times out. A plan another run already owns ends this run as a duplicate.
 */
export async function requestApproval(event: unknown): Promise<void> {
  const { taskToken, executionArn, review } = parseInput(eventSchema, event);
  const approvers = configuredApprovers();
  const store = new ApprovalStore(dynamo, requireEnv('TABLE_NAME'));
  const now = new Date();
  const expiresAt = new Date(now.getTime() + requireNumberEnv('APPROVAL_TIMEOUT_SECONDS') * 1000);

  const requiredApprovals = requiredApprovalsFor(review.summary?.risk ?? 'HIGH');
  const claim = await store.claim({
    planId: review.planId,
    executionArn,
    taskToken,
    requestedAt: now.toISOString(),
    expiresAt: Math.floor(expiresAt.getTime() / 1000),
    requestedBy: review.requestedBy,
    approvers,
    review,
    requiredApprovals,
    selfApprover: approverWhoRequested(review.requestedBy, approvers)?.email,
  });
  if (!claim.claimed) {
    const owner = claim.owner;
    throw new DuplicateRunError(
      `Plan ${review.planId} already has an approval (${owner?.status ?? 'unknown status'}) ` +
        `opened by run ${owner?.executionArn ?? 'unknown'} at ${owner?.requestedAt ?? 'an unknown time'}`,
    );
  }

  const topicArn = requireEnv('APPROVAL_TOPIC_ARN');
  const baseUrl = requireEnv('APPROVAL_BASE_URL');
  for (const approver of approvers) {
    const linkId = newLinkId();
    await store.putLink(linkId, review.planId, approver, now.toISOString());
    const email = composeApprovalEmail({ review, approver, link: approvalLink(baseUrl, linkId), expiresAt, requiredApprovals });
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
  await postRequestToSlack(store, review, baseUrl, expiresAt, now);
  logger.info('Approval requested', { planId: review.planId, approvers: approvers.length, expiresAt });
}

/** Distinct approvals the plan's risk level needs (REQUIRED_APPROVALS, from configuration). */
function requiredApprovalsFor(risk: RiskLevel): number {
  const configured = JSON.parse(requireEnv('REQUIRED_APPROVALS')) as Record<RiskLevel, number>;
  const required = configured[risk];
  if (!Number.isInteger(required) || required < 1) throw new Error(`REQUIRED_APPROVALS has no count for ${risk} risk`);
  return required;
}

/** Posts the request to the Slack channel, with a view-only link to the page (decisions need a person). */
async function postRequestToSlack(store: ApprovalStore, review: ReviewResult, baseUrl: string, expiresAt: Date, now: Date) {
  const webhookSecretId = process.env.SLACK_WEBHOOK_SECRET_ID;
  if (!webhookSecretId) return;
  const linkId = newLinkId();
  await store.putLink(linkId, review.planId, undefined, now.toISOString());
  const message = approvalRequestMessage({
    review,
    pageUrl: approvalLink(baseUrl, linkId),
    expiresAt,
    interactive: Boolean(process.env.SLACK_SIGNING_SECRET_ID),
  });
  try {
    await postToSlack(await getSecret(webhookSecretId), message);
  } catch (error) {
    // Slack must never stop the approval: the emails are already out.
    logger.warn('Slack request not posted', { error: (error as Error).message });
  }
}

export const handler = lambdaHandler(requestApproval);
