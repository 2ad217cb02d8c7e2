import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { requestApproval } from '../../lambdas/request-approval/handler';
import { review } from './fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const event = () => ({ taskToken: 'TOKEN-abc', executionArn: 'arn:aws:states:us-east-1:1:execution:sm:run-1', review: review() });

beforeEach(() => {
  ddb.reset();
  sns.reset();
  ddb.on(PutCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  Object.assign(process.env, {
    TABLE_NAME: 'approvals',
    APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:approvals',
    APPROVAL_BASE_URL: 'https://api.example/prod/',
    APPROVAL_TIMEOUT_SECONDS: '3600',
    REQUIRED_APPROVALS: JSON.stringify({ LOW: 1, MEDIUM: 1, HIGH: 2 }),
    APPROVERS: JSON.stringify([{ email: 'alice@example.com', name: 'Alice' }, { email: 'bob@example.com' }]),
  });
});

test('stores the pending approval with its task token, claimed for this run only', async () => {
  await requestApproval(event());
  expect(ddb).toHaveReceivedNthCommandWith(1, PutCommand, {
    TableName: 'approvals',
    Item: expect.objectContaining({
      pk: 'PLAN#plan-abc',
      status: 'PENDING',
      taskToken: 'TOKEN-abc',
      executionArn: 'arn:aws:states:us-east-1:1:execution:sm:run-1',
      requestedBy: 'dev@example.com',
      approvers: [{ email: 'alice@example.com', name: 'Alice' }, { email: 'bob@example.com' }],
      requiredApprovals: 2, // the fixture's plan is HIGH risk
      expiresAt: expect.any(Number),
    }),
    ConditionExpression: 'attribute_not_exists(pk) OR (executionArn = :executionArn AND #status = :pending)',
  });
});

test('sends each approver a personal link; only a hash of the link is stored, never the token', async () => {
  await requestApproval(event());
  const publishes = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
  expect(publishes.map((p) => p.MessageAttributes?.approver?.StringValue)).toEqual(['alice@example.com', 'bob@example.com']);
  const links = publishes.map((p) => /https:\/\/api\.example\/prod\/approvals\/([A-Za-z0-9_-]{43})/.exec(p.Message!)![1]!);
  expect(new Set(links).size).toBe(2);
  const linkItems = ddb.commandCalls(PutCommand).slice(1).map((c) => c.args[0].input.Item!);
  expect(linkItems.map((i) => i.pk)).toEqual(links.map((l) => `LINK#${createHash('sha256').update(l).digest('hex')}`));
  expect(linkItems.map((i) => i.approver.email)).toEqual(['alice@example.com', 'bob@example.com']);
  for (const p of publishes) {
    expect(p.Message).not.toContain('TOKEN-abc');
    expect(p.Subject).toBe('[PlanGate] Approval needed: orders-update (plan-abc)');
  }
  expect(publishes[0]!.Message).toContain('Hello Alice,');
  expect(publishes[0]!.Message).toContain('  - REMOVE OldTopic AWS::SNS::Topic [arn:old]');
});

test('ends a second run for the same plan as a duplicate, naming the run that owns it, and sends nothing', async () => {
  ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
  ddb.on(GetCommand).resolves({ Item: { status: 'APPROVED', executionArn: 'arn:first', requestedAt: '2026-11-22T09:00:00Z' } });
  await expect(requestApproval(event())).rejects.toMatchObject({
    name: 'DuplicateRunError',
    message: 'Plan plan-abc already has an approval (APPROVED) opened by run arn:first at 2026-11-22T09:00:00Z',
  });
  expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
});

test('refuses an event without a task token or a reviewed plan', async () => {
  await expect(requestApproval({ ...event(), taskToken: '' })).rejects.toMatchObject({ name: 'InvalidInputError', message: expect.stringContaining('taskToken') });
  await expect(requestApproval({ ...event(), review: { planId: 'x' } })).rejects.toMatchObject({ name: 'InvalidInputError', message: expect.stringContaining('review') });
  expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
});

test('Slack being unreachable never stops the request: every email still goes out', async () => {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'http://127.0.0.1:1/nothing-listens-here' });
  process.env.SLACK_WEBHOOK_SECRET_ID = 'plangate/slack-webhook-url';
  try {
    await expect(requestApproval(event())).resolves.toBeUndefined();
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'plangate/slack-webhook-url' });
  } finally {
    delete process.env.SLACK_WEBHOOK_SECRET_ID;
    secrets.restore();
  }
});

test('records which approver asked for the run, so they cannot approve it', async () => {
  await requestApproval({ ...event(), review: { ...review(), requestedBy: 'BOB@example.com' } });
  expect(ddb).toHaveReceivedNthCommandWith(1, PutCommand, { Item: expect.objectContaining({ selfApprover: 'bob@example.com' }) });
});
