import { createHash } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeProvisionedProductPlanCommand, DescribeRecordCommand, ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { DescribeExecutionCommand, ListExecutionsCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import { encodeEnvironment } from '../../lambdas/shared/contracts/environment';
import { toApiGatewayEvent } from '../../local/api-gateway';
import { type MetricPoint, pointsOf } from '../../local/metrics';
import { review } from './fixtures';

/*
 * The metrics each deployed handler emits: its real handler.ts, through the shared middleware, with AWS mocked. The
 * embedded-metric-format lines (and log lines) it writes to stdout are captured and read as CloudWatch reads them.
 */

const sc = mockClient(ServiceCatalogClient);
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const eb = mockClient(EventBridgeClient);

const approvers = [
  { email: 'alice@example.com', name: 'Alice' },
  { email: 'bob@example.com', name: 'Bob' },
];
const run = 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1';
const context = (functionName: string) => ({ functionName, awsRequestId: 'req-1' }) as Context;

type Handler = (event: unknown, context: Context) => Promise<unknown>;
let handlers: Record<'reviewPlan' | 'notify' | 'approvalApi' | 'checkRecord' | 'watchRuns' | 'closeRun', Handler>;
let lambdaHandler: typeof import('../../lambdas/shared/runtime/handler').lambdaHandler;
let errors: typeof import('../../lambdas/shared/contracts/errors');
let postToSlack: typeof import('../../lambdas/shared/adapters/slack/post').postToSlack;

beforeAll(async () => {
  // What the construct sets, read when each handler loads: metrics on, logs at INFO, the stack's name as the service.
  Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_SERVICE_NAME: 'PlanGate' });
  Object.assign(
    process.env,
    encodeEnvironment({
      TABLE_NAME: 'approvals',
      APPROVERS: approvers,
      APPROVAL_RULES: { autoApproveUpTo: 'NONE', requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 1 } },
      DEFAULT_ACCEPT_LANGUAGE: 'en',
      SENSITIVE_RESOURCE_TYPES: [],
      DENIED_RESOURCE_TYPES: [],
      OUTCOME_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:outcomes',
      APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:approvals',
      EVENT_BUS_NAME: 'default',
      EVENT_SOURCE: 'plangate',
      POLL_INITIAL_INTERVAL_SECONDS: 60,
      POLL_MAX_INTERVAL_SECONDS: 600,
      POLL_TIMEOUT_SECONDS: 3600,
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:sm',
      APPROVAL_ALARM_PERCENT: 75,
    }),
  );
  handlers = {
    reviewPlan: (await import('../../lambdas/review-plan/handler')).handler,
    notify: (await import('../../lambdas/notify/handler')).handler,
    approvalApi: (await import('../../lambdas/approval-api/handler')).handler as Handler,
    checkRecord: (await import('../../lambdas/check-record/handler')).handler,
    watchRuns: (await import('../../lambdas/watch-runs/handler')).handler,
    closeRun: (await import('../../lambdas/close-run/handler')).handler,
  };
  ({ lambdaHandler } = await import('../../lambdas/shared/runtime/handler'));
  errors = await import('../../lambdas/shared/contracts/errors');
  ({ postToSlack } = await import('../../lambdas/shared/adapters/slack/post'));
});

let output: string[];
let restore: () => void;
beforeEach(() => {
  for (const mock of [sc, sfn, ddb, sns, eb]) mock.reset();
  output = [];
  // Metrics go to stdout; log lines to stdout or, from WARN up, stderr.
  const restores = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array) => {
      output.push(chunk.toString());
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = write;
    };
  });
  restore = () => {
    for (const r of restores) r();
  };
});
afterEach(() => restore());

const emf = () => output.filter((line) => line.startsWith('{"_aws":')).map((line) => JSON.parse(line));
const points = (): MetricPoint[] => emf().flatMap(pointsOf);
const point = (name: string) => points().filter((p) => p.name === name);
const logLines = () => output.filter((line) => line.startsWith('{"level"')).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the shared middleware', () => {
  test('publishes an invocation’s metrics once, when it ends, in the PlanGate namespace with the service dimension', async () => {
    const { count } = await import('../../lambdas/shared/runtime/metrics');
    await lambdaHandler(async () => {
      count('DuplicateRuns');
      count('DuplicateRuns');
      expect(emf()).toEqual([]); // not yet
      return 'ok';
    })({}, context('f'));
    expect(emf()).toHaveLength(1);
    expect(emf()[0]._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'PlanGate', Dimensions: [['service']], Metrics: [{ Name: 'DuplicateRuns', Unit: 'Count' }] },
    ]);
    expect(point('DuplicateRuns').map((p) => p.value)).toEqual([1, 1]);
    expect(point('DuplicateRuns')[0]!.dimensions).toEqual({ service: 'PlanGate' });
  });

  test('more values than one EMF document may hold (100 per metric) are published in several, none lost', async () => {
    const { count } = await import('../../lambdas/shared/runtime/metrics');
    await lambdaHandler(async () => {
      for (let i = 0; i < 150; i++) count('DuplicateRuns');
      return 'ok';
    })({}, context('f'));
    expect(emf().map((doc) => (doc.DuplicateRuns as number[]).length)).toEqual([100, 50]);
  });

  test('an invocation that adds no metric writes no metric line and no warning', async () => {
    await lambdaHandler(async () => 'ok')({}, context('f'));
    expect(output.filter((line) => line.includes('_aws') || line.includes('No application metrics'))).toEqual([]);
  });

  test('counts a named ending (ExpectedError) by function, so the error alarm can leave it out; an unexpected error is not counted', async () => {
    const ending = lambdaHandler(async () => {
      throw new errors.PlanNotReadyError('Plan p is CREATE_FAILED');
    });
    await expect(ending({}, context('PlanGate-ReviewPlan'))).rejects.toThrow('CREATE_FAILED');
    expect(point('ExpectedErrors')).toEqual([
      expect.objectContaining({ value: 1, dimensions: { service: 'PlanGate', function: 'PlanGate-ReviewPlan' } }),
    ]);

    output.length = 0;
    const bug = lambdaHandler(async () => {
      throw new TypeError('undefined is not a function');
    });
    await expect(bug({}, context('PlanGate-ReviewPlan'))).rejects.toThrow(TypeError);
    expect(point('ExpectedErrors')).toEqual([]);
  });

  test('puts the run’s planId and executionArn on every log line of the invocation, and only of that invocation', async () => {
    const { logger } = await import('../../lambdas/shared/runtime/logger');
    await lambdaHandler(async () => logger.info('inside'))(
      { taskToken: 'SECRET-TOKEN', executionArn: run, review: { planId: 'plan-abc' } },
      context('f'),
    );
    await lambdaHandler(async () => logger.info('next'))({ input: { planId: '../not a plan id' } }, context('f'));
    const [inside, next] = logLines();
    expect(inside).toMatchObject({ message: 'inside', planId: 'plan-abc', executionArn: run });
    expect(next).toMatchObject({ message: 'next' });
    expect(next).not.toHaveProperty('planId');
    expect(next).not.toHaveProperty('executionArn');
    expect(output.join('')).not.toContain('SECRET-TOKEN');
  });

  test('a failed Slack post is counted with the invocation’s metrics', async () => {
    await lambdaHandler(async () => postToSlack('http://127.0.0.1:1/hook', { text: 't', blocks: [] }, { attempts: 1 }))({}, context('f'));
    expect(point('SlackPostFailed').map((p) => p.value)).toEqual([1]);
  });
});

describe('each function emits its metrics', () => {
  test('ReviewPlan counts a run on its first review only', async () => {
    ddb.on(GetCommand).resolves({});
    sc.on(DescribeProvisionedProductPlanCommand).resolves({
      ProvisionedProductPlanDetails: {
        PlanId: 'plan-abc',
        PlanName: 'p',
        Status: 'CREATE_SUCCESS',
        ProvisionProductId: 'pp-1',
        ProvisionProductName: 'orders',
      },
      ResourceChanges: [],
    });
    await handlers.reviewPlan({ input: { planId: 'plan-abc' }, executionArn: run, planChecks: 0 }, context('ReviewPlan'));
    await handlers.reviewPlan({ input: { planId: 'plan-abc' }, executionArn: run, planChecks: 1 }, context('ReviewPlan'));
    expect(point('RunsStarted').map((p) => p.value)).toEqual([1]);
    // Bad input is a run that started too (it ends INVALID_INPUT).
    await expect(handlers.reviewPlan({ input: {}, planChecks: 0 }, context('ReviewPlan'))).rejects.toThrow();
    expect(point('RunsStarted')).toHaveLength(2);
    // A throttled first review is retried by the state machine with the same input: the retry counts the run.
    sc.on(DescribeProvisionedProductPlanCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
    );
    await expect(
      handlers.reviewPlan({ input: { planId: 'plan-abc' }, executionArn: run, planChecks: 0 }, context('ReviewPlan')),
    ).rejects.toMatchObject({ name: 'TransientError' });
    expect(point('RunsStarted')).toHaveLength(2);
  });

  const ownRecord = (extra: Partial<ApprovalRecord> = {}): ApprovalRecord =>
    ({
      pk: 'PLAN#plan-abc',
      planId: 'plan-abc',
      executionArn: run,
      status: 'APPROVED',
      requestedAt: '2026-11-22T10:00:00.000Z',
      expiresAt: 1_795_000_000,
      approvers,
      review: review(),
      ...extra,
    }) as ApprovalRecord;
  const state = (outcome: string) => ({
    input: { planId: 'plan-abc' },
    run: { executionArn: run, startedAt: '2026-11-22T10:00:00.000Z', planChecks: 0 },
    outcome,
    review: review(),
  });

  test('Notify counts the run’s ending by outcome, once: not again when the run was already closed', async () => {
    sns.on(PublishCommand).resolves({});
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: ownRecord() })
      .resolves({ Item: ownRecord({ outcome: { outcome: 'REJECTED', reason: 'r', finishedAt: '2026-11-22T10:30:00.000Z' } }) });
    ddb
      .on(UpdateCommand)
      .resolves({ Attributes: ownRecord({ outcome: { outcome: 'REJECTED', reason: 'r', finishedAt: '2026-11-22T10:30:00.000Z' } }) });
    await handlers.notify(state('REJECTED'), context('Notify'));
    await handlers.notify(state('REJECTED'), context('Notify'));
    expect(point('RunEnded')).toEqual([expect.objectContaining({ value: 1, dimensions: { service: 'PlanGate', outcome: 'REJECTED' } })]);
  });

  test('a duplicate run is counted as an ending and as a duplicate', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    await handlers.notify(
      { ...state('DUPLICATE'), error: { Error: 'DuplicateRunError', Cause: 'Plan plan-abc already has an approval' } },
      context('Notify'),
    );
    expect(point('RunEnded')).toEqual([expect.objectContaining({ dimensions: { service: 'PlanGate', outcome: 'DUPLICATE' } })]);
    expect(point('DuplicateRuns').map((p) => p.value)).toEqual([1]);
  });

  test('CloseRun counts a run stopped outside the workflow as ABORTED', async () => {
    sns.on(PublishCommand).resolves({});
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    ddb.on(GetCommand).resolves({});
    const stopped = {
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn: run, status: 'ABORTED', startDate: Date.now(), input: '{"planId":"plan-abc"}' },
    };
    await handlers.closeRun(stopped, context('CloseRun'));
    expect(point('RunEnded')).toEqual([expect.objectContaining({ dimensions: { service: 'PlanGate', outcome: 'ABORTED' } })]);
  });

  test('the approval API times a person’s decision from the request', async () => {
    const link = 'B'.repeat(43);
    const linkKey = `LINK#${createHash('sha256').update(link).digest('hex')}`;
    const pending = ownRecord({
      status: 'PENDING',
      taskToken: 'SECRET-TASK-TOKEN',
      requestedAt: new Date(Date.now() - 90_000).toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });
    ddb.on(GetCommand).callsFake(async ({ Key }) => ({
      Item: Key.pk === linkKey ? { pk: linkKey, planId: 'plan-abc', approver: approvers[0], createdAt: pending.requestedAt } : pending,
    }));
    ddb
      .on(UpdateCommand)
      .callsFake(async (input) =>
        input.ReturnValues === 'ALL_OLD'
          ? { Attributes: pending }
          : { Attributes: { ...pending, approvals: input.ExpressionAttributeValues?.[':approval'] } },
      );
    sfn.on(SendTaskSuccessCommand).resolves({});
    const event = toApiGatewayEvent({
      method: 'POST',
      path: `/approvals/${link}`,
      body: 'decision=approve',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(((await handlers.approvalApi(event, context('ApprovalApi'))) as APIGatewayProxyResult).statusCode).toBe(200);
    const [wait] = point('ApprovalWaitSeconds');
    expect(wait).toMatchObject({ unit: 'Seconds', dimensions: { service: 'PlanGate' } });
    expect(wait!.value).toBeGreaterThanOrEqual(90);
    expect(wait!.value).toBeLessThan(100);
    expect(logLines().find((l) => l.message === 'Approval decided')).toMatchObject({ planId: 'plan-abc', executionArn: run });
  });

  test('CheckRecord times the record once it is final: how long it ran, and how late the run noticed', async () => {
    const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000);
    const check = { planId: 'plan-abc', executionArn: run, recordId: 'rec-1', acceptLanguage: 'en', executedAt: at(301).toISOString(), checks: 2 };
    sc.on(DescribeRecordCommand).resolvesOnce({ RecordDetail: { RecordId: 'rec-1', Status: 'IN_PROGRESS', CreatedTime: at(300) } });
    await handlers.checkRecord(check, context('CheckRecord'));
    expect(points()).toEqual([]);
    sc.on(DescribeRecordCommand).resolves({ RecordDetail: { RecordId: 'rec-1', Status: 'SUCCEEDED', CreatedTime: at(300), UpdatedTime: at(12) } });
    await handlers.checkRecord(check, context('CheckRecord'));
    const [execution] = point('ExecutionSeconds');
    const [delay] = point('DetectionDelaySeconds');
    expect(execution!.value).toBeCloseTo(288, 0);
    expect(delay!.value).toBeGreaterThanOrEqual(12);
    expect(delay!.value).toBeLessThan(14);
  });

  test('WatchRuns counts the runs in flight, their open approvals, and those past the alarm’s share of the timeout', async () => {
    const now = Date.now();
    const arns = ['fresh', 'overdue', 'executing', 'other-owner', 'bad-input'].map((n) => `${run.replace('run-1', n)}`);
    sfn
      .on(ListExecutionsCommand)
      .resolvesOnce({ executions: arns.slice(0, 3).map((executionArn) => ({ executionArn })) as never, nextToken: 'page-2' })
      .resolves({ executions: arns.slice(3).map((executionArn) => ({ executionArn })) as never });
    sfn.on(DescribeExecutionCommand).callsFake(async ({ executionArn }: { executionArn: string }) => ({
      input: executionArn.endsWith('bad-input') ? 'null' : JSON.stringify({ planId: `plan-${executionArn.split(':').pop()}` }),
    }));
    const hour = 3_600_000;
    const records: Record<string, Partial<ApprovalRecord>> = {
      // Asked 1 h of a 4 h timeout ago (25%), and 3.5 h ago (87.5%).
      'plan-fresh': { executionArn: arns[0], status: 'PENDING', requestedAt: new Date(now - hour).toISOString(), expiresAt: (now + 3 * hour) / 1000 },
      'plan-overdue': {
        executionArn: arns[1],
        status: 'PENDING',
        requestedAt: new Date(now - 3.5 * hour).toISOString(),
        expiresAt: (now + 0.5 * hour) / 1000,
      },
      'plan-executing': { executionArn: arns[2], status: 'APPROVED' },
      'plan-other-owner': { executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:someone-else', status: 'PENDING' },
    };
    ddb.on(GetCommand).callsFake(async ({ Key }) => {
      const planId = String(Key.pk).replace('PLAN#', '');
      return records[planId] ? { Item: ownRecord({ planId, pk: Key.pk, ...records[planId] }) } : {};
    });
    await expect(handlers.watchRuns({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, context('WatchRuns'))).resolves.toEqual({
      runsInFlight: 5,
      approvalsWaiting: 2,
      approvalsOverdue: 1,
    });
    expect(points().map((p) => [p.name, p.value])).toEqual([
      ['RunsInFlight', 5],
      ['ApprovalsWaiting', 2],
      ['ApprovalsOverdue', 1],
    ]);
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { statusFilter: 'RUNNING', nextToken: 'page-2' });
  });

  test('a run WatchRuns cannot look at does not hide the others’ counts, and fails the count as an error the alarm sees', async () => {
    const arns = ['ok', 'throttled'].map((n) => run.replace('run-1', n));
    sfn.on(ListExecutionsCommand).resolves({ executions: arns.map((executionArn) => ({ executionArn })) as never });
    sfn.on(DescribeExecutionCommand).callsFake(async ({ executionArn }: { executionArn: string }) => {
      if (executionArn.endsWith('throttled'))
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      return { input: JSON.stringify({ planId: 'plan-ok' }) };
    });
    const now = Date.now();
    ddb.on(GetCommand).resolves({
      Item: ownRecord({ executionArn: arns[0], status: 'PENDING', requestedAt: new Date(now - 1000).toISOString(), expiresAt: now / 1000 + 3600 }),
    });
    await expect(handlers.watchRuns({}, context('PlanGate-WatchRuns'))).rejects.toThrow('Could not look at 1 of 2 runs in flight');
    expect(points().map((p) => [p.name, p.value])).toEqual([
      ['RunsInFlight', 2],
      ['ApprovalsWaiting', 1],
      ['ApprovalsOverdue', 0],
    ]);

    // A throttled list is a transient error, but nothing retries WatchRuns: it is not counted as expected.
    output.length = 0;
    sfn
      .on(ListExecutionsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    await expect(handlers.watchRuns({}, context('PlanGate-WatchRuns'))).rejects.toThrow();
    expect(point('ExpectedErrors')).toEqual([]);
  });
});
