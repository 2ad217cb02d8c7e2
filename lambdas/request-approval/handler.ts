import { PublishCommand } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { ApprovalStore, newLinkId } from '../shared/approval-store';
import { dynamo, sns } from '../shared/clients';
import { DuplicateRunError } from '../shared/errors';
import type { Approver, ReviewResult } from '../shared/run';
import { lambdaHandler, logger, parseInput, requireEnv, requireNumberEnv } from '../shared/runtime';
import { composeApprovalEmail } from './message';

const eventSchema = z.object({
  taskToken: z.string().min(1).max(1024),
  executionArn: z.string().min(1),
  review: z.custom<ReviewResult>(
    (r) => typeof r === 'object' && r !== null && 'planId' in r && 'summary' in r,
    'review must be ReviewPlan output for a CREATE_SUCCESS plan',
  ),
});

const approversSchema = z.array(z.object({ email: z.string(), name: z.string().optional() })).min(1);

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
  const approvers = parseApprovers(requireEnv('APPROVERS'));
  const store = new ApprovalStore(dynamo, requireEnv('TABLE_NAME'));
  const now = new Date();
  const expiresAt = new Date(now.getTime() + requireNumberEnv('APPROVAL_TIMEOUT_SECONDS') * 1000);

  const claim = await store.claim({
    planId: review.planId,
    executionArn,
    taskToken,
    requestedAt: now.toISOString(),
    expiresAt: Math.floor(expiresAt.getTime() / 1000),
    requestedBy: review.requestedBy,
    approvers,
    review,
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
    const email = composeApprovalEmail({ review, approver, link: approvalLink(baseUrl, linkId), expiresAt });
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
  logger.info('Approval requested', { planId: review.planId, approvers: approvers.length, expiresAt });
}

function parseApprovers(json: string): Approver[] {
  try {
    return approversSchema.parse(JSON.parse(json));
  } catch {
    throw new Error('Environment variable APPROVERS must be a JSON list of {email, name?}');
  }
}

export const handler = lambdaHandler(requestApproval);
