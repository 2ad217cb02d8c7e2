import { synthesize } from './support/synth';
import { type Harness, startHarness } from './support/workflow-harness';
import { ordersServicePlan } from './fixtures/plans';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(synthesize().json);
});
afterAll(() => h.stop());

test('approve → record SUCCEEDED', async () => {
  const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-approveok00001'));
  const execution = h.stepFunctions.startExecution({ planId, requestedBy: 'dev@example.com' });
  const links = await h.untilWaitingForApproval(execution.executionArn, planId);
  const page = await h.http('POST', links.get('alice@example.com')!, { decision: 'approve', comment: 'ship it' });
  expect(page.statusCode).toBe(200);
  const done = await execution.finished;
  console.log(done.status, done.error, done.cause, JSON.stringify(done.output, null, 1));
});
