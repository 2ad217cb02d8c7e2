import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { ApprovalStore } from '../shared/approval-store';
import { dynamo, eventBridge, sns } from '../shared/clients';
import { OUTCOMES, type RunState } from '../shared/run';
import { lambdaHandler, logger, parseInput, requireEnv } from '../shared/runtime';
import { getSecret } from '../shared/secrets';
import { outcomeMessage, postToSlack } from '../shared/slack';
import { describeOutcome, type OutcomeDetail } from './outcome';

export const OUTCOME_DETAIL_TYPE = 'PlanGate Run Finished';

const eventSchema = z.looseObject({
  outcome: z.enum(OUTCOMES),
  run: z.object({ executionArn: z.string().min(1), startedAt: z.string(), planChecks: z.number() }),
});

/**
 * Tells everyone how a run ended: an email to the outcome topic, an event on EventBridge for
 * integrations, and the outcome written onto the run's approval record for the audit trail.
 */
export async function notify(event: unknown): Promise<OutcomeDetail> {
  const state = parseInput(eventSchema, event) as unknown as RunState;
  const report = describeOutcome(state, new Date());
  const { detail } = report;

  await sns.send(new PublishCommand({ TopicArn: requireEnv('OUTCOME_TOPIC_ARN'), Subject: report.subject, Message: report.body }));
  const put = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: requireEnv('EVENT_BUS_NAME'),
          Source: requireEnv('EVENT_SOURCE'),
          DetailType: OUTCOME_DETAIL_TYPE,
          Detail: JSON.stringify(detail),
          Resources: [state.run.executionArn],
        },
      ],
    }),
  );
  // PutEvents reports per-entry failures in a 200 response; a lost event must fail the step so it is retried.
  if (put.FailedEntryCount) {
    throw new Error(`EventBridge rejected the outcome event: ${put.Entries?.[0]?.ErrorCode} ${put.Entries?.[0]?.ErrorMessage}`);
  }

  if (state.review) {
    const store = new ApprovalStore(dynamo, requireEnv('TABLE_NAME'));
    await store.recordOutcome(state.review.planId, state.run.executionArn, {
      outcome: state.outcome,
      reason: detail.reason,
      recordId: detail.recordId,
      idempotencyToken: detail.idempotencyToken,
      finishedAt: detail.finishedAt,
    });
  }
  // Last, and never failing the step: Slack being down must not hold up or repeat the notification.
  const webhookSecretId = process.env.SLACK_WEBHOOK_SECRET_ID;
  if (webhookSecretId) {
    try {
      await postToSlack(await getSecret(webhookSecretId), outcomeMessage(detail));
    } catch (error) {
      logger.warn('Slack outcome not posted', { error: (error as Error).message });
    }
  }
  logger.info('Run finished', { outcome: detail.outcome, planId: detail.planId, recordId: detail.recordId });
  return detail;
}

export const handler = lambdaHandler(notify);
