import * as sfn from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SPOKES_CONTEXT } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { approvalRecord, LOCAL_MODE_START_MS, type LocalMode, startWithClients, until } from '../support/local-mode';

/**
 * Several accounts under hostile and careless input, through local mode with two spokes: runs started with the
 * review-request rule's shape, a place named in full or in odd case, the same plan id in the hub and a spoke.
 */
const PAYMENTS = '111111111111'; // eu-west-1
const HUB = '000000000000'; // us-east-1

let local: LocalMode;
let client: sfn.SFNClient;
let documents: DynamoDBDocumentClient;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ local, client, documents, close } = await startWithClients({ pollWaitMs: 50, context: SPOKES_CONTEXT }));
}, LOCAL_MODE_START_MS);
afterAll(() => close?.());

const register = async (planId: string, account = HUB, region = 'us-east-1') => {
  const response = await fetch(`${local.baseUrl}/local/plans?account=${account}&region=${region}`, {
    method: 'POST',
    body: JSON.stringify(ordersServicePlan(planId)),
  });
  expect(response.status).toBe(200);
};
const start = async (input: unknown) =>
  (await client.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: JSON.stringify(input) })))
    .executionArn!;
const ended = (executionArn: string) =>
  until(async () => {
    const d = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
    return d.status !== 'RUNNING' && d;
  }, 'the run to end');
const recordOf = (planRef: string) => approvalRecord(documents, local, planRef);
const linksFor = (planId: string) =>
  local.outbox.list().filter((e) => e.recipient === 'alice@example.com' && e.subject?.includes('Approval needed') && e.body.includes(planId));
const decide = (link: string, decision: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `decision=${decision}` });

test("a run started with the review-request rule's shape for a spoke plan, then stopped, closes the spoke plan's record", async () => {
  // An operator replaying the rule's dead-letter message (or copying its shape) with StartExecution.
  const planId = 'plan-atkshape0001';
  await register(planId, PAYMENTS, 'eu-west-1');
  const executionArn = await start({ planId, request: { planId, accountId: PAYMENTS, region: 'eu-west-1' }, sentBy: { account: PAYMENTS } });
  await until(() => linksFor(planId).length > 0, 'the approval request');
  await client.send(new sfn.StopExecutionCommand({ executionArn, error: 'Operator.Stop' }));
  await ended(executionArn);
  await local.eventBridge.idle();
  const record = await until(async () => {
    const r = await recordOf(`${PAYMENTS}:eu-west-1:${planId}`);
    return r?.outcome && r;
  }, 'the spoke record closed');
  expect(record).toMatchObject({ status: 'CLOSED', released: true, outcome: { outcome: 'ABORTED' } });
  const outcome = local.outbox.list().find((e) => e.subject === 'plangate / PlanGate Run Finished' && e.body.includes(planId));
  expect(JSON.parse(outcome!.body)).toMatchObject({ outcome: 'ABORTED', accountId: PAYMENTS, region: 'eu-west-1' });
}, 60_000);

test('a run started with {request, sentBy} but not the same plan id at the top ends INVALID_INPUT with its outcome', async () => {
  // The workflow keeps a refused run's plan id from the top of its input: without it, the refusal itself failed the run.
  const planId = 'plan-atknotop0001'; // registered nowhere: it would be PLAN_NOT_READY
  const request = { planId, accountId: PAYMENTS, region: 'eu-west-1' };
  const bare = await ended(await start({ request, sentBy: { account: PAYMENTS } }));
  expect(bare.status).toBe('SUCCEEDED');
  expect(JSON.parse(bare.output!)).toMatchObject({ outcome: 'INVALID_INPUT', reason: expect.stringContaining('planId') });
  // Another plan's id at the top would be the one its outcome names.
  const other = await ended(await start({ planId: 'plan-atknotop0002', request, sentBy: { account: PAYMENTS } }));
  expect(other.status).toBe('SUCCEEDED');
  expect(JSON.parse(other.output!)).toMatchObject({ outcome: 'INVALID_INPUT', reason: expect.stringContaining('request.planId') });
}, 30_000);

test("the hub's own account and Region named in full is the same plan as naming neither: one run, the other a duplicate", async () => {
  const planId = 'plan-atkhubfull01';
  await register(planId);
  const named = await start({ planId, accountId: HUB, region: 'us-east-1' });
  await until(() => linksFor(planId).length > 0, 'the approval request');
  const implicit = await ended(await start({ planId }));
  expect(JSON.parse(implicit.output!)).toMatchObject({ outcome: 'DUPLICATE', planId });
  expect(await recordOf(planId)).toMatchObject({ executionArn: named, status: 'PENDING' });
  await client.send(new sfn.StopExecutionCommand({ executionArn: named }));
}, 60_000);

test('a Region in upper case is refused as input, keeping the plan id', async () => {
  const planId = 'plan-atkupcase001';
  await register(planId, PAYMENTS, 'eu-west-1');
  const done = await ended(await start({ planId, accountId: PAYMENTS, region: 'EU-WEST-1' }));
  expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'INVALID_INPUT', planId });
}, 30_000);

test("the same plan id in the hub and a spoke: the spoke plan's link decides only the spoke plan", async () => {
  const planId = 'plan-atktwinhub01';
  await register(planId);
  await register(planId, PAYMENTS, 'eu-west-1');
  const hubRun = await start({ planId });
  await until(() => linksFor(planId).length > 0, 'the hub request');
  const spokeRun = await start({ planId, accountId: PAYMENTS, region: 'eu-west-1' });
  const spokeEmail = await until(() => linksFor(planId).find((e) => e.body.includes(PAYMENTS)), 'the spoke request');
  expect((await decide(spokeEmail.urls[0]!, 'reject')).status).toBe(200);
  const spokeDone = await ended(spokeRun);
  expect(JSON.parse(spokeDone.output!)).toMatchObject({ outcome: 'REJECTED', accountId: PAYMENTS });
  expect(await recordOf(planId)).toMatchObject({ executionArn: hubRun, status: 'PENDING' });
  expect(await recordOf(`${PAYMENTS}:eu-west-1:${planId}`)).toMatchObject({ executionArn: spokeRun, status: 'REJECTED' });
  await client.send(new sfn.StopExecutionCommand({ executionArn: hubRun }));
}, 60_000);
