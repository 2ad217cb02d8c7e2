import { approvalLinkFor, decideOnPage, LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';
import { signedClick } from '../support/slack';

/**
 * Approval rules in local mode, with the default configuration: HIGH risk needs two distinct approvals,
 * counted across the page and Slack; one rejection ends the request; nobody approves their own request.
 */
let local: LocalMode;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: { 'plangate:deniedResourceTypes': ['AWS::IAM::User', 'AWS::EC2::*'] } });
}, LOCAL_MODE_START_MS);
afterAll(() => local.close());

const linkOf = (recipient: string, planId: string) => approvalLinkFor(local, recipient, planId);
const post = decideOnPage;
const slackClick = (userId: string, planId: string, responsePath: string) =>
  fetch(
    `${local.baseUrl}/slack/interactions`,
    signedClick({ userId, action: 'plangate_approve', planId, responseUrl: `${local.baseUrl}${responsePath}` }),
  );
const slackReply = (responsePath: string) => JSON.parse(local.outbox.list().find((e) => e.recipient.includes(responsePath))!.body);

test('a HIGH-risk plan waits for two approvals, counted across the page and Slack', async () => {
  const execution = local.stepFunctions.startExecution({ planId: 'plan-demoorders0001' });
  const alice = await linkOf('alice@example.com', 'plan-demoorders0001');
  expect(local.outbox.list().find((e) => e.recipient === 'alice@example.com')!.body).toContain('Approvals needed: 2 from different approvers');

  const first = await post(alice, 'approve');
  expect(first.status).toBe(200);
  expect(await first.text()).toContain('1 of 2 approvals, by Alice Martin');
  expect(execution.status).toBe('RUNNING');
  // The same approver cannot count twice, on the page or in Slack.
  expect((await post(alice, 'approve')).status).toBe(409);
  await slackClick('U0ALICE01', 'plan-demoorders0001', '/local/slack/responses/alice-again');
  expect(slackReply('/local/slack/responses/alice-again')).toMatchObject({
    response_type: 'ephemeral',
    text: expect.stringContaining('You have already approved'),
  });
  expect(execution.status).toBe('RUNNING');

  await slackClick('U0BOB0002', 'plan-demoorders0001', '/local/slack/responses/bob');
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'SUCCEEDED', approver: 'Alice Martin <alice@example.com>, Bob Chen <bob@example.com>' });
  expect(local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan')).toHaveLength(1);
});

test('a LOW-risk plan needs one approval', async () => {
  const execution = local.stepFunctions.startExecution({ planId: 'plan-demodashbrd001' });
  const res = await post(await linkOf('carol@example.com', 'plan-demodashbrd001'), 'approve');
  expect(await res.text()).toContain('Approved');
  expect((await execution.finished).output).toMatchObject({ outcome: 'SUCCEEDED', approver: 'Carol Diaz <carol@example.com>' });
});

test('one rejection ends the request, even after an approval', async () => {
  const execution = local.stepFunctions.startExecution({ planId: 'plan-demoanalytic01' });
  // A CONDITIONAL replacement of a database: HIGH (sensitive type).
  await post(await linkOf('alice@example.com', 'plan-demoanalytic01'), 'approve');
  await post(await linkOf('carol@example.com', 'plan-demoanalytic01'), 'reject');
  expect((await execution.finished).output).toMatchObject({ outcome: 'REJECTED', approver: 'Carol Diaz <carol@example.com>' });
});

test('an approver cannot approve a run they asked for, on the page or in Slack', async () => {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: 'plan-selfapproval01', PlanName: 'bucket-policy', ProvisionProductName: 'data-lake' },
    ResourceChanges: [
      { Action: 'MODIFY', LogicalResourceId: 'Bucket', PhysicalResourceId: 'lake', ResourceType: 'AWS::S3::Bucket', Replacement: 'FALSE' },
    ],
    simulation: { recordSeconds: 0.2 },
  });
  const execution = local.stepFunctions.startExecution({ planId: 'plan-selfapproval01', requestedBy: 'alice@example.com' });
  const alice = await linkOf('alice@example.com', 'plan-selfapproval01');
  const view = await (await fetch(alice)).text();
  expect(view).toContain('You asked for this change or created the plan, so you cannot approve it');
  expect(view).not.toContain('value="approve"');
  const refused = await post(alice, 'approve');
  expect(refused.status).toBe(403);
  await slackClick('U0ALICE01', 'plan-selfapproval01', '/local/slack/responses/self');
  expect(slackReply('/local/slack/responses/self')).toMatchObject({
    response_type: 'ephemeral',
    text: expect.stringContaining('another approver must approve it'),
  });

  await post(await linkOf('bob@example.com', 'plan-selfapproval01'), 'approve');
  await post(await linkOf('carol@example.com', 'plan-selfapproval01'), 'approve');
  expect((await execution.finished).output).toMatchObject({
    outcome: 'SUCCEEDED',
    approver: 'Bob Chen <bob@example.com>, Carol Diaz <carol@example.com>',
  });
});

test('a plan that touches a denied resource type ends DENIED with the reason; nobody is asked', async () => {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: 'plan-denied0000001', PlanName: 'break-glass-user', ProvisionProductName: 'identity' },
    ResourceChanges: [
      { Action: 'ADD', LogicalResourceId: 'BreakGlass', ResourceType: 'AWS::IAM::User' },
      { Action: 'ADD', LogicalResourceId: 'Bastion', ResourceType: 'AWS::EC2::Instance' },
    ],
  });
  const done = await local.stepFunctions.startExecution({ planId: 'plan-denied0000001' }).finished;
  expect(done.output).toMatchObject({
    outcome: 'DENIED',
    reason: 'Plan plan-denied0000001 is denied by rule: it changes AWS::IAM::User, AWS::EC2::Instance, which plangate:deniedResourceTypes forbids',
  });
  expect(local.outbox.list().some((e) => e.body.includes('plan-denied0000001') && e.subject?.includes('Approval needed'))).toBe(false);
  expect(local.outbox.list().some((e) => e.subject === '[PlanGate] DENIED: plan-denied0000001')).toBe(true);
});
