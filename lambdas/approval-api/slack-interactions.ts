import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  APPROVE_ACTION,
  decidedMessage,
  ephemeral,
  joinMrkdwn,
  type Mrkdwn,
  mention,
  mrkdwn,
  parseButtonValue,
  REJECT_ACTION,
  type SlackMessage,
} from '../shared/adapters/slack/blocks';
import { verifySlackSignature } from '../shared/adapters/slack/signature';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import { planRefSchema } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { describeDecider } from '../shared/domain/describe';
import { jsonResponse } from '../shared/runtime/http';
import { logger } from '../shared/runtime/logger';
import { addRunKeys } from '../shared/runtime/run-keys';
import { type DecisionDeps, recordDecision, stageRefusal } from '../shared/services/decision';
import { headerValue, rawBody } from '../shared/web/form';

export interface SlackDeps {
  signingSecret: () => Promise<string | undefined>;
  webhookUrl: () => Promise<string | undefined>;
  approvers: Approver[];
  post: (url: string, message: SlackMessage) => Promise<boolean>;
}

const payloadSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string() }),
  response_url: z.url(),
  actions: z.array(z.object({ action_id: z.string(), value: z.optional(z.string()) })).check(z.minLength(1)),
});

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * Slack's response_url is where the message update goes. Only Slack's own hooks are followed; loopback
 * addresses only when the configured webhook is itself on loopback (local mode), never in AWS.
 */
export function allowedResponseUrl(responseUrl: string, webhookUrl: string | undefined): boolean {
  const url = new URL(responseUrl);
  if (url.protocol === 'https:' && url.host === 'hooks.slack.com') return true;
  const webhookHost = webhookUrl ? new URL(webhookUrl).hostname : '';
  return url.protocol === 'http:' && LOOPBACK.test(url.hostname) && LOOPBACK.test(webhookHost);
}

/**
 * Approve and Reject buttons: a signed request from Slack, from a user on the approver list, decides exactly
 * as the web page does (same record, same once-only rule). The message is then replaced with the decision;
 * a click that cannot count gets a reply only that user sees.
 */
export async function handleSlackInteraction(event: APIGatewayProxyEvent, deps: DecisionDeps, slack: SlackDeps): Promise<APIGatewayProxyResult> {
  if (event.httpMethod.toUpperCase() !== 'POST')
    return { ...jsonResponse(405, { error: 'Use POST' }), headers: { 'Content-Type': 'application/json', Allow: 'POST' } };
  const signingSecret = await slack.signingSecret();
  if (!signingSecret) return jsonResponse(404, { error: 'Slack buttons are not configured (no signing secret)' });

  const body = rawBody(event);
  const verdict = verifySlackSignature({
    signingSecret,
    timestamp: headerValue(event, 'x-slack-request-timestamp'),
    signature: headerValue(event, 'x-slack-signature'),
    rawBody: body,
    nowSeconds: Math.floor(deps.now().getTime() / 1000),
  });
  if (verdict !== 'valid') {
    logger.warn('Slack request refused', { verdict });
    const reasons = {
      missing: 'missing Slack signature headers',
      stale: 'request timestamp is more than 5 minutes from now',
      invalid: 'signature does not match',
    };
    return jsonResponse(401, { error: reasons[verdict] });
  }

  let payload: z.infer<typeof payloadSchema>;
  try {
    payload = z.parse(payloadSchema, JSON.parse(new URLSearchParams(body).get('payload') ?? ''));
  } catch {
    return jsonResponse(400, { error: 'Expected a block_actions payload' });
  }
  const action = payload.actions[0]!;
  if (action.action_id !== APPROVE_ACTION && action.action_id !== REJECT_ACTION) return jsonResponse(200, {}); // e.g. the link button
  if (!allowedResponseUrl(payload.response_url, await slack.webhookUrl())) return jsonResponse(400, { error: 'response_url is not a Slack URL' });
  const reply = async (message: SlackMessage) => {
    await slack.post(payload.response_url, message);
    return jsonResponse(200, {});
  };

  const button = parseButtonValue(action.value);
  const planId = planRefSchema.safeParse(button?.planId);
  if (!planId.success) return jsonResponse(400, { error: 'The button does not name a plan' });
  const approver = slack.approvers.find((a) => a.slackUserId === payload.user.id);
  if (!approver) {
    logger.warn('Slack decision from a user who is not an approver', { slackUserId: payload.user.id, planId: planId.data });
    return reply(ephemeral('You are not on the approver list for PlanGate, so your click was not counted.'));
  }
  const record = await deps.store.get(planId.data);
  if (!record) return reply(ephemeral(`Plan ${planId.data} has no approval request.`));
  addRunKeys({ planId: record.planId, executionArn: record.executionArn });
  // A button decides only the request it was posted with (one without a run: only a plan's first request).
  if (button?.executionArn ? button.executionArn !== record.executionArn : record.previousRun) {
    return reply(ephemeral(`This message is from an earlier approval request for plan ${record.planId}, which is closed. Use the latest request.`));
  }

  const outcome = await recordDecision(deps, record, {
    decision: action.action_id === APPROVE_ACTION ? 'APPROVED' : 'REJECTED',
    approver,
    channel: 'slack',
    requestedAt: record.requestedAt,
    decidedAt: deps.now().toISOString(),
  });
  switch (outcome.result) {
    case 'decided':
      return reply(decidedMessage(outcome.record.review, outcome.decision));
    case 'counted':
      return reply({ ...ephemeral(progress(outcome.record)), response_type: 'in_channel' });
    case 'already-counted':
      return reply(ephemeral(mrkdwn`You have already approved plan ${record.planId}. ${progress(outcome.record)}`));
    case 'self-approval':
      return reply(ephemeral(`You asked for plan ${record.planId}, so another approver must approve it.`));
    case 'already-decided':
      return reply(ephemeral(alreadyDecided(outcome.record)));
    case 'expired':
      return reply(ephemeral(`The approval request for plan ${record.planId} has expired; the plan was not executed.`));
    case 'closed':
      return reply(ephemeral(closedText(outcome.record, approver)));
    case 'try-again':
      return reply(ephemeral('Your decision could not be delivered just now and was not recorded. Please click again.'));
    case 'later-stage':
    case 'not-needed': {
      const { title, text } = stageRefusal(outcome);
      return reply(ephemeral(`${title}. ${text}`));
    }
  }
}

/** "1 of 2 approvals, by <@U0BOB0002>.": approvers with a Slack id are mentioned, the others named (escaped). */
function progress(record: ApprovalRecord): Mrkdwn {
  const approvals = record.approvals ?? [];
  return mrkdwn`${approvals.length} of ${record.requiredApprovals ?? 1} approvals, by ${joinMrkdwn(approvals.map((a) => mention(a.approver)))}.`;
}

function alreadyDecided(record: ApprovalRecord): string {
  const d = record.decision;
  if (!d) return `Plan ${record.planId} is already ${record.status.toLowerCase()}.`;
  return `Plan ${record.planId} was already ${d.decision.toLowerCase()} by ${describeDecider(d)} at ${d.decidedAt}.`;
}

/** Why a click no longer counts; an approval counted just before the closing is on record but took no effect. */
function closedText(record: ApprovalRecord, approver: Approver): string {
  const closed = `The approval request for plan ${record.planId} was closed before it was decided: ${record.outcome?.reason ?? 'its run ended'}`;
  const counted = (record.approvals ?? []).some((a) => a.approver.email.toLowerCase() === approver.email.toLowerCase());
  return counted ? `${closed}. Your approval is on record, but it did not take effect: nothing was executed.` : closed;
}
