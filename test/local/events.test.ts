import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import * as sc from '@aws-sdk/client-service-catalog';
import * as sfn from '@aws-sdk/client-sfn';
import { ONE_APPROVAL } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * Local mode's event bus, through the real SDK clients: PutEvents runs the synthesized rules (the custom and the
 * CloudTrail trigger), and the events AWS services emit (Step Functions status changes, CloudFormation stack status
 * changes behind Service Catalog records) are put on the bus too, each listed in the outbox with the rules it matched.
 */
let local: LocalMode;
let events: EventBridgeClient;
let stepFunctions: sfn.SFNClient;
let serviceCatalog: sc.ServiceCatalogClient;

beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: ONE_APPROVAL });
  const config = { endpoint: local.baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 };
  events = new EventBridgeClient(config);
  stepFunctions = new sfn.SFNClient(config);
  serviceCatalog = new sc.ServiceCatalogClient(config);
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  events.destroy();
  stepFunctions.destroy();
  serviceCatalog.destroy();
  await local.close();
});

const registerPlan = (body: unknown) => fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(body) });
const runsFor = async (planId: string) => {
  const { executions } = await stepFunctions.send(
    new sfn.ListExecutionsCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, maxResults: 1000 }),
  );
  const described = await Promise.all(
    (executions ?? []).map((e) => stepFunctions.send(new sfn.DescribeExecutionCommand({ executionArn: e.executionArn }))),
  );
  return described.filter((d) => JSON.parse(d.input ?? '{}').planId === planId);
};
const eventually = async <T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> => {
  for (let i = 0; i < 200; i++) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never saw ${what}`);
};
const busEvents = (subject: string) => local.outbox.list().filter((e) => e.channel === 'eventbridge' && e.subject === subject);

describe('the custom trigger', () => {
  test('a "PlanGate Review Requested" event starts a run with its detail as the input', async () => {
    await registerPlan(ordersServicePlan('plan-evcustom00001'));
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'plangate',
            DetailType: 'PlanGate Review Requested',
            Detail: JSON.stringify({ planId: 'plan-evcustom00001', acceptLanguage: 'jp', requestedBy: 'dev@example.com' }),
          },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    const [run] = await eventually(async () => ((await runsFor('plan-evcustom00001')).length ? runsFor('plan-evcustom00001') : undefined), 'the run');
    expect(JSON.parse(run!.input!)).toEqual({ planId: 'plan-evcustom00001', acceptLanguage: 'jp', requestedBy: 'dev@example.com' });
    const listed = busEvents('plangate / PlanGate Review Requested').find((e) => e.body.includes('plan-evcustom00001'));
    expect(listed?.rules).toEqual([expect.stringMatching(/^WorkflowReviewRequestedRule/)]);
    await stepFunctions.send(new sfn.StopExecutionCommand({ executionArn: run!.executionArn }));
  });

  test('an event the rules do not match starts nothing, and is listed matching no rule', async () => {
    await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'plangate', DetailType: 'Something Else', Detail: JSON.stringify({ planId: 'plan-evnomatch0001' }) }],
      }),
    );
    await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'plangate', DetailType: 'PlanGate Review Requested', Detail: JSON.stringify({ plan: 'no planId' }) }],
      }),
    );
    await local.eventBridge.idle();
    expect(await runsFor('plan-evnomatch0001')).toEqual([]);
    expect(busEvents('plangate / Something Else').at(-1)?.rules).toEqual([]);
    expect(busEvents('plangate / PlanGate Review Requested').at(-1)?.rules).toEqual([]);
  });

  test('without spokes, PutEvents signed for another Region still puts on the hub’s default bus, as before several accounts', async () => {
    const elsewhere = new EventBridgeClient({
      endpoint: local.baseUrl,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    const put = await elsewhere.send(
      new PutEventsCommand({
        Entries: [{ Source: 'plangate', DetailType: 'Another Region', Detail: JSON.stringify({ planId: 'plan-evelsewhere01' }) }],
      }),
    );
    elsewhere.destroy();
    expect(put.FailedEntryCount).toBe(0);
    expect(busEvents('plangate / Another Region')).toHaveLength(1);
  });

  test('bad entries fail alone, with EventBridge’s error codes', async () => {
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'plangate', DetailType: 'PlanGate Review Requested', Detail: 'not json' },
          { Source: 'plangate', DetailType: 'PlanGate Review Requested', Detail: '{}', EventBusName: 'nope' },
          { Source: 'plangate', DetailType: 'Unrelated', Detail: '{}' },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(2);
    expect(put.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual(['MalformedDetail', 'ResourceNotFoundException', 'ok']);
  });
});

describe('the CloudTrail trigger', () => {
  const cloudTrailDetail = (planId: string, arn: string) => ({
    eventSource: 'servicecatalog.amazonaws.com',
    eventName: 'CreateProvisionedProductPlan',
    eventID: 'a3f0c2d1-0000-4000-8000-00000000cafe',
    eventTime: '2026-11-22T09:59:00Z',
    userIdentity: { type: 'AssumedRole', arn },
    requestParameters: { planName: 'orders-update', planType: 'CLOUDFORMATION' },
    responseElements: { planId, planName: 'orders-update' },
  });

  test('a CreateProvisionedProductPlan API call, as CloudTrail puts it on the bus, starts a run for the new plan, requested by the caller', async () => {
    await registerPlan(ordersServicePlan('plan-evcloudtrail1'));
    const caller = 'arn:aws:sts::000000000000:assumed-role/developer/alice';
    // As CloudTrail puts it on the bus: local mode's /local/aws-events, since PutEvents refuses `aws.` sources.
    const put = await fetch(`${local.baseUrl}/local/aws-events`, {
      method: 'POST',
      body: JSON.stringify({
        source: 'aws.servicecatalog',
        'detail-type': 'AWS API Call via CloudTrail',
        detail: cloudTrailDetail('plan-evcloudtrail1', caller),
      }),
    });
    expect(put.status).toBe(200);
    for (const bad of [{ source: 'plangate', 'detail-type': 'x', detail: {} }, { source: 'aws.servicecatalog', detail: {} }, 'not an event']) {
      expect((await fetch(`${local.baseUrl}/local/aws-events`, { method: 'POST', body: JSON.stringify(bad) })).status).toBe(400);
    }
    expect((await fetch(`${local.baseUrl}/local/aws-events`)).status).toBe(405);
    const [run] = await eventually(async () => ((await runsFor('plan-evcloudtrail1')).length ? runsFor('plan-evcloudtrail1') : undefined), 'the run');
    expect(JSON.parse(run!.input!)).toEqual({ planId: 'plan-evcloudtrail1', requestedBy: caller });
    // Named after CloudTrail's event: a redelivered event starts nothing new.
    expect(run!.name).toBe('created-a3f0c2d1-0000-4000-8000-00000000cafe');
    await stepFunctions.send(new sfn.StopExecutionCommand({ executionArn: run!.executionArn }));
  });

  test('nobody but AWS may put a CloudTrail record on the bus: PutEvents refuses an `aws.` source, and no run starts', async () => {
    await registerPlan(ordersServicePlan('plan-evforgedct01'));
    const forged = { Source: 'aws.servicecatalog', DetailType: 'AWS API Call via CloudTrail' };
    const detail = JSON.stringify(cloudTrailDetail('plan-evforgedct01', 'arn:aws:sts::000000000000:assumed-role/developer/bob'));
    const put = await events.send(new PutEventsCommand({ Entries: [{ ...forged, Detail: detail }] }));
    expect(put).toMatchObject({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'NotAuthorizedForSourceException' }] });
    await local.eventBridge.idle();
    expect(await runsFor('plan-evforgedct01')).toEqual([]);
  });
});

describe('events AWS services emit', () => {
  test('Step Functions reports each execution starting and ending; a stopped one is closed by CloseRun, which tells the outcome topic', async () => {
    const { executionArn } = await stepFunctions.send(
      new sfn.StartExecutionCommand({
        stateMachineArn: local.stepFunctions.stateMachineArn,
        input: JSON.stringify({ planId: 'plan-demoorders0001' }),
      }),
    );
    await eventually(
      () => local.outbox.list().find((e) => e.recipient === 'alice@example.com' && e.subject?.includes('plan-demoorders0001')),
      'the approval request',
    );
    await stepFunctions.send(new sfn.StopExecutionCommand({ executionArn, error: 'Operator', cause: 'Stopped in a test' }));
    await local.eventBridge.idle();
    const changes = busEvents('aws.states / Step Functions Execution Status Change')
      .map((e) => JSON.parse(e.body))
      .filter((d) => d.executionArn === executionArn);
    expect(changes.map((d) => d.status)).toEqual(['RUNNING', 'ABORTED']);
    expect(changes[1]).toMatchObject({
      error: 'Operator',
      cause: 'Stopped in a test',
      stateMachineArn: local.stepFunctions.stateMachineArn,
      stopDate: expect.any(Number),
    });
    const aborted = busEvents('aws.states / Step Functions Execution Status Change').find(
      (e) => JSON.parse(e.body).status === 'ABORTED' && e.body.includes(executionArn!),
    );
    expect(aborted?.rules).toEqual([expect.stringMatching(/^WorkflowUnnotifiedEndRule/)]);
    const alert = local.outbox.list().find((e) => e.channel === 'email' && e.body.includes(executionArn!) && e.body.includes('ABORTED'));
    expect(alert).toMatchObject({
      recipient: 'platform-team@example.com',
      subject: expect.stringMatching(/^\[PlanGate\] ABORTED: /),
      body: expect.stringContaining('The run was stopped (Operator: Stopped in a test)'),
    });
  });

  test('CloudFormation reports the stack behind a record: SC-<account>-<provisioned product>, in progress then complete', async () => {
    const plan = ordersServicePlan('plan-evstack00001', { ProvisionProductId: 'pp-evstack0000001' });
    plan.simulation = { recordSeconds: 0.4, finalStatus: 'SUCCEEDED', recordLagSeconds: 0.1 };
    await registerPlan(plan);
    await serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-evstack00001', IdempotencyToken: 'tok-evstack' }));
    const stack = async (status: string) =>
      busEvents('aws.cloudformation / CloudFormation Stack Status Change')
        .map((e) => JSON.parse(e.body))
        .find((d) => d['stack-id'].includes('SC-000000000000-pp-evstack0000001') && d['status-details'].status === status);
    const complete = await eventually(() => stack('UPDATE_COMPLETE'), 'UPDATE_COMPLETE');
    expect(complete['stack-id']).toMatch(/^arn:aws:cloudformation:us-east-1:000000000000:stack\/SC-000000000000-pp-evstack0000001\/[0-9a-f-]{36}$/);
    expect(await stack('UPDATE_IN_PROGRESS')).toBeDefined();
  });

  test('a failing record’s stack fails, rolls back, and ends UPDATE_ROLLBACK_COMPLETE; one failing before CloudFormation has no stack events', async () => {
    const failing = ordersServicePlan('plan-evrollback001', { ProvisionProductId: 'pp-evrollback00001' });
    failing.simulation = {
      recordSeconds: 0.4,
      finalStatus: 'FAILED',
      recordErrors: [{ Code: 'E1', Description: 'Table limit exceeded' }],
      recordLagSeconds: 0.1,
    };
    await registerPlan(failing);
    const early = ordersServicePlan('plan-evnostack0001', { ProvisionProductId: 'pp-evnostack000001' });
    early.simulation = { recordSeconds: 0.2, finalStatus: 'FAILED', stackEvents: false };
    await registerPlan(early);
    await serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-evrollback001', IdempotencyToken: 'tok-evrollback' }));
    await serviceCatalog.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-evnostack0001', IdempotencyToken: 'tok-evnostack' }));
    const statuses = (pp: string) =>
      busEvents('aws.cloudformation / CloudFormation Stack Status Change')
        .map((e) => JSON.parse(e.body))
        .filter((d) => d['stack-id'].includes(pp))
        .map((d) => d['status-details'].status);
    await eventually(() => (statuses('pp-evrollback00001').includes('UPDATE_ROLLBACK_COMPLETE') ? true : undefined), 'the rollback');
    expect(statuses('pp-evrollback00001')).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_FAILED',
      'UPDATE_ROLLBACK_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE',
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(statuses('pp-evnostack000001')).toEqual([]);
  });
});
