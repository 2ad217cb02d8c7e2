import { ExecuteProvisionedProductPlanCommand, InvalidStateException, ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { executePlan, idempotencyToken } from '../../lambdas/execute-plan/handler';

const sc = mockClient(ServiceCatalogClient);
const ddb = mockClient(DynamoDBDocumentClient);
const run = 'arn:aws:states:us-east-1:1:execution:sm:run-1';
const event = { planId: 'plan-abc', acceptLanguage: 'zh', executionArn: run };

beforeEach(() => {
  sc.reset();
  ddb.reset();
  process.env.TABLE_NAME = 'approvals';
  ddb.on(GetCommand).resolves({ Item: { status: 'APPROVED', executionArn: run } });
  sc.on(ExecuteProvisionedProductPlanCommand).resolves({ RecordDetail: { RecordId: 'rec-1', Status: 'CREATED' } });
});

test('executes an approved plan with a token derived from the run and the plan', async () => {
  const result = await executePlan(event);
  expect(sc).toHaveReceivedCommandWith(ExecuteProvisionedProductPlanCommand, {
    PlanId: 'plan-abc',
    AcceptLanguage: 'zh',
    IdempotencyToken: idempotencyToken(run, 'plan-abc'),
  });
  expect(result).toMatchObject({ recordId: 'rec-1', recordStatus: 'CREATED', idempotencyToken: idempotencyToken(run, 'plan-abc') });
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
  ['a rejected approval', { status: 'REJECTED', executionArn: run }],
  ['another run’s approval', { status: 'APPROVED', executionArn: 'arn:other' }],
])('refuses to execute with %s', async (_, item) => {
  ddb.on(GetCommand).resolves({ Item: item });
  await expect(executePlan(event)).rejects.toMatchObject({ name: 'ApprovalMissingError' });
  expect(sc).toHaveReceivedCommandTimes(ExecuteProvisionedProductPlanCommand, 0);
});

test('reports a plan Service Catalog will not execute as not ready, with its reason', async () => {
  sc.on(ExecuteProvisionedProductPlanCommand).rejects(new InvalidStateException({ message: 'Plan is not in a valid state', $metadata: {} }));
  await expect(executePlan(event)).rejects.toMatchObject({
    name: 'PlanNotReadyError',
    message: 'Service Catalog refused to execute plan plan-abc: InvalidStateException: Plan is not in a valid state',
  });
});
