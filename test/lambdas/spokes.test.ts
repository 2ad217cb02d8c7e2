import { DescribeProvisionedProductPlanCommand, ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type PlanCreatedEnv, planCreated } from '../../lambdas/plan-created/plan-created';
import { type ReviewPlanEnv, reviewPlan } from '../../lambdas/review-plan/review-plan';
import { approvalRequestMessage } from '../../lambdas/shared/adapters/slack/blocks';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import { outcomeDetailSchema } from '../../lambdas/shared/contracts/events';
import type { Spokes } from '../../lambdas/shared/contracts/spokes';
import { planKey } from '../../lambdas/shared/contracts/table-keys';
import { composeApprovalEmail } from '../../lambdas/shared/domain/approval-email';
import { describeOutcome } from '../../lambdas/shared/domain/outcome';
import { planRefOf, scopedId, sessionNameOf } from '../../lambdas/shared/domain/plan-location';
import { metrics } from '../../lambdas/shared/runtime/metrics';
import { pendingPage } from '../../lambdas/shared/web/page';
import { spyOnSingleMetrics } from '../support/metrics';
import { review } from './fixtures';

/*
 * Several accounts (issue 21): where a run's plan is, how it is keyed, how Service Catalog is reached in a spoke, and
 * which CloudTrail events from spokes start runs. The hub is 111122223333 in us-east-1.
 */
const sc = mockClient(ServiceCatalogClient);
const sts = mockClient(STSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);

const HUB = '111122223333';
const DEV = '444455556666';
const PROD = '777788889999';
const SPOKES: Spokes = {
  hubAccountId: HUB,
  organizationId: 'o-abcdefghij',
  accounts: [
    { accountId: DEV, name: 'dev <team>', regions: ['eu-west-1'] },
    { accountId: PROD, regions: ['eu-west-1', 'us-east-1'] },
  ],
};
let runs = 0;
/** A fresh run for each test: spoke credentials are cached per account and Region for the run that assumed them. */
const newRun = () => `arn:aws:states:us-east-1:${HUB}:execution:PlanGate:run-${++runs}`;

const reviewEnv: ReviewPlanEnv = {
  TABLE_NAME: 'approvals',
  DEFAULT_ACCEPT_LANGUAGE: 'en',
  APPROVERS: [{ email: 'alice@example.com' }, { email: 'bob@example.com' }],
  APPROVAL_RULES: { autoApproveUpTo: 'NONE', requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 1 } },
  SENSITIVE_RESOURCE_TYPES: [],
  DENIED_RESOURCE_TYPES: [],
  SPOKES,
  AWS_REGION: 'us-east-1',
};
const credentials = (expiresInMinutes = 60) => ({
  Credentials: {
    AccessKeyId: 'ASIASPOKE',
    SecretAccessKey: 'secret',
    SessionToken: 'token',
    Expiration: new Date(Date.now() + expiresInMinutes * 60_000),
  },
});

beforeEach(() => {
  for (const mock of [sc, sts, ddb, sfn]) mock.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  sts.on(AssumeRoleCommand).resolves(credentials());
  sc.on(DescribeProvisionedProductPlanCommand).resolves({
    ProvisionedProductPlanDetails: { PlanId: 'plan-1', Status: 'CREATE_SUCCESS', ProvisionProductId: 'pp-1' },
    ResourceChanges: [{ Action: 'ADD', LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue' }],
  });
});

describe('a plan’s key', () => {
  test('the same plan id in two accounts gives two keys; a hub plan keeps the key it had before spokes', () => {
    const run = newRun();
    const dev = planKey(planRefOf({ planId: 'plan-1', accountId: DEV, region: 'eu-west-1' }, run));
    const prod = planKey(planRefOf({ planId: 'plan-1', accountId: PROD, region: 'eu-west-1' }, run));
    expect(dev).toBe(`PLAN#${DEV}:eu-west-1:plan-1`);
    expect(prod).toBe(`PLAN#${PROD}:eu-west-1:plan-1`);
    expect(planKey(planRefOf({ planId: 'plan-1', accountId: HUB, region: 'us-east-1' }, run))).toBe('PLAN#plan-1');
    expect(planKey(planRefOf({ planId: 'plan-1' }, run))).toBe('PLAN#plan-1');
    // The hub's account in another Region is another place.
    expect(scopedId('pp-1', { accountId: HUB, region: 'eu-west-1' }, { accountId: HUB, region: 'us-east-1' })).toBe(`${HUB}:eu-west-1:pp-1`);
  });

  test('the session name names the run, in STS’s charset, at most 64 characters', () => {
    expect(sessionNameOf(`arn:aws:states:us-east-1:${HUB}:execution:PlanGate:created-6f1c2a3b`)).toBe('plangate-created-6f1c2a3b');
    const long = sessionNameOf(`arn:aws:states:us-east-1:${HUB}:execution:PlanGate:${'x'.repeat(80)}`);
    expect(long).toHaveLength(64);
    expect(sessionNameOf('arn:aws:states:us-east-1:1:execution:sm:a b/c')).toMatch(/^plangate-a-b-c-[0-9a-f]{12}$/);
  });

  test('two runs whose names differ only past the clip, or in characters STS does not take, get sessions of their own', () => {
    // Else the spoke's CloudTrail could not tell them apart, and a container's cached session would serve both runs.
    const name = (suffix: string) =>
      sessionNameOf(`arn:aws:states:us-east-1:${HUB}:execution:PlanGate:${'release-payments-prod-'.repeat(3)}${suffix}`);
    expect(name('retry1')).not.toBe(name('retry2'));
    expect(name('retry1')).toHaveLength(64);
    expect(sessionNameOf('arn:aws:states:us-east-1:1:execution:sm:déploiement')).not.toBe(
      sessionNameOf('arn:aws:states:us-east-1:1:execution:sm:dèploiement'),
    );
  });
});

describe('ReviewPlan in a spoke', () => {
  test('assumes the spoke’s role for the run, describes the plan in its Region, and says where the plan is', async () => {
    const run = newRun();
    const result = await reviewPlan(
      { input: { planId: 'plan-1', accountId: DEV, region: 'eu-west-1' }, executionArn: run, planChecks: 0 },
      reviewEnv,
    );

    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    const session = `plangate-${run.split(':').pop()}`;
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${DEV}:role/plangate-spoke-eu-west-1`,
      RoleSessionName: session,
      SourceIdentity: session,
    });
    const client = sc.commandCalls(DescribeProvisionedProductPlanCommand)[0]!.thisValue as ServiceCatalogClient;
    expect(await client.config.region()).toBe('eu-west-1');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'ASIASPOKE', sessionToken: 'token' });
    expect(result).toMatchObject({ planId: 'plan-1', accountId: DEV, region: 'eu-west-1', accountName: 'dev <team>', planStatus: 'CREATE_SUCCESS' });
    // Who created it is looked up under the spoke's key, not a hub plan's of the same id.
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { pk: `CREATOR#${DEV}:eu-west-1:plan-1` } });
  });

  test('a hub plan is described with the hub’s own credentials, no AssumeRole, and named as the hub’s', async () => {
    const result = await reviewPlan({ input: { planId: 'plan-1' }, executionArn: newRun(), planChecks: 0 }, reviewEnv);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    expect(result).toMatchObject({ accountId: HUB, region: 'us-east-1' });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { pk: 'CREATOR#plan-1' } });
  });

  test.each([
    [{ accountId: '999999999999', region: 'eu-west-1' }, 'Account 999999999999 in Region eu-west-1 is not one PlanGate gates'],
    [{ accountId: DEV, region: 'us-east-1' }, `Account ${DEV} in Region us-east-1 is not one PlanGate gates`],
  ])('a place outside the allow-list (%j) ends INVALID_INPUT before any AssumeRole', async (place, message) => {
    // Named as a refusal of a valid plan id, which the workflow keeps for the outcome.
    await expect(reviewPlan({ input: { planId: 'plan-1', ...place }, executionArn: newRun() }, reviewEnv)).rejects.toMatchObject({
      name: 'InvalidPlanInputError',
      message: expect.stringContaining(message),
    });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    expect(sc).toHaveReceivedCommandTimes(DescribeProvisionedProductPlanCommand, 0);
  });

  test('without SPOKES, a run naming any other account is refused, and nothing is assumed', async () => {
    const env = { ...reviewEnv, SPOKES: undefined };
    await expect(reviewPlan({ input: { planId: 'plan-1', accountId: DEV, region: 'eu-west-1' }, executionArn: newRun() }, env)).rejects.toMatchObject(
      {
        name: 'InvalidPlanInputError',
      },
    );
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
  });

  test('a review request sent as an event may name only its sender’s account', async () => {
    const sent = (accountId?: string) => ({
      input: { planId: 'plan-1', request: { planId: 'plan-1', accountId }, sentBy: { account: DEV } },
      executionArn: newRun(),
    });
    await expect(reviewPlan(sent(PROD), reviewEnv)).rejects.toMatchObject({
      name: 'InvalidPlanInputError',
      message: `The review request names account ${PROD}, but account ${DEV} sent it`,
    });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    // Naming no account: the sender's.
    const env = { ...reviewEnv, SPOKES: { ...SPOKES, accounts: [{ accountId: DEV, regions: ['us-east-1'] }] } };
    await expect(reviewPlan(sent(), env)).resolves.toMatchObject({ accountId: DEV, region: 'us-east-1' });
  });

  test('a role that refuses (or is missing) is SpokeAccessDeniedError naming it, not a transient error', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejects(
        new STSServiceException({ name: 'AccessDenied', message: 'not authorized to perform sts:AssumeRole', $fault: 'client', $metadata: {} }),
      );
    await expect(
      reviewPlan({ input: { planId: 'plan-1', accountId: PROD, region: 'eu-west-1' }, executionArn: newRun() }, reviewEnv),
    ).rejects.toMatchObject({
      name: 'SpokeAccessDeniedError',
      message: expect.stringContaining(`arn:aws:iam::${PROD}:role/plangate-spoke-eu-west-1`),
    });
    expect(sc).toHaveReceivedCommandTimes(DescribeProvisionedProductPlanCommand, 0);
  });

  test('credentials are assumed once per account and Region for a run, and again when they are about to expire', async () => {
    const run = newRun();
    const review = () => reviewPlan({ input: { planId: 'plan-1', accountId: PROD, region: 'us-east-1' }, executionArn: run }, reviewEnv);
    await review();
    await review();
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    // Another Region of the same account is another role.
    await reviewPlan({ input: { planId: 'plan-1', accountId: PROD, region: 'eu-west-1' }, executionArn: run }, reviewEnv);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);

    const soon = newRun();
    sts.on(AssumeRoleCommand).resolves(credentials(2));
    const reviewSoon = () => reviewPlan({ input: { planId: 'plan-1', accountId: DEV, region: 'eu-west-1' }, executionArn: soon }, reviewEnv);
    await reviewSoon();
    await reviewSoon();
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 4);
  });
});

describe('PlanCreated with spokes', () => {
  const env: PlanCreatedEnv = {
    TABLE_NAME: 'approvals',
    STATE_MACHINE_ARN: `arn:aws:states:us-east-1:${HUB}:stateMachine:PlanGate`,
    APPROVAL_TOPIC_ARN: `arn:aws:sns:us-east-1:${HUB}:approvals`,
    APPROVERS: [{ email: 'alice@example.com' }],
    SPOKES,
    AWS_REGION: 'us-east-1',
  };
  const CREATOR = `arn:aws:sts::${DEV}:assumed-role/Developer/dana`;
  const cloudTrail = (account: string, region: string, recipientAccountId: string | undefined) => ({
    source: 'aws.servicecatalog',
    'detail-type': 'AWS API Call via CloudTrail',
    account,
    region,
    detail: {
      eventSource: 'servicecatalog.amazonaws.com',
      eventName: 'CreateProvisionedProductPlan',
      eventID: 'event-1',
      eventTime: '2026-11-22T09:59:00Z',
      recipientAccountId,
      userIdentity: { arn: CREATOR },
      responseElements: { planId: 'plan-1' },
    },
  });
  let dropped: string[];
  beforeEach(() => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:run-created' });
    dropped = spyOnSingleMetrics(metrics);
  });
  afterEach(() => jest.restoreAllMocks());

  test('a spoke’s plan: keyed and started with the envelope’s account and Region', async () => {
    await expect(planCreated(cloudTrail(DEV, 'eu-west-1', DEV), env)).resolves.toMatchObject({ planId: 'plan-1', executionArn: 'arn:run-created' });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ pk: `CREATOR#${DEV}:eu-west-1:plan-1`, planId: 'plan-1' }) });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      input: JSON.stringify({ planId: 'plan-1', accountId: DEV, region: 'eu-west-1', requestedBy: CREATOR }),
    });
    expect(dropped).toEqual([]);
  });

  test.each([
    ['names another account than the envelope', cloudTrail(DEV, 'eu-west-1', PROD), 'RecipientMismatch'],
    ['does not say which account recorded it', cloudTrail(DEV, 'eu-west-1', undefined), 'RecipientMismatch'],
    ['comes from an account outside the allow-list', cloudTrail('999999999999', 'eu-west-1', '999999999999'), 'NotAllowed'],
    ['comes from a Region the account is not gated in', cloudTrail(DEV, 'us-east-1', DEV), 'NotAllowed'],
  ])('a CloudTrail event that %s starts nothing and is counted', async (_, event, reason) => {
    await expect(planCreated(event, env)).resolves.toEqual({ dropped: reason });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
    expect(dropped).toEqual([`DroppedEvents:${reason}`]);
  });
});

describe('approvers see where the change lands', () => {
  const run = `arn:aws:states:us-east-1:${HUB}:execution:PlanGate:run-where`;
  const spokeReview = () => ({ ...review(), accountId: DEV, region: 'eu-west-1', accountName: 'dev <b>team</b> https://evil.example.com' });

  test('the email names the account, its name and the Region before the plan, the name defanged', () => {
    const { body } = composeApprovalEmail({
      review: spokeReview(),
      executionArn: run,
      approver: { email: 'alice@example.com' },
      link: 'https://approvals.example.com/approvals/x',
      expiresAt: new Date('2026-11-23T10:00:00Z'),
    });
    const lines = body.split('\n');
    const where = lines.findIndex((l) => l.startsWith('Where: '));
    expect(lines[where]).toBe(`Where: account ${DEV} (dev <b>team</b> https[:]//evil.example.com), region eu-west-1`);
    expect(where).toBeLessThan(lines.findIndex((l) => l.startsWith('Plan: ')));
  });

  test('the page names them first among the facts, the name escaped', () => {
    const record: ApprovalRecord = {
      pk: `PLAN#${DEV}:eu-west-1:plan-abc`,
      planId: 'plan-abc',
      planRef: `${DEV}:eu-west-1:plan-abc`,
      executionArn: run,
      status: 'PENDING',
      requestedAt: '2026-11-22T10:00:00.000Z',
      expiresAt: 1_900_000_000,
      approvers: [{ email: 'alice@example.com' }],
      review: spokeReview(),
    };
    const page = pendingPage(record, { email: 'alice@example.com' }, new Date('2026-11-22T10:05:00Z'));
    expect(page).toContain(`<td id="where"><bdi>account ${DEV} (dev &lt;b&gt;team&lt;/b&gt; https://evil.example.com), region eu-west-1</bdi></td>`);
    expect(page).not.toContain('<b>team</b>');
    expect(page.indexOf('id="where"')).toBeLessThan(page.indexOf('<th>Plan</th>'));
  });

  test('Slack names them first, and its buttons name the spoke plan by its key', () => {
    const message = approvalRequestMessage({
      review: spokeReview(),
      executionArn: run,
      pageUrl: 'https://approvals.example.com/approvals/x',
      expiresAt: new Date('2026-11-23T10:00:00Z'),
      interactive: true,
    });
    const text = JSON.stringify(message.blocks);
    expect(text).toContain(`*Where*\\naccount ${DEV} (dev &lt;b&gt;team&lt;/b&gt;`);
    expect(text).toContain(`"value":"${DEV}:eu-west-1:plan-abc ${run}"`);
  });

  test('the outcome event names the account, its name and the Region; before a review, as the run input named them', () => {
    const reviewed = describeOutcome(
      { input: {}, run: { executionArn: run, startedAt: '2026-11-22T10:00:00.000Z', planChecks: 0 }, outcome: 'DENIED', review: spokeReview() },
      new Date(),
    );
    expect(outcomeDetailSchema.parse(reviewed.detail)).toMatchObject({
      accountId: DEV,
      accountName: 'dev <b>team</b> https://evil.example.com',
      region: 'eu-west-1',
    });
    expect(reviewed.body).toContain(`Where: account ${DEV} (dev <b>team</b> https[:]//evil.example.com), region eu-west-1`);

    const unreachable = describeOutcome(
      {
        input: { planId: 'plan-abc', accountId: PROD, region: 'eu-west-1' },
        run: { executionArn: run, startedAt: '2026-11-22T10:00:00.000Z', planChecks: 0 },
        outcome: 'SPOKE_UNREACHABLE',
        error: {
          Error: 'SpokeAccessDeniedError',
          Cause: `PlanGate could not assume its spoke role arn:aws:iam::${PROD}:role/plangate-spoke-eu-west-1`,
        },
      },
      new Date(),
    );
    expect(unreachable.detail).toMatchObject({ outcome: 'SPOKE_UNREACHABLE', accountId: PROD, region: 'eu-west-1' });
    expect(unreachable.detail.reason).toContain(`arn:aws:iam::${PROD}:role/plangate-spoke-eu-west-1`);
    expect(unreachable.subject).toBe('[PlanGate] SPOKE_UNREACHABLE: plan-abc');
  });

  test('a spoke unreachable after the plan was executed there says so, not that nothing was called there', () => {
    const executed = describeOutcome(
      {
        input: {},
        run: { executionArn: run, startedAt: '2026-11-22T10:00:00.000Z', planChecks: 0 },
        outcome: 'SPOKE_UNREACHABLE',
        review: spokeReview(),
        execution: { recordId: 'rec-spoke1', idempotencyToken: 'a'.repeat(64), recordStatus: 'CREATED', executedAt: '2026-11-22T10:10:00.000Z' },
        // CheckRecord could not assume the role to follow the record.
        error: {
          Error: 'SpokeAccessDeniedError',
          Cause: `PlanGate could not assume its spoke role arn:aws:iam::${DEV}:role/plangate-spoke-eu-west-1`,
        },
      },
      new Date(),
    );
    expect(executed.body).not.toContain('nothing was called there');
    expect(executed.detail.reason).toContain('The plan was executed (record rec-spoke1)');
    expect(executed.detail.reason).toContain('may still be running');
    expect(executed.detail.reason).toContain(`arn:aws:iam::${DEV}:role/plangate-spoke-eu-west-1`);
  });
});
