import * as sfn from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AwsApiError } from '../../local/service-catalog';
import { SPOKES_CONTEXT } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import {
  approvalRecord,
  LOCAL_MODE_START_MS,
  type LocalMode,
  registerPlan,
  runEnded,
  startRun,
  startWithClients,
  until,
} from '../support/local-mode';

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

const register = (planId: string, account = HUB, region = 'us-east-1') => registerPlan(local, ordersServicePlan(planId), { account, region });
const start = (input: unknown) => startRun(client, local, input);
const ended = (executionArn: string) => runEnded(client, executionArn);
const recordOf = (planRef: string) => approvalRecord(documents, local, planRef);
const linksFor = (planId: string) =>
  local.outbox.list().filter((e) => e.recipient === 'alice@example.com' && e.subject?.includes('Approval needed') && e.body.includes(planId));
const decide = (link: string, decision: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `decision=${decision}` });

/** Stops a payments plan's run once it asks for approval (as an operator would), and its record once the stop closed it. */
async function stoppedWhileWaiting(executionArn: string, planId: string) {
  await until(() => linksFor(planId).length > 0, 'the approval request');
  await client.send(new sfn.StopExecutionCommand({ executionArn, error: 'Operator.Stop' }));
  await ended(executionArn);
  await local.eventBridge.idle();
  return until(async () => {
    const record = await recordOf(`${PAYMENTS}:eu-west-1:${planId}`);
    return record?.outcome && record;
  }, 'the record closed by the stop');
}

test("a run started with the review-request rule's shape for a spoke plan, then stopped, closes the spoke plan's record", async () => {
  // An operator replaying the rule's dead-letter message (or copying its shape) with StartExecution.
  const planId = 'plan-atkshape0001';
  await register(planId, PAYMENTS, 'eu-west-1');
  const executionArn = await start({ planId, request: { planId, accountId: PAYMENTS, region: 'eu-west-1' }, sentBy: { account: PAYMENTS } });
  const record = await stoppedWhileWaiting(executionArn, planId);
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

test('a run whose input is near 256 KiB, stopped while it waits for approval, is closed though its status event cannot carry the input', async () => {
  // Extra keys are dropped, not refused, so a request may carry them; the status event (at most 256 KB) then leaves the input out.
  const planId = 'plan-atkbiginpt01';
  await register(planId, PAYMENTS, 'eu-west-1');
  const input = { planId, accountId: PAYMENTS, region: 'eu-west-1', note: '' };
  input.note = 'x'.repeat(258_000 - Buffer.byteLength(JSON.stringify(input)));
  const executionArn = await start(input);
  const record = await stoppedWhileWaiting(executionArn, planId);
  expect(record).toMatchObject({ status: 'CLOSED', released: true, outcome: { outcome: 'ABORTED', error: 'Operator.Stop' } });
}, 60_000);

describe('a spoke whose role stops answering', () => {
  /** The payments account's role refuses AssumeRole (removed, or its trust changed) while the callback runs. */
  async function withPaymentsRoleGone<T>(during: () => Promise<T>): Promise<T> {
    const spokes = local.accounts.spokes!;
    const accounts = spokes.accounts;
    spokes.accounts = accounts.filter((a) => a.accountId !== PAYMENTS);
    try {
      return await during();
    } finally {
      spokes.accounts = accounts;
    }
  }

  test('at the review, ends SPOKE_UNREACHABLE naming the role, with nothing to close', async () => {
    const planId = 'plan-atkunreach01';
    await register(planId, PAYMENTS, 'eu-west-1');
    const done = await withPaymentsRoleGone(async () => ended(await start({ planId, accountId: PAYMENTS, region: 'eu-west-1' })));
    // The refusal came after the input was validated, so the run keeps the account and Region it names for the outcome.
    expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'SPOKE_UNREACHABLE', planId, accountId: PAYMENTS, region: 'eu-west-1' });
    expect(JSON.parse(done.output!).reason).toContain(`arn:aws:iam::${PAYMENTS}:role/plangate-spoke-eu-west-1`);
    expect(await recordOf(`${PAYMENTS}:eu-west-1:${planId}`)).toBeUndefined();
  }, 30_000);

  test('after approval, ends SPOKE_UNREACHABLE with its record closed and released under its key: nothing was executed', async () => {
    const planId = 'plan-atkunreach02';
    await register(planId, PAYMENTS, 'eu-west-1');
    const executionArn = await start({ planId, accountId: PAYMENTS, region: 'eu-west-1' });
    const email = await until(() => linksFor(planId)[0], 'the approval request');
    const done = await withPaymentsRoleGone(async () => {
      expect((await decide(email.urls[0]!, 'approve')).status).toBe(200);
      return ended(executionArn);
    });
    expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'SPOKE_UNREACHABLE', planId, accountId: PAYMENTS });
    expect(await recordOf(`${PAYMENTS}:eu-west-1:${planId}`)).toMatchObject({
      executionArn,
      status: 'APPROVED',
      released: true,
      outcome: { outcome: 'SPOKE_UNREACHABLE' },
    });
    expect(local.accounts.calls.servicecatalog.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.account === PAYMENTS)).toEqual([]);
    // Released: with the role back, a new run asks again.
    const again = await start({ planId, accountId: PAYMENTS, region: 'eu-west-1' });
    await until(async () => (await recordOf(`${PAYMENTS}:eu-west-1:${planId}`))?.executionArn === again, 'the new run to claim the plan');
    await client.send(new sfn.StopExecutionCommand({ executionArn: again }));
  }, 60_000);

  test('that an SCP or boundary denies executing plans ends SPOKE_UNREACHABLE naming the role, and the plan is released: nothing ran', async () => {
    const planId = 'plan-atkdenyexec1';
    await register(planId, PAYMENTS, 'eu-west-1');
    const executionArn = await start({ planId, accountId: PAYMENTS, region: 'eu-west-1' });
    const email = await until(() => linksFor(planId)[0], 'the approval request');
    const role = `arn:aws:sts::${PAYMENTS}:assumed-role/plangate-spoke-eu-west-1/plangate-x`;
    local.accounts
      .serviceCatalogAt({ account: PAYMENTS, region: 'eu-west-1' })
      .failNext(
        'ExecuteProvisionedProductPlan',
        new AwsApiError(
          'AccessDeniedException',
          `User: ${role} is not authorized to perform: servicecatalog:ExecuteProvisionedProductPlan with an explicit deny in a service control policy`,
        ),
      );
    expect((await decide(email.urls[0]!, 'approve')).status).toBe(200);
    const done = await ended(executionArn);
    expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'SPOKE_UNREACHABLE', planId, accountId: PAYMENTS });
    expect(JSON.parse(done.output!).reason).toContain(`arn:aws:iam::${PAYMENTS}:role/plangate-spoke-eu-west-1`);
    expect(await recordOf(`${PAYMENTS}:eu-west-1:${planId}`)).toMatchObject({
      status: 'APPROVED',
      released: true,
      outcome: { outcome: 'SPOKE_UNREACHABLE' },
    });
  }, 60_000);
});
