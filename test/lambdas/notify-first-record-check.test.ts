import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { notify } from '../../lambdas/notify/notify';
import { review } from './fixtures';

const sns = mockClient(SNSClient);
const eb = mockClient(EventBridgeClient);
const ddb = mockClient(DynamoDBDocumentClient);
const env = {
  OUTCOME_TOPIC_ARN: 'arn:outcomes',
  APPROVAL_TOPIC_ARN: 'arn:approvals',
  EVENT_BUS_NAME: 'default',
  EVENT_SOURCE: 'plangate',
  TABLE_NAME: 'approvals',
  SLACK_WEBHOOK_SECRET_ID: undefined,
};

beforeEach(() => {
  for (const m of [sns, eb, ddb]) m.reset();
  sns.on(PublishCommand).resolves({});
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  ddb.on(UpdateCommand).resolves({});
  ddb.on(GetCommand).resolves({});
});

test('a run whose first record check failed is reported by that error, with the record it executed', async () => {
  // The state as the workflow hands it over: `$.record` still holds the counters polling started with.
  const detail = await notify(
    {
      input: { planId: 'plan-abc' },
      run: { executionArn: 'arn:run-1', startedAt: '2026-11-22T10:00:00.000Z', planChecks: 0 },
      outcome: 'INTERNAL_ERROR',
      review: review(),
      execution: { recordId: 'rec-1', idempotencyToken: 'tok', recordStatus: 'CREATED', executedAt: '2026-11-22T10:12:06.000Z' },
      record: { checks: 0, safetyNetWaits: 0, quickChecks: 0, seenEventAt: '', wake: {} },
      error: {
        Error: 'AccessDeniedException',
        Cause: JSON.stringify({ errorType: 'AccessDeniedException', errorMessage: 'Not allowed to describe records' }),
      },
    },
    env,
  );
  expect(detail).toMatchObject({ outcome: 'INTERNAL_ERROR', reason: 'Not allowed to describe records', recordId: 'rec-1', recordStatus: 'CREATED' });
  expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message).toContain('Not allowed to describe records');
});
