import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { main } from '../../cli/main';
import type { LocalIdentity } from '../../local/identities';
import { ALICE, OPERATOR } from '../../local/identities';
import { ONE_APPROVAL } from '../fixtures/context';
import { captureCliOutput } from '../support/cli-output';
import { approvalRecord, clientConfig, LOCAL_MODE_START_MS, type LocalMode, startLocalMode, until } from '../support/local-mode';

/**
 * A run waiting for its execution window (issue 23), in local mode on real wall-clock time: an operator runs it now,
 * an approver cancels or reschedules it, all with `plangate` (in-process) signing as a local identity. LOW-risk plans
 * (a queue) are approved by the rule at once, so each run waits for its window right after it starts.
 */
let local: LocalMode;
let documents: DynamoDBDocumentClient;
const output = captureCliOutput();
beforeAll(async () => {
  local = await startLocalMode({
    pollWaitMs: 50,
    context: { ...ONE_APPROVAL, 'plangate:autoApproveUpTo': 'LOW', 'plangate:windowOperators': [OPERATOR.arn] },
  });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(local)));
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  documents.destroy();
  await local.close();
});

const MINUTE = 60_000;
const queue = { Action: 'MODIFY', LogicalResourceId: 'Jobs', ResourceType: 'AWS::SQS::Queue', PhysicalResourceId: 'p', Replacement: 'FALSE' };
const windowOf = (fromNowMs: number, lengthMs = 10 * MINUTE) => ({
  notBefore: new Date(Date.now() + fromNowMs).toISOString(),
  notAfter: new Date(Date.now() + fromNowMs + lengthMs).toISOString(),
});
const executions = (planId: string) =>
  local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && JSON.stringify(c.input).includes(planId));

/** Starts a windowed run of a new LOW-risk plan and returns once it waits for its window (its token is on the record). */
async function waitingRun(planId: string, executeWindow: { notBefore: string; notAfter: string }) {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: planId, PlanName: 'jobs', ProvisionProductName: 'orders' },
    ResourceChanges: [queue],
    simulation: { recordSeconds: 0.2 },
  });
  const execution = local.stepFunctions.startExecution({ planId, executeWindow });
  await until(async () => (await approvalRecord(documents, local, planId))?.taskToken, `${planId} waiting for its window`);
  return execution;
}

/** `plangate …` calls as `who`, in-process: their exit codes (what they printed is in `output`). */
async function as<T>(who: LocalIdentity, calls: () => Promise<T>): Promise<T> {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = who.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = who.secretAccessKey;
  output.stdout = '';
  output.stderr = '';
  try {
    return await calls();
  } finally {
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    process.exitCode = undefined;
  }
}
const run = (...args: string[]) => main(['--region', 'us-east-1', '--endpoint', local.baseUrl, ...args]);
const plangate = (who: LocalIdentity, ...args: string[]) => as(who, () => run(...args));

test('an operator runs a waiting run now: executed once, before notBefore, the action recorded; a second run-now is refused', async () => {
  const window = windowOf(10 * MINUTE);
  const execution = await waitingRun('plan-runnow000001', window);
  expect(await plangate(OPERATOR, 'run-now', 'plan-runnow000001', '--reason', 'the fix is urgent')).toBe(0);
  expect(output.stdout).toContain('stops waiting and executes it now');
  expect(output.stdout).toContain(`Run now by ${OPERATOR.arn}`);
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'SUCCEEDED' });
  const calls = executions('plan-runnow000001');
  expect(calls).toHaveLength(1);
  expect(Date.parse(calls[0]!.at)).toBeLessThan(Date.parse(window.notBefore));
  expect((await approvalRecord(documents, local, 'plan-runnow000001'))?.windowActions).toEqual([
    expect.objectContaining({ action: 'run-now', by: OPERATOR.arn, principal: OPERATOR.arn, reason: 'the fix is urgent' }),
  ]);
  expect(await plangate(OPERATOR, 'run-now', 'plan-runnow000001')).toBe(5);
  expect(output.stderr).toContain('plan-runnow000001 is not waiting for its execution window');
}, 60_000);

test('two run-now calls at once: one ends the wait, the other is refused, and the plan is executed once', async () => {
  const execution = await waitingRun('plan-runnowrace01', windowOf(10 * MINUTE));
  const codes = await as(OPERATOR, () => Promise.all([1, 2].map(() => run('run-now', 'plan-runnowrace01'))));
  expect(codes.sort()).toEqual([0, 5]);
  expect((await execution.finished).output).toMatchObject({ outcome: 'SUCCEEDED' });
  expect(executions('plan-runnowrace01')).toHaveLength(1);
}, 60_000);

test('an approver cancels a waiting run: CANCELLED naming who and why, nothing executed, the plan released; reschedule after it is refused', async () => {
  const execution = await waitingRun('plan-cancel000001', windowOf(10 * MINUTE));
  expect(await plangate(ALICE, 'cancel', 'plan-cancel000001', '--reason', 'the database team needs the night')).toBe(0);
  const done = await execution.finished;
  expect(done.output).toMatchObject({
    outcome: 'CANCELLED',
    reason: expect.stringMatching(
      /Cancelled by alice@example\.com \(arn:aws:sts::\d+:assumed-role\/PlanGateApprover\/alice\) at .*: the database team needs the night/,
    ),
  });
  expect(executions('plan-cancel000001')).toHaveLength(0);
  expect(await approvalRecord(documents, local, 'plan-cancel000001')).toMatchObject({
    status: 'APPROVED',
    released: true,
    outcome: { outcome: 'CANCELLED' },
    cancelled: { action: 'cancel', by: 'alice@example.com', reason: 'the database team needs the night' },
  });
  const later = windowOf(MINUTE);
  expect(await plangate(ALICE, 'reschedule', 'plan-cancel000001', '--not-before', later.notBefore, '--not-after', later.notAfter)).toBe(5);
  expect(output.stderr).toContain('plan-cancel000001 is not waiting for its execution window (its run ended CANCELLED)');
}, 60_000);

test('an approver reschedules a waiting run earlier: it executes in the new window, before the old one opens', async () => {
  const old = windowOf(10 * MINUTE);
  const execution = await waitingRun('plan-reschedule01', old);
  const moved = windowOf(8_000);
  expect([
    await plangate(ALICE, 'reschedule', 'plan-reschedule01', '--not-before', moved.notBefore, '--not-after', moved.notAfter),
    output.stderr,
  ]).toEqual([0, '']);
  expect(output.stdout).toContain('Rescheduled by alice@example.com');
  // `plangate status` shows the window as it now is and who moved it.
  expect(await plangate(ALICE, 'status', 'plan-reschedule01')).toBe(0);
  expect(output.stdout).toContain(`not before ${moved.notBefore}, not after ${moved.notAfter}`);
  expect(output.stdout).toMatch(/Window actions.*Rescheduled by alice@example\.com/);
  expect((await execution.finished).output).toMatchObject({ outcome: 'SUCCEEDED' });
  const calls = executions('plan-reschedule01');
  expect(calls).toHaveLength(1);
  expect(Date.parse(calls[0]!.at)).toBeGreaterThanOrEqual(Date.parse(moved.notBefore));
  expect(Date.parse(calls[0]!.at)).toBeLessThan(Date.parse(old.notBefore));
}, 60_000);

test('a signed call from someone who may not: a non-approver cannot cancel, an approver cannot run now; the run still waits', async () => {
  const execution = await waitingRun('plan-refused00001', windowOf(10 * MINUTE));
  expect(await plangate(OPERATOR, 'cancel', 'plan-refused00001')).toBe(4);
  expect(output.stderr).toContain(`${OPERATOR.arn} is not an approver`);
  expect(await plangate(ALICE, 'run-now', 'plan-refused00001')).toBe(4);
  expect(output.stderr).toContain('is not an operator: no plangate:windowOperators pattern matches it');
  const record = await approvalRecord(documents, local, 'plan-refused00001');
  expect(record?.taskToken).toBeDefined();
  expect(record?.windowActions).toBeUndefined();
  expect(await plangate(ALICE, 'cancel', 'plan-refused00001')).toBe(0);
  expect((await execution.finished).output).toMatchObject({ outcome: 'CANCELLED' });
}, 60_000);
