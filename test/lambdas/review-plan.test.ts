import {
  DescribeProductAsAdminCommand,
  DescribeProvisionedProductPlanCommand,
  type ProvisionedProductPlanStatus,
  type ResourceChange,
  type ResourceChangeDetail,
  ResourceNotFoundException,
  ServiceCatalogClient,
  ServiceCatalogServiceException,
} from '@aws-sdk/client-service-catalog';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type ReviewPlanEnv, reviewPlan } from '../../lambdas/review-plan/review-plan';
import { encodeEnvironment } from '../../lambdas/shared/contracts/environment';
import { MAX_DETAILS_PER_CHANGE, MAX_LISTED_CHANGES, MAX_LISTED_DETAILS, summarizeChanges } from '../../lambdas/shared/domain/plan-summary';
import { DEFAULT_SENSITIVE_RESOURCE_TYPES } from '../../lambdas/shared/domain/risk';

const sc = mockClient(ServiceCatalogClient);
const ddb = mockClient(DynamoDBDocumentClient);
const baseEnv: ReviewPlanEnv = {
  TABLE_NAME: 'approvals',
  DEFAULT_ACCEPT_LANGUAGE: 'jp',
  APPROVERS: [{ email: 'alice@example.com' }, { email: 'bob@example.com' }],
  APPROVAL_RULES: { autoApproveUpTo: 'NONE', requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 2 } },
  SENSITIVE_RESOURCE_TYPES: [...DEFAULT_SENSITIVE_RESOURCE_TYPES],
  DENIED_RESOURCE_TYPES: [],
};
let env: ReviewPlanEnv;
beforeEach(() => {
  sc.reset();
  ddb.reset();
  // No CloudTrail record of the plan's creator, unless a test says otherwise.
  ddb.on(GetCommand).resolves({});
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
  expect(sc).toHaveReceivedNthCommandWith(1, DescribeProvisionedProductPlanCommand, {
    PlanId: 'plan-1',
    AcceptLanguage: 'jp',
    PageSize: 20,
    PageToken: undefined,
  });
  expect(sc).toHaveReceivedNthCommandWith(2, DescribeProvisionedProductPlanCommand, {
    PlanId: 'plan-1',
    AcceptLanguage: 'jp',
    PageSize: 20,
    PageToken: 't1',
  });
  expect(sc).toHaveReceivedNthCommandWith(3, DescribeProvisionedProductPlanCommand, {
    PlanId: 'plan-1',
    AcceptLanguage: 'jp',
    PageSize: 20,
    PageToken: 't2',
  });
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
  await expect(handler({ input: { planId: 'plan-1' } }, {} as never)).rejects.toMatchObject({
    name: 'TransientError',
    message: 'ThrottlingException: Rate exceeded',
  });
});

test.each([
  [{}, 'InvalidInputError', 'The run input must be a JSON object with a planId; it was missing.'],
  [{ input: null }, 'InvalidInputError', 'The run input must be a JSON object with a planId; it was null.'],
  [{ input: { planId: '../etc' } }, 'InvalidInputError', 'input.planId: planId must be 1-100 characters'],
  // A valid plan id is named by its own error, so the state machine keeps that id for the outcome.
  [
    { input: { planId: 'plan-1', acceptLanguage: 'de' } },
    'InvalidPlanInputError',
    'input.acceptLanguage: acceptLanguage must be one of "en", "jp", "zh"',
  ],
])('refuses %j before calling Service Catalog', async (event, name, message) => {
  await expect(reviewPlan(event, env)).rejects.toMatchObject({ name, message: expect.stringContaining(message) });
  expect(sc).toHaveReceivedCommandTimes(DescribeProvisionedProductPlanCommand, 0);
});

test('lists at most MAX_LISTED_CHANGES changes and counts the rest', () => {
  const summary = summarizeChanges(Array.from({ length: MAX_LISTED_CHANGES + 7 }, (_, i) => change(i, 'ADD')));
  expect(summary.changes).toHaveLength(MAX_LISTED_CHANGES);
  expect(summary).toMatchObject({ total: MAX_LISTED_CHANGES + 7, unlisted: 7 });
});

describe('property details', () => {
  const detail = (
    Name: string,
    RequiresRecreation: 'NEVER' | 'CONDITIONALLY' | 'ALWAYS',
    extra: Partial<ResourceChangeDetail> = {},
  ): ResourceChangeDetail => ({
    Target: { Attribute: 'PROPERTIES', Name, RequiresRecreation },
    Evaluation: 'STATIC',
    ...extra,
  });

  test('each change carries its details, the ones that re-create the resource first', () => {
    const db: ResourceChange = {
      ...change(1, 'MODIFY', 'TRUE'),
      ResourceType: 'AWS::RDS::DBInstance',
      Details: [
        detail('Tags', 'NEVER'),
        detail('Port', 'CONDITIONALLY', { Evaluation: 'DYNAMIC', CausingEntity: 'Listener.Port' }),
        detail('DBName', 'ALWAYS'),
      ],
    };
    const summary = summarizeChanges([change(0, 'ADD'), db]);
    expect(summary.changes[0]).toMatchObject({
      logicalResourceId: 'Resource1',
      details: [
        { attribute: 'PROPERTIES', name: 'DBName', requiresRecreation: 'ALWAYS', evaluation: 'STATIC' },
        { attribute: 'PROPERTIES', name: 'Port', requiresRecreation: 'CONDITIONALLY', evaluation: 'DYNAMIC', causingEntity: 'Listener.Port' },
        { attribute: 'PROPERTIES', name: 'Tags', requiresRecreation: 'NEVER' },
      ],
    });
    expect(summary.changes[0]!.detailsUnlisted).toBeUndefined();
    expect(summary.changes[1]!.details).toBeUndefined();
  });

  test('keeps at most MAX_DETAILS_PER_CHANGE per change and MAX_LISTED_DETAILS in all, counting the rest', () => {
    const many = (i: number, n: number): ResourceChange => ({
      ...change(i, 'MODIFY'),
      Details: Array.from({ length: n }, (_, j) => detail(`P${j}`, 'NEVER')),
    });
    const summary = summarizeChanges([many(0, MAX_DETAILS_PER_CHANGE + 3), ...Array.from({ length: 100 }, (_, i) => many(i + 1, 4))]);
    expect(summary.changes[0]).toMatchObject({ detailsUnlisted: 3 });
    expect(summary.changes[0]!.details).toHaveLength(MAX_DETAILS_PER_CHANGE);
    const kept = summary.changes.reduce((n, c) => n + (c.details?.length ?? 0), 0);
    const unlisted = summary.changes.reduce((n, c) => n + (c.detailsUnlisted ?? 0), 0);
    expect(kept).toBe(MAX_LISTED_DETAILS);
    expect(kept + unlisted).toBe(MAX_DETAILS_PER_CHANGE + 3 + 400);
    expect(summary.changes.at(-1)).toEqual(expect.objectContaining({ detailsUnlisted: 4 }));
    expect(summary.changes.at(-1)!.details).toBeUndefined();
  });

  test('keeps the state document small: a huge plan with long details adds under 60 kB (of the 256 KiB payload limit)', () => {
    const long = 'x'.repeat(300);
    const changes = Array.from(
      { length: 1000 },
      (_, i): ResourceChange => ({
        ...change(i, 'MODIFY'),
        Details: Array.from({ length: 20 }, () => detail(long, 'CONDITIONALLY', { Evaluation: 'DYNAMIC', CausingEntity: long })),
      }),
    );
    const summary = summarizeChanges(changes);
    const without = { ...summary, changes: summary.changes.map(({ details: _d, detailsUnlisted: _u, ...rest }) => rest) };
    expect(JSON.stringify(summary).length - JSON.stringify(without).length).toBeLessThan(60_000);
    expect(summary.changes[0]!.details![0]!.name!.length).toBeLessThanOrEqual(64);
  });
});

describe('the approval rules, applied to the reviewed plan', () => {
  const describePlanWith = (changes: ResourceChange[]) =>
    sc.on(DescribeProvisionedProductPlanCommand).resolves({ ProvisionedProductPlanDetails: details('CREATE_SUCCESS'), ResourceChanges: changes });

  test('a HIGH-risk plan needs two approvals, and the approver who asked is named', async () => {
    env.APPROVERS = [{ email: 'alice@example.com' }, { email: 'bob@example.com' }, { email: 'carol@example.com' }];
    describePlanWith([change(1, 'REMOVE')]);
    const result = await reviewPlan({ input: { planId: 'plan-1', requestedBy: 'alice@example.com' } }, env);
    expect(result.policy).toEqual({
      autoApproved: false,
      requiredApprovals: 2,
      rule: 'HIGH risk needs 2 approvals (plangate:requiredApprovals)',
      selfApprover: 'alice@example.com',
    });
  });

  test('a LOW-risk plan is auto-approved when the rules allow LOW', async () => {
    env.APPROVAL_RULES = { autoApproveUpTo: 'LOW', requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 2 } };
    describePlanWith([change(1, 'ADD')]);
    expect((await reviewPlan({ input: { planId: 'plan-1' } }, env)).policy).toEqual({
      autoApproved: true,
      requiredApprovals: 0,
      rule: 'LOW risk is within plangate:autoApproveUpTo (LOW)',
    });
    describePlanWith([change(1, 'MODIFY', 'TRUE')]);
    expect((await reviewPlan({ input: { planId: 'plan-1' } }, env)).policy).toMatchObject({ autoApproved: false, requiredApprovals: 2 });
  });

  test('the plan’s creator as CloudTrail recorded it is excluded too, whatever requester the run input names', async () => {
    const creator = {
      arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_1/alice@example.com',
      approverEmail: 'alice@example.com',
      verifiedBy: 'cloudtrail',
      eventId: 'e-1',
      eventTime: '2026-11-22T09:59:00Z',
    };
    ddb
      .on(GetCommand, { Key: { pk: 'CREATOR#plan-1' } })
      .resolves({ Item: { pk: 'CREATOR#plan-1', planId: 'plan-1', creator, recordedAt: '2026-11-22T09:59:01Z' } });
    describePlanWith([change(1, 'REMOVE')]);
    // Alice names Bob as the requester: with both left out, nobody could reach two approvals.
    await expect(reviewPlan({ input: { planId: 'plan-1', requestedBy: 'bob@example.com' } }, env)).rejects.toMatchObject({
      name: 'PlanDeniedError',
      message:
        "Plan plan-1 cannot be approved: HIGH risk needs 2 approvals from different approvers, but only 0 approver(s) other than the requester and the plan's creator (bob@example.com, alice@example.com) are configured",
    });
    env.APPROVERS.push({ email: 'carol@example.com' }, { email: 'dan@example.com' });
    expect(await reviewPlan({ input: { planId: 'plan-1', requestedBy: 'bob@example.com' } }, env)).toMatchObject({
      creator,
      policy: { selfApprover: 'bob@example.com' },
    });
  });

  test('a quorum the requester leaves out of reach is denied at once, naming why', async () => {
    describePlanWith([change(1, 'REMOVE')]);
    await expect(reviewPlan({ input: { planId: 'plan-1', requestedBy: 'bob@example.com' } }, env)).rejects.toMatchObject({
      name: 'PlanDeniedError',
      message:
        'Plan plan-1 cannot be approved: HIGH risk needs 2 approvals from different approvers, but only 1 approver(s) other than the requester (bob@example.com) are configured',
    });
  });
});

describe('the product’s and its version’s names (issue 25), for approvers who know them by name', () => {
  const withProduct = { ...details('CREATE_SUCCESS'), ProductId: 'prod-5ejdthn2xkq6a', ProvisioningArtifactId: 'pa-7m3xk5tqv2j4e' };
  beforeEach(() => sc.on(DescribeProvisionedProductPlanCommand).resolves({ ProvisionedProductPlanDetails: withProduct, ResourceChanges: [] }));
  const review = () => reviewPlan({ input: { planId: 'plan-1', requestedBy: 'dev@example.com' } }, env);

  test('are read once with DescribeProductAsAdmin, in the run’s language, and kept beside the ids', async () => {
    sc.on(DescribeProductAsAdminCommand).resolves({
      ProductViewDetail: { ProductViewSummary: { Name: 'Orders service' } },
      ProvisioningArtifactSummaries: [
        { Id: 'pa-older', Name: 'v2.3.0' },
        { Id: 'pa-7m3xk5tqv2j4e', Name: 'v2.4.0' },
      ],
    });
    const result = await review();
    expect(sc).toHaveReceivedCommandWith(DescribeProductAsAdminCommand, { Id: 'prod-5ejdthn2xkq6a', AcceptLanguage: 'jp' });
    expect(result.plan).toMatchObject({ productId: 'prod-5ejdthn2xkq6a', productName: 'Orders service', provisioningArtifactName: 'v2.4.0' });
  });

  test('a burst of reviews of one product asks once for five minutes; a version not among those kept, or a later review, asks again', async () => {
    const product = (version: string) => ({
      ProductViewDetail: { ProductViewSummary: { Name: 'Billing service' } },
      ProvisioningArtifactSummaries: [{ Id: 'pa-billing-1', Name: version }],
    });
    const plan = (artifact: string) =>
      sc.on(DescribeProvisionedProductPlanCommand).resolves({
        ProvisionedProductPlanDetails: { ...withProduct, ProductId: 'prod-billing', ProvisioningArtifactId: artifact },
        ResourceChanges: [],
      });
    const asked = () => sc.commandCalls(DescribeProductAsAdminCommand, { Id: 'prod-billing' }).length;
    const clock = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-12-02T10:00:00Z'));
    try {
      plan('pa-billing-1');
      sc.on(DescribeProductAsAdminCommand, { Id: 'prod-billing' }).resolves(product('v1.0'));
      for (let i = 0; i < 3; i++) expect((await review()).plan).toMatchObject({ productName: 'Billing service', provisioningArtifactName: 'v1.0' });
      expect(asked()).toBe(1);

      // A version published since: asked again, and named.
      plan('pa-billing-2');
      sc.on(DescribeProductAsAdminCommand, { Id: 'prod-billing' }).resolves({
        ...product('v1.0'),
        ProvisioningArtifactSummaries: [...product('v1.0').ProvisioningArtifactSummaries, { Id: 'pa-billing-2', Name: 'v2.0' }],
      });
      expect((await review()).plan).toMatchObject({ provisioningArtifactName: 'v2.0' });
      expect(asked()).toBe(2);

      clock.mockReturnValue(Date.parse('2026-12-02T10:05:00Z'));
      await review();
      expect(asked()).toBe(3);
    } finally {
      clock.mockRestore();
    }
  });

  test('a product PlanGate may not describe, one gone, or a throttled call leaves the ids alone, and the review goes on', async () => {
    // Another product than the other tests', whose names this container keeps.
    sc.on(DescribeProvisionedProductPlanCommand).resolves({
      ProvisionedProductPlanDetails: { ...withProduct, ProductId: 'prod-unnamed' },
      ResourceChanges: [],
    });
    for (const error of [
      new ServiceCatalogServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {} }),
      new ResourceNotFoundException({ message: 'gone', $metadata: {} }),
      new ServiceCatalogServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
    ]) {
      sc.on(DescribeProductAsAdminCommand).rejects(error);
      const result = await review();
      expect(result.plan).toMatchObject({ productId: 'prod-unnamed' });
      expect(result.plan).not.toHaveProperty('productName');
    }
  });
});
