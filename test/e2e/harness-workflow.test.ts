import { AwsApiError } from '../../local/service-catalog';
import { idempotencyToken } from '../../lambdas/execute-plan/execute-plan';
import { ordersServicePlan } from '../fixtures/plans';
import { synthesizedTemplate } from '../support/prebuilt';
import { ONE_APPROVAL } from '../fixtures/context';
import { type Harness, startHarness } from '../support/workflow-harness';

/**
 * The synthesized state machine, run by aws-local-stepfunctions with every task bound to its real
 * handler (see test/support/workflow-harness.ts). Each test uses its own plan id.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness(await synthesizedTemplate(ONE_APPROVAL));
});
afterAll(() => h.stop());

const executeCalls = (planId: string) =>
  h.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.input.PlanId === planId);

const statesEntered = (execution: { events: { type: string; state?: { name: string } }[] }) =>
  execution.events.filter((e) => e.type === 'StateEntered').map((e) => e.state!.name);

describe('an approved plan', () => {
  test('is executed once and reported SUCCEEDED with who approved it', async () => {
    const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-approved000001'));
    const execution = await h.run({ planId, requestedBy: 'dev@example.com' }, { decision: 'approve', comment: 'ship it' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toMatchObject({ outcome: 'SUCCEEDED', planId, approver: 'Alice Martin <alice@example.com>', comment: 'ship it' });
    expect(executeCalls(planId)).toEqual([
      {
        operation: 'ExecuteProvisionedProductPlan',
        input: { PlanId: planId, AcceptLanguage: 'en', IdempotencyToken: idempotencyToken(execution.executionArn, planId) },
      },
    ]);

    const { emails, events } = h.outcomesOf(planId);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toBe(`[PlanGate] SUCCEEDED: orders-service-prod-update (${planId})`);
    expect(emails[0]!.body).toContain('Decision: APPROVED by Alice Martin <alice@example.com>');
    expect(emails[0]!.body).toContain('QueueUrl = https://sqs.example/orders');
    expect(events).toEqual([expect.objectContaining({ outcome: 'SUCCEEDED', recordStatus: 'SUCCEEDED', provisionedProductName: 'orders-service-prod' })]);

    const record = await h.store.get(planId);
    expect(record).toMatchObject({
      status: 'APPROVED',
      decision: { decision: 'APPROVED', approver: { email: 'alice@example.com' }, comment: 'ship it', channel: 'web' },
      outcome: { outcome: 'SUCCEEDED', idempotencyToken: idempotencyToken(execution.executionArn, planId) },
    });
    expect(record?.taskToken).toBeUndefined();
  });

  test('sends each approver one personal link, tagged for their subscription filter', async () => {
    const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-personal000001'));
    const execution = h.stepFunctions.startExecution({ planId });
    const links = await h.untilWaitingForApproval(execution.executionArn, planId);

    expect([...links.keys()].sort()).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    expect(new Set(links.values()).size).toBe(3);
    const requests = h.emails.filter((e) => e.body.includes(planId) && e.approver);
    expect(requests.map((e) => e.body.match(/^Hello (.*),/)?.[1])).toEqual(['Alice Martin', 'Bob Chen', 'Carol Diaz']);
    // Removals and replacements are listed first.
    const listed = requests[0]!.body.split('\n').filter((l) => l.startsWith('  - '));
    expect(listed.map((l) => l.split(' ')[3])).toEqual(['REMOVE', 'MODIFY', 'ADD', 'MODIFY']);
    expect(listed[1]).toContain('OrdersTable AWS::DynamoDB::Table [orders] (REPLACEMENT)');

    await h.http('POST', links.get('bob@example.com')!, { decision: 'approve' });
    const done = await execution.finished;
    expect(done.output).toMatchObject({ outcome: 'SUCCEEDED', approver: 'Bob Chen <bob@example.com>' });
  });

  test('reports a FAILED record with its errors, after polling through IN_PROGRESS_IN_ERROR', async () => {
    const plan = ordersServicePlan('plan-recordfail0001');
    plan.simulation = {
      recordSeconds: 0.4,
      finalStatus: 'FAILED',
      recordErrors: [{ Code: 'CFN_ROLLBACK', Description: 'OrdersTable: Resource handler returned message: "Table already exists"' }],
    };
    const planId = h.serviceCatalog.registerPlan(plan);
    const execution = await h.run({ planId }, { decision: 'approve' });

    expect(execution.output).toMatchObject({ outcome: 'FAILED', recordStatus: 'FAILED' });
    const seen = execution.events
      .filter((e) => e.type === 'StateExited' && e.state?.name === 'CheckRecord')
      .map((e) => (e.state!.output as { record: { status: string } }).record.status);
    expect(seen).toContain('IN_PROGRESS_IN_ERROR');
    expect(seen.indexOf('IN_PROGRESS_IN_ERROR')).toBeLessThan(seen.indexOf('FAILED'));
    expect(seen.at(-1)).toBe('FAILED');

    const { emails, events } = h.outcomesOf(planId);
    expect(emails[0]!.body).toContain('FAILED: CFN_ROLLBACK: OrdersTable: Resource handler returned message: "Table already exists"');
    expect(events[0].recordErrors).toEqual([{ code: 'CFN_ROLLBACK', description: expect.stringContaining('Table already exists') }]);
  });

  test('retried after a throttled ExecuteProvisionedProductPlan creates one record', async () => {
    const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-throttled00001'));
    h.serviceCatalog.failNext('ExecuteProvisionedProductPlan', new AwsApiError('ThrottlingException', 'Rate exceeded'));
    const recordsBefore = h.serviceCatalog.recordCount;
    const execution = await h.run({ planId }, { decision: 'approve' });

    expect(execution.output).toMatchObject({ outcome: 'SUCCEEDED' });
    expect(execution.events.filter((e) => e.type === 'StateRetried').map((e) => e.state?.name)).toEqual(['ExecutePlan']);
    const tokens = executeCalls(planId).map((c) => c.input.IdempotencyToken);
    expect(tokens).toHaveLength(2);
    expect(new Set(tokens).size).toBe(1);
    expect(h.serviceCatalog.recordCount - recordsBefore).toBe(1);
  });

  test('retried after Service Catalog executed it but the answer was lost, reuses the same record', async () => {
    const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-lostanswer0001'));
    h.serviceCatalog.failNext('ExecuteProvisionedProductPlan', new AwsApiError('InternalFailure', 'Internal error', 500), { afterProcessing: true });
    const recordsBefore = h.serviceCatalog.recordCount;
    const execution = await h.run({ planId }, { decision: 'approve' });

    expect(execution.output).toMatchObject({ outcome: 'SUCCEEDED' });
    expect(executeCalls(planId)).toHaveLength(2);
    expect(h.serviceCatalog.recordCount - recordsBefore).toBe(1);
  });
});

describe('a rejected plan', () => {
  test('is not executed, and the notification carries the comment', async () => {
    const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-rejected000001'));
    const execution = await h.run({ planId }, { as: 'carol@example.com', decision: 'reject', comment: 'Do not drop the orders table' });

    expect(execution.output).toMatchObject({ outcome: 'REJECTED', decision: 'REJECTED', approver: 'Carol Diaz <carol@example.com>' });
    expect(executeCalls(planId)).toEqual([]);
    const { emails } = h.outcomesOf(planId);
    expect(emails[0]!.body).toContain('Rejected by Carol Diaz <carol@example.com> at');
    expect(emails[0]!.body).toContain('"Do not drop the orders table"');
    expect(await h.store.get(planId)).toMatchObject({ status: 'REJECTED', outcome: { outcome: 'REJECTED' } });
  });
});

describe('input that cannot be used', () => {
  test.each([
    [{}, 'planId is required'],
    [{ planId: 'plan with spaces' }, 'planId must be 1-100 characters'],
    [{ planId: 'p'.repeat(101) }, 'planId must be 1-100 characters'],
    [{ planId: 'plan-ok', acceptLanguage: 'fr' }, 'acceptLanguage must be one of "en", "jp", "zh"'],
  ])('%j ends the run as INVALID_INPUT naming the problem, touching nothing', async (input, problem) => {
    const callsBefore = h.serviceCatalog.calls.length;
    const execution = await h.run(input);

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toMatchObject({ outcome: 'INVALID_INPUT', reason: expect.stringContaining(problem) });
    expect(h.serviceCatalog.calls.length).toBe(callsBefore);
    expect(statesEntered(execution)).not.toContain('RequestApproval');
  });
});

describe('a plan that is not ready', () => {
  test('CREATE_FAILED ends the run with the plan StatusMessage and asks nobody', async () => {
    const planId = h.serviceCatalog.registerPlan(
      ordersServicePlan('plan-createfail0001', { Status: 'CREATE_FAILED', StatusMessage: 'Parameter DbInstanceClass is invalid' }),
    );
    const execution = await h.run({ planId });

    expect(execution.output).toMatchObject({ outcome: 'PLAN_NOT_READY' });
    expect(h.outcomesOf(planId).emails[0]!.body).toContain(`Plan ${planId} is CREATE_FAILED, not CREATE_SUCCESS: Parameter DbInstanceClass is invalid`);
    expect(h.approvalLinks(planId).size).toBe(0);
  });

  test('an unknown plan id reaches the notification with Service Catalog error', async () => {
    const execution = await h.run({ planId: 'plan-doesnotexist01' });
    expect(execution.output).toMatchObject({
      outcome: 'PLAN_NOT_READY',
      reason: 'Service Catalog cannot describe plan plan-doesnotexist01: Plan plan-doesnotexist01 not found',
    });
  });

  test('CREATE_IN_PROGRESS is checked again until the plan is ready', async () => {
    const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-inprogress0001', { Status: 'CREATE_IN_PROGRESS' }));
    const execution = h.stepFunctions.startExecution({ planId });
    // Let the run see the plan in progress at least twice, then let it finish creating.
    while (h.serviceCatalog.calls.filter((c) => c.input.PlanId === planId).length < 2) await new Promise((r) => setTimeout(r, 5));
    h.serviceCatalog.registerPlan(ordersServicePlan(planId));
    const links = await h.untilWaitingForApproval(execution.executionArn, planId);
    await h.http('POST', links.get('alice@example.com')!, { decision: 'approve' });
    const done = await execution.finished;

    expect(done.output).toMatchObject({ outcome: 'SUCCEEDED' });
    expect(statesEntered(done).filter((s) => s === 'Wait for plan').length).toBeGreaterThanOrEqual(2);
  });
});

describe('duplicate triggers', () => {
  test('a second run for a plan with an approval in progress ends as DUPLICATE; the plan runs once', async () => {
    const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-duplicate00001'));
    const first = h.stepFunctions.startExecution({ planId });
    const links = await h.untilWaitingForApproval(first.executionArn, planId);
    const second = await h.run({ planId });

    expect(second.output).toMatchObject({ outcome: 'DUPLICATE', reason: expect.stringContaining(`opened by run ${first.executionArn}`) });
    await h.http('POST', links.get('alice@example.com')!, { decision: 'approve' });
    expect((await first.finished).output).toMatchObject({ outcome: 'SUCCEEDED' });

    // Once executed, the plan is no longer CREATE_SUCCESS: a late trigger cannot run it again either.
    const third = await h.run({ planId });
    expect(third.output).toMatchObject({ outcome: 'PLAN_NOT_READY', reason: expect.stringContaining('EXECUTE_SUCCESS') });
    expect(executeCalls(planId)).toHaveLength(1);
    // The duplicates did not overwrite the first run's audit record.
    expect(await h.store.get(planId)).toMatchObject({ executionArn: first.executionArn, outcome: { outcome: 'SUCCEEDED' } });
  });
});

describe('the approval link', () => {
  test('decides nothing on GET, once on POST, and shows the decision afterwards', async () => {
    const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-linkcheck00001'));
    const execution = h.stepFunctions.startExecution({ planId });
    const links = await h.untilWaitingForApproval(execution.executionArn, planId);

    // A mail scanner fetching the link.
    for (let i = 0; i < 3; i++) expect((await h.http('GET', links.get('bob@example.com')!)).statusCode).toBe(200);
    expect(await h.store.get(planId)).toMatchObject({ status: 'PENDING' });
    expect(execution.status).toBe('RUNNING');

    expect((await h.http('POST', links.get('bob@example.com')!, { decision: 'reject', comment: 'not now' })).statusCode).toBe(200);
    const late = await h.http('POST', links.get('alice@example.com')!, { decision: 'approve' });
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('was <strong>rejected</strong> by Bob Chen &lt;bob@example.com&gt;');
    expect((await execution.finished).output).toMatchObject({ outcome: 'REJECTED' });
    expect(executeCalls(planId)).toEqual([]);
  });

  test('never lets a task token reach a log line, an email or a page', async () => {
    const planId = h.serviceCatalog.registerPlan(ordersServicePlan('plan-tokenleak00001'));
    const execution = h.stepFunctions.startExecution({ planId });
    const links = await h.untilWaitingForApproval(execution.executionArn, planId);
    const page = await h.http('GET', links.get('alice@example.com')!);
    await h.http('POST', links.get('alice@example.com')!, { decision: 'approve' });
    await execution.finished;

    expect(h.taskTokens.length).toBeGreaterThan(0);
    const everything = [...h.logs, ...h.emails.map((e) => e.body), page.body, JSON.stringify(h.events)].join('\n');
    for (const token of h.taskTokens) expect(everything).not.toContain(token);
    for (const link of links.values()) expect(h.logs.join('\n')).not.toContain(link.split('/').pop());
  });
});
