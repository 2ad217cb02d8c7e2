import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import type { RunState } from '../../lambdas/shared/contracts/steps';
import { tableActive } from '../../local/template';
import { review } from './fixtures';

/**
 * Two closers of one run racing, against dynalite (DynamoDB's conditions for real): each channel of the outcome goes
 * out once. SNS, EventBridge, Step Functions and Secrets Manager are mocked at the SDK level; Slack is a local server.
 */
const db = dynalite({ createTableMs: 0 });
const slack: Server = createServer((req, res) => {
  slackPosts++;
  req.resume().on('end', () => res.end('ok'));
});
let slackPosts = 0;
let documents: DynamoDBDocumentClient;
let closers: {
  closeRun: typeof import('../../lambdas/shared/services/close-run').closeRun;
  closeRunFunction: typeof import('../../lambdas/close-run/close-run').closeRunFunction;
  release: typeof import('../../lambdas/close-run/release-request').release;
  notify: typeof import('../../lambdas/notify/notify').notify;
};
let table = 0;
let env: import('../../lambdas/shared/services/close-run').CloseRunEnv;

const sns = mockClient(SNSClient);
const eb = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
const RUN = 'arn:aws:states:us-east-1:000000000000:execution:sm:run-1';
// Each send takes a moment, as it does in AWS: long enough for the other closer to read the record meanwhile.
const slowly = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 40));

beforeAll(async () => {
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  closers = {
    closeRun: (await import('../../lambdas/shared/services/close-run')).closeRun,
    closeRunFunction: (await import('../../lambdas/close-run/close-run')).closeRunFunction,
    release: (await import('../../lambdas/close-run/release-request')).release,
    notify: (await import('../../lambdas/notify/notify')).notify,
  };
});
afterAll(async () => {
  documents.destroy();
  (await import('../../lambdas/shared/adapters/clients/dynamodb')).dynamo.destroy();
  db.closeAllConnections?.();
  slack.closeAllConnections();
  await new Promise((resolve) => db.close(resolve));
  await new Promise((resolve) => slack.close(resolve));
});

beforeEach(async () => {
  const TableName = `approvals-${++table}`;
  await documents.send(
    new CreateTableCommand({
      TableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await tableActive(documents, TableName);
  env = {
    TABLE_NAME: TableName,
    OUTCOME_TOPIC_ARN: 'arn:aws:sns:us-east-1:0:outcomes',
    APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:0:approvals',
    EVENT_BUS_NAME: 'default',
    EVENT_SOURCE: 'plangate',
    SLACK_WEBHOOK_SECRET_ID: 'plangate/slack',
  };
  for (const m of [sns, eb, sfn, secrets]) m.reset();
  sns.on(PublishCommand).callsFake(() => slowly({ MessageId: 'm' }));
  eb.on(PutEventsCommand).callsFake(() => slowly({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] }));
  secrets.on(GetSecretValueCommand).resolves({ SecretString: `http://127.0.0.1:${(slack.address() as AddressInfo).port}/hook` });
  slackPosts = 0;
});

const approvers = [{ email: 'alice@example.com', name: 'Alice' }];
const pending = (over: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  pk: 'PLAN#plan-abc',
  planId: 'plan-abc',
  executionArn: RUN,
  status: 'PENDING',
  taskToken: 'SECRET-TOKEN',
  requestedAt: '2026-11-22T10:00:00.000Z',
  expiresAt: 1_795_000_000,
  approvers,
  review: review(),
  requiredApprovals: 1,
  approvals: [],
  approverEmails: [],
  ...over,
});
const store = (record: ApprovalRecord) => documents.send(new PutCommand({ TableName: env.TABLE_NAME, Item: record }));
const read = async () =>
  (await documents.send(new GetCommand({ TableName: env.TABLE_NAME, Key: { pk: 'PLAN#plan-abc' }, ConsistentRead: true }))).Item as ApprovalRecord;
const outcomeEmails = () => sns.commandCalls(PublishCommand).filter((c) => c.args[0].input.TopicArn === env.OUTCOME_TOPIC_ARN);
const stopped = {
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn: RUN,
    status: 'ABORTED',
    startDate: Date.parse('2026-11-22T09:59:00Z'),
    input: JSON.stringify({ planId: 'plan-abc' }),
    error: 'Operator.Stop',
  },
};
const state = (over: Partial<RunState> = {}): RunState => ({
  input: { planId: 'plan-abc' },
  run: { executionArn: RUN, startedAt: '2026-11-22T09:59:00.000Z', planChecks: 0 },
  outcome: 'EXPIRED',
  review: review(),
  ...over,
});
const sentOnce = async () => {
  expect(outcomeEmails()).toHaveLength(1);
  expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  expect(slackPosts).toBe(1);
  expect(await read()).toMatchObject({
    notifiedEmailAt: expect.any(String),
    notifiedEventAt: expect.any(String),
    notifiedSlackAt: expect.any(String),
  });
};

test('a release right after a stop: the run is closed once and its outcome sent once on each channel', async () => {
  await store(pending());
  sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', startDate: new Date('2026-11-22T09:59:00Z') });
  await Promise.all([closers.closeRunFunction(stopped, env), closers.release({ planId: 'plan-abc', by: 'arn:aws:iam::0:user/ops' }, env)]);
  await sentOnce();
  expect(outcomeEmails()[0]?.args[0].input.Subject).toMatch(/^\[PlanGate\] (ABORTED|RELEASED): /);
});

test('a stop during Notify: Notify and CloseRun both close the run, the outcome goes out once on each channel', async () => {
  await store(pending());
  await Promise.all([closers.notify(state(), env), closers.closeRunFunction(stopped, env)]);
  await sentOnce();
});

test('a closer that crashed after claiming a channel sends it on its retry; another closer leaves it to that retry until its lease runs out', async () => {
  // Notify claimed the email, then its Lambda died before sending: the claim is on the record, the email unsent.
  await store(pending({ notifyEmailClaim: { by: 'Notify', at: new Date().toISOString() } }));
  await closers.closeRunFunction(stopped, env);
  expect(outcomeEmails()).toHaveLength(0);
  await closers.closeRun({ state: state(), planId: 'plan-abc', closer: 'Notify' }, env);
  expect(outcomeEmails()).toHaveLength(1);
  expect((await read()).notifyEmailClaim).toBeUndefined();

  // A claim whose closer never came back is taken over once its lease (Lambda's longest run) has run out.
  await store(pending({ notifyEmailClaim: { by: 'Notify', at: new Date(Date.now() - 16 * 60_000).toISOString() } }));
  sns.resetHistory();
  await closers.closeRunFunction(stopped, env);
  expect(outcomeEmails()).toHaveLength(1);
});
