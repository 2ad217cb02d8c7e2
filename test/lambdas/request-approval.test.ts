import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type RequestApprovalEnv, requestApproval } from '../../lambdas/request-approval/request-approval';
import { review } from './fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const env: RequestApprovalEnv = {
  TABLE_NAME: 'approvals',
  APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:approvals',
  APPROVAL_BASE_URL: 'https://api.example/prod/',
  APPROVAL_TIMEOUT_SECONDS: 3600,
  APPROVERS: [{ email: 'alice@example.com', name: 'Alice' }, { email: 'bob@example.com' }],
  SLACK_WEBHOOK_SECRET_ID: undefined,
  SLACK_SIGNING_SECRET_ID: undefined,
};
const event = () => ({ taskToken: 'TOKEN-abc', executionArn: 'arn:aws:states:us-east-1:1:execution:sm:run-1', review: review() });

beforeEach(() => {
  ddb.reset();
  sns.reset();
  ddb.on(PutCommand).resolves({});
  ddb.on(GetCommand).resolves({}); // no approval yet for the plan
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

test('stores the pending approval with its task token, claimed for this run only', async () => {
  await requestApproval(event(), env);
  expect(ddb).toHaveReceivedNthCommandWith(1, GetCommand, { Key: { pk: 'PLAN#plan-abc' }, ConsistentRead: true });
  expect(ddb).toHaveReceivedNthCommandWith(2, PutCommand, {
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
    ConditionExpression: 'attribute_not_exists(pk) OR (executionArn = :executionArn AND #status = :status)',
    ExpressionAttributeValues: { ':executionArn': 'arn:aws:states:us-east-1:1:execution:sm:run-1', ':status': 'PENDING' },
  });
});

test('sends each approver a personal link; only a hash of the link is stored, never the token', async () => {
  await requestApproval(event(), env);
  const publishes = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
  expect(publishes.map((p) => p.MessageAttributes?.approver?.StringValue)).toEqual(['alice@example.com', 'bob@example.com']);
  const links = publishes.map((p) => /https:\/\/api\.example\/prod\/approvals\/([A-Za-z0-9_-]{43})/.exec(p.Message!)![1]!);
  expect(new Set(links).size).toBe(2);
  const linkItems = ddb
    .commandCalls(PutCommand)
    .slice(1)
    .map((c) => c.args[0].input.Item!);
  expect(linkItems.map((i) => i.pk)).toEqual(links.map((l) => `LINK#${createHash('sha256').update(l).digest('hex')}`));
  expect(linkItems.map((i) => i.approver.email)).toEqual(['alice@example.com', 'bob@example.com']);
  for (const p of publishes) {
    expect(p.Message).not.toContain('TOKEN-abc');
    expect(p.Subject).toBe('[PlanGate] Approval needed: orders-update (plan-abc)');
  }
  expect(publishes[0]!.Message).toContain('Hello Alice,');
  expect(publishes[0]!.Message).toContain('  - REMOVE OldTopic AWS::SNS::Topic [arn:old]');
});

test('the email names the account and region, and lists what each change changes, re-creating details marked', async () => {
  const withDetails = review();
  withDetails.summary!.changes[0] = {
    ...withDetails.summary!.changes[0]!,
    details: [
      { attribute: 'PROPERTIES', name: 'TopicName', requiresRecreation: 'ALWAYS', evaluation: 'STATIC' },
      { attribute: 'TAGS', evaluation: 'STATIC', causingEntity: 'CostCentre' },
    ],
    detailsUnlisted: 2,
  };
  await requestApproval({ ...event(), executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:sm:run-1', review: withDetails }, env);
  const message = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
  expect(message).toContain('Where: account 111122223333, region eu-west-1');
  expect(message).toContain(
    [
      '  - REMOVE OldTopic AWS::SNS::Topic [arn:old] - HIGH risk: removes AWS::SNS::Topic',
      '    ! property TopicName: requires recreation: ALWAYS, evaluation: STATIC, caused by: a direct template edit',
      '      tags: evaluation: STATIC, caused by: CostCentre',
      '      +2 more',
      '  - ADD Queue AWS::SQS::Queue',
    ].join('\n'),
  );
});

test('ends a second run for the same plan as a duplicate, naming the run that owns it, and sends nothing', async () => {
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
  await expect(requestApproval(event(), env)).rejects.toMatchObject({
    name: 'DuplicateRunError',
    message: 'Plan plan-abc already has an approval (APPROVED) opened by run arn:first at 2026-11-22T09:00:00Z',
  });
  expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
});

test('refuses an event without a task token or a reviewed plan', async () => {
  await expect(requestApproval({ ...event(), taskToken: '' }, env)).rejects.toMatchObject({
    name: 'InvalidInputError',
    message: expect.stringContaining('taskToken'),
  });
  await expect(requestApproval({ ...event(), review: { planId: 'x' } }, env)).rejects.toMatchObject({
    name: 'InvalidInputError',
    message: expect.stringContaining('review'),
  });
  expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
});

test('Slack being unreachable never stops the request: every email still goes out', async () => {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'http://127.0.0.1:1/nothing-listens-here' });
  try {
    await expect(requestApproval(event(), { ...env, SLACK_WEBHOOK_SECRET_ID: 'plangate/slack-webhook-url' })).resolves.toBeUndefined();
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'plangate/slack-webhook-url' });
  } finally {
    secrets.restore();
  }
});

test('records the approver who asked for the run (found by the review), so they cannot approve it', async () => {
  const base = review();
  await requestApproval(
    { ...event(), review: { ...base, requestedBy: 'BOB@example.com', policy: { ...base.policy!, selfApprover: 'bob@example.com' } } },
    env,
  );
  expect(ddb).toHaveReceivedNthCommandWith(2, PutCommand, {
    Item: expect.objectContaining({ selfApprover: 'bob@example.com', requiredApprovals: 2 }),
  });
});

describe('the reminder (the second approval task)', () => {
  const APPROVERS = [
    { email: 'alice@example.com', name: 'Alice' },
    { email: 'bob@example.com', name: 'Bob' },
    { email: 'carol@example.com', name: 'Carol' },
  ];
  const record = (over: Record<string, unknown> = {}) => ({
    pk: 'PLAN#plan-abc',
    planId: 'plan-abc',
    executionArn: 'arn:aws:states:us-east-1:1:execution:sm:run-1',
    status: 'PENDING',
    requestedAt: '2026-11-22T10:00:00.000Z',
    expiresAt: 1_795_000_000,
    approvers: APPROVERS,
    review: review(),
    requiredApprovals: 2,
    selfApprover: 'carol@example.com',
    approvals: [{ approver: APPROVERS[0], channel: 'slack', decidedAt: '2026-11-22T10:05:00.000Z' }],
    approverEmails: ['alice@example.com'],
    ...over,
  });
  const remind = () => requestApproval({ ...event(), taskToken: 'TOKEN-second', reminder: true }, { ...env, APPROVERS });

  test('hands the approval the new task token, then reminds only those who have not approved (never the requester)', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: record() });
    await remind();
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'PLAN#plan-abc' },
      UpdateExpression: 'SET taskToken = :taskToken, remindedAt = :remindedAt',
      ConditionExpression: 'executionArn = :executionArn AND #status <> :expired AND attribute_not_exists(outcome)',
      ExpressionAttributeValues: expect.objectContaining({
        ':taskToken': 'TOKEN-second',
        ':executionArn': 'arn:aws:states:us-east-1:1:execution:sm:run-1',
      }),
    });
    const publishes = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publishes.map((p) => p.MessageAttributes?.approver?.StringValue)).toEqual(['bob@example.com']);
    expect(publishes[0]!.Subject).toBe('[PlanGate] Reminder: approval needed: orders-update (plan-abc)');
    expect(publishes[0]!.Message).toContain('Reminder: Still waiting: 1 of 2 approvals, by Alice. Not yet approved by Bob.');
    expect(publishes[0]!.Message).toContain(`The request expires at ${new Date(1_795_000_000_000).toISOString()}`);
    expect(publishes[0]!.Message).toMatch(/\/approvals\/[A-Za-z0-9_-]{43}/);
    expect(publishes[0]!.Message).not.toContain('TOKEN-second');
  });

  test('sends nothing while a decision is on its way (the approval API hands it to the new task)', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: record({ status: 'APPROVED' }) });
    await remind();
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  test('a request PlanCreated closed as the first wait timed out (Carol requested, Alice created it: only Bob is left of two): this wait ends DENIED, asking nobody', async () => {
    const creator = {
      arn: 'arn:aws:sts::1:assumed-role/Dev/alice',
      approverEmail: 'alice@example.com',
      verifiedBy: 'cloudtrail',
      eventId: 'e',
      eventTime: 't',
    };
    ddb.on(UpdateCommand).resolves({ Attributes: record({ status: 'CLOSED', creator, approvals: [], approverEmails: [] }) });
    await expect(remind()).rejects.toMatchObject({
      name: 'PlanDeniedError',
      message:
        "Plan orders-update (plan-abc) cannot be approved any more: plangate:requiredApprovals needs 2 approvals from the approvers, but only 1 of them other than the requester and the plan's creator (carol@example.com, alice@example.com) may approve",
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  test('fails, naming the plan and run, when the run does not own an open approval', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(remind()).rejects.toThrow('Plan plan-abc has no open approval owned by run arn:aws:states:us-east-1:1:execution:sm:run-1');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });
});
