import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ONE_APPROVAL } from '../fixtures/context';
import {
  approvalLinkFor,
  approvalRecord,
  clientConfig,
  decideOnPage,
  LOCAL_MODE_START_MS,
  type LocalMode,
  startLocalMode,
} from '../support/local-mode';

/**
 * The change calendar (issue 23) in local mode, on real wall-clock time: a freeze on IAM changes that never ends, and
 * a freeze on queues that ends 75 s after this file starts (so the template is synthesized here, with those times).
 * onClosed is `wait`, at most an hour after the approval.
 */
const startedAt = Date.now();
// Whole seconds: windows are local date-times to the second.
const freezeEndsAt = new Date(Math.floor((startedAt + 75_000) / 1000) * 1000);
/** A freeze on topics that starts after the queue test (so a run reviewed before it is approved after it starts). */
const lateFreezeStartsAt = new Date(Math.floor((startedAt + 120_000) / 1000) * 1000);
const localTime = (at: Date) => at.toISOString().slice(0, 19);
const CALENDAR_CONTEXT = {
  ...ONE_APPROVAL,
  'plangate:autoApproveUpTo': 'LOW',
  'plangate:changeCalendar': {
    windows: [
      { name: 'identity-freeze', kind: 'deny', start: '2020-01-01T00:00', end: '2099-01-01T00:00', scope: { resourceTypes: ['AWS::IAM::*'] } },
      {
        name: 'queue-migration',
        kind: 'deny',
        start: localTime(new Date(startedAt - 60_000)),
        end: localTime(freezeEndsAt),
        scope: { resourceTypes: ['AWS::SQS::*'] },
      },
      { name: 'topic-freeze', kind: 'deny', start: localTime(lateFreezeStartsAt), duration: 'PT10H', scope: { resourceTypes: ['AWS::SNS::*'] } },
    ],
    onClosed: 'wait',
    maxWaitHours: 1,
  },
};

let local: LocalMode;
let documents: DynamoDBDocumentClient;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: CALENDAR_CONTEXT });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(local)));
}, LOCAL_MODE_START_MS * 2);
afterAll(() => local.close());

const executions = (planId: string) =>
  local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && JSON.stringify(c.input).includes(planId));

function registerPlan(planId: string, change: { LogicalResourceId: string; ResourceType: string; Action: string }) {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: planId, PlanName: change.LogicalResourceId, ProvisionProductName: 'orders' },
    ResourceChanges: [{ ...change, Replacement: 'FALSE', ...(change.Action === 'MODIFY' ? { PhysicalResourceId: 'p' } : {}) }],
    simulation: { recordSeconds: 0.2 },
  });
}

test('a freeze that does not end within maxWaitHours: the approved run ends FROZEN naming it, nothing runs, the plan is released', async () => {
  registerPlan('plan-calendarrole01', { Action: 'ADD', LogicalResourceId: 'AppRole', ResourceType: 'AWS::IAM::Role' });
  const execution = local.stepFunctions.startExecution({ planId: 'plan-calendarrole01' });
  const link = await approvalLinkFor(local, 'alice@example.com', 'plan-calendarrole01');
  // The approvers see the calendar as it was at review; the check before executing decides.
  expect(await (await fetch(link)).text()).toContain('closed when reviewed');
  await decideOnPage(link, 'approve');
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'FROZEN', reason: expect.stringContaining('identity-freeze') });
  expect((done.output as { reason: string }).reason).toContain('does not open within 1 hours of the approval');
  expect(executions('plan-calendarrole01')).toHaveLength(0);
  expect(await approvalRecord(documents, local, 'plan-calendarrole01')).toMatchObject({ status: 'APPROVED', released: true });
  expect(local.outbox.list().some((e) => e.subject?.includes('FROZEN') && e.body.includes('identity-freeze'))).toBe(true);
});

test('with onClosed wait, an approved plan waits for the freeze to end, then executes once', async () => {
  registerPlan('plan-calendarqueue1', { Action: 'MODIFY', LogicalResourceId: 'Jobs', ResourceType: 'AWS::SQS::Queue' });
  const execution = local.stepFunctions.startExecution({ planId: 'plan-calendarqueue1' });
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'SUCCEEDED' });
  const calls = executions('plan-calendarqueue1');
  expect(calls).toHaveLength(1);
  expect(Date.parse(calls[0]!.at)).toBeGreaterThanOrEqual(freezeEndsAt.getTime());
}, 180_000);

test('a freeze that starts between the approval request and the execution blocks the execution', async () => {
  registerPlan('plan-calendartopic1', { Action: 'REMOVE', LogicalResourceId: 'Alerts', ResourceType: 'AWS::SNS::Topic' });
  const execution = local.stepFunctions.startExecution({ planId: 'plan-calendartopic1' });
  const link = await approvalLinkFor(local, 'bob@example.com', 'plan-calendartopic1');
  expect(await (await fetch(link)).text()).toContain('open when reviewed');
  await new Promise((r) => setTimeout(r, Math.max(0, lateFreezeStartsAt.getTime() - Date.now() + 500)));
  await decideOnPage(link, 'approve');
  expect((await execution.finished).output).toMatchObject({ outcome: 'FROZEN', reason: expect.stringContaining('topic-freeze') });
  expect(executions('plan-calendartopic1')).toHaveLength(0);
}, 180_000);
