import { emailApprover } from '../adapters/approver-email';
import { mention, mrkdwn, type SlackMessage, section } from '../adapters/slack/blocks';
import { postToSlack } from '../adapters/slack/post';
import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import type { HumanDecision } from '../contracts/steps';
import { type DecisionNews, decisionNewsEmail, whoToTell } from '../domain/decision-news';
import { describeProgress, planTitle } from '../domain/describe';
import { logger } from '../runtime/logger';

export interface TellDeps {
  topicArn: string;
  approvers: Approver[];
  /** The channel's webhook, when Slack is configured. */
  slackWebhookUrl: () => Promise<string | undefined>;
}

/** The channel's line for a decision made on the page or the command line (a Slack click updates its own message). */
function slackNews(record: ApprovalRecord, decision: HumanDecision, news: DecisionNews): SlackMessage {
  const who = mention(decision.approver);
  const title = planTitle(record.review);
  const after = news === 'counted' ? `; ${describeProgress(record)}` : '';
  const text =
    decision.decision === 'APPROVED'
      ? mrkdwn`:white_check_mark: ${who} approved ${title} (${decision.channel})${after}`
      : mrkdwn`:x: ${who} rejected ${title} (${decision.channel}): the plan will not be executed`;
  return { text: text.value, blocks: [section(text.value)] };
}

/**
 * Tells the requester and the other approvers asked that someone approved or rejected: one email each, and one line in
 * the Slack channel. Called once per decision, after its exactly-once write (decision.ts), so a retried request never
 * tells twice; a failure is logged and never undoes the decision.
 */
export async function tellDecision(deps: TellDeps, record: ApprovalRecord, decision: HumanDecision, news: DecisionNews): Promise<void> {
  const told = whoToTell(record, decision, deps.approvers);
  const email = decisionNewsEmail(record, decision, news);
  for (const approver of told) await emailApprover(deps.topicArn, approver.email, email);
  if (decision.channel !== 'slack') {
    const webhook = await deps.slackWebhookUrl();
    if (webhook) await postToSlack(webhook, slackNews(record, decision, news));
  }
  logger.info('Decision told', { planId: record.planId, decision: decision.decision, news, told: told.length });
}
