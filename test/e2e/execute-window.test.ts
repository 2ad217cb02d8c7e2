import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ONE_APPROVAL } from '../fixtures/context';
import { approvalRecord, clientConfig, LOCAL_MODE_START_MS, type LocalMode, startLocalMode, until } from '../support/local-mode';

/**
 * Execution windows (issue 23) in local mode, on real wall-clock time: LOW-risk plans (a queue) are approved by the
 * rule at once, HIGH-risk ones (a role) wait for a person. The run waits until notBefore, then ExecutePlan revalidates.
 */
let local: LocalMode;
let documents: DynamoDBDocumentClient;
/** The run whose window opens 40 s after it starts: started first, so the other tests run while it waits. */
let windowed: { finished: Promise<{ output?: unknown }>; notBefore: Date };
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: { ...ONE_APPROVAL, 'plangate:autoApproveUpTo': 'LOW' } });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(local)));
  registerPlan('plan-windowqueue01', queue);
  const notBefore = new Date(Date.now() + 40_000);
  const execution = local.stepFunctions.startExecution({ planId: 'plan-windowqueue01', executeWindow: windowOf(notBefore, 600_000) });
  windowed = { finished: execution.finished, notBefore };
}, LOCAL_MODE_START_MS * 2);
afterAll(() => local.close());

const queue = { Action: 'MODIFY', LogicalResourceId: 'Jobs', ResourceType: 'AWS::SQS::Queue' };
const role = { Action: 'ADD', LogicalResourceId: 'AppRole', ResourceType: 'AWS::IAM::Role' };
/** A window from `notBefore`, lasting `lengthMs`, in RFC 3339 UTC. */
const windowOf = (notBefore: Date, lengthMs: number) => ({
  notBefore: notBefore.toISOString(),
  notAfter: new Date(notBefore.getTime() + lengthMs).toISOString(),
});
const executions = (planId: string) =>
  local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && JSON.stringify(c.input).includes(planId));

function registerPlan(planId: string, ...changes: { LogicalResourceId: string; ResourceType: string; Action: string }[]) {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: planId, PlanName: changes[0]!.LogicalResourceId, ProvisionProductName: 'orders' },
    ResourceChanges: changes.map((change) => ({
      ...change,
      Replacement: 'FALSE',
      ...(change.Action === 'MODIFY' ? { PhysicalResourceId: 'p' } : {}),
    })),
    simulation: { recordSeconds: 0.2 },
  });
}

test.each([
  ['an end before the start', windowOf(new Date(Date.now() + 3_600_000), -60_000), 'executeWindow.notAfter: must be after executeWindow.notBefore'],
  [
    'an offset instead of UTC',
    { notBefore: '2030-01-01T02:00:00+01:00', notAfter: '2030-01-01T04:00:00Z' },
    'executeWindow.notBefore: must be an RFC 3339',
  ],
  ['a start too far ahead', windowOf(new Date(Date.now() + 40 * 86_400_000), 3_600_000), 'executeWindow.notBefore: must be at most 30 days ahead'],
])('a malformed window (%s) ends INVALID_INPUT naming the field', async (_, executeWindow, message) => {
  registerPlan('plan-windowbad0001', queue);
  const done = await local.stepFunctions.startExecution({ planId: 'plan-windowbad0001', executeWindow }).finished;
  expect(done.output).toMatchObject({ outcome: 'INVALID_INPUT', reason: expect.stringContaining(message) });
  expect(executions('plan-windowbad0001')).toHaveLength(0);
});

test('approvers see the window; one that passes before the approval: WINDOW_MISSED, nothing executed, the plan released', async () => {
  registerPlan('plan-windowmissed1', role);
  const executeWindow = windowOf(new Date(Date.now() + 3_000), 7_000);
  const execution = local.stepFunctions.startExecution({ planId: 'plan-windowmissed1', executeWindow });
  const request = await until(
    () => local.outbox.list().find((e) => e.recipient === 'alice@example.com' && e.body.includes('plan-windowmissed1')),
    'the approval request',
  );
  const link = request.urls[0]!;
  // Approvers see the window: in the email and on the page.
  const shown = `not before ${executeWindow.notBefore.slice(0, 16).replace('T', ' ')} UTC, not after ${executeWindow.notAfter.slice(0, 16).replace('T', ' ')} UTC`;
  expect(request.body).toContain(`Execution window: ${shown}`);
  expect(await (await fetch(link)).text()).toContain(shown);
  await new Promise((r) => setTimeout(r, Date.parse(executeWindow.notAfter) + 1_000 - Date.now()));
  await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
  const done = await execution.finished;
  expect(done.output).toMatchObject({
    outcome: 'WINDOW_MISSED',
    reason: expect.stringContaining(`its execution window ended at ${executeWindow.notAfter}`),
  });
  expect(executions('plan-windowmissed1')).toHaveLength(0);
  expect(await approvalRecord(documents, local, 'plan-windowmissed1')).toMatchObject({ status: 'APPROVED', released: true });
}, 60_000);

test('a plan changed while the run waits for its window: PLAN_CHANGED, nothing executed', async () => {
  registerPlan('plan-windowchange1', queue);
  const executeWindow = windowOf(new Date(Date.now() + 15_000), 600_000);
  const execution = local.stepFunctions.startExecution({ planId: 'plan-windowchange1', executeWindow });
  await until(async () => (await approvalRecord(documents, local, 'plan-windowchange1'))?.status === 'APPROVED', 'the rule’s approval');
  registerPlan('plan-windowchange1', queue, { Action: 'REMOVE', LogicalResourceId: 'Table', ResourceType: 'AWS::DynamoDB::Table' });
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'PLAN_CHANGED' });
  expect(executions('plan-windowchange1')).toHaveLength(0);
}, 60_000);

test('a window 40 s ahead: the approved plan is executed once, at or after notBefore', async () => {
  const done = await windowed.finished;
  expect(done.output).toMatchObject({ outcome: 'SUCCEEDED' });
  const calls = executions('plan-windowqueue01');
  expect(calls).toHaveLength(1);
  expect(Date.parse(calls[0]!.at)).toBeGreaterThanOrEqual(windowed.notBefore.getTime());
}, 120_000);
