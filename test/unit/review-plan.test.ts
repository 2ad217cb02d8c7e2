import {
  DescribeProvisionedProductPlanCommand,
  type ProvisionedProductPlanStatus,
  ResourceNotFoundException,
  type ResourceChange,
  ServiceCatalogClient,
  ServiceCatalogServiceException,
} from '@aws-sdk/client-service-catalog';
import { mockClient } from 'aws-sdk-client-mock';
import { reviewPlan } from '../../lambdas/review-plan/handler';
import { MAX_LISTED_CHANGES, summarizeChanges } from '../../lambdas/shared/plan';

const sc = mockClient(ServiceCatalogClient);
beforeEach(() => {
  sc.reset();
  process.env.DEFAULT_ACCEPT_LANGUAGE = 'jp';
});

const change = (i: number, action: 'ADD' | 'MODIFY' | 'REMOVE', replacement?: 'TRUE' | 'FALSE'): ResourceChange => ({
  Action: action,
  LogicalResourceId: `Resource${i}`,
  ResourceType: 'AWS::SQS::Queue',
  Replacement: replacement,
});
const details = (Status: string, StatusMessage?: string) => ({
  PlanId: 'plan-1',
  PlanName: 'p',
  Status: Status as ProvisionedProductPlanStatus,
  StatusMessage,
  ProvisionProductId: 'pp-1',
  ProvisionProductName: 'orders',
  CreatedTime: new Date('2026-11-01T10:00:00Z'),
});

test('reads every page of resource changes (20 at a time) and summarizes them', async () => {
  const changes = Array.from({ length: 45 }, (_, i) => change(i, i === 30 ? 'REMOVE' : i === 44 ? 'MODIFY' : 'ADD', i === 44 ? 'TRUE' : undefined));
  sc.on(DescribeProvisionedProductPlanCommand)
    .resolvesOnce({ ProvisionedProductPlanDetails: details('CREATE_SUCCESS'), ResourceChanges: changes.slice(0, 20), NextPageToken: 't1' })
    .resolvesOnce({ ProvisionedProductPlanDetails: details('CREATE_SUCCESS'), ResourceChanges: changes.slice(20, 40), NextPageToken: 't2' })
    .resolvesOnce({ ProvisionedProductPlanDetails: details('CREATE_SUCCESS'), ResourceChanges: changes.slice(40) });

  const result = await reviewPlan({ input: { planId: 'plan-1', requestedBy: 'dev@example.com' } });

  expect(sc).toHaveReceivedCommandTimes(DescribeProvisionedProductPlanCommand, 3);
  expect(sc).toHaveReceivedNthCommandWith(1, DescribeProvisionedProductPlanCommand, { PlanId: 'plan-1', AcceptLanguage: 'jp', PageSize: 20, PageToken: undefined });
  expect(sc).toHaveReceivedNthCommandWith(2, DescribeProvisionedProductPlanCommand, { PlanId: 'plan-1', AcceptLanguage: 'jp', PageSize: 20, PageToken: 't1' });
  expect(sc).toHaveReceivedNthCommandWith(3, DescribeProvisionedProductPlanCommand, { PlanId: 'plan-1', AcceptLanguage: 'jp', PageSize: 20, PageToken: 't2' });
  expect(result).toMatchObject({
    planId: 'plan-1',
    acceptLanguage: 'jp',
    requestedBy: 'dev@example.com',
    planStatus: 'CREATE_SUCCESS',
    plan: { provisionedProductName: 'orders', createdTime: '2026-11-01T10:00:00.000Z' },
    summary: { total: 45, countsByAction: { ADD: 43, REMOVE: 1, MODIFY: 1 }, replacements: 1, unlisted: 0 },
  });
  expect(result.summary!.changes.slice(0, 3).map((c) => c.logicalResourceId)).toEqual(['Resource30', 'Resource44', 'Resource0']);
});

test('reports a plan still being created without reading further pages', async () => {
  sc.on(DescribeProvisionedProductPlanCommand).resolves({ ProvisionedProductPlanDetails: details('CREATE_IN_PROGRESS'), NextPageToken: 'more' });
  const result = await reviewPlan({ input: { planId: 'plan-1', acceptLanguage: 'en' } });
  expect(result).toMatchObject({ planStatus: 'CREATE_IN_PROGRESS', acceptLanguage: 'en' });
  expect(result.summary).toBeUndefined();
  expect(sc).toHaveReceivedCommandTimes(DescribeProvisionedProductPlanCommand, 1);
});

test.each([
  ['CREATE_FAILED', 'Template error', 'Plan plan-1 is CREATE_FAILED, not CREATE_SUCCESS: Template error'],
  ['EXECUTE_SUCCESS', undefined, 'Plan plan-1 is EXECUTE_SUCCESS, not CREATE_SUCCESS'],
])('ends the run for a %s plan, with its StatusMessage', async (status, message, expected) => {
  sc.on(DescribeProvisionedProductPlanCommand).resolves({ ProvisionedProductPlanDetails: details(status, message) });
  await expect(reviewPlan({ input: { planId: 'plan-1' } })).rejects.toMatchObject({ name: 'PlanNotReadyError', message: expected });
});

test('turns a missing plan into PlanNotReadyError carrying Service Catalog message', async () => {
  sc.on(DescribeProvisionedProductPlanCommand).rejects(new ResourceNotFoundException({ message: 'Plan plan-1 not found', $metadata: {} }));
  await expect(reviewPlan({ input: { planId: 'plan-1' } })).rejects.toMatchObject({
    name: 'PlanNotReadyError',
    message: 'Service Catalog cannot describe plan plan-1: Plan plan-1 not found',
  });
});

test('lets the state machine retry throttling (after the SDK own retries)', async () => {
  sc.on(DescribeProvisionedProductPlanCommand).rejects(
    new ServiceCatalogServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: {} }),
  );
  const { handler } = await import('../../lambdas/review-plan/handler');
  await expect(handler({ input: { planId: 'plan-1' } }, {} as never)).rejects.toMatchObject({ name: 'TransientError', message: 'ThrottlingException: Rate exceeded' });
});

test.each([
  [{}, 'input: Invalid input: expected object, received undefined'],
  [{ input: { planId: '../etc' } }, 'input.planId: planId must be 1-100 characters'],
  [{ input: { planId: 'plan-1', acceptLanguage: 'de' } }, 'input.acceptLanguage: acceptLanguage must be one of "en", "jp", "zh"'],
])('refuses %j before calling Service Catalog', async (event, message) => {
  await expect(reviewPlan(event)).rejects.toMatchObject({ name: 'InvalidInputError', message: expect.stringContaining(message) });
  expect(sc).toHaveReceivedCommandTimes(DescribeProvisionedProductPlanCommand, 0);
});

test('lists at most MAX_LISTED_CHANGES changes and counts the rest', () => {
  const summary = summarizeChanges(Array.from({ length: MAX_LISTED_CHANGES + 7 }, (_, i) => change(i, 'ADD')));
  expect(summary.changes).toHaveLength(MAX_LISTED_CHANGES);
  expect(summary).toMatchObject({ total: MAX_LISTED_CHANGES + 7, unlisted: 7 });
});
