import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';
import { ONE_APPROVAL } from '../fixtures/context';
import { signedClick } from '../support/slack';

/** Expiry in local mode, with the approval timeout shortened to one second. */
let local: LocalMode;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, approvalTimeoutSeconds: 2, context: ONE_APPROVAL });
}, LOCAL_MODE_START_MS);
afterAll(() => local.close());

test('an undecided approval expires; its link then answers 410 and decides nothing', async () => {
  const execution = local.stepFunctions.startExecution({ planId: 'plan-demodashbrd001' });
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'EXPIRED' });
  const link = local.outbox.list().find((e) => e.recipient === 'alice@example.com')!.urls[0]!;
  const res = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
  expect(res.status).toBe(410);
  expect(await res.text()).toContain('This approval request has expired');
  expect(local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan')).toEqual([]);
});

test('a Slack click after expiry gets a clear reply', async () => {
  const execution = local.stepFunctions.startExecution({ planId: 'plan-demoorders0001' });
  await execution.finished;
  const click = { userId: 'U0ALICE01', action: 'plangate_approve' as const, planId: 'plan-demoorders0001', responseUrl: `${local.baseUrl}/local/slack/responses/expired` };
  const res = await fetch(`${local.baseUrl}/slack/interactions`, signedClick(click));
  expect(res.status).toBe(200);
  const reply = local.outbox.list().find((e) => e.recipient.includes('/local/slack/responses/expired'))!;
  expect(JSON.parse(reply.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('has expired; the plan was not executed') });
});
