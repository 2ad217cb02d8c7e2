import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * Auto-approval in local mode (plangate:autoApproveUpTo = LOW), with the default quorum (HIGH needs two):
 * a LOW-risk plan runs without anyone being asked, while a HIGH-risk one waits for two people.
 */
let local: LocalMode;
let audit: DynamoDBDocumentClient;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: { 'plangate:autoApproveUpTo': 'LOW' } });
  audit = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: local.baseUrl }));
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  audit.destroy();
  await local.close();
});

/** The approval record, read as an auditor would: GetItem on the approval table. */
const auditRecord = async (planId: string) =>
  (await audit.send(new GetCommand({ TableName: local.approvalTable, Key: { pk: `PLAN#${planId}` }, ConsistentRead: true }))).Item!;
const approvalRequests = (planId: string) =>
  local.outbox.list().filter((e) => e.channel === 'email' && e.subject?.includes('Approval needed') && e.body.includes(planId));
const linkOf = async (recipient: string, planId: string) => {
  for (let i = 0; i < 300; i++) {
    const entry = approvalRequests(planId).find((e) => e.recipient === recipient);
    if (entry) return entry.urls[0]!;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no link for ${recipient}`);
};
const approve = (link: string, comment: string) =>
  fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision: 'approve', comment }).toString(),
  });
const executions = (planId: string) =>
  local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && JSON.stringify(c.input).includes(planId));

test('a LOW-risk plan runs without waiting while a HIGH-risk one waits for two approvals; both are on the record', async () => {
  const high = local.stepFunctions.startExecution({ planId: 'plan-demoorders0001', requestedBy: 'dev@example.com' });
  const low = local.stepFunctions.startExecution({ planId: 'plan-demodashbrd001', requestedBy: 'dev@example.com' });

  const lowDone = await low.finished;
  expect(lowDone.output).toMatchObject({
    outcome: 'SUCCEEDED',
    decision: 'APPROVED',
    approver: 'rule: LOW risk is within plangate:autoApproveUpTo (LOW)',
  });
  expect(approvalRequests('plan-demodashbrd001')).toEqual([]);
  expect(high.status).toBe('RUNNING');
  expect(executions('plan-demoorders0001')).toEqual([]);

  const lowRecord = await auditRecord('plan-demodashbrd001');
  expect(lowRecord).toMatchObject({
    status: 'APPROVED',
    requestedBy: 'dev@example.com',
    requiredApprovals: 0,
    decision: { decision: 'APPROVED', channel: 'rule', rule: 'LOW risk is within plangate:autoApproveUpTo (LOW)' },
    review: { changesDigest: expect.stringMatching(/^[0-9a-f]{64}$/), summary: { risk: 'LOW' } },
    execution: { idempotencyToken: (lowDone.output as { idempotencyToken: string }).idempotencyToken },
    outcome: { outcome: 'SUCCEEDED' },
  });

  const alice = await linkOf('alice@example.com', 'plan-demoorders0001');
  expect(await fetch(alice).then((r) => r.text())).toContain('HIGH risk needs 2 approvals (plangate:requiredApprovals)');
  expect((await approve(alice, 'table copy verified')).status).toBe(200);
  expect(high.status).toBe('RUNNING');
  expect((await approve(await linkOf('bob@example.com', 'plan-demoorders0001'), 'ok')).status).toBe(200);
  const highDone = await high.finished;
  expect(highDone.output).toMatchObject({ outcome: 'SUCCEEDED', approver: 'Alice Martin <alice@example.com>, Bob Chen <bob@example.com>' });
  expect(executions('plan-demoorders0001')).toHaveLength(1);

  const highRecord = await auditRecord('plan-demoorders0001');
  expect(highRecord).toMatchObject({
    status: 'APPROVED',
    requiredApprovals: 2,
    review: { summary: { risk: 'HIGH' }, policy: { rule: 'HIGH risk needs 2 approvals (plangate:requiredApprovals)' } },
    approvals: [
      { approver: { email: 'alice@example.com' }, channel: 'web', comment: 'table copy verified', decidedAt: expect.any(String) },
      { approver: { email: 'bob@example.com' }, channel: 'web', comment: 'ok', decidedAt: expect.any(String) },
    ],
    execution: { idempotencyToken: (highDone.output as { idempotencyToken: string }).idempotencyToken },
    outcome: { outcome: 'SUCCEEDED' },
  });
  expect(highRecord.taskToken).toBeUndefined();
});

test('a MEDIUM-risk plan is above the auto-approval level: a person is asked', async () => {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: 'plan-medium0000001', PlanName: 'queue-settings', ProvisionProductName: 'orders-queue' },
    ResourceChanges: [
      { Action: 'MODIFY', LogicalResourceId: 'Queue', PhysicalResourceId: 'orders', ResourceType: 'AWS::SQS::Queue', Replacement: 'CONDITIONAL' },
    ],
  });
  const run = local.stepFunctions.startExecution({ planId: 'plan-medium0000001' });
  const link = await linkOf('carol@example.com', 'plan-medium0000001');
  expect(await fetch(link).then((r) => r.text())).toContain('may replace AWS::SQS::Queue');
  await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=reject' });
  expect((await run.finished).output).toMatchObject({ outcome: 'REJECTED' });
  expect(executions('plan-medium0000001')).toEqual([]);
});

test('two triggers for one auto-approved plan execute it once: the second run is a duplicate', async () => {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: 'plan-autotwice0001', PlanName: 'add-alarm', ProvisionProductName: 'observability-dev' },
    ResourceChanges: [{ Action: 'ADD', LogicalResourceId: 'Alarm', ResourceType: 'AWS::CloudWatch::Alarm' }],
    simulation: { recordSeconds: 0.2 },
  });
  const runs = [
    local.stepFunctions.startExecution({ planId: 'plan-autotwice0001' }),
    local.stepFunctions.startExecution({ planId: 'plan-autotwice0001' }),
  ];
  const outcomes = (await Promise.all(runs.map((r) => r.finished))).map((e) => (e.output as { outcome: string }).outcome).sort();
  expect(outcomes).toEqual(['DUPLICATE', 'SUCCEEDED']);
  expect(executions('plan-autotwice0001')).toHaveLength(1);
});
