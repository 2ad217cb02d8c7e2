import * as sc from '@aws-sdk/client-service-catalog';
import * as sfn from '@aws-sdk/client-sfn';
import { AwsApiError } from '../../local/service-catalog';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';
import { ONE_APPROVAL } from '../fixtures/context';

/**
 * Local mode over HTTP, with the real SDK clients pointed at it: what a platform team's own
 * integration tests would do. One local mode serves the whole file; each test uses its own plan.
 */
let local: LocalMode;
let serviceCatalog: sc.ServiceCatalogClient;
let stepFunctions: sfn.SFNClient;

beforeAll(async () => {
  // WatchRuns counts every 200 ms rather than every 5 minutes.
  local = await startLocalMode({ pollWaitMs: 50, context: ONE_APPROVAL, scheduleMs: 200 });
  const config = { endpoint: local.baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 };
  serviceCatalog = new sc.ServiceCatalogClient(config);
  stepFunctions = new sfn.SFNClient(config);
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  serviceCatalog.destroy();
  stepFunctions.destroy();
  await local.close();
});

const registerPlan = async (body: unknown) => {
  const res = await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { PlanId?: string; error?: string } };
};
const outbox = async () => (await (await fetch(`${local.baseUrl}/local/outbox`)).json()) as { channel: string; recipient: string; subject?: string; body: string; urls: string[] }[];
const start = async (input: unknown) =>
  (await stepFunctions.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: JSON.stringify(input) }))).executionArn!;
const finished = async (executionArn: string) => {
  for (;;) {
    const described = await stepFunctions.send(new sfn.DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return { ...described, result: JSON.parse(described.output ?? '{}') };
    await new Promise((r) => setTimeout(r, 20));
  }
};
const linkFor = async (planId: string, approver = 'alice@example.com') => {
  for (let i = 0; i < 300; i++) {
    const entry = (await outbox()).find((e) => e.recipient === approver && e.body.includes(planId));
    if (entry) return entry.urls[0]!;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no approval link for ${planId}`);
};
const decide = (link: string, decision: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `decision=${decision}` });

describe('the Service Catalog endpoint answers the real client as AWS does', () => {
  test('pages resource changes, 20 at most, with epoch-second timestamps', async () => {
    const plan = ordersServicePlan('plan-localpaging001');
    plan.ResourceChanges = Array.from({ length: 25 }, (_, i) => ({ Action: 'ADD' as const, LogicalResourceId: `Q${i}`, ResourceType: 'AWS::SQS::Queue' }));
    await registerPlan(plan);
    const first = await serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-localpaging001', PageSize: 20 }));
    expect(first.ResourceChanges).toHaveLength(20);
    expect(first.ProvisionedProductPlanDetails?.CreatedTime).toBeInstanceOf(Date);
    const second = await serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-localpaging001', PageToken: first.NextPageToken }));
    expect(second.ResourceChanges?.map((c) => c.LogicalResourceId)).toEqual(['Q20', 'Q21', 'Q22', 'Q23', 'Q24']);
    expect(second.NextPageToken).toBeUndefined();
  });

  test('returns the modeled errors', async () => {
    await expect(serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-nope' }))).rejects.toBeInstanceOf(sc.ResourceNotFoundException);
    await expect(serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'bad id!' }))).rejects.toBeInstanceOf(sc.InvalidParametersException);
    await expect(serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-demoorders0001', PageSize: 21 }))).rejects.toBeInstanceOf(sc.InvalidParametersException);
    await expect(serviceCatalog.send(new sc.DescribeRecordCommand({ Id: 'rec-none' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
    await registerPlan(ordersServicePlan('plan-localfailed001', { Status: 'CREATE_FAILED' }));
    await expect(serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-localfailed001', IdempotencyToken: 't1' }))).rejects.toBeInstanceOf(sc.InvalidStateException);
  });

  test('executes once per IdempotencyToken, and the record moves to SUCCEEDED over time', async () => {
    await registerPlan(ordersServicePlan('plan-localidempot01'));
    const a = await serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-localidempot01', IdempotencyToken: 'tok-1' }));
    const b = await serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-localidempot01', IdempotencyToken: 'tok-1' }));
    expect(b.RecordDetail?.RecordId).toBe(a.RecordDetail?.RecordId);
    expect(a.RecordDetail?.Status).toBe('CREATED');
    await expect(serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-localidempot01', IdempotencyToken: 'tok-2' }))).rejects.toBeInstanceOf(sc.InvalidStateException);
    await new Promise((r) => setTimeout(r, 300));
    const record = await serviceCatalog.send(new sc.DescribeRecordCommand({ Id: a.RecordDetail!.RecordId! }));
    expect(record.RecordDetail?.Status).toBe('SUCCEEDED');
    const plan = await serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-localidempot01' }));
    expect(plan.ProvisionedProductPlanDetails?.Status).toBe('EXECUTE_SUCCESS');
  });

  test('lists and deletes plans', async () => {
    const { ProvisionedProductPlans } = await serviceCatalog.send(new sc.ListProvisionedProductPlansCommand({}));
    expect(ProvisionedProductPlans?.map((p) => p.PlanId)).toContain('plan-demoorders0001');
    await registerPlan(ordersServicePlan('plan-localdelete001'));
    await serviceCatalog.send(new sc.DeleteProvisionedProductPlanCommand({ PlanId: 'plan-localdelete001' }));
    await expect(serviceCatalog.send(new sc.DeleteProvisionedProductPlanCommand({ PlanId: 'plan-localdelete001' }))).rejects.toBeInstanceOf(sc.ResourceNotFoundException);
  });
});

describe('POST /local/plans', () => {
  test('registers a plan and answers its PlanId; a bad body gets a 400 naming the problem', async () => {
    expect(await registerPlan(ordersServicePlan('plan-localregister1'))).toEqual({ status: 200, body: { PlanId: 'plan-localregister1' } });
    const bad = await registerPlan({ ProvisionedProductPlanDetails: { PlanName: 'x' }, ResourceChanges: [{ Action: 'DESTROY' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('ResourceChanges.0.Action');
    const res = await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: '{not json' });
    expect(res.status).toBe(400);
  });
});

describe('the Step Functions endpoint', () => {
  test('answers unknown executions and bad task tokens with AWS errors', async () => {
    const arn = `${local.stepFunctions.stateMachineArn.replace(':stateMachine:', ':execution:')}:nope`;
    await expect(stepFunctions.send(new sfn.DescribeExecutionCommand({ executionArn: arn }))).rejects.toBeInstanceOf(sfn.ExecutionDoesNotExist);
    await expect(stepFunctions.send(new sfn.SendTaskSuccessCommand({ taskToken: 'forged', output: '{}' }))).rejects.toBeInstanceOf(sfn.InvalidToken);
    await expect(
      stepFunctions.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: '{oops' })),
    ).rejects.toBeInstanceOf(sfn.InvalidExecutionInput);
  });
});

describe('a run in local mode', () => {
  test('asks every approver by email, waits, executes on approval and reports SUCCEEDED', async () => {
    await registerPlan(ordersServicePlan('plan-localapprove01'));
    const executionArn = await start({ planId: 'plan-localapprove01' });
    const link = await linkFor('plan-localapprove01');
    expect(link).toMatch(new RegExp(`^${local.baseUrl}/approvals/[A-Za-z0-9_-]{43}$`));

    // A mail scanner fetching the link decides nothing.
    expect((await fetch(link)).status).toBe(200);
    expect((await stepFunctions.send(new sfn.DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');

    expect((await decide(link, 'approve')).status).toBe(200);
    expect((await decide(link, 'approve')).status).toBe(409);
    const done = await finished(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.result).toMatchObject({ outcome: 'SUCCEEDED', approver: 'Alice Martin <alice@example.com>' });

    const sent = (await outbox()).filter((e) => e.body.includes('plan-localapprove01'));
    expect(sent.filter((e) => e.subject?.startsWith('[PlanGate] Approval needed')).map((e) => e.recipient).sort()).toEqual([
      'alice@example.com',
      'bob@example.com',
      'carol@example.com',
    ]);
    expect(sent).toContainEqual(expect.objectContaining({ channel: 'email', recipient: 'platform-team@example.com', subject: expect.stringContaining('[PlanGate] SUCCEEDED') }));
    expect(sent).toContainEqual(expect.objectContaining({ channel: 'eventbridge', subject: 'plangate / PlanGate Run Finished' }));

    const history = await stepFunctions.send(new sfn.GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    expect(history.events?.map((e) => e.type)).toEqual(expect.arrayContaining(['ExecutionStarted', 'TaskStateEntered', 'ExecutionSucceeded']));
  });

  test('refuses tampered and unknown links with a readable 404 page', async () => {
    const res = await fetch(`${local.baseUrl}/approvals/${'x'.repeat(43)}`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('This approval link is not valid');
  });

  test('shows names and descriptions containing HTML escaped', async () => {
    await registerPlan(ordersServicePlan('plan-localxss00001', { PlanName: '<img src=x onerror=alert(1)>' }));
    const executionArn = await start({ planId: 'plan-localxss00001' });
    const page = await (await fetch(await linkFor('plan-localxss00001'))).text();
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    await stepFunctions.send(new sfn.StopExecutionCommand({ executionArn }));
  });

  test('two runs for the same plan execute it at most once', async () => {
    await registerPlan(ordersServicePlan('plan-localtwice0001'));
    const [a, b] = await Promise.all([start({ planId: 'plan-localtwice0001' }), start({ planId: 'plan-localtwice0001' })]);
    const link = await linkFor('plan-localtwice0001');
    await decide(link, 'approve');
    const outcomes = [(await finished(a)).result.outcome, (await finished(b)).result.outcome].sort();
    expect(outcomes).toEqual(['DUPLICATE', 'SUCCEEDED']);
    const executes = local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.input.PlanId === 'plan-localtwice0001');
    expect(executes).toHaveLength(1);
  });

  test('Service Catalog errors for bad plan ids reach the notification', async () => {
    const done = await finished(await start({ planId: 'plan-missing000001' }));
    expect(done.result).toMatchObject({ outcome: 'PLAN_NOT_READY', reason: expect.stringContaining('Plan plan-missing000001 not found') });
    expect((await outbox()).some((e) => e.subject === '[PlanGate] PLAN_NOT_READY: plan-missing000001')).toBe(true);
  });
});

describe('every core scenario, through local mode', () => {
  test('reject: not executed, the comment reaches the notification', async () => {
    await registerPlan(ordersServicePlan('plan-localreject001'));
    const executionArn = await start({ planId: 'plan-localreject001' });
    const link = await linkFor('plan-localreject001', 'carol@example.com');
    await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=reject&comment=not+today' });
    expect((await finished(executionArn)).result).toMatchObject({ outcome: 'REJECTED', comment: 'not today' });
    expect(local.serviceCatalog.calls.some((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.input.PlanId === 'plan-localreject001')).toBe(false);
  });

  test('approve → record FAILED with errors, polled through IN_PROGRESS_IN_ERROR', async () => {
    const plan = ordersServicePlan('plan-localfail00001');
    plan.simulation = { recordSeconds: 0.5, finalStatus: 'FAILED', recordErrors: [{ Code: 'E1', Description: 'Stack rolled back' }] };
    await registerPlan(plan);
    const executionArn = await start({ planId: 'plan-localfail00001' });
    await decide(await linkFor('plan-localfail00001'), 'approve');
    const done = await finished(executionArn);
    expect(done.result).toMatchObject({ outcome: 'FAILED', recordErrors: [{ code: 'E1', description: 'Stack rolled back' }] });
    // The history is paged (100 events a page), as in Step Functions: read every page.
    const events: sfn.HistoryEvent[] = [];
    for await (const page of sfn.paginateGetExecutionHistory({ client: stepFunctions }, { executionArn })) events.push(...(page.events ?? []));
    const statuses = events.filter((e) => e.stateExitedEventDetails?.name === 'CheckRecord').map((e) => JSON.parse(e.stateExitedEventDetails!.output!).record.status);
    expect(statuses).toContain('IN_PROGRESS_IN_ERROR');
    expect(statuses.at(-1)).toBe('FAILED');
  });

  test('invalid input ends the run naming the problem', async () => {
    const done = await finished(await start({ planId: 'no spaces allowed' }));
    expect(done.result).toMatchObject({ outcome: 'INVALID_INPUT', reason: expect.stringContaining('planId must be 1-100 characters') });
  });

  test('a CREATE_FAILED plan ends the run with its StatusMessage', async () => {
    await registerPlan(ordersServicePlan('plan-localcrfail001', { Status: 'CREATE_FAILED', StatusMessage: 'Template format error' }));
    const done = await finished(await start({ planId: 'plan-localcrfail001' }));
    expect(done.result).toMatchObject({ outcome: 'PLAN_NOT_READY', reason: expect.stringContaining('Template format error') });
  });

  test('a plan CREATE_IN_PROGRESS is checked again until it is ready (changed through /local/plans)', async () => {
    await registerPlan(ordersServicePlan('plan-localprogress1', { Status: 'CREATE_IN_PROGRESS' }));
    const executionArn = await start({ planId: 'plan-localprogress1' });
    await new Promise((r) => setTimeout(r, 150));
    await registerPlan(ordersServicePlan('plan-localprogress1'));
    await decide(await linkFor('plan-localprogress1'), 'approve');
    expect((await finished(executionArn)).result).toMatchObject({ outcome: 'SUCCEEDED' });
  });

  test('a plan changed after approval is not executed, and the notification says so', async () => {
    await registerPlan(ordersServicePlan('plan-localchanged01'));
    const executionArn = await start({ planId: 'plan-localchanged01' });
    const link = await linkFor('plan-localchanged01');
    const changed = ordersServicePlan('plan-localchanged01');
    changed.ResourceChanges!.push({ Action: 'REMOVE', LogicalResourceId: 'OrdersBucket', PhysicalResourceId: 'orders-data', ResourceType: 'AWS::S3::Bucket' });
    await registerPlan(changed);
    await decide(link, 'approve');
    const done = await finished(executionArn);
    expect(done.result).toMatchObject({ outcome: 'PLAN_CHANGED', reason: expect.stringContaining('its resource changes are not the ones approved') });
    expect(local.serviceCatalog.calls.some((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.input.PlanId === 'plan-localchanged01')).toBe(false);
    expect((await outbox()).some((e) => e.subject === '[PlanGate] PLAN_CHANGED: orders-service-prod-update (plan-localchanged01)')).toBe(true);
  });

  test('a throttled ExecuteProvisionedProductPlan is retried without a second execution', async () => {
    await registerPlan(ordersServicePlan('plan-localthrottle1'));
    local.serviceCatalog.failNext('ExecuteProvisionedProductPlan', new AwsApiError('ThrottlingException', 'Rate exceeded'), { times: 3 });
    const executionArn = await start({ planId: 'plan-localthrottle1' });
    await decide(await linkFor('plan-localthrottle1'), 'approve');
    expect((await finished(executionArn)).result).toMatchObject({ outcome: 'SUCCEEDED' });
    const calls = local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.input.PlanId === 'plan-localthrottle1');
    // The SDK's own 3 attempts hit the throttle; the state machine's retry gets through with the same token.
    expect(calls.length).toBe(4);
    expect(new Set(calls.map((c) => c.input.IdempotencyToken)).size).toBe(1);
  }, 30_000);
});

describe('GET /local/metrics', () => {
  type Dashboard = {
    runsStarted: number;
    runsByOutcome: Record<string, number>;
    approvalsWaiting: number | null;
    runsInFlight: number | null;
    approvalWaitSeconds: { count: number };
    executionSeconds: { count: number };
    detectionDelaySeconds: { count: number };
    unexpectedErrorsByFunction: Record<string, number>;
  };
  const metrics = async () => (await (await fetch(`${local.baseUrl}/local/metrics`)).json()) as { dashboard: Dashboard; metrics: { name: string }[] };
  const until = async (check: (d: Dashboard) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const { dashboard } = await metrics();
      if (check(dashboard)) return dashboard;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`metrics never got there: ${JSON.stringify((await metrics()).dashboard)}`);
  };

  test('sums up the handlers’ metrics as the dashboard shows them, WatchRuns’ counts included', async () => {
    const before = (await metrics()).dashboard;
    await registerPlan(ordersServicePlan('plan-localmetrics1'));
    const executionArn = await start({ planId: 'plan-localmetrics1' });
    const link = await linkFor('plan-localmetrics1');
    await until((d) => (d.approvalsWaiting ?? 0) >= 1 && (d.runsInFlight ?? 0) >= 1);
    await decide(link, 'approve');
    expect((await finished(executionArn)).result).toMatchObject({ outcome: 'SUCCEEDED' });

    const after = await until((d) => (d.runsByOutcome.SUCCEEDED ?? 0) > (before.runsByOutcome.SUCCEEDED ?? 0));
    expect(after.runsStarted).toBe(before.runsStarted + 1);
    expect(after.approvalWaitSeconds.count).toBe(before.approvalWaitSeconds.count + 1);
    expect(after.executionSeconds.count).toBe(before.executionSeconds.count + 1);
    expect(after.detectionDelaySeconds.count).toBe(before.detectionDelaySeconds.count + 1);
    await until((d) => d.runsInFlight === 0);
    // Every ending in this file so far (rejections, invalid input, missing plans, a throttled execute) is a named
    // ending or a retry: none is an unexpected error.
    expect(Object.keys(after.unexpectedErrorsByFunction)).toHaveLength(11);
    expect(Object.values(after.unexpectedErrorsByFunction).every((n) => n === 0)).toBe(true);
    expect((await metrics()).metrics.map((m) => m.name)).toEqual(expect.arrayContaining(['RunsStarted', 'RunEnded', 'ExpectedErrors', 'RunsInFlight']));
    expect((await fetch(`${local.baseUrl}/local/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
