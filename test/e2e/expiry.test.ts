import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApprovalStore } from '../../lambdas/shared/adapters/approval-store';
import { ONE_APPROVAL } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';
import { signedClick } from '../support/slack';

/** Expiry in local mode, with the approval timeout shortened to two seconds. */
let local: LocalMode;
let dynamo: DynamoDBClient;
let store: ApprovalStore;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, approvalTimeoutSeconds: 2, context: ONE_APPROVAL });
  dynamo = new DynamoDBClient({ endpoint: local.baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  store = new ApprovalStore(DynamoDBDocumentClient.from(dynamo), local.approvalTable);
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  dynamo.destroy();
  await local.close();
});

test('an approval nobody decides expires: the plan is not executed and the links stop working', async () => {
  const planId = local.serviceCatalog.registerPlan(ordersServicePlan('plan-expires0000001'));
  const done = await local.stepFunctions.startExecution({ planId }).finished;

  expect(done.output).toMatchObject({ outcome: 'EXPIRED', reason: expect.stringContaining('The plan was not executed') });
  expect(local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan')).toEqual([]);
  const entries = local.outbox.list();
  expect(entries.find((e) => e.recipient === 'platform-team@example.com' && e.body.includes(planId))?.subject).toBe(
    `[PlanGate] EXPIRED: orders-service-prod-update (${planId})`,
  );
  const expired = await store.get(planId);
  expect(expired).toMatchObject({ status: 'EXPIRED', outcome: { outcome: 'EXPIRED' } });
  expect(expired?.taskToken).toBeUndefined();

  const link = entries.find((e) => e.recipient === 'alice@example.com' && e.body.includes(planId))!.urls[0]!;
  const view = await fetch(link);
  expect(view.status).toBe(410);
  expect(await view.text()).toContain('This approval request has expired');
  const late = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
  expect(late.status).toBe(410);
  expect(await late.text()).toContain('This approval request has expired');
  // The late click decided nothing.
  expect(await store.get(planId)).toEqual(expired);
});

test('a Slack click after expiry gets a clear reply', async () => {
  const execution = local.stepFunctions.startExecution({ planId: 'plan-demoorders0001' });
  await execution.finished;
  const click = {
    userId: 'U0ALICE01',
    action: 'plangate_approve' as const,
    planId: 'plan-demoorders0001',
    responseUrl: `${local.baseUrl}/local/slack/responses/expired`,
  };
  const res = await fetch(`${local.baseUrl}/slack/interactions`, signedClick(click));
  expect(res.status).toBe(200);
  const reply = local.outbox.list().find((e) => e.recipient.includes('/local/slack/responses/expired'))!;
  expect(JSON.parse(reply.body)).toMatchObject({
    response_type: 'ephemeral',
    text: expect.stringContaining('has expired; the plan was not executed'),
  });
});
