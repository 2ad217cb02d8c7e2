import {
  DescribeProvisionedProductPlanCommand,
  type ProvisionedProductPlanStatus,
  ResourceNotFoundException,
  type ResourceChange,
  ServiceCatalogClient,
  ServiceCatalogServiceException,
} from '@aws-sdk/client-service-catalog';
import { mockClient } from 'aws-sdk-client-mock';
import { type ReviewPlanEnv, reviewPlan } from '../../lambdas/review-plan/review-plan';
import { encodeEnvironment } from '../../lambdas/shared/contracts/environment';
import { DEFAULT_SENSITIVE_RESOURCE_TYPES } from '../../lambdas/shared/domain/risk';
import { MAX_LISTED_CHANGES, summarizeChanges } from '../../lambdas/shared/domain/plan-summary';

const sc = mockClient(ServiceCatalogClient);
const baseEnv: ReviewPlanEnv = {
  DEFAULT_ACCEPT_LANGUAGE: 'jp',
  APPROVERS: [{ email: 'alice@example.com' }, { email: 'bob@example.com' }],
  APPROVAL_RULES: { autoApproveUpTo: 'NONE', requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 2 } },
  SENSITIVE_RESOURCE_TYPES: [...DEFAULT_SENSITIVE_RESOURCE_TYPES],
  DENIED_RESOURCE_TYPES: [],
};
let env: ReviewPlanEnv;
beforeEach(() => {
  sc.reset();
  env = structuredClone(baseEnv);
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

  const result = await reviewPlan({ input: { planId: 'plan-1', requestedBy: 'dev@example.com' } }, env);

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
  const result = await reviewPlan({ input: { planId: 'plan-1', acceptLanguage: 'en' } }, env);
  expect(result).toMatchObject({ planStatus: 'CREATE_IN_PROGRESS', acceptLanguage: 'en' });
  expect(result.summary).toBeUndefined();
  expect(sc).toHaveReceivedCommandTimes(DescribeProvisionedProductPlanCommand, 1);
});

test.each([
  ['CREATE_FAILED', 'Template error', 'Plan plan-1 is CREATE_FAILED, not CREATE_SUCCESS: Template error'],
  ['EXECUTE_SUCCESS', undefined, 'Plan plan-1 is EXECUTE_SUCCESS, not CREATE_SUCCESS'],
])('ends the run for a %s plan, with its StatusMessage', async (status, message, expected) => {
  sc.on(DescribeProvisionedProductPlanCommand).resolves({ ProvisionedProductPlanDetails: details(status, message) });
  await expect(reviewPlan({ input: { planId: 'plan-1' } }, env)).rejects.toMatchObject({ name: 'PlanNotReadyError', message: expected });
});

test('turns a missing plan into PlanNotReadyError carrying Service Catalog message', async () => {
  sc.on(DescribeProvisionedProductPlanCommand).rejects(new ResourceNotFoundException({ message: 'Plan plan-1 not found', $metadata: {} }));
  await expect(reviewPlan({ input: { planId: 'plan-1' } }, env)).rejects.toMatchObject({
    name: 'PlanNotReadyError',
    message: 'Service Catalog cannot describe plan plan-1: Plan plan-1 not found',
  });
});

test('lets the state machine retry throttling (after the SDK own retries)', async () => {
  sc.on(DescribeProvisionedProductPlanCommand).rejects(
    new ServiceCatalogServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: {} }),
  );
  Object.assign(process.env, encodeEnvironment(baseEnv)); // the deployed handler reads its environment once, at start-up
  const { handler } = await import('../../lambdas/review-plan/handler');
  await expect(handler({ input: { planId: 'plan-1' } }, {} as never)).rejects.toMatchObject({ name: 'TransientError', message: 'ThrottlingException: Rate exceeded' });
});

test.each([
  [{}, 'input: Invalid input: expected object, received undefined'],
  [{ input: { planId: '../etc' } }, 'input.planId: planId must be 1-100 characters'],
  [{ input: { planId: 'plan-1', acceptLanguage: 'de' } }, 'input.acceptLanguage: acceptLanguage must be one of "en", "jp", "zh"'],
])('refuses %j before calling Service Catalog', async (event, message) => {
  await expect(reviewPlan(event, env)).rejects.toMatchObject({ name: 'InvalidInputError', message: expect.stringContaining(message) });
  expect(sc).toHaveReceivedCommandTimes(DescribeProvisionedProductPlanCommand, 0);
});

test('lists at most MAX_LISTED_CHANGES changes and counts the rest', () => {
  const summary = summarizeChanges(Array.from({ length: MAX_LISTED_CHANGES + 7 }, (_, i) => change(i, 'ADD')));
  expect(summary.changes).toHaveLength(MAX_LISTED_CHANGES);
  expect(summary).toMatchObject({ total: MAX_LISTED_CHANGES + 7, unlisted: 7 });
});

describe('the approval rules, applied to the reviewed plan', () => {
  const describePlanWith = (changes: ResourceChange[]) =>
    sc.on(DescribeProvisionedProductPlanCommand).resolves({ ProvisionedProductPlanDetails: details('CREATE_SUCCESS'), ResourceChanges: changes });

  test('a HIGH-risk plan needs two approvals, and the approver who asked is named', async () => {
    env.APPROVERS = [{ email: 'alice@example.com' }, { email: 'bob@example.com' }, { email: 'carol@example.com' }];
    describePlanWith([change(1, 'REMOVE')]);
    const result = await reviewPlan({ input: { planId: 'plan-1', requestedBy: 'alice@example.com' } }, env);
    expect(result.policy).toEqual({ autoApproved: false, requiredApprovals: 2, rule: 'HIGH risk needs 2 approvals (plangate:requiredApprovals)', selfApprover: 'alice@example.com' });
  });

  test('a LOW-risk plan is auto-approved when the rules allow LOW', async () => {
    env.APPROVAL_RULES = { autoApproveUpTo: 'LOW', requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 2 } };
    describePlanWith([change(1, 'ADD')]);
    expect((await reviewPlan({ input: { planId: 'plan-1' } }, env)).policy).toEqual({ autoApproved: true, requiredApprovals: 0, rule: 'LOW risk is within plangate:autoApproveUpTo (LOW)' });
    describePlanWith([change(1, 'MODIFY', 'TRUE')]);
    expect((await reviewPlan({ input: { planId: 'plan-1' } }, env)).policy).toMatchObject({ autoApproved: false, requiredApprovals: 2 });
  });

  test('a quorum the requester leaves out of reach is denied at once, naming why', async () => {
    describePlanWith([change(1, 'REMOVE')]);
    await expect(reviewPlan({ input: { planId: 'plan-1', requestedBy: 'bob@example.com' } }, env)).rejects.toMatchObject({
      name: 'PlanDeniedError',
      message: 'Plan plan-1 cannot be approved: HIGH risk needs 2 approvals from different approvers, but only 1 approver(s) other than the requester (bob@example.com) are configured',
    });
  });
});
