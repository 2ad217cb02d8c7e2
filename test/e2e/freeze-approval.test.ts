import { ONE_APPROVAL } from '../fixtures/context';
import { approvalLinkFor, decideOnPage, LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * onClosed `require-freeze-approval` (issue 23) in local mode: a freeze on queues that covers the whole test; a plan
 * reviewed in it needs the change board (carol) too, and then executes in the freeze. No plangate:approvalRules.
 */
const FREEZE_CONTEXT = {
  ...ONE_APPROVAL,
  'plangate:groups': { 'change-board': { members: ['carol@example.com'] } },
  'plangate:changeCalendar': {
    windows: [{ name: 'queue-freeze', kind: 'deny', start: '2020-01-01T00:00', end: '2099-01-01T00:00', scope: { resourceTypes: ['AWS::SQS::*'] } }],
    onClosed: 'require-freeze-approval',
    freezeApprovers: { group: 'change-board', count: 1 },
  },
};

let local: LocalMode;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: FREEZE_CONTEXT });
}, LOCAL_MODE_START_MS * 2);
afterAll(() => local.close());

const executions = (planId: string) =>
  local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && JSON.stringify(c.input).includes(planId));

test('a plan reviewed in a freeze needs the change board, and with its approval executes during the freeze', async () => {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: 'plan-freezeapprove1', PlanName: 'Jobs', ProvisionProductName: 'orders' },
    ResourceChanges: [
      { Action: 'MODIFY', LogicalResourceId: 'Jobs', ResourceType: 'AWS::SQS::Queue', PhysicalResourceId: 'p', Replacement: 'FALSE' },
    ],
    simulation: { recordSeconds: 0.2 },
  });
  const execution = local.stepFunctions.startExecution({ planId: 'plan-freezeapprove1' });
  // The change board is asked (its approval meets the floor too), and sees why.
  const carol = await approvalLinkFor(local, 'carol@example.com', 'plan-freezeapprove1');
  const page = await (await fetch(carol)).text();
  expect(page).toContain('change-freeze');
  expect(page).toContain('queue-freeze');
  await decideOnPage(carol, 'approve');
  expect((await execution.finished).output).toMatchObject({ outcome: 'SUCCEEDED' });
  expect(executions('plan-freezeapprove1')).toHaveLength(1);
}, 120_000);
