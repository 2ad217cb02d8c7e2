import { randomUUID } from 'node:crypto';
import * as sfn from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SPOKES_CONTEXT } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, registerPlan, runEnded, startRun, startWithClients, until } from '../support/local-mode';

/**
 * One PlanGate for several accounts (issue 21), through local mode with two spokes configured: plans are created in
 * member accounts and Regions, CloudTrail's events reach the hub's bus through the spoke's forwarding rule, and
 * every Service Catalog call for a spoke plan goes through the role PlanGate assumes there (seen in /local/calls).
 */
const PAYMENTS = '111111111111'; // eu-west-1
const ORDERS = '222222222222'; // eu-west-1 and us-east-1
const STRANGER = '333333333333';

let local: LocalMode;
let client: sfn.SFNClient;
let documents: DynamoDBDocumentClient;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ local, client, documents, close } = await startWithClients({ pollWaitMs: 50, context: SPOKES_CONTEXT }));
}, LOCAL_MODE_START_MS);
afterAll(() => close?.());

const register = (planId: string, account: string, region: string) => registerPlan(local, ordersServicePlan(planId), { account, region });
/** CloudTrail's record of a plan's creation, as the service puts it on that account's default bus. */
const cloudTrail = (planId: string, account: string, region: string, recipientAccountId = account) =>
  fetch(`${local.baseUrl}/local/aws-events`, {
    method: 'POST',
    body: JSON.stringify({
      account,
      region,
      source: 'aws.servicecatalog',
      detailType: 'AWS API Call via CloudTrail',
      detail: {
        eventSource: 'servicecatalog.amazonaws.com',
        eventName: 'CreateProvisionedProductPlan',
        eventID: randomUUID(),
        eventTime: new Date().toISOString(),
        recipientAccountId,
        awsRegion: region,
        userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${account}:assumed-role/Developer/dev` },
        responseElements: { planId, planName: `${planId}-update` },
      },
    }),
  });
const start = (input: unknown) => startRun(client, local, input);
const ended = (executionArn: string) => runEnded(client, executionArn);
const calls = async (service: 'servicecatalog' | 'sts') =>
  (await (await fetch(`${local.baseUrl}/local/calls?service=${service}`)).json()) as {
    operation: string;
    account: string;
    region: string;
    principal?: string;
    sourceIdentity?: string;
  }[];
const linkFor = (planId: string) =>
  until(
    () => local.outbox.list().find((e) => e.recipient === 'alice@example.com' && e.subject?.includes('Approval needed') && e.body.includes(planId)),
    `the approval email for ${planId}`,
  );
const runsFor = (planId: string) => local.stepFunctions.listExecutions().filter((e) => JSON.stringify(e.input).includes(planId));
const recordOf = async (scopedId: string) =>
  (await documents.send(new GetCommand({ TableName: local.approvalTable, Key: { pk: `PLAN#${scopedId}` }, ConsistentRead: true }))).Item;

test('a plan created in a spoke starts a run from CloudTrail alone, names where it lands, and executes there through the assumed role', async () => {
  const planId = 'plan-spokeflow001';
  await register(planId, PAYMENTS, 'eu-west-1');
  const before = local.stepFunctions.listExecutions().length;
  expect((await cloudTrail(planId, PAYMENTS, 'eu-west-1')).status).toBe(200);

  const email = await linkFor(planId);
  expect(local.stepFunctions.listExecutions().length).toBe(before + 1);
  expect(runsFor(planId)[0]!.name).toMatch(/^created-/); // started by PlanCreated, not by anyone's StartExecution
  expect(email.body).toContain(PAYMENTS);
  expect(email.body).toContain('payments-prod');
  expect(email.body).toContain('eu-west-1');

  expect(
    (await fetch(email.urls[0]!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' }))
      .status,
  ).toBe(200);
  const done = await ended(runsFor(planId)[0]!.executionArn);
  const outcome = JSON.parse(done.output!);
  expect(outcome).toMatchObject({ outcome: 'SUCCEEDED', planId, accountId: PAYMENTS, accountName: 'payments-prod', region: 'eu-west-1' });

  const executed = (await calls('servicecatalog')).filter((c) => c.operation === 'ExecuteProvisionedProductPlan');
  expect(executed).toEqual([
    expect.objectContaining({
      account: PAYMENTS,
      region: 'eu-west-1',
      principal: expect.stringContaining(`arn:aws:sts::${PAYMENTS}:assumed-role/plangate-spoke-eu-west-1/`),
      sourceIdentity: expect.stringMatching(/^plangate-created-/),
    }),
  ]);
  const record = await recordOf(`${PAYMENTS}:eu-west-1:${planId}`);
  expect(record).toMatchObject({ status: 'APPROVED', outcome: { outcome: 'SUCCEEDED' } });
  expect(JSON.stringify(record)).toContain(PAYMENTS);
  const events = local.outbox.list().filter((e) => e.subject === 'plangate / PlanGate Run Finished' && e.body.includes(planId));
  expect(events).toHaveLength(1);
  expect(JSON.parse(events[0]!.body)).toMatchObject({ accountId: PAYMENTS, accountName: 'payments-prod', region: 'eu-west-1' });
}, 60_000);

test('the same plan id in two accounts gives two independent runs, neither a duplicate', async () => {
  const planId = 'plan-spoketwins01';
  await register(planId, PAYMENTS, 'eu-west-1');
  await register(planId, ORDERS, 'us-east-1');
  const first = await start({ planId, accountId: PAYMENTS, region: 'eu-west-1' });
  const second = await start({ planId, accountId: ORDERS, region: 'us-east-1' });
  await until(() => local.outbox.list().filter((e) => e.recipient === 'alice@example.com' && e.body.includes(planId)).length >= 2, 'both requests');
  expect(await recordOf(`${PAYMENTS}:eu-west-1:${planId}`)).toMatchObject({ executionArn: first, status: 'PENDING' });
  expect(await recordOf(`${ORDERS}:us-east-1:${planId}`)).toMatchObject({ executionArn: second, status: 'PENDING' });
  for (const executionArn of [first, second]) await client.send(new sfn.StopExecutionCommand({ executionArn }));
}, 60_000);

test('a plan asked for in an account where it does not exist ends PLAN_NOT_READY', async () => {
  const planId = 'plan-spokeelsewh1';
  await register(planId, PAYMENTS, 'eu-west-1');
  const done = await ended(await start({ planId, accountId: ORDERS, region: 'eu-west-1' }));
  expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'PLAN_NOT_READY', planId, accountId: ORDERS, region: 'eu-west-1' });
}, 30_000);

test('an account outside the allow-list ends INVALID_INPUT before any AssumeRole', async () => {
  const assumed = (await calls('sts')).length;
  const done = await ended(await start({ planId: 'plan-spokestrang1', accountId: STRANGER, region: 'eu-west-1' }));
  expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'INVALID_INPUT', planId: 'plan-spokestrang1' });
  expect(JSON.parse(done.output!).reason).toContain(STRANGER);
  expect((await calls('sts')).length).toBe(assumed);
}, 30_000);

test('a CloudTrail event whose detail names another account starts nothing', async () => {
  const planId = 'plan-spokeforged1';
  await register(planId, ORDERS, 'eu-west-1');
  const before = local.stepFunctions.listExecutions().length;
  // Sent from the payments account's bus, claiming to be a record of the orders account.
  expect((await cloudTrail(planId, PAYMENTS, 'eu-west-1', ORDERS)).status).toBe(200);
  await local.eventBridge.idle();
  expect(local.stepFunctions.listExecutions().length).toBe(before);
  expect(await recordOf(`${ORDERS}:eu-west-1:${planId}`)).toBeUndefined();
}, 30_000);

test('PutEvents cannot put an aws.* event on any bus', async () => {
  const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
  const events = new EventBridgeClient({ endpoint: local.baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const answer = await events.send(
    new PutEventsCommand({ Entries: [{ Source: 'aws.servicecatalog', DetailType: 'AWS API Call via CloudTrail', Detail: '{}' }] }),
  );
  expect(answer.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
});

test('a stack event from one spoke never wakes another spoke’s run, even for a product of the same id', async () => {
  const planId = 'plan-spokestack01';
  const plan = ordersServicePlan(planId);
  // The record takes long enough for the run to wait on its stack.
  plan.simulation = { ...plan.simulation, recordSeconds: 30, finalStatus: 'SUCCEEDED' };
  await registerPlan(local, plan, { account: PAYMENTS, region: 'eu-west-1' });
  const executionArn = await start({ planId, accountId: PAYMENTS, region: 'eu-west-1' });
  const email = await linkFor(planId);
  await fetch(email.urls[0]!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
  const productId = plan.ProvisionedProductPlanDetails.ProvisionProductId!;
  const waitKey = { pk: `RECORD#${PAYMENTS}:eu-west-1:${productId}` };
  await until(
    async () => (await documents.send(new GetCommand({ TableName: local.approvalTable, Key: waitKey, ConsistentRead: true }))).Item,
    'the run waiting on its stack',
  );

  const stackEvent = (account: string, stackAccount: string) =>
    fetch(`${local.baseUrl}/local/aws-events`, {
      method: 'POST',
      body: JSON.stringify({
        account,
        region: 'eu-west-1',
        source: 'aws.cloudformation',
        detailType: 'CloudFormation Stack Status Change',
        detail: {
          'stack-id': `arn:aws:cloudformation:eu-west-1:${stackAccount}:stack/SC-${stackAccount}-${productId}/${randomUUID()}`,
          'status-details': { status: 'UPDATE_COMPLETE', 'status-reason': '' },
        },
      }),
    });
  // The orders account's bus carries a claim to the payments account's stack (its forwarding rule passes only its own
  // stacks; the hub checks again, test/lambdas/await-record.test.ts), then its own stack of the same product id settles.
  await stackEvent(ORDERS, PAYMENTS);
  await stackEvent(ORDERS, ORDERS);
  await local.eventBridge.idle();
  const wait = (await documents.send(new GetCommand({ TableName: local.approvalTable, Key: waitKey, ConsistentRead: true }))).Item;
  expect(wait?.stackEventAt).toBeUndefined(); // the payments run was not woken by either
  // Its own account's event for its stack does wake it: the two above were not missed, they were not its.
  await stackEvent(PAYMENTS, PAYMENTS);
  await until(
    async () => (await documents.send(new GetCommand({ TableName: local.approvalTable, Key: waitKey, ConsistentRead: true }))).Item?.stackEventAt,
    'the payments run woken by its own stack',
  );
  await client.send(new sfn.StopExecutionCommand({ executionArn }));
}, 60_000);
