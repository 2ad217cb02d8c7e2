import type { WorkflowFunction } from './workflow-function';
import type { SlackProps } from './workflow-props';

/** What a function does with Slack: posts outcomes, posts requests, or takes clicks. */
export type SlackUse = 'outcomes' | 'requests' | 'clicks';

/**
 * Slack's secrets, by what the function does with them: posting outcomes needs the webhook; posting requests the
 * webhook, and whether the buttons are on; taking clicks reads both secrets.
 */
export function bindSlack(fn: WorkflowFunction, slack: SlackProps, use: SlackUse): WorkflowFunction {
  fn.bindSecret('SLACK_WEBHOOK_SECRET_ID', slack.webhookSecretId, slack.webhookSecret);
  const { signingSecret, signingSecretId } = slack;
  if (signingSecret && signingSecretId && use === 'clicks') fn.bindSecret('SLACK_SIGNING_SECRET_ID', signingSecretId, signingSecret);
  if (signingSecretId && use === 'requests') fn.setEnvironment({ SLACK_SIGNING_SECRET_ID: signingSecretId });
  return fn;
}
