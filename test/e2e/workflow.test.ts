import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as sc from '@aws-sdk/client-service-catalog';
import * as sfn from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { idempotencyToken } from '../../lambdas/execute-plan/execute-plan';
import { ApprovalStore } from '../../lambdas/shared/adapters/approval-store';
import { STANDARD_FUNCTIONS } from '../../lib/functions';
import { AwsApiError } from '../../local/service-catalog';
import { ONE_APPROVAL } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { collectHandlerLogs, LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * Every core scenario end to end, through local mode with the real SDK clients pointed at it (what a platform team's
 * own integration tests would do): the synthesized state machine, each task bound to its bundled handler, whose SDK
 * clients call local mode's endpoints too. One local mode serves the whole file; each test uses its own plan.
 */
let local: LocalMode;
let serviceCatalog: sc.ServiceCatalogClient;
let stepFunctions: sfn.SFNClient;
let dynamo: DynamoDBClient;
/** The audit trail, as the handlers write it. */
let store: ApprovalStore;
/** Handler log lines, at DEBUG, kept rather than printed: no task token may reach one. */
const logs: string[] = [];
let restoreOutput: () => void;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  restoreOutput = collectHandlerLogs(logs);
  // WatchRuns counts every 200 ms rather than every 5 minutes.
  local = await startLocalMode({ pollWaitMs: 50, context: ONE_APPROVAL, scheduleMs: 200 });
  const config = { endpoint: local.baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 };
  serviceCatalog = new sc.ServiceCatalogClient(config);
  stepFunctions = new sfn.SFNClient(config);
  dynamo = new DynamoDBClient(config);
  store = new ApprovalStore(DynamoDBDocumentClient.from(dynamo), local.approvalTable);
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  serviceCatalog.destroy();
  stepFunctions.destroy();
  dynamo.destroy();
  await local.close();
  restoreOutput();
});

type OutboxEntry = { channel: string; recipient: string; subject?: string; body: string; urls: string[] };
const registerPlan = async (body: unknown) => {
  const res = await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { PlanId?: string; error?: string } };
};
const outbox = async () => (await (await fetch(`${local.baseUrl}/local/outbox`)).json()) as OutboxEntry[];
const start = async (input: unknown) =>
  (await stepFunctions.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: JSON.stringify(input) })))
    .executionArn!;
const finished = async (executionArn: string) => {
  for (;;) {
    const described = await stepFunctions.send(new sfn.DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return { ...described, result: JSON.parse(described.output ?? '{}') };
    await new Promise((r) => setTimeout(r, 20));
  }
};
/** The approval requests emailed for a plan, in the order they were sent. */
const approvalRequests = async (planId: string) =>
  (await outbox()).filter((e) => e.channel === 'email' && e.subject?.startsWith('[PlanGate] Approval needed') && e.body.includes(planId));
/** Each approver's personal link for a plan, once all three were emailed. */
const approvalLinks = async (planId: string) => {
  for (let i = 0; i < 300; i++) {
    const requests = await approvalRequests(planId);
    if (requests.length === 3) return new Map(requests.map((e) => [e.recipient, e.urls[0]!]));
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no approval links for ${planId}`);
};
const linkFor = async (planId: string, approver = 'alice@example.com') => (await approvalLinks(planId)).get(approver)!;
const decide = (link: string, decision: string, comment?: string) => {
  const body = new URLSearchParams({ decision, ...(comment ? { comment } : {}) }).toString();
  return fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
};
const executeCalls = (planId: string) =>
  local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.input.PlanId === planId);
const statesEntered = (executionArn: string) =>
  local.stepFunctions
    .describeExecution(executionArn)
    .events.filter((e) => e.type === 'StateEntered')
    .map((e) => e.state!.name);
/** The outcome emails (to the notification list) and the outcome events of one plan. */
const outcomesOf = async (planId: string) => {
  const entries = await outbox();
  return {
    emails: entries.filter((e) => e.channel === 'email' && e.recipient === 'platform-team@example.com' && e.body.includes(planId)),
    events: entries
      .filter((e) => e.channel === 'eventbridge' && e.subject === 'plangate / PlanGate Run Finished')
      .map((e) => JSON.parse(e.body))
      .filter((detail) => detail.planId === planId),
  };
};

describe('the Service Catalog endpoint answers the real client as AWS does', () => {
  test('pages resource changes, 20 at most, with epoch-second timestamps', async () => {
    const plan = ordersServicePlan('plan-localpaging001');
    plan.ResourceChanges = Array.from({ length: 25 }, (_, i) => ({
      Action: 'ADD' as const,
      LogicalResourceId: `Q${i}`,
      ResourceType: 'AWS::SQS::Queue',
    }));
    await registerPlan(plan);
    const first = await serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-localpaging001', PageSize: 20 }));
    expect(first.ResourceChanges).toHaveLength(20);
    expect(first.ProvisionedProductPlanDetails?.CreatedTime).toBeInstanceOf(Date);
    const second = await serviceCatalog.send(
      new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-localpaging001', PageToken: first.NextPageToken }),
    );
    expect(second.ResourceChanges?.map((c) => c.LogicalResourceId)).toEqual(['Q20', 'Q21', 'Q22', 'Q23', 'Q24']);
    expect(second.NextPageToken).toBeUndefined();
  });

  test('returns the modeled errors', async () => {
    await expect(serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-nope' }))).rejects.toBeInstanceOf(
      sc.ResourceNotFoundException,
    );
    await expect(serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'bad id!' }))).rejects.toBeInstanceOf(
      sc.InvalidParametersException,
    );
    await expect(
      serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-demoorders0001', PageSize: 21 })),
    ).rejects.toBeInstanceOf(sc.InvalidParametersException);
    await expect(serviceCatalog.send(new sc.DescribeRecordCommand({ Id: 'rec-none' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
    await registerPlan(ordersServicePlan('plan-localfailed001', { Status: 'CREATE_FAILED' }));
    await expect(
      serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-localfailed001', IdempotencyToken: 't1' })),
    ).rejects.toBeInstanceOf(sc.InvalidStateException);
  });

  test('executes once per IdempotencyToken, and the record moves to SUCCEEDED over time', async () => {
    await registerPlan(ordersServicePlan('plan-localidempot01'));
    const a = await serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-localidempot01', IdempotencyToken: 'tok-1' }));
    const b = await serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-localidempot01', IdempotencyToken: 'tok-1' }));
    expect(b.RecordDetail?.RecordId).toBe(a.RecordDetail?.RecordId);
    expect(a.RecordDetail?.Status).toBe('CREATED');
    await expect(
      serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-localidempot01', IdempotencyToken: 'tok-2' })),
    ).rejects.toBeInstanceOf(sc.InvalidStateException);
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
    await expect(serviceCatalog.send(new sc.DeleteProvisionedProductPlanCommand({ PlanId: 'plan-localdelete001' }))).rejects.toBeInstanceOf(
      sc.ResourceNotFoundException,
    );
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

describe('an approved plan', () => {
  test('asks every approver by email, waits, is executed once on approval and reported SUCCEEDED with who approved it', async () => {
    const planId = 'plan-localapprove01';
    await registerPlan(ordersServicePlan(planId));
    const executionArn = await start({ planId, requestedBy: 'dev@example.com' });
    const link = await linkFor(planId);
    expect(link).toMatch(new RegExp(`^${local.baseUrl}/approvals/[A-Za-z0-9_-]{43}$`));

    // A mail scanner fetching the link decides nothing.
    expect((await fetch(link)).status).toBe(200);
    expect((await stepFunctions.send(new sfn.DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');

    expect((await decide(link, 'approve', 'ship it')).status).toBe(200);
    expect((await decide(link, 'approve')).status).toBe(409);
    const done = await finished(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.result).toMatchObject({ outcome: 'SUCCEEDED', planId, approver: 'Alice Martin <alice@example.com>', comment: 'ship it' });
    expect(executeCalls(planId)).toEqual([
      {
        operation: 'ExecuteProvisionedProductPlan',
        at: expect.any(String),
        input: { PlanId: planId, AcceptLanguage: 'en', IdempotencyToken: idempotencyToken(executionArn, planId) },
      },
    ]);

    expect((await approvalRequests(planId)).map((e) => e.recipient).sort()).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    const { emails, events } = await outcomesOf(planId);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toBe(`[PlanGate] SUCCEEDED: orders-service-prod-update (${planId})`);
    expect(emails[0]!.body).toContain('Decision: APPROVED by Alice Martin <alice@example.com>');
    expect(emails[0]!.body).toContain('QueueUrl = https://sqs.example/orders');
    expect(events).toEqual([
      expect.objectContaining({ outcome: 'SUCCEEDED', recordStatus: 'SUCCEEDED', provisionedProductName: 'orders-service-prod' }),
    ]);

    const record = await store.get(planId);
    expect(record).toMatchObject({
      status: 'APPROVED',
      decision: { decision: 'APPROVED', approver: { email: 'alice@example.com' }, comment: 'ship it', channel: 'web' },
      outcome: { outcome: 'SUCCEEDED', idempotencyToken: idempotencyToken(executionArn, planId) },
    });
    expect(record?.taskToken).toBeUndefined();

    const history = await stepFunctions.send(new sfn.GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    expect(history.events?.map((e) => e.type)).toEqual(expect.arrayContaining(['ExecutionStarted', 'TaskStateEntered', 'ExecutionSucceeded']));
  });

  test('sends each approver one personal link, through their subscription filter', async () => {
    const planId = local.serviceCatalog.registerPlan(ordersServicePlan('plan-personal000001'));
    const executionArn = await start({ planId });
    const links = await approvalLinks(planId);

    expect([...links.keys()].sort()).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    expect(new Set(links.values()).size).toBe(3);
    const requests = await approvalRequests(planId);
    expect(requests.map((e) => e.body.match(/^Hello (.*),/)?.[1])).toEqual(['Alice Martin', 'Bob Chen', 'Carol Diaz']);
    // Removals and replacements are listed first.
    const listed = requests[0]!.body.split('\n').filter((l) => l.startsWith('  - '));
    expect(listed.map((l) => l.split(' ')[3])).toEqual(['REMOVE', 'MODIFY', 'ADD', 'MODIFY']);
    expect(listed[1]).toContain('OrdersTable AWS::DynamoDB::Table [orders] (REPLACEMENT)');

    await decide(links.get('bob@example.com')!, 'approve');
    expect((await finished(executionArn)).result).toMatchObject({ outcome: 'SUCCEEDED', approver: 'Bob Chen <bob@example.com>' });
  });

  test('reports a FAILED record with its errors, after polling through IN_PROGRESS_IN_ERROR', async () => {
    const plan = ordersServicePlan('plan-recordfail0001');
    plan.simulation = {
      // Its second half is IN_PROGRESS_IN_ERROR: a second, which the 50 ms polls see even on a loaded machine.
      recordSeconds: 2,
      finalStatus: 'FAILED',
      recordErrors: [{ Code: 'CFN_ROLLBACK', Description: 'OrdersTable: Resource handler returned message: "Table already exists"' }],
    };
    const planId = local.serviceCatalog.registerPlan(plan);
    const executionArn = await start({ planId });
    await decide(await linkFor(planId), 'approve');
    const done = await finished(executionArn);

    expect(done.result).toMatchObject({
      outcome: 'FAILED',
      recordStatus: 'FAILED',
      recordErrors: [{ code: 'CFN_ROLLBACK', description: expect.stringContaining('Table already exists') }],
    });
    // The history is paged (100 events a page), as in Step Functions: read every page.
    const history: sfn.HistoryEvent[] = [];
    for await (const page of sfn.paginateGetExecutionHistory({ client: stepFunctions }, { executionArn })) history.push(...(page.events ?? []));
    const seen = history
      .filter((e) => e.stateExitedEventDetails?.name === 'CheckRecord')
      .map((e) => JSON.parse(e.stateExitedEventDetails!.output!).record.status);
    expect(seen).toContain('IN_PROGRESS_IN_ERROR');
    expect(seen.indexOf('IN_PROGRESS_IN_ERROR')).toBeLessThan(seen.indexOf('FAILED'));
    expect(seen.at(-1)).toBe('FAILED');

    const { emails, events } = await outcomesOf(planId);
    expect(emails[0]!.body).toContain('FAILED: CFN_ROLLBACK: OrdersTable: Resource handler returned message: "Table already exists"');
    expect(events[0].recordErrors).toEqual([{ code: 'CFN_ROLLBACK', description: expect.stringContaining('Table already exists') }]);
  });

  test('a throttled ExecuteProvisionedProductPlan is retried without a second execution', async () => {
    const planId = local.serviceCatalog.registerPlan(ordersServicePlan('plan-localthrottle1'));
    local.serviceCatalog.failNext('ExecuteProvisionedProductPlan', new AwsApiError('ThrottlingException', 'Rate exceeded'), { times: 3 });
    const recordsBefore = local.serviceCatalog.recordCount;
    const executionArn = await start({ planId });
    await decide(await linkFor(planId), 'approve');
    expect((await finished(executionArn)).result).toMatchObject({ outcome: 'SUCCEEDED' });
    // The SDK's own 3 attempts hit the throttle; the state machine's retry gets through with the same token.
    const retried = local.stepFunctions.describeExecution(executionArn).events.filter((e) => e.type === 'StateRetried');
    expect(retried.map((e) => e.state?.name)).toEqual(['ExecutePlan']);
    const calls = executeCalls(planId);
    expect(calls.length).toBe(4);
    expect(new Set(calls.map((c) => c.input.IdempotencyToken)).size).toBe(1);
    expect(local.serviceCatalog.recordCount - recordsBefore).toBe(1);
  }, 30_000);

  test('retried after Service Catalog executed it but the answer was lost, reuses the same record', async () => {
    const planId = local.serviceCatalog.registerPlan(ordersServicePlan('plan-lostanswer0001'));
    const lostAnswer = new AwsApiError('InternalFailure', 'Internal error', 500);
    local.serviceCatalog.failNext('ExecuteProvisionedProductPlan', lostAnswer, { afterProcessing: true });
    const recordsBefore = local.serviceCatalog.recordCount;
    const executionArn = await start({ planId });
    await decide(await linkFor(planId), 'approve');

    expect((await finished(executionArn)).result).toMatchObject({ outcome: 'SUCCEEDED' });
    expect(executeCalls(planId)).toHaveLength(2);
    expect(local.serviceCatalog.recordCount - recordsBefore).toBe(1);
  });

  test('a plan changed after approval is not executed, and the notification says so', async () => {
    await registerPlan(ordersServicePlan('plan-localchanged01'));
    const executionArn = await start({ planId: 'plan-localchanged01' });
    const link = await linkFor('plan-localchanged01');
    const changed = ordersServicePlan('plan-localchanged01');
    changed.ResourceChanges!.push({
      Action: 'REMOVE',
      LogicalResourceId: 'OrdersBucket',
      PhysicalResourceId: 'orders-data',
      ResourceType: 'AWS::S3::Bucket',
    });
    await registerPlan(changed);
    await decide(link, 'approve');
    const done = await finished(executionArn);
    expect(done.result).toMatchObject({ outcome: 'PLAN_CHANGED', reason: expect.stringContaining('its resource changes are not the ones approved') });
    expect(executeCalls('plan-localchanged01')).toEqual([]);
    expect((await outbox()).some((e) => e.subject === '[PlanGate] PLAN_CHANGED: orders-service-prod-update (plan-localchanged01)')).toBe(true);
  });
});

describe('a rejected plan', () => {
  test('is not executed, and the notification carries the comment', async () => {
    const planId = local.serviceCatalog.registerPlan(ordersServicePlan('plan-rejected000001'));
    const executionArn = await start({ planId });
    await decide(await linkFor(planId, 'carol@example.com'), 'reject', 'Do not drop the orders table');

    expect((await finished(executionArn)).result).toMatchObject({
      outcome: 'REJECTED',
      decision: 'REJECTED',
      approver: 'Carol Diaz <carol@example.com>',
      comment: 'Do not drop the orders table',
    });
    expect(executeCalls(planId)).toEqual([]);
    const { emails } = await outcomesOf(planId);
    expect(emails[0]!.body).toContain('Rejected by Carol Diaz <carol@example.com> at');
    expect(emails[0]!.body).toContain('"Do not drop the orders table"');
    expect(await store.get(planId)).toMatchObject({ status: 'REJECTED', outcome: { outcome: 'REJECTED' } });
  });
});

describe('input that cannot be used', () => {
  test.each([
    [{}, 'planId is required'],
    [{ planId: 'plan with spaces' }, 'planId must be 1-100 characters'],
    [{ planId: 'p'.repeat(101) }, 'planId must be 1-100 characters'],
    [{ planId: 'plan-ok', acceptLanguage: 'fr' }, 'acceptLanguage must be one of "en", "jp", "zh"'],
  ])('%j ends the run as INVALID_INPUT naming the problem, touching nothing', async (input, problem) => {
    const callsBefore = local.serviceCatalog.calls.length;
    const executionArn = await start(input);
    const done = await finished(executionArn);

    expect(done.status).toBe('SUCCEEDED');
    expect(done.result).toMatchObject({ outcome: 'INVALID_INPUT', reason: expect.stringContaining(problem) });
    expect(local.serviceCatalog.calls.length).toBe(callsBefore);
    expect(statesEntered(executionArn)).not.toContain('RequestApproval');
  });
});

describe('a plan that is not ready', () => {
  test('CREATE_FAILED ends the run with the plan StatusMessage and asks nobody', async () => {
    const planId = local.serviceCatalog.registerPlan(
      ordersServicePlan('plan-createfail0001', { Status: 'CREATE_FAILED', StatusMessage: 'Parameter DbInstanceClass is invalid' }),
    );
    const done = await finished(await start({ planId }));

    expect(done.result).toMatchObject({ outcome: 'PLAN_NOT_READY', reason: expect.stringContaining('Parameter DbInstanceClass is invalid') });
    const { emails } = await outcomesOf(planId);
    expect(emails[0]!.body).toContain(`Plan ${planId} is CREATE_FAILED, not CREATE_SUCCESS: Parameter DbInstanceClass is invalid`);
    expect(await approvalRequests(planId)).toEqual([]);
  });

  test('an unknown plan id reaches the notification with the Service Catalog error', async () => {
    const done = await finished(await start({ planId: 'plan-doesnotexist01' }));
    expect(done.result).toMatchObject({
      outcome: 'PLAN_NOT_READY',
      reason: 'Service Catalog cannot describe plan plan-doesnotexist01: Plan plan-doesnotexist01 not found',
    });
    expect((await outbox()).some((e) => e.subject === '[PlanGate] PLAN_NOT_READY: plan-doesnotexist01')).toBe(true);
  });

  test('CREATE_IN_PROGRESS is checked again until the plan is ready (changed through /local/plans)', async () => {
    const planId = 'plan-inprogress0001';
    await registerPlan(ordersServicePlan(planId, { Status: 'CREATE_IN_PROGRESS' }));
    const executionArn = await start({ planId });
    // Let the run see the plan in progress at least twice, then let it finish creating.
    while (local.serviceCatalog.calls.filter((c) => c.input.PlanId === planId).length < 2) await new Promise((r) => setTimeout(r, 5));
    await registerPlan(ordersServicePlan(planId));
    await decide(await linkFor(planId), 'approve');

    expect((await finished(executionArn)).result).toMatchObject({ outcome: 'SUCCEEDED' });
    expect(statesEntered(executionArn).filter((s) => s === 'Wait for plan').length).toBeGreaterThanOrEqual(2);
  });
});

describe('duplicate triggers', () => {
  test('a second run for a plan with an approval in progress ends as DUPLICATE; the plan runs once', async () => {
    const planId = local.serviceCatalog.registerPlan(ordersServicePlan('plan-duplicate00001'));
    const first = await start({ planId });
    const links = await approvalLinks(planId);
    const second = await finished(await start({ planId }));

    expect(second.result).toMatchObject({ outcome: 'DUPLICATE', reason: expect.stringContaining(`opened by run ${first}`) });
    await decide(links.get('alice@example.com')!, 'approve');
    expect((await finished(first)).result).toMatchObject({ outcome: 'SUCCEEDED' });

    // Once executed, the plan is no longer CREATE_SUCCESS: a late trigger cannot run it again either.
    const third = await finished(await start({ planId }));
    expect(third.result).toMatchObject({ outcome: 'PLAN_NOT_READY', reason: expect.stringContaining('EXECUTE_SUCCESS') });
    expect(executeCalls(planId)).toHaveLength(1);
    // The duplicates did not overwrite the first run's audit record.
    expect(await store.get(planId)).toMatchObject({ executionArn: first, outcome: { outcome: 'SUCCEEDED' } });
  });

  test('two runs started together for the same plan execute it at most once', async () => {
    await registerPlan(ordersServicePlan('plan-localtwice0001'));
    const [a, b] = await Promise.all([start({ planId: 'plan-localtwice0001' }), start({ planId: 'plan-localtwice0001' })]);
    const link = await linkFor('plan-localtwice0001');
    await decide(link, 'approve');
    const outcomes = [(await finished(a)).result.outcome, (await finished(b)).result.outcome].sort();
    expect(outcomes).toEqual(['DUPLICATE', 'SUCCEEDED']);
    expect(executeCalls('plan-localtwice0001')).toHaveLength(1);
  });
});

describe('the approval link', () => {
  test('decides nothing on GET, once on POST, and shows the decision afterwards', async () => {
    const planId = local.serviceCatalog.registerPlan(ordersServicePlan('plan-linkcheck00001'));
    const executionArn = await start({ planId });
    const links = await approvalLinks(planId);

    // A mail scanner fetching the link.
    for (let i = 0; i < 3; i++) expect((await fetch(links.get('bob@example.com')!)).status).toBe(200);
    expect(await store.get(planId)).toMatchObject({ status: 'PENDING' });
    expect(local.stepFunctions.describeExecution(executionArn).status).toBe('RUNNING');

    expect((await decide(links.get('bob@example.com')!, 'reject', 'not now')).status).toBe(200);
    const late = await decide(links.get('alice@example.com')!, 'approve');
    expect(late.status).toBe(409);
    expect(await late.text()).toContain('was <strong>rejected</strong> by Bob Chen &lt;bob@example.com&gt;');
    expect((await finished(executionArn)).result).toMatchObject({ outcome: 'REJECTED' });
    expect(executeCalls(planId)).toEqual([]);
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

  test('never lets a task token reach a log line, an email, an event or a page', async () => {
    const planId = local.serviceCatalog.registerPlan(ordersServicePlan('plan-tokenleak00001'));
    const executionArn = await start({ planId });
    const links = await approvalLinks(planId);
    const { taskToken } = (await store.get(planId))!;
    const page = await (await fetch(links.get('alice@example.com')!)).text();
    await decide(links.get('alice@example.com')!, 'approve');
    await finished(executionArn);

    expect(taskToken).toBeTruthy();
    expect(logs.length).toBeGreaterThan(0);
    const everything = [...logs, ...(await outbox()).map((e) => e.body), page].join('\n');
    expect(everything).not.toContain(taskToken);
    for (const link of links.values()) expect(logs.join('\n')).not.toContain(link.split('/').pop());
  });
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
    // Every ending in this file so far (rejections, invalid input, missing plans, throttled and lost answers) is a
    // named ending or a retry: none is an unexpected error.
    expect(Object.keys(after.unexpectedErrorsByFunction).sort()).toEqual([...STANDARD_FUNCTIONS].sort());
    expect(Object.values(after.unexpectedErrorsByFunction).every((n) => n === 0)).toBe(true);
    expect((await metrics()).metrics.map((m) => m.name)).toEqual(
      expect.arrayContaining(['RunsStarted', 'RunEnded', 'ExpectedErrors', 'RunsInFlight']),
    );
    expect((await fetch(`${local.baseUrl}/local/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
