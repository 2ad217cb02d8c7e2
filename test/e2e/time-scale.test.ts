import { type CheckRecordEnv, nextCheckInSeconds } from '../../lambdas/check-record/check-record';
import type { PlanRegistration } from '../../local/service-catalog';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * `--time-scale F` runs local mode's clock F times as fast as AWS's: waits, task timeouts, retry intervals and the
 * emulator's record durations all shrink together, so a run goes through the same steps as in AWS, only sooner.
 */
const SCALE = 0.01;
let local: LocalMode;

beforeAll(async () => {
  local = await startLocalMode({ timeScale: SCALE, context: { 'plangate:autoApproveUpTo': 'LOW', 'plangate:approvalTimeoutMinutes': 5 } });
}, LOCAL_MODE_START_MS);
afterAll(() => local.close());

const deployedEnv = (): CheckRecordEnv => ({
  POLL_INITIAL_INTERVAL_SECONDS: Number(local.functionEnvironment.POLL_INITIAL_INTERVAL_SECONDS),
  POLL_MAX_INTERVAL_SECONDS: Number(local.functionEnvironment.POLL_MAX_INTERVAL_SECONDS),
  POLL_TIMEOUT_SECONDS: Number(local.functionEnvironment.POLL_TIMEOUT_SECONDS),
});

/** When the deployed safety net checks a record nobody wakes the run for: at once, then after each wait. */
function safetyNetCheckTimes(count: number, env: CheckRecordEnv): number[] {
  const settings = {
    initialIntervalSeconds: env.POLL_INITIAL_INTERVAL_SECONDS,
    maxIntervalSeconds: env.POLL_MAX_INTERVAL_SECONDS,
    timeoutSeconds: env.POLL_TIMEOUT_SECONDS,
  };
  const times = [0];
  while (times.length < count) times.push(times.at(-1)! + nextCheckInSeconds(times.length - 1, settings));
  return times;
}

/** A LOW-risk plan (auto-approved, so nobody waits on a person) whose record takes `simulation.recordSeconds`. */
const runLowPlan = async (planId: string, simulation: PlanRegistration['simulation']) => {
  const plan = ordersServicePlan(planId);
  plan.ResourceChanges = [{ Action: 'ADD', LogicalResourceId: 'Dashboard', ResourceType: 'AWS::CloudWatch::Dashboard' }];
  plan.simulation = simulation;
  await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(plan) });
  const run = await local.stepFunctions.startExecution({ planId }).finished;
  const recordId = (run.output as { recordId: string }).recordId;
  return { run, checks: local.serviceCatalog.calls.filter((c) => c.operation === 'DescribeRecord' && c.input.Id === recordId).length };
};

test('a record whose stack sends no events is checked as often as the deployed safety net checks it in AWS, and seen as late', async () => {
  // Halfway between the deployed schedule's 5th and 6th checks: the 6th finds the record final.
  const times = safetyNetCheckTimes(6, deployedEnv());
  const { run, checks } = await runLowPlan('plan-timescale0001', {
    recordSeconds: (times[4]! + times[5]!) / 2,
    finalStatus: 'SUCCEEDED',
    stackEvents: false,
  });
  expect(run.output).toMatchObject({ outcome: 'SUCCEEDED' });
  expect(checks).toBe(6);
  // The record turned final halfway between the 5th and 6th checks: the run saw it half an interval of AWS time
  // later, plus the handlers' own real time (scaled up), well before a 7th check would have been due.
  const interval = times[5]! - times[4]!;
  const { detectionDelaySeconds, executionSeconds } = local.metrics.summary().dashboard;
  expect(detectionDelaySeconds).toMatchObject({ count: 1 });
  expect(detectionDelaySeconds.p50).toBeGreaterThanOrEqual(interval / 2 - 1);
  expect(detectionDelaySeconds.p50).toBeLessThan(interval);
  expect(executionSeconds.p50).toBeCloseTo((times[4]! + times[5]!) / 2, 0);
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
