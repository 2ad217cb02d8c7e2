import { type CheckRecordEnv, nextCheckInSeconds } from '../lambdas/check-record/check-record';
import { type LocalMode, startLocalMode } from '../local/server';
import { ordersServicePlan } from './fixtures/plans';

/**
 * `--time-scale F` runs local mode's clock F times as fast as AWS's: waits, task timeouts, retry intervals and the
 * emulator's record durations all shrink together, so a run goes through the same steps as in AWS, only sooner.
 */
const SCALE = 0.01;
let local: LocalMode;

beforeAll(async () => {
  local = await startLocalMode({ timeScale: SCALE, context: { 'plangate:autoApproveUpTo': 'LOW', 'plangate:approvalTimeoutMinutes': 5 } });
}, 60_000);
afterAll(() => local.close());

/** How many times the deployed schedule checks a record that takes `recordSeconds`: until a check finds it final. */
function deployedChecks(recordSeconds: number, env: CheckRecordEnv): number {
  const settings = { initialIntervalSeconds: env.POLL_INITIAL_INTERVAL_SECONDS, maxIntervalSeconds: env.POLL_MAX_INTERVAL_SECONDS, timeoutSeconds: env.POLL_TIMEOUT_SECONDS };
  let checks = 1;
  for (let at = 0; at < recordSeconds; checks++) at += nextCheckInSeconds(checks - 1, settings);
  return checks;
}

test('a 9-minute record is checked as many times as the deployed schedule checks it in AWS', async () => {
  const plan = ordersServicePlan('plan-timescale0001');
  plan.ResourceChanges = [{ Action: 'ADD', LogicalResourceId: 'Dashboard', ResourceType: 'AWS::CloudWatch::Dashboard' }]; // LOW: auto-approved
  plan.simulation = { recordSeconds: 540, finalStatus: 'SUCCEEDED' };
  await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(plan) });
  const run = await local.stepFunctions.startExecution({ planId: 'plan-timescale0001' }).finished;
  expect(run.output).toMatchObject({ outcome: 'SUCCEEDED' });
  const recordId = (run.output as { recordId: string }).recordId;
  const checks = local.serviceCatalog.calls.filter((c) => c.operation === 'DescribeRecord' && c.input.Id === recordId).length;
  const env = {
    POLL_INITIAL_INTERVAL_SECONDS: Number(process.env.POLL_INITIAL_INTERVAL_SECONDS),
    POLL_MAX_INTERVAL_SECONDS: Number(process.env.POLL_MAX_INTERVAL_SECONDS),
    POLL_TIMEOUT_SECONDS: Number(process.env.POLL_TIMEOUT_SECONDS),
  };
  expect(checks).toBe(deployedChecks(540, env));
}, 90_000);

test('task timeouts shrink too: a 5-minute approval reminds, then expires, in seconds', async () => {
  await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(ordersServicePlan('plan-timescale0002')) });
  const run = await local.stepFunctions.startExecution({ planId: 'plan-timescale0002' }).finished;
  expect(run.output).toMatchObject({ outcome: 'EXPIRED' });
  const sent = local.outbox.list().filter((e) => e.body.includes('plan-timescale0002') && e.recipient === 'alice@example.com');
  expect(sent.map((e) => e.subject)).toEqual([
    expect.stringContaining('Approval needed'),
    expect.stringContaining('Reminder: approval needed'),
    expect.stringContaining('Approval expired'),
  ]);
}, 90_000);
