import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import { ApprovalStore } from '../../lambdas/shared/adapters/approval-store';
import { BreakGlassStore } from '../../lambdas/shared/adapters/break-glass-store';
import type { HumanDecision } from '../../lambdas/shared/contracts/steps';
import { openedReview } from '../../lambdas/shared/domain/break-glass';
import { tableActive } from '../../local/template';
import { review } from './fixtures';

/**
 * Break-glass's writes against dynalite (DynamoDB's conditions for real): two uses at once never both pass the rate
 * limit, a break-glass and an ordinary decision never both decide, and WatchRuns counts the reviews left open too long.
 */
const db = dynalite({ createTableMs: 0 });
const sfn = mockClient(SFNClient);
let documents: DynamoDBDocumentClient;
let table = 0;
let TableName: string;
const RUN = 'arn:aws:states:us-east-1:000000000000:execution:sm:run-1';
const alice = { email: 'alice@example.com' };

beforeAll(async () => {
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
});
afterAll(async () => {
  documents.destroy();
  (await import('../../lambdas/shared/adapters/clients/dynamodb')).dynamo.destroy();
  db.closeAllConnections?.();
  await new Promise((resolve) => db.close(resolve));
});
beforeEach(async () => {
  TableName = `approvals-${++table}`;
  await documents.send(
    new CreateTableCommand({
      TableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await tableActive(documents, TableName);
});

const pending = (planId: string) => ({
  pk: `PLAN#${planId}`,
  planId,
  executionArn: RUN,
  status: 'PENDING',
  taskToken: 'token-1',
  requestedAt: new Date().toISOString(),
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
  approvers: [alice, { email: 'bob@example.com' }],
  review: review(),
});

const decision = (email: string, breakGlass?: HumanDecision['breakGlass']): HumanDecision => ({
  decision: 'APPROVED',
  approver: { email },
  channel: 'cli',
  requestedAt: new Date().toISOString(),
  decidedAt: new Date().toISOString(),
  ...(breakGlass ? { breakGlass } : {}),
});

test('of ten uses at once by one person, with one a day, exactly one passes', async () => {
  const store = new BreakGlassStore(documents, TableName);
  const now = new Date();
  const uses = await Promise.all(Array.from({ length: 10 }, () => store.takeUse('Alice@example.com', now, 1)));
  expect(uses.filter((u) => u.taken)).toHaveLength(1);
  expect(await store.takeUse('alice@example.com', new Date(now.getTime() + 1000), 1)).toEqual({
    taken: false,
    nextAt: new Date(now.getTime() + 86_400_000),
  });
  // Given back (its approval did not happen), the use is free again.
  await store.giveBack('alice@example.com', now);
  expect(await store.takeUse('alice@example.com', new Date(now.getTime() + 2000), 1)).toEqual({ taken: true });
});

test('a break-glass and an ordinary decision at once: exactly one gets the task token', async () => {
  await documents.send(new PutCommand({ TableName, Item: pending('plan-race') }));
  const approvals = new ApprovalStore(documents, TableName);
  const now = new Date();
  const seconds = Math.floor(now.getTime() / 1000);
  const use = { reason: 'down', validUntil: new Date(now.getTime() + 900_000).toISOString() };
  const tokens = await Promise.all([
    approvals.decide('plan-race', RUN, decision('alice@example.com', use), seconds, { breakGlassReview: openedReview(alice, now, 72) }),
    approvals.decide('plan-race', RUN, decision('bob@example.com'), seconds),
    approvals.decide('plan-race', RUN, decision('alice@example.com', use), seconds, { breakGlassReview: openedReview(alice, now, 72) }),
  ]);
  expect(tokens.filter(Boolean)).toEqual(['token-1']);
});

test('WatchRuns counts the reviews still open past their due time, and only those', async () => {
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(DescribeExecutionCommand).resolves({});
  const store = new BreakGlassStore(documents, TableName);
  const long = new Date(Date.now() - 100 * 3_600_000);
  const use = { reason: 'down', validUntil: long.toISOString() };
  const decided = (planId: string, reviewed: boolean) => ({
    ...pending(planId),
    status: 'APPROVED',
    decision: decision('alice@example.com', use),
    breakGlassReview: { ...openedReview(alice, long, 72), ...(reviewed ? { status: 'CLOSED' } : {}) },
  });
  for (const [planId, reviewed] of [
    ['plan-overdue', false],
    ['plan-reviewed', true],
  ] as const) {
    await documents.send(new PutCommand({ TableName, Item: decided(planId, reviewed) }));
    await store.indexReview({ planRef: planId, executionArn: RUN, dueAt: openedReview(alice, long, 72).dueAt });
  }
  // Due later: not overdue yet.
  await documents.send(
    new PutCommand({ TableName, Item: { ...decided('plan-recent', false), breakGlassReview: openedReview(alice, new Date(), 72) } }),
  );
  await store.indexReview({ planRef: 'plan-recent', executionArn: RUN, dueAt: openedReview(alice, new Date(), 72).dueAt });
  const { watchRuns } = await import('../../lambdas/watch-runs/watch-runs');
  const env = { STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:sm', TABLE_NAME: TableName, APPROVAL_ALARM_PERCENT: 75 };
  await expect(watchRuns({}, { ...env, BREAK_GLASS: { requesters: ['arn:aws:sts::*:assumed-role/Oncall/*'] } })).resolves.toMatchObject({
    breakGlassReviewsOverdue: 1,
  });
  // Without break-glass configured, nothing is counted (nor emitted).
  expect((await watchRuns({}, env)).breakGlassReviewsOverdue).toBeUndefined();
});
