import * as sc from '@aws-sdk/client-service-catalog';
import * as sfn from '@aws-sdk/client-sfn';
import type { PlanRegistration } from '../../local/service-catalog';
import { AwsApiError } from '../../local/service-catalog';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * The local Step Functions API answers the real SDK client as Step Functions does: paging, idempotent names,
 * its errors, StopExecution's error and cause, and the history's event types and shapes. And the Service Catalog
 * emulator refuses what the real service would.
 */
let local: LocalMode;
let client: sfn.SFNClient;
let serviceCatalog: sc.ServiceCatalogClient;
let stateMachineArn: string;

beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 20, context: { 'plangate:autoApproveUpTo': 'LOW' } });
  const config = { endpoint: local.baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 };
  client = new sfn.SFNClient(config);
  serviceCatalog = new sc.ServiceCatalogClient(config);
  stateMachineArn = local.stepFunctions.stateMachineArn;
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  client.destroy();
  serviceCatalog.destroy();
  await local.close();
});

/** A HIGH-risk plan, which waits for a person; or, with `low`, one the rules approve at once. */
const plan = async (planId: string, low = false, simulation?: PlanRegistration['simulation']) => {
  const body = ordersServicePlan(planId);
  if (low) body.ResourceChanges = [{ Action: 'ADD', LogicalResourceId: 'Dashboard', ResourceType: 'AWS::CloudWatch::Dashboard' }];
  body.simulation = simulation;
  await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(body) });
  return { planId };
};
const start = (input: unknown, name?: string) => client.send(new sfn.StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }));
const finished = async (executionArn: string) => {
  for (;;) {
    const described = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('StartExecution', () => {
  test('is idempotent by name while the execution runs: same input, same execution; other input, ExecutionAlreadyExists', async () => {
    const input = await plan('plan-idempotent001');
    const first = await start(input, 'idempotent-run-1');
    const again = await start(input, 'idempotent-run-1');
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    await expect(start({ planId: 'plan-other00000001' }, 'idempotent-run-1')).rejects.toBeInstanceOf(sfn.ExecutionAlreadyExists);
    await client.send(new sfn.StopExecutionCommand({ executionArn: first.executionArn }));
    // Once the execution has ended, its name cannot start another one, even with the same input.
    await expect(start(input, 'idempotent-run-1')).rejects.toBeInstanceOf(sfn.ExecutionAlreadyExists);
  });

  test('refuses input over 256 KiB, bad names and malformed ARNs with Step Functions’ errors', async () => {
    await expect(start({ planId: 'plan-x', padding: 'x'.repeat(262_144) })).rejects.toBeInstanceOf(sfn.InvalidExecutionInput);
    await expect(start({ planId: 'plan-x' }, 'has spaces')).rejects.toBeInstanceOf(sfn.InvalidName);
    await expect(client.send(new sfn.StartExecutionCommand({ stateMachineArn: 'not-an-arn', input: '{}' }))).rejects.toBeInstanceOf(sfn.InvalidArn);
    await expect(client.send(new sfn.DescribeExecutionCommand({ executionArn: 'arn:aws:states:bad' }))).rejects.toBeInstanceOf(sfn.InvalidArn);
    await expect(
      client.send(new sfn.StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Other', input: '{}' })),
    ).rejects.toBeInstanceOf(sfn.StateMachineDoesNotExist);
    await expect(
      client.send(new sfn.DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Other:run' })),
    ).rejects.toBeInstanceOf(sfn.ExecutionDoesNotExist);
  });
});

test('StopExecution keeps its error and cause', async () => {
  const { executionArn } = await start(await plan('plan-stopcause0001'));
  await client.send(new sfn.StopExecutionCommand({ executionArn, error: 'Operator.Stop', cause: 'Change freeze until Monday' }));
  const stopped = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
  expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Operator.Stop', cause: 'Change freeze until Monday', stopDate: expect.any(Date) });
  await finished(executionArn!);
  const history = await client.send(new sfn.GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
  expect(history.events?.[0]).toMatchObject({
    type: 'ExecutionAborted',
    executionAbortedEventDetails: { error: 'Operator.Stop', cause: 'Change freeze until Monday' },
  });
});

describe('ListExecutions and ListStateMachines', () => {
  test('page with maxResults and nextToken, newest first, and filter by status', async () => {
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) arns.push((await start(await plan(`plan-paging00000${i}`), `paging-run-${i}`)).executionArn!);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new sfn.ListExecutionsCommand({ stateMachineArn, maxResults: 2, nextToken }));
      expect(page.executions!.length).toBeLessThanOrEqual(2);
      seen.push(...page.executions!.map((e) => e.executionArn!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen.filter((a) => arns.includes(a))).toEqual([...arns].reverse());
    const running = await client.send(new sfn.ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000 }));
    expect(running.executions!.map((e) => e.executionArn)).toEqual(expect.arrayContaining(arns));
    expect(running.executions!.every((e) => e.status === 'RUNNING')).toBe(true);
    for (const executionArn of arns) await client.send(new sfn.StopExecutionCommand({ executionArn }));
  });

  test('refuse an unknown status, an out-of-range maxResults and a forged nextToken', async () => {
    await expect(client.send(new sfn.ListExecutionsCommand({ stateMachineArn, statusFilter: 'BOGUS' as never }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("Value 'BOGUS' at 'statusFilter' failed to satisfy constraint"),
    });
    await expect(client.send(new sfn.ListExecutionsCommand({ stateMachineArn, maxResults: 1001 }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(client.send(new sfn.ListExecutionsCommand({ stateMachineArn, nextToken: 'forged' }))).rejects.toBeInstanceOf(sfn.InvalidToken);
  });

  test('the state machine has a real creation date', async () => {
    const { stateMachines } = await client.send(new sfn.ListStateMachinesCommand({ maxResults: 1 }));
    expect(stateMachines).toEqual([expect.objectContaining({ stateMachineArn, type: 'STANDARD', creationDate: expect.any(Date) })]);
    expect(Math.abs(stateMachines![0]!.creationDate!.getTime() - Date.now())).toBeLessThan(10 * 60_000);
  });
});

describe('GetExecutionHistory', () => {
  test('records what Step Functions records, with ids, previous ids and timestamps, in pages either way round', async () => {
    // The stack settles a second before the record: its event wakes the run, which re-checks after a Wait.
    const { executionArn } = await start(await plan('plan-history00001', true, { recordSeconds: 2, recordLagSeconds: 1 }));
    expect((await finished(executionArn!)).status).toBe('SUCCEEDED');
    const events: sfn.HistoryEvent[] = [];
    for await (const page of sfn.paginateGetExecutionHistory({ client, pageSize: 10 }, { executionArn })) events.push(...(page.events ?? []));
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'ChoiceStateEntered',
      'PassStateEntered',
      'ExecutionSucceeded',
    ]) {
      expect({ type, present: types.has(type as sfn.HistoryEventType) }).toEqual({ type, present: true });
    }
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.every((e, i) => e.previousEventId === i && e.timestamp instanceof Date)).toBe(true);
    const scheduled = events.find((e) => e.type === 'TaskScheduled')!;
    expect(scheduled.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
      parameters: expect.stringContaining('plan-history00001'),
    });
    expect(events.find((e) => e.type === 'TaskSucceeded')!.taskSucceededEventDetails?.output).toContain('"planStatus":"CREATE_SUCCESS"');
    const last = await client.send(new sfn.GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
    expect(last.events?.[0]).toMatchObject({ id: events.length, type: 'ExecutionSucceeded' });
    const noData = await client.send(new sfn.GetExecutionHistoryCommand({ executionArn, includeExecutionData: false, maxResults: 1 }));
    expect(noData.events?.[0]?.executionStartedEventDetails?.input).toBeUndefined();
  });

  test('a task that fails and is retried shows TaskFailed, then a new TaskScheduled', async () => {
    // The handler's SDK client tries 3 times; the third failure reaches the state machine, which retries the task.
    local.serviceCatalog.failNext('DescribeProvisionedProductPlan', new AwsApiError('ThrottlingException', 'Rate exceeded'), { times: 3 });
    const { executionArn } = await start(await plan('plan-retried000001', true));
    await finished(executionArn!);
    const { events } = await client.send(new sfn.GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const review = events!
      .filter((e) => e.type?.startsWith('Task') && !e.type.includes('State'))
      .slice(0, 5)
      .map((e) => e.type);
    expect(review).toEqual(['TaskScheduled', 'TaskStarted', 'TaskFailed', 'TaskScheduled', 'TaskStarted']);
    expect(events!.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({ error: 'TransientError' });
  }, 30_000);

  test('a task waiting for its token shows TaskSubmitted', async () => {
    const { executionArn } = await start(await plan('plan-submitted0001'));
    for (let i = 0; i < 200; i++) {
      const { events } = await client.send(new sfn.GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
      const submitted = events!.find((e) => e.type === 'TaskSubmitted');
      if (submitted) {
        expect(submitted.taskSubmittedEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken' });
        await client.send(new sfn.StopExecutionCommand({ executionArn }));
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the approval task was never submitted');
  });
});

describe('the Service Catalog emulator refuses what Service Catalog would', () => {
  const register = async (body: unknown) => {
    const res = await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { error?: string; PlanId?: string } };
  };

  test.each([
    [{ CreatedTime: 'yesterday' }, 'ProvisionedProductPlanDetails.CreatedTime: must be a time'],
    [{ Tags: 5 }, 'ProvisionedProductPlanDetails.Tags'],
    [{ Tags: [{ Key: 'team' }] }, 'ProvisionedProductPlanDetails.Tags.0.Value'],
    [{ Status: 'READY' }, 'ProvisionedProductPlanDetails.Status'],
    [{ NotificationArns: ['not-an-arn'] }, 'ProvisionedProductPlanDetails.NotificationArns.0: must be an ARN'],
    [{ Surprise: true }, 'Surprise'],
  ])('POST /local/plans with %j answers 400 naming the field', async (details, message) => {
    const plan = ordersServicePlan('plan-badfield00001', details as never);
    const res = await register(plan);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(message);
  });

  test('a badly typed resource change detail is refused too; a good plan with ISO times reads back as the SDK expects', async () => {
    const bad = ordersServicePlan('plan-baddetail0001');
    bad.ResourceChanges![1]!.Details = [{ Target: { Attribute: 'PROPERTIES', RequiresRecreation: 'SOMETIMES' } }] as never;
    expect((await register(bad)).body.error).toContain('ResourceChanges.1.Details.0.Target.RequiresRecreation');
    const good = ordersServicePlan('plan-gooddetail001', { CreatedTime: '2026-11-20T09:30:00Z', Tags: [{ Key: 'team', Value: 'orders' }] } as never);
    good.ResourceChanges![1]!.Details = [
      { Target: { Attribute: 'PROPERTIES', Name: 'MemorySize', RequiresRecreation: 'NEVER' }, Evaluation: 'STATIC', CausingEntity: 'MemoryParam' },
    ];
    expect((await register(good)).status).toBe(200);
    const described = await serviceCatalog.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-gooddetail001' }));
    expect(described.ProvisionedProductPlanDetails?.CreatedTime?.toISOString()).toBe('2026-11-20T09:30:00.000Z');
    expect(described.ProvisionedProductPlanDetails?.Tags).toEqual([{ Key: 'team', Value: 'orders' }]);
  });

  test.each(['!!!', '', 'MTAwMDA'])('an invalid PageToken (%j) is InvalidParametersException', async (PageToken) => {
    await expect(serviceCatalog.send(new sc.ListProvisionedProductPlansCommand({ PageToken }))).rejects.toBeInstanceOf(sc.InvalidParametersException);
  });
});
