import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ONE_APPROVAL } from '../fixtures/context';
import { approvalRecord, clientConfig, LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * Emergency changes (issue 23) in local mode: a freeze on everything that covers the whole test, onClosed `reject`;
 * the on-call role may start emergency changes, and the incident list is told of each.
 */
const ONCALL = 'arn:aws:sts::000000000000:assumed-role/Oncall/dave';
const EMERGENCY_CONTEXT = {
  ...ONE_APPROVAL,
  'plangate:autoApproveUpTo': 'NONE',
  'plangate:changeCalendar': {
    windows: [{ name: 'quarter-close', kind: 'deny', start: '2020-01-01T00:00', end: '2099-01-01T00:00' }],
    onClosed: 'reject',
    emergency: { requesters: ['arn:aws:sts::000000000000:assumed-role/Oncall/*'], notify: ['incidents@example.com'] },
  },
};

let local: LocalMode;
let documents: DynamoDBDocumentClient;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: EMERGENCY_CONTEXT });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(local)));
}, LOCAL_MODE_START_MS * 2);
afterAll(() => local.close());

const executions = (planId: string) =>
  local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && JSON.stringify(c.input).includes(planId));

function registerPlan(planId: string) {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: planId, PlanName: 'rollback', ProvisionProductName: 'payments' },
    ResourceChanges: [
      { Action: 'MODIFY', LogicalResourceId: 'Jobs', ResourceType: 'AWS::SQS::Queue', PhysicalResourceId: 'p', Replacement: 'FALSE' },
    ],
    simulation: { recordSeconds: 0.2 },
  });
}

async function emailTo(recipient: string, planId: string, subject: string) {
  for (let i = 0; i < 300; i++) {
    const email = local.outbox.list().find((e) => e.recipient === recipient && e.body.includes(planId) && e.subject?.includes(subject));
    if (email) return email;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`No email "${subject}" to ${recipient} about ${planId}`);
}

test('an emergency change from an allowed requester executes during a freeze, after its approvals, and everyone is told', async () => {
  registerPlan('plan-emergency00001');
  const reason = 'Payments are down: roll back the queue change';
  const execution = local.stepFunctions.startExecution({
    planId: 'plan-emergency00001',
    requestedBy: ONCALL,
    changeClass: 'emergency',
    emergencyReason: reason,
  });
  // Every approver and the incident list, at once, before anyone approves.
  for (const recipient of ['alice@example.com', 'bob@example.com', 'carol@example.com', 'incidents@example.com']) {
    const notice = await emailTo(recipient, 'plan-emergency00001', 'Emergency change under way');
    expect(notice.body).toContain(reason);
    expect(notice.body).toContain(ONCALL);
  }
  const link = (await emailTo('alice@example.com', 'plan-emergency00001', 'Approval needed')).urls[0]!;
  const page = await (await fetch(link)).text();
  expect(page).toContain('Emergency change');
  expect(page).toContain('closed when reviewed');
  // Still waiting on the approval: the emergency skips the calendar, not the approvers.
  expect(executions('plan-emergency00001')).toHaveLength(0);
  await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'SUCCEEDED', emergency: { reason, requestedBy: ONCALL } });
  expect(executions('plan-emergency00001')).toHaveLength(1);
  expect(await approvalRecord(documents, local, 'plan-emergency00001')).toMatchObject({ review: { emergency: { reason, requestedBy: ONCALL } } });
  expect(local.outbox.list().some((e) => e.subject?.includes('SUCCEEDED') && e.body.includes(`Emergency change: requested by ${ONCALL}`))).toBe(true);
}, 120_000);

test('an emergency change from anyone else is refused (DENIED, naming the requesters setting) and nothing executes', async () => {
  registerPlan('plan-emergency00002');
  const execution = local.stepFunctions.startExecution({
    planId: 'plan-emergency00002',
    requestedBy: 'arn:aws:sts::000000000000:assumed-role/Developer/mallory',
    changeClass: 'emergency',
    emergencyReason: 'I want it now',
  });
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'DENIED', reason: expect.stringContaining('plangate:changeCalendar.emergency.requesters') });
  expect(executions('plan-emergency00002')).toHaveLength(0);
  expect(local.outbox.list().some((e) => e.subject?.includes('Emergency change under way') && e.body.includes('plan-emergency00002'))).toBe(false);
});
