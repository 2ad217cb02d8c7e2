import type { CheckRecordEnv } from '../../lambdas/check-record/check-record';
import { STATES } from '../../lambdas/shared/contracts/state-names';
import type { RecordCheck } from '../../lambdas/shared/contracts/steps';
import { awsEvent } from '../../local/event-bridge';
import type { PlanRegistration } from '../../local/service-catalog';
import type { Execution } from '../../local/step-functions';
import { LOCAL_ACCOUNT } from '../../local/template';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * Record completion, end to end in local mode at a hundredth of AWS's time: the emulated record's CloudFormation
 * stack reports its status changes on the bus, the synthesized StackFinishedRule passes the settled ones to
 * AwaitRecord, and it wakes the run waiting for that provisioned product; the safety net's waits, the deployed
 * ones, catch what no event reports.
 */
const SCALE = 0.01;
let local: LocalMode;

beforeAll(async () => {
  local = await startLocalMode({ timeScale: SCALE, context: { 'plangate:autoApproveUpTo': 'LOW' } });
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  await local.close();
});

const deployed = (): CheckRecordEnv => ({
  POLL_INITIAL_INTERVAL_SECONDS: Number(local.functionEnvironment.POLL_INITIAL_INTERVAL_SECONDS),
  POLL_MAX_INTERVAL_SECONDS: Number(local.functionEnvironment.POLL_MAX_INTERVAL_SECONDS),
  POLL_TIMEOUT_SECONDS: Number(local.functionEnvironment.POLL_TIMEOUT_SECONDS),
});

/** A LOW-risk plan (auto-approved) for its own provisioned product, whose record the emulator runs as `simulation` says. */
const startLowPlan = async (planId: string, productId: string, simulation: PlanRegistration['simulation']) => {
  const plan = ordersServicePlan(planId, { ProvisionProductId: productId });
  plan.ResourceChanges = [{ Action: 'ADD', LogicalResourceId: 'Dashboard', ResourceType: 'AWS::CloudWatch::Dashboard' }];
  plan.simulation = simulation;
  expect((await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(plan) })).status).toBe(200);
  return local.stepFunctions.startExecution({ planId });
};

/** Each CheckRecord result, in order: the record's status and what ended the wait before it. */
const checks = (run: Execution) =>
  run.history
    .filter((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails!.name === STATES.checkRecord)
    .map((e) => ({ ...(JSON.parse(e.stateExitedEventDetails!.output as string).record as RecordCheck), at: e.timestamp }));
/** The stack statuses that woke the run. */
const wokenBy = (run: Execution) => [...new Set(checks(run).flatMap((c) => (c.wake.stackStatus ? [c.wake.stackStatus] : [])))];
/** A stack's status change, as CloudFormation puts it on the bus (PutEvents refuses `aws.` sources to everyone else). */
const stackEvent = (stackId: string, status: string) =>
  awsEvent('aws.cloudformation', 'CloudFormation Stack Status Change', [stackId], {
    'stack-id': stackId,
    'status-details': { status, 'status-reason': '' },
  });
const scStack = (productId: string) => `arn:aws:cloudformation:us-east-1:${LOCAL_ACCOUNT}:stack/SC-${LOCAL_ACCOUNT}-${productId}/6a1b2c3d`;
const waitingFor = async (run: Execution) => {
  for (let i = 0; i < 400 && !run.history.some((e) => e.type === 'TaskSubmitted'); i++) await new Promise((r) => setTimeout(r, 25));
  expect(run.history.some((e) => e.type === 'TaskSubmitted')).toBe(true);
};

test('a stack event wakes the run well before the safety net would check again', async () => {
  const env = deployed();
  // Halfway through the safety net's second wait: checks at 0 and I s, then 2I s later; the record ends at 2I s.
  const recordSeconds = 2 * env.POLL_INITIAL_INTERVAL_SECONDS;
  const run = await (await startLowPlan('plan-rc-woken00001', 'pp-rcwoken00001', { recordSeconds, recordLagSeconds: 2 })).finished;
  expect(run.output).toMatchObject({ outcome: 'SUCCEEDED' });
  expect(wokenBy(run)).toEqual(['UPDATE_COMPLETE']);
  const found = checks(run).at(-1)!;
  expect(found.status).toBe('SUCCEEDED');
  // Found within seconds of the record turning final (in AWS's seconds), where the safety net would take I s more.
  // The bound is half of I: at this scale a busy machine's scheduling delay is several AWS seconds.
  const afterFinal = (found.at - checks(run)[0]!.at) / SCALE - recordSeconds;
  expect(afterFinal).toBeLessThan(env.POLL_INITIAL_INTERVAL_SECONDS / 2);
  expect(checks(run).length).toBeLessThanOrEqual(2 + 1 + 3); // 2 safety-net checks, the woken one, quick re-checks
}, 60_000);

test('a record 20 s behind its stack is found within seconds of turning final, not after the safety net', async () => {
  // A 5-minute record whose stack settles 20 s before it: the quick re-checks after the event outlast the lag.
  const recordSeconds = 300;
  const run = await (await startLowPlan('plan-rc-lagging001', 'pp-rclagging001', { recordSeconds, recordLagSeconds: 20 })).finished;
  expect(run.output).toMatchObject({ outcome: 'SUCCEEDED' });
  expect(wokenBy(run)).toEqual(['UPDATE_COMPLETE']);
  const seen = checks(run);
  expect(seen.at(-1)!.status).toBe('SUCCEEDED');
  expect(seen.at(-1)!.wake.Error).toBeUndefined(); // not the safety net's timeout
  // Re-checks every 12 s after the first 2, 4, 8 s; 30 s leaves room for a busy machine at this scale.
  expect((seen.at(-1)!.at - seen[0]!.at) / SCALE - recordSeconds).toBeLessThan(30);
}, 60_000);

test('a lost event costs at most one safety-net wait: the rollback wakes the run, the lost ending is found by the safety net', async () => {
  const run = await (
    await startLowPlan('plan-rc-lost000001', 'pp-rclost000001', {
      recordSeconds: 300,
      finalStatus: 'FAILED',
      recordErrors: [{ Code: 'UPDATE_FAILED', Description: 'Resource handler returned message: "Invalid request"' }],
      lostStackEvents: ['UPDATE_ROLLBACK_COMPLETE'],
    })
  ).finished;
  expect(run.output).toMatchObject({ outcome: 'FAILED' });
  const seen = checks(run);
  // UPDATE_FAILED woke it while Service Catalog still rolled back; the record's end came with no event.
  expect(wokenBy(run)).toEqual(['UPDATE_FAILED']);
  expect(seen.filter((c) => c.wake.stackStatus === 'UPDATE_FAILED').map((c) => c.status)).toContain('IN_PROGRESS_IN_ERROR');
  expect(seen.at(-1)).toMatchObject({ status: 'FAILED', wake: { Error: 'States.Timeout' } });
  const lastWait = seen.at(-2)!.nextCheckInSeconds;
  expect(lastWait).toBeLessThanOrEqual(deployed().POLL_MAX_INTERVAL_SECONDS);
  expect((seen.at(-1)!.at - seen[0]!.at) / SCALE).toBeLessThan(300 + lastWait + deployed().POLL_INITIAL_INTERVAL_SECONDS / 2);
}, 60_000);

test('an event for a product no run waits for, or for a stack Service Catalog does not run, wakes nobody', async () => {
  const execution = await startLowPlan('plan-rc-unknown001', 'pp-rcunknown001', { recordSeconds: 200, recordLagSeconds: 2 });
  await waitingFor(execution);
  const before = local.outbox.list().length;
  local.eventBridge.emit(stackEvent(scStack('pp-someoneelse01'), 'UPDATE_COMPLETE'));
  local.eventBridge.emit(stackEvent(`arn:aws:cloudformation:us-east-1:${LOCAL_ACCOUNT}:stack/my-app/1`, 'UPDATE_COMPLETE'));
  await local.eventBridge.idle();
  const added = local.outbox
    .list()
    .slice(before)
    .filter((e) => e.body.includes('pp-someoneelse01') || e.body.includes('stack/my-app/'));
  expect(added.map((e) => e.rules)).toEqual([[expect.stringMatching(/^WorkflowStackFinishedRule/)], []]);
  expect(
    local.outbox
      .list()
      .slice(before)
      .filter((e) => e.channel === 'dlq'),
  ).toEqual([]);
  const run = await execution.finished;
  expect(run.output).toMatchObject({ outcome: 'SUCCEEDED' });
  expect(wokenBy(run)).toEqual(['UPDATE_COMPLETE']); // its own stack's, not the stranger's
  expect(checks(run).find((c) => c.wake.stackStatus)!.at - checks(run)[0]!.at).toBeGreaterThan(190 * SCALE);
}, 60_000);

test('an event that comes before the run waits still wakes it', async () => {
  // The stack settles at once; Service Catalog reports the record final 60 s later.
  const run = await (await startLowPlan('plan-rc-early00001', 'pp-rcearly00001', { recordSeconds: 60, recordLagSeconds: 60 })).finished;
  expect(run.output).toMatchObject({ outcome: 'SUCCEEDED' });
  const eventAt = local.outbox
    .list()
    .find((e) => e.channel === 'eventbridge' && e.body.includes('pp-rcearly00001') && e.body.includes('UPDATE_COMPLETE'))!;
  const firstWait = run.history.find((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails!.resource === 'invoke.waitForTaskToken')!;
  expect(Date.parse(eventAt.sentAt) / 1000).toBeLessThanOrEqual(firstWait.timestamp);
  const seen = checks(run);
  // The first wait ended with the event, not the safety net's interval: the next check came at once (within half
  // the interval, allowing for a busy machine's scheduling at this scale).
  expect(seen[1]!.wake.stackStatus).toBe('UPDATE_COMPLETE');
  expect((seen[1]!.at - seen[0]!.at) / SCALE).toBeLessThan(deployed().POLL_INITIAL_INTERVAL_SECONDS / 2);
}, 60_000);
