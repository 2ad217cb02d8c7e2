import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { ApprovalStore } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { eventBridge } from '../shared/adapters/clients/eventbridge';
import { sns } from '../shared/adapters/clients/sns';
import { readSecret } from '../shared/adapters/secrets';
import { outcomeMessage } from '../shared/adapters/slack/blocks';
import { postToSlack } from '../shared/adapters/slack/post';
import type { Environment } from '../shared/contracts/environment';
import { TransientError } from '../shared/contracts/errors';
import { runStateSchema } from '../shared/contracts/steps';
import { parseInput } from '../shared/runtime/handler';
import { logger } from '../shared/runtime/logger';
import { describeOutcome, type OutcomeDetail } from './outcome';

export const OUTCOME_DETAIL_TYPE = 'PlanGate Run Finished';

export const NOTIFY_ENV = ['TABLE_NAME', 'OUTCOME_TOPIC_ARN', 'EVENT_BUS_NAME', 'EVENT_SOURCE', 'SLACK_WEBHOOK_SECRET_ID'] as const;
export type NotifyEnv = Environment<(typeof NOTIFY_ENV)[number]>;

/**
 * Tells everyone how a run ended: an email to the outcome topic, an event on EventBridge for
 * integrations, and the outcome written onto the run's approval record for the audit trail.
 */
export async function notify(event: unknown, env: NotifyEnv): Promise<OutcomeDetail> {
  const state = parseInput(runStateSchema, event);
  const report = describeOutcome(state, new Date());
  const { detail } = report;

  await sns.send(new PublishCommand({ TopicArn: env.OUTCOME_TOPIC_ARN, Subject: report.subject, Message: report.body }));
  const put = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: env.EVENT_BUS_NAME,
          Source: env.EVENT_SOURCE,
          DetailType: OUTCOME_DETAIL_TYPE,
          Detail: JSON.stringify(detail),
          Resources: [state.run.executionArn],
        },
      ],
    }),
  );
  // PutEvents reports per-entry failures in a 200 response. A TransientError, which the state machine retries,
  // so a lost event is sent again rather than ending the run as "notification failed".
  if (put.FailedEntryCount) {
    const entry = put.Entries?.[0];
    throw new TransientError(`EventBridge rejected the outcome event: ${entry?.ErrorCode} ${entry?.ErrorMessage}`, { cause: entry });
  }

  if (state.review) {
    const store = new ApprovalStore(dynamo, env.TABLE_NAME);
    await store.recordOutcome(state.review.planId, state.run.executionArn, {
      outcome: state.outcome,
      reason: detail.reason,
      recordId: detail.recordId,
      idempotencyToken: detail.idempotencyToken,
      finishedAt: detail.finishedAt,
    });
  }
  // Last, and never failing the step: Slack being down must not hold up or repeat the notification.
  if (env.SLACK_WEBHOOK_SECRET_ID) {
    try {
      await postToSlack(await readSecret(env.SLACK_WEBHOOK_SECRET_ID), outcomeMessage(detail));
    } catch (error) {
      logger.warn('Slack outcome not posted', { error: (error as Error).message });
    }
  }
  logger.info('Run finished', { outcome: detail.outcome, planId: detail.planId, recordId: detail.recordId });
  return detail;
}
