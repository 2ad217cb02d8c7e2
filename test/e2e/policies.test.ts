import { POLICIES_CONTEXT } from '../fixtures/context';
import { approvalLinkFor, decideOnPage, LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';
import { signedClick } from '../support/slack';

/**
 * Approval policies in local mode (issue 22): platform (Alice, Bob) at stage 1 for every plan, security (Carol) at
 * stage 2 for IAM changes.
 */
let local: LocalMode;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: POLICIES_CONTEXT });
}, LOCAL_MODE_START_MS);
afterAll(() => local.close());

const emailsAbout = (planId: string) => local.outbox.list().filter((e) => e.subject?.includes('Approval needed') && e.body.includes(planId));
const linkOf = (recipient: string, planId: string) => approvalLinkFor(local, recipient, planId);
const post = decideOnPage;
const slackApprove = async (userId: string, planId: string, responsePath: string) => {
  await fetch(
    `${local.baseUrl}/slack/interactions`,
    signedClick({ userId, action: 'plangate_approve', planId, responseUrl: `${local.baseUrl}${responsePath}` }),
  );
  return JSON.parse(local.outbox.list().find((e) => e.recipient.includes(responsePath))!.body);
};
const executions = (planId: string) =>
  local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && JSON.stringify(c).includes(planId));

/** A plan that adds an IAM role (and changes a queue): HIGH risk, and the IAM rule applies. */
function registerRolePlan(planId: string) {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: planId, PlanName: 'app-role', ProvisionProductName: 'orders' },
    ResourceChanges: [
      { Action: 'ADD', LogicalResourceId: 'AppRole', ResourceType: 'AWS::IAM::Role' },
      { Action: 'MODIFY', LogicalResourceId: 'Jobs', PhysicalResourceId: 'jobs', ResourceType: 'AWS::SQS::Queue', Replacement: 'FALSE' },
    ],
    simulation: { recordSeconds: 0.2 },
  });
}

test('stage 1 asks platform, not security; security is asked once platform approved, and its approval executes the plan', async () => {
  registerRolePlan('plan-policyrole0001');
  const execution = local.stepFunctions.startExecution({ planId: 'plan-policyrole0001' });
  const alice = await linkOf('alice@example.com', 'plan-policyrole0001');
  await linkOf('bob@example.com', 'plan-policyrole0001');
  expect(emailsAbout('plan-policyrole0001').map((e) => e.recipient)).not.toContain('carol@example.com');
  expect(emailsAbout('plan-policyrole0001')[0]!.body).toContain(
    '  - Stage 2 · iam-changes: 1 of security (Carol Diaz), because AWS::IAM::Role AppRole added: 0 of 1',
  );

  // The page shows each requirement and why it applies.
  const view = await (await fetch(alice)).text();
  expect(view).toContain('iam-changes');
  expect(view).toMatch(
    /<td data-label="Rule">iam-changes<\/td><td data-label="Needs">1 of security<\/td>\s*<td data-label="Why">AWS::IAM::Role AppRole added<\/td><td data-label="Who">Carol Diaz<\/td>/,
  );
  expect(view).toContain('waiting on platform: 0 of 1 (stage 1 of 2)');

  // Carol decides in Slack before her stage: refused, nothing counted.
  expect(await slackApprove('U0CAROL03', 'plan-policyrole0001', '/local/slack/responses/carol-early')).toMatchObject({
    response_type: 'ephemeral',
    text: expect.stringContaining('Stage 2 opens when stage 1 is complete'),
  });

  const counted = await post(alice, 'approve');
  expect(counted.status).toBe(200);
  expect(await counted.text()).toContain('waiting on security: 0 of 1 (stage 2 of 2)');
  const carol = await linkOf('carol@example.com', 'plan-policyrole0001');
  expect(emailsAbout('plan-policyrole0001').find((e) => e.recipient === 'carol@example.com')!.body).toContain('Stage 2 is open');
  // Bob was asked at stage 1 only: the second stage does not ask him again.
  expect(emailsAbout('plan-policyrole0001').filter((e) => e.recipient === 'bob@example.com')).toHaveLength(1);
  expect(execution.status).toBe('RUNNING');

  expect((await post(carol, 'approve')).status).toBe(200);
  expect((await execution.finished).output).toMatchObject({
    outcome: 'SUCCEEDED',
    approver: 'Alice Martin <alice@example.com>, Carol Diaz <carol@example.com>',
  });
  expect(executions('plan-policyrole0001')).toHaveLength(1);
});

test('a rejection at stage 2 ends the request REJECTED; nothing executes', async () => {
  registerRolePlan('plan-policyrole0002');
  const execution = local.stepFunctions.startExecution({ planId: 'plan-policyrole0002' });
  await post(await linkOf('bob@example.com', 'plan-policyrole0002'), 'approve');
  await post(await linkOf('carol@example.com', 'plan-policyrole0002'), 'reject');
  expect((await execution.finished).output).toMatchObject({ outcome: 'REJECTED', approver: 'Carol Diaz <carol@example.com>' });
  expect(executions('plan-policyrole0002')).toHaveLength(0);
});

test('with Carol as the requester, nobody else can meet the IAM rule: the run ends DENIED at once, naming it', async () => {
  registerRolePlan('plan-policyrole0003');
  const done = await local.stepFunctions.startExecution({ planId: 'plan-policyrole0003', requestedBy: 'carol@example.com' }).finished;
  expect(done.output).toMatchObject({
    outcome: 'DENIED',
    reason:
      'Plan plan-policyrole0003 cannot be approved: rule iam-changes needs 1 approval from group security, but it has no member other than the requester (carol@example.com) to meet it',
  });
  expect(emailsAbout('plan-policyrole0003')).toHaveLength(0);
});

test('a plan without IAM changes needs platform, then the HIGH floor of two from any approver', async () => {
  const execution = local.stepFunctions.startExecution({ planId: 'plan-demoorders0001' });
  await post(await linkOf('alice@example.com', 'plan-demoorders0001'), 'approve');
  // Every rule is met with one approval; HIGH risk needs two: Carol, asked by no rule, is asked now.
  const carol = await linkOf('carol@example.com', 'plan-demoorders0001');
  expect(execution.status).toBe('RUNNING');
  await post(carol, 'approve');
  expect((await execution.finished).output).toMatchObject({ outcome: 'SUCCEEDED' });
});

test('a member removed from the Identity Center group while the run waits can no longer approve; added back, she can', async () => {
  registerRolePlan('plan-policyrole0004');
  const execution = local.stepFunctions.startExecution({ planId: 'plan-policyrole0004' });
  await post(await linkOf('alice@example.com', 'plan-policyrole0004'), 'approve');
  const carol = await linkOf('carol@example.com', 'plan-policyrole0004');
  const members = (change: object) =>
    fetch(`${local.baseUrl}/local/identity-center/groups/Security%20Engineers/members`, { method: 'POST', body: JSON.stringify(change) });
  expect((await members({ remove: ['carol@example.com'] })).status).toBe(200);

  const refused = await post(carol, 'approve');
  expect(refused.status).toBe(409);
  expect(await refused.text()).toContain('Your approval was not counted');
  expect(execution.status).toBe('RUNNING');

  expect((await members({ add: ['carol@example.com'] })).status).toBe(200);
  expect((await post(carol, 'approve')).status).toBe(200);
  expect((await execution.finished).output).toMatchObject({ outcome: 'SUCCEEDED' });
  expect(executions('plan-policyrole0004')).toHaveLength(1);
});
