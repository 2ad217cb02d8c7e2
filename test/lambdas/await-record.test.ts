import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import { tableActive } from '../../local/template';
import { spyOnSingleMetrics } from '../support/metrics';

/**
 * AwaitRecord's two sides of one race, against dynalite: the run's waiting task and the stack event. Whichever comes
 * second completes the task; an event for a product no run expects is ignored; a run that moved on is left alone.
 */
const db = dynalite({ createTableMs: 0 });
const sfn = mockClient(SFNClient);
let documents: DynamoDBDocumentClient;
let awaitRecord: typeof import('../../lambdas/await-record/await-record').awaitRecord;
let env: import('../../lambdas/await-record/await-record').AwaitRecordEnv;
let table = 0;

const RUN = 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1';
const STACK = (pp: string) => `arn:aws:cloudformation:us-east-1:111122223333:stack/SC-111122223333-${pp}/6a1b2c3d-0000-4000-8000-000000000000`;
const stackEvent = (pp: string, status = 'UPDATE_COMPLETE') => ({
  version: '0',
  source: 'aws.cloudformation',
  'detail-type': 'CloudFormation Stack Status Change',
  account: '111122223333',
  region: 'us-east-1',
  detail: { 'stack-id': STACK(pp), 'status-details': { status, 'status-reason': '' } },
});
const wait = (token: string, over: Record<string, unknown> = {}) => ({
  taskToken: token,
  executionArn: RUN,
  provisionedProductId: 'pp-orders',
  seenEventAt: '',
  ...over,
});
const item = async (pp = 'pp-orders') => (await documents.send(new GetCommand({ TableName: env.TABLE_NAME, Key: { pk: `RECORD#${pp}` } }))).Item;
const completed = () =>
  sfn.commandCalls(SendTaskSuccessCommand).map((c) => ({ token: c.args[0].input.taskToken, output: JSON.parse(c.args[0].input.output!) }));

beforeAll(async () => {
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(db.address() as AddressInfo).port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
  });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  ({ awaitRecord } = await import('../../lambdas/await-record/await-record'));
});
afterAll(async () => {
  documents.destroy();
  (await import('../../lambdas/shared/adapters/clients/dynamodb')).dynamo.destroy();
  await new Promise((resolve) => db.close(resolve));
});
beforeEach(async () => {
  env = { TABLE_NAME: `waits-${++table}` };
  await documents.send(
    new CreateTableCommand({
      TableName: env.TABLE_NAME,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await tableActive(documents, env.TABLE_NAME);

  const { RecordWaits } = await import('../../lambdas/shared/adapters/record-waits');
  const { dynamo } = await import('../../lambdas/shared/adapters/clients/dynamodb');
  await new RecordWaits(dynamo, env.TABLE_NAME).expect('pp-orders', RUN); // what ExecutePlan does before executing
  sfn.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
});

test('a wait with no event yet keeps its token for the event', async () => {
  expect(await awaitRecord(wait('TOKEN-1'), env)).toEqual({ waiting: true });
  expect(await item()).toMatchObject({ taskToken: 'TOKEN-1', executionArn: RUN });
  expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
});

test('an event after the wait wakes the run with the stack’s status, and the token is used up', async () => {
  await awaitRecord(wait('TOKEN-1'), env);
  expect(await awaitRecord(stackEvent('pp-orders'), env)).toEqual({ woke: true });
  expect(completed()).toEqual([{ token: 'TOKEN-1', output: { stackStatus: 'UPDATE_COMPLETE', stackEventAt: expect.any(String) } }]);
  expect((await item())?.taskToken).toBeUndefined();
});

test('an event before the wait still counts: the wait completes itself at once', async () => {
  expect(await awaitRecord(stackEvent('pp-orders', 'UPDATE_ROLLBACK_COMPLETE'), env)).toEqual({ woke: false });
  expect(await awaitRecord(wait('TOKEN-2'), env)).toEqual({ waiting: false });
  expect(completed()).toEqual([{ token: 'TOKEN-2', output: { stackStatus: 'UPDATE_ROLLBACK_COMPLETE', stackEventAt: expect.any(String) } }]);
  expect((await item())?.taskToken).toBeUndefined();
});

test('an event the run has acted on does not wake it again; one a previous run of the product saw is forgotten', async () => {
  await awaitRecord(stackEvent('pp-orders'), env);
  const { stackEventAt } = (await item()) as { stackEventAt: string };
  expect(await awaitRecord(wait('TOKEN-3', { seenEventAt: stackEventAt }), env)).toEqual({ waiting: true });
  const { RecordWaits } = await import('../../lambdas/shared/adapters/record-waits');
  const { dynamo } = await import('../../lambdas/shared/adapters/clients/dynamodb');
  const waits = new RecordWaits(dynamo, env.TABLE_NAME);
  await waits.expect('pp-orders', RUN); // the same run's ExecutePlan, retried: the event is kept
  expect(await item()).toMatchObject({ stackEventAt });
  await waits.expect('pp-orders', `${RUN}-next`); // the product's next run
  expect(await item()).toEqual({ pk: 'RECORD#pp-orders', executionArn: `${RUN}-next` });
  expect(await awaitRecord(wait('TOKEN-4', { executionArn: `${RUN}-next` }), env)).toEqual({ waiting: true });
  expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
});

test('waking a run that has moved on is harmless', async () => {
  await awaitRecord(wait('TOKEN-OLD'), env);
  sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
  expect(await awaitRecord(stackEvent('pp-orders'), env)).toEqual({ woke: true });
  expect((await item())?.taskToken).toBeUndefined();
});

test('an event for a product no run expects, or for a stack Service Catalog does not run, is ignored', async () => {
  expect(await awaitRecord(stackEvent('pp-unknown'), env)).toEqual({ ignored: 'no run expects this provisioned product' });
  expect(await item('pp-unknown')).toBeUndefined();
  const other = {
    ...stackEvent('x'),
    detail: { 'stack-id': 'arn:aws:cloudformation:us-east-1:111122223333:stack/my-app/1', 'status-details': { status: 'UPDATE_COMPLETE' } },
  };
  expect(await awaitRecord(other, env)).toEqual({ ignored: 'not a Service Catalog stack' });
  expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
});

test('anything else is refused, naming the problem', async () => {
  await expect(awaitRecord({ taskToken: 'T', executionArn: RUN, provisionedProductId: 'pp x' }, env)).rejects.toMatchObject({
    name: 'InvalidInputError',
  });
});

describe('with spokes', () => {
  const DEV = '444455556666';
  const PROD = '777788889999';
  const SPOKES = {
    hubAccountId: '111122223333',
    organizationId: 'o-abcdefghij',
    accounts: [
      { accountId: DEV, regions: ['eu-west-1'] },
      { accountId: PROD, regions: ['eu-west-1'] },
    ],
  };
  const spokeStack = (account: string, region: string, pp: string, arnAccount = account, arnRegion = region) => ({
    ...stackEvent(pp),
    account,
    region,
    detail: {
      'stack-id': `arn:aws:cloudformation:${arnRegion}:${arnAccount}:stack/SC-${arnAccount}-${pp}/6a1b2c3d-0000-4000-8000-000000000000`,
      'status-details': { status: 'UPDATE_COMPLETE' },
    },
  });
  let dropped: string[];
  beforeEach(async () => {
    env = { ...env, SPOKES, AWS_REGION: 'us-east-1' };
    // A run in DEV waits for its product pp-orders; the hub's run (beforeEach) expects the hub's pp-orders.
    const { RecordWaits } = await import('../../lambdas/shared/adapters/record-waits');
    const { dynamo } = await import('../../lambdas/shared/adapters/clients/dynamodb');
    await new RecordWaits(dynamo, env.TABLE_NAME).expect(`${DEV}:eu-west-1:pp-orders`, RUN_DEV);
    await awaitRecord(wait('TOKEN-DEV', { executionArn: RUN_DEV, accountId: DEV, region: 'eu-west-1' }), env);
    const { metrics } = await import('../../lambdas/shared/runtime/metrics');
    dropped = spyOnSingleMetrics(metrics);
  });
  afterEach(() => jest.restoreAllMocks());
  const RUN_DEV = 'arn:aws:states:us-east-1:111122223333:execution:sm:run-dev';

  test('a stack event from another spoke, for a product of the same id, does not wake the run', async () => {
    expect(await awaitRecord(spokeStack(PROD, 'eu-west-1', 'pp-orders'), env)).toEqual({ ignored: 'no run expects this provisioned product' });
    expect(await item(`${DEV}:eu-west-1:pp-orders`)).toMatchObject({ taskToken: 'TOKEN-DEV' });
    expect((await item())?.stackStatus).toBeUndefined(); // nor the hub's run of that product
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);

    expect(await awaitRecord(spokeStack(DEV, 'eu-west-1', 'pp-orders'), env)).toEqual({ woke: true });
    expect(completed()).toEqual([{ token: 'TOKEN-DEV', output: { stackStatus: 'UPDATE_COMPLETE', stackEventAt: expect.any(String) } }]);
  });

  test.each([
    ['whose stack ARN names another account', spokeStack(PROD, 'eu-west-1', 'pp-orders', DEV), 'StackArnMismatch'],
    ['whose stack ARN names another Region', spokeStack(DEV, 'eu-west-1', 'pp-orders', DEV, 'us-east-1'), 'StackArnMismatch'],
    ['from an account outside the allow-list', spokeStack('999999999999', 'eu-west-1', 'pp-orders'), 'NotAllowed'],
  ])('a stack event %s is dropped and counted, and wakes nothing', async (_, event, reason) => {
    expect(await awaitRecord(event, env)).toEqual({ ignored: reason });
    expect(dropped).toEqual([`DroppedEvents:${reason}`]);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
    expect(await item(`${DEV}:eu-west-1:pp-orders`)).toMatchObject({ taskToken: 'TOKEN-DEV' });
  });
});
