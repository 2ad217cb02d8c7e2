import { ordersServicePlan } from '../fixtures/plans';
import { synthesizedTemplate } from '../support/prebuilt';
import { ONE_APPROVAL } from '../fixtures/context';
import { type Harness, startHarness } from '../support/workflow-harness';

/** Expiry needs a short approval timeout, so it runs on its own copy of the state machine. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness(await synthesizedTemplate(ONE_APPROVAL), { approvalTimeoutSeconds: 2 });
});
afterAll(() => h.stop());

test('an approval nobody decides expires: the plan is not executed and the links stop working', async () => {
  const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-expires0000001'));
  const execution = h.stepFunctions.startExecution({ planId });
  const links = await h.untilWaitingForApproval(execution.executionArn, planId);
  const done = await execution.finished;

  expect(done.output).toMatchObject({ outcome: 'EXPIRED', reason: expect.stringContaining('The plan was not executed') });
  expect(h.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan')).toEqual([]);
  expect(h.outcomesOf(planId).emails[0]!.subject).toBe(`[PlanGate] EXPIRED: orders-service-prod-update (${planId})`);
  const record = await h.store.get(planId);
  expect(record).toMatchObject({ status: 'EXPIRED', outcome: { outcome: 'EXPIRED' } });
  expect(record?.taskToken).toBeUndefined();

  const view = await h.http('GET', links.get('alice@example.com')!);
  expect(view.statusCode).toBe(410);
  expect(view.body).toContain('This approval request has expired');
  const late = await h.http('POST', links.get('alice@example.com')!, { decision: 'approve' });
  expect(late.statusCode).toBe(410);
  expect(h.taskTokens).toEqual([]);
});
