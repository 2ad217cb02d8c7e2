import { ordersServicePlan } from '../fixtures/plans';
import { approvalLinkFor, approvalRecord, decideOnPage, LOCAL_MODE_START_MS, registerPlan, startWithClients, until } from '../support/local-mode';

/**
 * Issue 25 in local mode: a decision is told to the requester and the other approvers; the page shows the plan's
 * parameters; a rejection from the page asks for confirmation first.
 */
let env: Awaited<ReturnType<typeof startWithClients>>;
beforeAll(async () => {
  env = await startWithClients({ pollWaitMs: 50 });
}, LOCAL_MODE_START_MS);
afterAll(() => env.close());

const form = (link: string, body: string) => fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
const told = (planId: string) =>
  env.local.outbox.list().filter((e) => e.channel === 'email' && e.subject?.includes('approved') && e.body.includes(planId));

test('when Alice approves a two-approval plan, the requester and Bob are told, once', async () => {
  await registerPlan(env.local, ordersServicePlan('plan-newsalice0001'));
  env.local.stepFunctions.startExecution({ planId: 'plan-newsalice0001', requestedBy: 'carol@example.com' });
  const alice = await approvalLinkFor(env.local, 'alice@example.com', 'plan-newsalice0001');
  const first = await decideOnPage(alice, 'approve');
  expect(first.status).toBe(200);
  expect(await first.text()).toContain('1 of 2 approvals, by Alice Martin');
  const emails = await until(() => told('plan-newsalice0001').length === 2 && told('plan-newsalice0001'), 'the news of Alice’s approval');
  expect(emails.map((e) => e.recipient).sort()).toEqual(['bob@example.com', 'carol@example.com']);
  expect(emails[0]!.subject).toBe('[PlanGate] Alice Martin approved: orders-service-prod-update (plan-newsalice0001)');
  expect(emails[0]!.body).toContain('The request still waits for approvals: 1 of 2 approvals, by Alice Martin.');
  // The same approval posted again is refused, and tells nobody again.
  expect((await decideOnPage(alice, 'approve')).status).toBe(409);
  expect(told('plan-newsalice0001')).toHaveLength(2);
});

test('the page shows the plan’s parameters, set ones first, never a secret-looking value', async () => {
  await registerPlan(
    env.local,
    ordersServicePlan('plan-newsparams001', {
      ProvisioningParameters: [
        { Key: 'InstanceType', UsePreviousValue: true },
        { Key: 'DbPassword', Value: 'hunter2-secret' },
        { Key: 'MinCapacity', Value: '4' },
      ],
    }),
  );
  env.local.stepFunctions.startExecution({ planId: 'plan-newsparams001' });
  const page = await (await fetch(await approvalLinkFor(env.local, 'bob@example.com', 'plan-newsparams001'))).text();
  expect(page).toContain('<table id="parameters">');
  expect(page.indexOf('MinCapacity')).toBeLessThan(page.indexOf('InstanceType'));
  expect(page).toContain('<code>DbPassword</code></td><td>(hidden)</td>');
  expect(page).not.toContain('hunter2');
  const record = await approvalRecord(env.documents, env.local, 'plan-newsparams001');
  expect(JSON.stringify(record)).not.toContain('hunter2');
});

test('a rejection from the page asks for confirmation, then rejects', async () => {
  await registerPlan(env.local, ordersServicePlan('plan-newsreject001'));
  env.local.stepFunctions.startExecution({ planId: 'plan-newsreject001' });
  const bob = await approvalLinkFor(env.local, 'bob@example.com', 'plan-newsreject001');
  const asked = await form(bob, 'decision=confirm-reject&comment=not+before+the+sale');
  expect(asked.status).toBe(200);
  const confirmation = await asked.text();
  expect(confirmation).toContain('Reject plan <bdi>orders-service-prod-update (plan-newsreject001)</bdi>?');
  expect(confirmation).toContain('not before the sale</textarea>');
  expect((await approvalRecord(env.documents, env.local, 'plan-newsreject001'))?.status).toBe('PENDING');
  const rejected = await form(bob, 'confirm=yes&decision=reject&comment=not+before+the+sale');
  expect(rejected.status).toBe(200);
  expect(await rejected.text()).toContain('<h1>Rejected</h1>');
  expect(await approvalRecord(env.documents, env.local, 'plan-newsreject001')).toMatchObject({
    status: 'REJECTED',
    decision: { comment: 'not before the sale' },
  });
});
