import { type LocalMode, startLocalMode } from '../local/server';

/** Expiry in local mode, with the approval timeout shortened to one second. */
let local: LocalMode;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, approvalTimeoutSeconds: 1 });
}, 60_000);
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
