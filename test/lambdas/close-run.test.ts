import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import type { RunState } from '../../lambdas/shared/contracts/steps';
import { tableActive } from '../../local/template';
import { review } from './fixtures';

/**
 * Closing a run, whichever way it ended: against dynalite (a real implementation of DynamoDB's conditions), with
 * SNS, EventBridge and Step Functions mocked at the SDK level.
 */
const db = dynalite({ createTableMs: 0 });
let documents: DynamoDBDocumentClient;
let closeRun: typeof import('../../lambdas/shared/services/close-run').closeRun;
let closeRunFunction: typeof import('../../lambdas/close-run/close-run').closeRunFunction;
let table = 0;
let env: import('../../lambdas/shared/services/close-run').CloseRunEnv;

const sns = mockClient(SNSClient);
const eb = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
const RUN = 'arn:aws:states:us-east-1:000000000000:execution:sm:run-1';

beforeAll(async () => {
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  ({ closeRun } = await import('../../lambdas/shared/services/close-run'));
  ({ closeRunFunction } = await import('../../lambdas/close-run/close-run'));
});
afterAll(async () => {
  documents.destroy();
  (await import('../../lambdas/shared/adapters/clients/dynamodb')).dynamo.destroy();
  db.closeAllConnections?.();
  await new Promise((resolve) => db.close(resolve));
});

beforeEach(async () => {
  // A fresh table per test, as the function's environment names it.
  const TableName = `approvals-${++table}`;
  await documents.send(
    new CreateTableCommand({
      TableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await tableActive(documents, TableName);

  env = {
    TABLE_NAME: TableName,
    OUTCOME_TOPIC_ARN: 'arn:aws:sns:us-east-1:0:outcomes',
    APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:0:approvals',
    EVENT_BUS_NAME: 'default',
    EVENT_SOURCE: 'plangate',
    SLACK_WEBHOOK_SECRET_ID: undefined,
  };
  for (const m of [sns, eb, sfn]) m.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

const approvers = [
  { email: 'alice@example.com', name: 'Alice' },
  { email: 'bob@example.com', name: 'Bob' },
];
const pending = (over: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  pk: 'PLAN#plan-abc',
  planId: 'plan-abc',
  executionArn: RUN,
  status: 'PENDING',
  taskToken: 'SECRET-TOKEN',
  requestedAt: '2026-11-22T10:00:00.000Z',
  expiresAt: 1_795_000_000,
  approvers,
  review: review(),
  requiredApprovals: 2,
  approvals: [{ approver: approvers[0]!, channel: 'web', decidedAt: '2026-11-22T10:05:00.000Z' }],
  approverEmails: ['alice@example.com'],
  ...over,
});
const store = (record: ApprovalRecord) => documents.send(new PutCommand({ TableName: env.TABLE_NAME, Item: record }));
const read = async (pk = 'PLAN#plan-abc') =>
  (await documents.send(new GetCommand({ TableName: env.TABLE_NAME, Key: { pk } }))).Item as ApprovalRecord;
const state = (over: Partial<RunState>): RunState => ({
  input: { planId: 'plan-abc' },
  run: { executionArn: RUN, startedAt: '2026-11-22T09:59:00.000Z', planChecks: 0 },
  outcome: 'INTERNAL_ERROR',
  review: review(),
  ...over,
});
const emails = (topic = env.OUTCOME_TOPIC_ARN) =>
  sns
    .commandCalls(PublishCommand)
    .map((c) => c.args[0].input)
    .filter((p) => p.TopicArn === topic);

describe('closeRun', () => {
  test('a request nobody decided is CLOSED: token gone, plan released, every approver told, the outcome sent once per channel', async () => {
    await store(pending());
    const detail = await closeRun({ state: state({ error: { Error: 'Lambda.Unknown', Cause: 'boom' } }), planId: 'plan-abc', closer: 'Notify' }, env);
    const record = await read();
    expect(record).toMatchObject({
      status: 'CLOSED',
      released: true,
      outcome: { outcome: 'INTERNAL_ERROR', reason: 'boom' },
      notifiedEmailAt: expect.any(String),
      notifiedEventAt: expect.any(String),
    });
    expect(record.taskToken).toBeUndefined();
    expect(record.approvals).toHaveLength(1); // what happened before stays on record
    expect(emails(env.APPROVAL_TOPIC_ARN).map((p) => p.MessageAttributes?.approver?.StringValue)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(emails(env.APPROVAL_TOPIC_ARN)[0]).toMatchObject({
      Subject: '[PlanGate] Approval request closed: orders-update (plan-abc)',
      Message: expect.stringContaining('Why: boom'),
    });
    expect(emails()).toHaveLength(1);
    expect(detail).toMatchObject({ outcome: 'INTERNAL_ERROR', reason: 'boom' });
  });

  test('closing again (Notify and the rule, or a retry) changes nothing and sends nothing more', async () => {
    await store(pending());
    await closeRun({ state: state({ error: { Error: 'E', Cause: 'first' } }), planId: 'plan-abc', closer: 'Notify' }, env);
    const first = await read();
    sns.resetHistory();
    eb.resetHistory();
    await closeRun({ state: state({ outcome: 'ABORTED', error: { Error: 'E', Cause: 'second' } }), planId: 'plan-abc', closer: 'Notify' }, env);
    expect(await read()).toEqual(first);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  test('a close whose notification failed is finished by the next one, with the outcome first recorded', async () => {
    await store(pending({ status: 'APPROVED', execution: { idempotencyToken: 't', startedAt: '2026-11-22T10:10:00.000Z' } }));
    sns.on(PublishCommand).rejectsOnce(new Error('SNS down'));
    await expect(closeRun({ state: state({ outcome: 'SUCCEEDED', error: undefined }), planId: 'plan-abc', closer: 'Notify' }, env)).rejects.toThrow(
      'SNS down',
    );
    expect(await read()).toMatchObject({ status: 'APPROVED', released: false, outcome: { outcome: 'SUCCEEDED' } });
    const detail = await closeRun(
      { state: state({ outcome: 'RUN_FAILED', error: { Error: 'NotificationFailed', Cause: 'x' } }), planId: 'plan-abc', closer: 'Notify' },
      env,
    );
    expect(detail.outcome).toBe('SUCCEEDED');
    expect(emails().map((p) => p.Subject)).toEqual([
      '[PlanGate] SUCCEEDED: orders-update (plan-abc)',
      '[PlanGate] SUCCEEDED: orders-update (plan-abc)',
    ]);
  });

  test('a decided or executed record keeps its decision; only an unexecuted one is released', async () => {
    await store(pending({ status: 'REJECTED' }));
    await closeRun({ state: state({ outcome: 'REJECTED' }), planId: 'plan-abc', closer: 'Notify' }, env);
    expect(await read()).toMatchObject({ status: 'REJECTED', released: false });
    expect(emails(env.APPROVAL_TOPIC_ARN)).toEqual([]);
  });

  test('a duplicate is quiet: its event, but no email, and the record of the run that owns the plan is untouched', async () => {
    await store(pending({ executionArn: 'arn:other-run' }));
    await closeRun(
      {
        state: state({ outcome: 'DUPLICATE', error: { Error: 'DuplicateRunError', Cause: 'owned by arn:other-run' } }),
        planId: 'plan-abc',
        closer: 'Notify',
      },
      env,
    );
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(await read()).toEqual(pending({ executionArn: 'arn:other-run' }));
  });

  test('a run that does not own the plan’s record never touches it', async () => {
    await store(pending({ executionArn: 'arn:other-run' }));
    await closeRun({ state: state({ outcome: 'ABORTED' }), planId: 'plan-abc', closer: 'Notify' }, env);
    expect(await read()).toEqual(pending({ executionArn: 'arn:other-run' }));
    expect(emails()).toHaveLength(1);
  });
});

describe('the CloseRun function', () => {
  const statusChange = (status: string, input: unknown, extra: Record<string, unknown> = {}) => ({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: { executionArn: RUN, status, startDate: Date.parse('2026-11-22T09:59:00Z'), input: JSON.stringify(input), ...extra },
  });

  test('a run stopped while it waited closes its request, saying so, with the stop’s error and cause', async () => {
    await store(pending());
    const detail = await closeRunFunction(statusChange('ABORTED', { planId: 'plan-abc' }, { error: 'Operator', cause: 'Change freeze' }), env);
    expect(detail).toMatchObject({
      outcome: 'ABORTED',
      reason:
        'The run was stopped (Operator: Change freeze) while it waited for approval (1 of 2 approvals, by Alice). The plan was not executed; a new run may be started for it.',
    });
    expect(await read()).toMatchObject({
      status: 'CLOSED',
      released: true,
      outcome: { outcome: 'ABORTED', error: 'Operator', cause: 'Change freeze' },
    });
  });

  test('a run whose input was not a JSON object ends INVALID_INPUT, with a notification', async () => {
    const detail = await closeRunFunction(
      {
        ...statusChange('FAILED', null, { error: 'States.Runtime' }),
        detail: { ...statusChange('FAILED', null).detail, input: 'null', error: 'States.Runtime' },
      },
      env,
    );
    expect(detail).toMatchObject({ outcome: 'INVALID_INPUT', reason: 'The run input must be a JSON object with a planId; it was null.' });
    expect(emails()[0]?.Subject).toBe('[PlanGate] INVALID_INPUT: (no plan id)');
  });

  test('a run that timed out after executing says the plan may still be running', async () => {
    await store(pending({ status: 'APPROVED', execution: { idempotencyToken: 'tok-1', startedAt: '2026-11-22T10:10:00.000Z' } }));
    const detail = await closeRunFunction(statusChange('TIMED_OUT', { planId: 'plan-abc' }), env);
    expect(detail).toMatchObject({
      outcome: 'RUN_TIMED_OUT',
      reason: expect.stringContaining('after the plan was executed (IdempotencyToken tok-1): it may still be running'),
    });
    expect(await read()).toMatchObject({ status: 'APPROVED', released: false });
  });

  /** `plangate release` as API Gateway hands it over: the signed caller in requestContext.identity. */
  const releaseRequest = (planId: string, { by = 'arn:aws:iam::0:user/ops', method = 'POST', body = '' as string | null } = {}) =>
    closeRunFunction(
      {
        httpMethod: method,
        path: `/cli/plans/${planId}/release`,
        headers: { 'content-type': 'application/json' },
        body,
        isBase64Encoded: false,
        requestContext: { identity: { userArn: by || null } },
      },
      env,
    ) as Promise<{ statusCode: number; body: string; headers: Record<string, string> }>;
  const answer = async (response: ReturnType<typeof releaseRequest>) => {
    const { statusCode, body } = await response;
    return { statusCode, body: JSON.parse(body) };
  };

  test('release: a record its run never closed is closed as RELEASED and released, naming the signed caller; refused while the run runs, or with no record', async () => {
    expect(await answer(releaseRequest('plan-abc'))).toEqual({ statusCode: 404, body: { error: expect.stringContaining('no approval record') } });
    await store(pending());
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    expect(await answer(releaseRequest('plan-abc'))).toEqual({ statusCode: 409, body: { error: expect.stringContaining('is still running') } });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', startDate: new Date('2026-11-22T09:59:00Z') });
    const released = await answer(releaseRequest('plan-abc', { body: JSON.stringify({ reason: 'run lost in an old version' }) }));
    expect(released).toEqual({ statusCode: 200, body: { planId: 'plan-abc', released: true, status: 'CLOSED', outcome: 'RELEASED' } });
    expect(await read()).toMatchObject({
      released: true,
      releasedBy: 'arn:aws:iam::0:user/ops',
      outcome: { outcome: 'RELEASED', reason: expect.stringContaining('run lost in an old version') },
    });
    expect(emails(env.APPROVAL_TOPIC_ARN)).toHaveLength(2);
  });

  test('a release request that is unsigned, of the wrong method, for a bad plan id or with a bad body is refused, naming the problem', async () => {
    await store(pending());
    expect(await answer(releaseRequest('plan-abc', { by: '' }))).toMatchObject({
      statusCode: 403,
      body: { error: expect.stringContaining('signed') },
    });
    const wrongMethod = await releaseRequest('plan-abc', { method: 'GET' });
    expect(wrongMethod).toMatchObject({ statusCode: 405, headers: { Allow: 'POST' } });
    expect(await answer(releaseRequest('bad%20id!'))).toMatchObject({
      statusCode: 400,
      body: { error: expect.stringContaining('does not name a plan') },
    });
    expect(await answer(releaseRequest('plan-abc', { body: '{"reason": 42}' }))).toMatchObject({
      statusCode: 400,
      body: { error: 'The reason must be text' },
    });
    expect(await answer(releaseRequest('plan-abc', { body: 'reason=x' }))).toMatchObject({
      statusCode: 400,
      body: { error: 'The request body is not JSON' },
    });
    const twice = '{"reason":"a","reason":"b"}';
    expect(await answer(releaseRequest('plan-abc', { body: twice }))).toMatchObject({
      statusCode: 400,
      body: { error: 'The key "reason" is given more than once' },
    });
    expect(await read()).toMatchObject({ status: 'PENDING' }); // nothing changed
  });

  test('bad input is refused, naming the problem', async () => {
    await expect(closeRunFunction({ release: { planId: 'plan-abc' } }, env)).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(
      closeRunFunction({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { status: 'SUCCEEDED' } }, env),
    ).rejects.toMatchObject({ name: 'InvalidInputError' });
  });
});

describe('a released plan can be claimed by a new run; the earlier record is kept unchanged', () => {
  test('claim archives the released record under PLAN#<plan>#RUN#<run> and points to it', async () => {
    const { ApprovalStore } = await import('../../lambdas/shared/adapters/approval-store');
    const { dynamo } = await import('../../lambdas/shared/adapters/clients/dynamodb');
    const approvals = new ApprovalStore(dynamo, env.TABLE_NAME);
    await store(pending());
    const next = { ...pending({ executionArn: 'arn:run-2', approvals: undefined, approverEmails: undefined }) } as Partial<ApprovalRecord>;
    delete next.pk;
    expect(await approvals.claim(next as never)).toMatchObject({ claimed: false, owner: { executionArn: RUN } });
    await closeRun({ state: state({ outcome: 'ABORTED' }), planId: 'plan-abc', closer: 'Notify' }, env);
    const closed = await read();
    expect(await approvals.claim(next as never)).toMatchObject({
      claimed: true,
      previousRun: { outcome: 'ABORTED', status: 'CLOSED', decisions: [{ by: 'Alice', decision: 'APPROVED' }] },
    });
    expect(await read(`PLAN#plan-abc#RUN#${RUN}`)).toEqual({ ...closed, pk: `PLAN#plan-abc#RUN#${RUN}` });
    expect(await read()).toMatchObject({
      executionArn: 'arn:run-2',
      status: 'PENDING',
      previousRun: { executionArn: RUN, archivedAs: `PLAN#plan-abc#RUN#${RUN}` },
    });
  });
});
