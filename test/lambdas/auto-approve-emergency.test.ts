import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type AutoApproveEnv, autoApprove } from '../../lambdas/auto-approve/auto-approve';
import { review } from './fixtures';

/** An emergency change the rules auto-approve (issue 23): nobody is asked, so AutoApprove tells everyone instead. */
const ddb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const env: AutoApproveEnv = {
  TABLE_NAME: 'approvals',
  APPROVERS: [{ email: 'alice@example.com' }, { email: 'Bob@example.com' }],
  APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:approvals',
  EMERGENCY_NOTIFY: ['incidents@example.com', 'bob@example.com'],
};
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1';
const autoApproved = (emergency?: { reason: string; requestedBy: string }) => ({
  ...review(),
  policy: { autoApproved: true, requiredApprovals: 0, rule: 'LOW risk is auto-approved (plangate:autoApproveUpTo)' },
  ...(emergency ? { emergency } : {}),
});
const told = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);

beforeEach(() => {
  ddb.reset();
  sns.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

test('an auto-approved emergency change is announced once to every approver and the notify list, saying it executes now', async () => {
  const emergency = { reason: 'payments down', requestedBy: 'oncall@example.com' };
  await autoApprove({ executionArn, review: autoApproved(emergency) }, env);
  const publishes = told();
  expect(publishes.map((p) => p.MessageAttributes?.approver?.StringValue)).toEqual(['alice@example.com', 'bob@example.com', 'incidents@example.com']);
  for (const p of publishes) {
    expect(p.Subject).toContain('Emergency change under way');
    expect(p.Message).toContain('Reason: payments down');
    expect(p.Message).toContain('the rules auto-approved it (LOW risk is auto-approved (plangate:autoApproveUpTo)), so it executes now');
    expect(p.Message).not.toContain('personal links');
  }
});

test('an ordinary auto-approved plan tells nobody, and a duplicate run announces nothing', async () => {
  await autoApprove({ executionArn, review: autoApproved() }, env);
  expect(told()).toHaveLength(0);

  ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
  ddb.on(GetCommand).resolves({
    Item: {
      pk: 'PLAN#plan-abc',
      planId: 'plan-abc',
      status: 'APPROVED',
      executionArn: 'arn:first',
      requestedAt: '2026-11-22T09:00:00Z',
      expiresAt: 1_795_000_000,
      approvers: env.APPROVERS,
      review: review(),
    },
  });
  await expect(
    autoApprove({ executionArn, review: autoApproved({ reason: 'again', requestedBy: 'oncall@example.com' }) }, env),
  ).rejects.toMatchObject({
    name: 'DuplicateRunError',
  });
  expect(told()).toHaveLength(0);
});
