import {
  DescribeProductAsAdminCommand,
  DescribeProvisionedProductPlanCommand,
  ExecuteProvisionedProductPlanCommand,
  InvalidStateException,
  type ResourceChange,
  ServiceCatalogClient,
} from '@aws-sdk/client-service-catalog';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { executePlan, idempotencyToken } from '../../lambdas/execute-plan/execute-plan';
import { changesDigest } from '../../lambdas/shared/domain/risk';
import { review } from './fixtures';

const sc = mockClient(ServiceCatalogClient);
const ddb = mockClient(DynamoDBDocumentClient);
const run = 'arn:aws:states:us-east-1:1:execution:sm:run-1';
const env = { TABLE_NAME: 'approvals' };
const event = { planId: 'plan-abc', acceptLanguage: 'zh', executionArn: run };
const approvedChanges: ResourceChange[] = [{ Action: 'ADD', LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue' }];
/** The approval record as RequestApproval wrote it and the approval API decided it. */
const approved = {
  pk: 'PLAN#plan-abc',
  planId: 'plan-abc',
  status: 'APPROVED',
  executionArn: run,
  requestedAt: '2026-11-22T10:00:00.000Z',
  expiresAt: 1_795_000_000,
  approvers: [{ email: 'alice@example.com' }],
  review: { ...review(), changesDigest: changesDigest(approvedChanges) },
};
const planNow = (Status: 'CREATE_SUCCESS' | 'CREATE_IN_PROGRESS' | 'EXECUTE_IN_PROGRESS', ResourceChanges = approvedChanges) =>
  sc.on(DescribeProvisionedProductPlanCommand).resolves({ ProvisionedProductPlanDetails: { PlanId: 'plan-abc', Status }, ResourceChanges });

beforeEach(() => {
  sc.reset();
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: approved });
  ddb.on(UpdateCommand).resolves({});
  planNow('CREATE_SUCCESS');
  sc.on(ExecuteProvisionedProductPlanCommand).resolves({ RecordDetail: { RecordId: 'rec-1', Status: 'CREATED' } });
});

test('executes an approved plan with a token derived from the run and the plan', async () => {
  const result = await executePlan(event, env);
  expect(sc).toHaveReceivedCommandWith(ExecuteProvisionedProductPlanCommand, {
    PlanId: 'plan-abc',
    AcceptLanguage: 'zh',
    IdempotencyToken: idempotencyToken(run, 'plan-abc'),
  });
  expect(result).toMatchObject({ recordId: 'rec-1', recordStatus: 'CREATED', idempotencyToken: idempotencyToken(run, 'plan-abc') });
});

test('checks the plan again without asking for its product’s name (a decoration of the review its role may not ask for)', async () => {
  planNow('CREATE_SUCCESS');
  sc.on(DescribeProvisionedProductPlanCommand).resolves({
    ProvisionedProductPlanDetails: { PlanId: 'plan-abc', Status: 'CREATE_SUCCESS', ProductId: 'prod-5ejdthn2xkq6a', ProvisioningArtifactId: 'pa-1' },
    ResourceChanges: approvedChanges,
  });
  await executePlan(event, env);
  expect(sc).toHaveReceivedCommand(ExecuteProvisionedProductPlanCommand);
  expect(sc).not.toHaveReceivedCommand(DescribeProductAsAdminCommand);
});

test('writes the IdempotencyToken onto this run’s approved record before executing, for the audit trail', async () => {
  const order: string[] = [];
  ddb.on(UpdateCommand).callsFake(async () => {
    order.push('record token');
    return {};
  });
  sc.on(ExecuteProvisionedProductPlanCommand).callsFake(async () => {
    order.push('execute');
    return { RecordDetail: { RecordId: 'rec-1', Status: 'CREATED' } };
  });
  await executePlan(event, env);
  expect(order).toEqual(['record token', 'execute']);
  expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
    Key: { pk: 'PLAN#plan-abc' },
    UpdateExpression: 'SET execution = if_not_exists(execution, :execution)',
    ConditionExpression: 'executionArn = :executionArn AND #status = :approved',
    ExpressionAttributeValues: expect.objectContaining({
      ':execution': { idempotencyToken: idempotencyToken(run, 'plan-abc'), startedAt: expect.any(String) },
    }),
  });
});

test('the token is the same for a retry, different for another run or plan, and valid for Service Catalog', () => {
  const token = idempotencyToken(run, 'plan-abc');
  expect(idempotencyToken(run, 'plan-abc')).toBe(token);
  expect(idempotencyToken(`${run}-2`, 'plan-abc')).not.toBe(token);
  expect(idempotencyToken(run, 'plan-abd')).not.toBe(token);
  expect(token).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$/);
});

test.each([
  ['no approval record', undefined],
  ['a rejected approval', { ...approved, status: 'REJECTED' }],
  ['another run’s approval', { ...approved, executionArn: 'arn:other' }],
])('refuses to execute with %s', async (_, item) => {
  ddb.on(GetCommand).resolves({ Item: item });
  await expect(executePlan(event, env)).rejects.toMatchObject({ name: 'ApprovalMissingError' });
  expect(sc).toHaveReceivedCommandTimes(ExecuteProvisionedProductPlanCommand, 0);
});

test('reports a plan Service Catalog will not execute as not ready, with its reason', async () => {
  sc.on(ExecuteProvisionedProductPlanCommand).rejects(new InvalidStateException({ message: 'Plan is not in a valid state', $metadata: {} }));
  await expect(executePlan(event, env)).rejects.toMatchObject({
    name: 'PlanNotReadyError',
    message: 'Service Catalog refused to execute plan plan-abc: InvalidStateException: Plan is not in a valid state',
  });
});

describe('the plan is checked once more, right before executing', () => {
  test('a plan whose resource changes differ from the approved ones is not executed', async () => {
    planNow('CREATE_SUCCESS', [...approvedChanges, { Action: 'REMOVE', LogicalResourceId: 'Db', ResourceType: 'AWS::RDS::DBInstance' }]);
    await expect(executePlan(event, env)).rejects.toMatchObject({
      name: 'PlanChangedError',
      message: expect.stringContaining('changed after it was reviewed'),
    });
    expect(sc).toHaveReceivedCommandTimes(ExecuteProvisionedProductPlanCommand, 0);
  });

  test('a plan that is being created again is not executed', async () => {
    planNow('CREATE_IN_PROGRESS', []);
    await expect(executePlan(event, env)).rejects.toMatchObject({
      name: 'PlanChangedError',
      message: expect.stringContaining('now CREATE_IN_PROGRESS'),
    });
    expect(sc).toHaveReceivedCommandTimes(ExecuteProvisionedProductPlanCommand, 0);
  });

  test('a plan already executing (a retry after a lost answer) goes to Service Catalog with the same token', async () => {
    planNow('EXECUTE_IN_PROGRESS');
    await expect(executePlan(event, env)).resolves.toMatchObject({ recordId: 'rec-1' });
    expect(sc).toHaveReceivedCommandWith(ExecuteProvisionedProductPlanCommand, { IdempotencyToken: idempotencyToken(run, 'plan-abc') });
  });
});

describe('the plan’s creator, as CloudTrail recorded them', () => {
  const alice = { approver: { email: 'alice@example.com', name: 'Alice' }, channel: 'web' as const, decidedAt: '2026-11-22T10:05:00.000Z' };
  const decidedBy = (approvals: (typeof alice)[], creatorOnRecord: boolean) => ({
    ...approved,
    requiredApprovals: 1,
    decision: { decision: 'APPROVED', ...approvals.at(-1)!, requestedAt: approved.requestedAt, approvals },
    ...(creatorOnRecord ? { creator } : {}),
  });
  const creator = {
    arn: 'arn:aws:sts::1:assumed-role/Dev/alice@example.com',
    approverEmail: 'alice@example.com',
    verifiedBy: 'cloudtrail',
    eventId: 'e',
    eventTime: 't',
  };

  test.each([
    ['on the record', true],
    ['known only from CloudTrail’s record, arrived after the decision', false],
  ])('a quorum that needed the creator’s own approval is refused, nothing executed (creator %s)', async (_, onRecord) => {
    ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: decidedBy([alice], onRecord) });
    ddb
      .on(GetCommand, { Key: { pk: 'CREATOR#plan-abc' } })
      .resolves({ Item: { pk: 'CREATOR#plan-abc', planId: 'plan-abc', creator, recordedAt: 't' } });
    await expect(executePlan(event, env)).rejects.toMatchObject({
      name: 'PlanDeniedError',
      message: expect.stringContaining('who may not approve it: without it, 0 of 1 approvals. It was not executed.'),
    });
    expect(sc).toHaveReceivedCommandTimes(ExecuteProvisionedProductPlanCommand, 0);
  });

  test('a quorum met without the creator executes', async () => {
    const bob = { ...alice, approver: { email: 'bob@example.com', name: 'Bob' } };
    ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: decidedBy([alice, bob], true) });
    await expect(executePlan(event, env)).resolves.toMatchObject({ recordId: 'rec-1' });
  });
});
