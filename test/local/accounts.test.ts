import * as sc from '@aws-sdk/client-service-catalog';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { HUB_BUS_NAME, type Spokes, spokeRoleArn } from '../../lambdas/shared/contracts/spokes';
import { FUNCTION_METADATA_KEY } from '../../lib/functions';
import { awsEvent } from '../../local/event-bridge';
import { LOCAL_SLACK_CONTEXT, type LocalMode, startLocalMode } from '../../local/server';
import type { CfnTemplate } from '../../local/template';
import { ONE_APPROVAL } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS } from '../support/local-mode';
import { handlerBundles, synthesizedTemplate } from '../support/prebuilt';

/**
 * Local mode with several accounts (issue 21), driven as the functions and users drive it: STS AssumeRole into a
 * spoke's role, Service Catalog calls signed with the temporary keys, events put on a spoke's default bus and
 * forwarded to the hub bus. The hub template gets SPOKES, the hub bus and its policy here; the spoke template is
 * hand-made as the contract describes it (the CDK side builds the real ones).
 */
const PAYMENTS = '111111111111';
const DATA = '222222222222';
const FOREIGN = '999999999999';
const ORG = 'o-abcdefghij';
const SPOKES: Spokes = {
  hubAccountId: '000000000000',
  organizationId: ORG,
  accounts: [
    { accountId: PAYMENTS, name: 'payments', regions: ['eu-west-1'] },
    { accountId: DATA, regions: ['eu-west-1', 'us-east-1'] },
  ],
};

/** The hub template with SPOKES on a function, and the hub bus admitting the organization's two kinds of events. */
function hubTemplate(template: CfnTemplate, spokes: Spokes): CfnTemplate {
  const copy = JSON.parse(JSON.stringify(template)) as CfnTemplate;
  const [, fn] = Object.entries(copy.Resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[FUNCTION_METADATA_KEY])!;
  const props = fn.Properties as { Environment: { Variables: Record<string, unknown> } };
  props.Environment.Variables.SPOKES = JSON.stringify(spokes);
  const [topicId] = Object.entries(copy.Resources).find(([, r]) => r.Type === 'AWS::SNS::Topic')!;
  const admit = (sid: string, source: string, detailType: string) => ({
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: '*' },
    Action: 'events:PutEvents',
    Resource: { 'Fn::GetAtt': ['HubBus', 'Arn'] },
    Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG, 'events:source': source, 'events:detail-type': detailType } },
  });
  Object.assign(copy.Resources, {
    HubBus: { Type: 'AWS::Events::EventBus', Properties: { Name: HUB_BUS_NAME } },
    HubBusCloudTrail: {
      Type: 'AWS::Events::EventBusPolicy',
      Properties: {
        EventBusName: { Ref: 'HubBus' },
        StatementId: 'cloudtrail',
        Statement: admit('cloudtrail', 'aws.servicecatalog', 'AWS API Call via CloudTrail'),
      },
    },
    HubBusStacks: {
      Type: 'AWS::Events::EventBusPolicy',
      Properties: {
        EventBusName: { Ref: 'HubBus' },
        StatementId: 'stacks',
        Statement: admit('stacks', 'aws.cloudformation', 'CloudFormation Stack Status Change'),
      },
    },
    // Its events go whole to a topic, so the outbox shows their envelopes.
    HubAnyRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventBusName: { Ref: 'HubBus' },
        EventPattern: { source: ['aws.servicecatalog', 'aws.cloudformation'] },
        Targets: [{ Id: 'Envelope', Arn: { Ref: topicId } }],
      },
    },
  });
  return copy;
}

const hubBusArn = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'HubRegion' }, ':', { Ref: 'HubAccountId' }, `:event-bus/${HUB_BUS_NAME}`]],
};
const forward = { Id: 'HubBus', Arn: hubBusArn, RoleArn: { 'Fn::GetAtt': ['ForwardRole', 'Arn'] } };
/** The spoke stack's two forwarding rules, as the contract describes them. */
const SPOKE_TEMPLATE: CfnTemplate = {
  Parameters: { HubAccountId: {}, HubRegion: {} },
  Resources: {
    ForwardRole: { Type: 'AWS::IAM::Role', Properties: {} },
    ForwardPlanCreated: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventPattern: {
          source: ['aws.servicecatalog'],
          'detail-type': ['AWS API Call via CloudTrail'],
          detail: { eventName: ['CreateProvisionedProductPlan'] },
        },
        Targets: [forward],
      },
    },
    ForwardStackStatus: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventPattern: {
          source: ['aws.cloudformation'],
          'detail-type': ['CloudFormation Stack Status Change'],
          detail: { 'stack-id': [{ wildcard: '*:stack/SC-*' }] },
        },
        Targets: [forward],
      },
    },
  },
};

let local: LocalMode;
let sts: STSClient;
let hubCatalog: sc.ServiceCatalogClient;

const HUB_CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'y' };

beforeAll(async () => {
  const template = await synthesizedTemplate({ ...LOCAL_SLACK_CONTEXT, ...ONE_APPROVAL });
  local = await startLocalMode({
    context: ONE_APPROVAL,
    pollWaitMs: 50,
    prebuilt: { template: hubTemplate(template, SPOKES), handlers: handlerBundles(), spokeTemplate: SPOKE_TEMPLATE },
  });
  sts = new STSClient({ endpoint: local.baseUrl, region: 'us-east-1', credentials: HUB_CREDENTIALS, maxAttempts: 1 });
  hubCatalog = new sc.ServiceCatalogClient({ endpoint: local.baseUrl, region: 'us-east-1', credentials: HUB_CREDENTIALS, maxAttempts: 1 });
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  sts.destroy();
  hubCatalog.destroy();
  await local.close();
});

const assume = (roleArn: string, sourceIdentity = 'plangate-run-0001', client = sts) =>
  client.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'plangate-run-0001', SourceIdentity: sourceIdentity }));

/** A Service Catalog client of a spoke: the role's temporary credentials, a client for the Region. */
async function spokeCatalog(account: string, region: string) {
  const { Credentials } = await assume(spokeRoleArn(account, region));
  const credentials = {
    accessKeyId: Credentials!.AccessKeyId!,
    secretAccessKey: Credentials!.SecretAccessKey!,
    sessionToken: Credentials!.SessionToken!,
  };
  return new sc.ServiceCatalogClient({ endpoint: local.baseUrl, region, credentials, maxAttempts: 1 });
}

const registerIn = (planId: string, query: string, overrides = {}) =>
  fetch(`${local.baseUrl}/local/plans${query}`, { method: 'POST', body: JSON.stringify(ordersServicePlan(planId, overrides)) });
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: { name: string; $metadata: { httpStatusCode?: number } }) => error,
  );
const calls = async (service: string) =>
  (await fetch(`${local.baseUrl}/local/calls?service=${service}`)).json() as Promise<Record<string, unknown>[]>;

describe('STS AssumeRole', () => {
  test('into a spoke role answers temporary credentials whose key names the account, for the session and source identity asked', async () => {
    const before = Date.now();
    const answer = await assume(spokeRoleArn(PAYMENTS, 'eu-west-1'));
    expect(answer.Credentials?.AccessKeyId).toMatch(new RegExp(`^ASIA${PAYMENTS}[0-9A-Z]{4}$`));
    expect(answer.Credentials?.SessionToken).toBeTruthy();
    expect(answer.Credentials!.Expiration!.getTime()).toBeGreaterThanOrEqual(before + 3_598_000);
    expect(answer.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PAYMENTS}:assumed-role/plangate-spoke-eu-west-1/plangate-run-0001`);
    expect(answer.SourceIdentity).toBe('plangate-run-0001');
    const { Credentials } = answer;
    const asRole = new STSClient({
      endpoint: local.baseUrl,
      region: 'eu-west-1',
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken!,
      },
      maxAttempts: 1,
    });
    const identity = await asRole.send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: PAYMENTS, Arn: answer.AssumedRoleUser?.Arn });
    // The trust policy admits the hub's principals only: a spoke session cannot chain into another spoke.
    const chained = await refusal(assume(spokeRoleArn(DATA, 'eu-west-1'), 'plangate-run-0001', asRole));
    expect(chained).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    asRole.destroy();
  });

  test.each([
    ['a Region the account is not configured in', spokeRoleArn(PAYMENTS, 'us-east-1')],
    ['an account outside SPOKES', spokeRoleArn(FOREIGN, 'eu-west-1')],
    ['another role of a spoke account', `arn:aws:iam::${PAYMENTS}:role/admin`],
  ])('a role not deployed (%s) is refused with AccessDenied, 403', async (_, roleArn) => {
    const error = await refusal(assume(roleArn));
    expect(error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect((error as unknown as Error).message).toContain(roleArn);
  });

  test('without a plangate-* source identity the spoke role’s trust policy refuses', async () => {
    const roleArn = spokeRoleArn(PAYMENTS, 'eu-west-1');
    const withoutSource = sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'plangate-run-0001' }));
    expect(await refusal(withoutSource)).toMatchObject({ name: 'AccessDenied' });
    expect(await refusal(assume(roleArn, 'someone-else'))).toMatchObject({ name: 'AccessDenied' });
  });

  test.each([
    ['too short', 'p'],
    ['too long', `plangate-${'x'.repeat(56)}`],
    ['a character outside [\\w+=,.@-]', 'plangate run'],
    ['the reserved aws: prefix', 'aws:plangate'],
  ])('a source identity %s is a ValidationError', async (_, sourceIdentity) => {
    expect(await refusal(assume(spokeRoleArn(PAYMENTS, 'eu-west-1'), sourceIdentity))).toMatchObject({
      name: 'ValidationError',
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('Service Catalog per account and Region', () => {
  test('a call signed with a spoke’s temporary key goes to that account’s Service Catalog, in the Region it is signed for', async () => {
    expect((await registerIn('plan-spokeshared01', `?account=${PAYMENTS}&region=eu-west-1`, { PlanName: 'payments-plan' })).status).toBe(200);
    expect((await registerIn('plan-spokeshared01', `?account=${DATA}&region=eu-west-1`, { PlanName: 'data-plan' })).status).toBe(200);
    const describe = (client: sc.ServiceCatalogClient) => client.send(new sc.DescribeProvisionedProductPlanCommand({ PlanId: 'plan-spokeshared01' }));
    const payments = await spokeCatalog(PAYMENTS, 'eu-west-1');
    const data = await spokeCatalog(DATA, 'eu-west-1');
    const dataUs = await spokeCatalog(DATA, 'us-east-1');
    expect((await describe(payments)).ProvisionedProductPlanDetails?.PlanName).toBe('payments-plan');
    expect((await describe(data)).ProvisionedProductPlanDetails?.PlanName).toBe('data-plan');
    expect(await refusal(describe(dataUs))).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await refusal(describe(hubCatalog))).toMatchObject({ name: 'ResourceNotFoundException' });
    for (const client of [payments, data, dataUs]) client.destroy();
  });

  test('a temporary key local mode never issued, or signed with the wrong secret, is refused with 403', async () => {
    const { Credentials } = await assume(spokeRoleArn(PAYMENTS, 'eu-west-1'));
    const forged = [
      { accessKeyId: `ASIA${PAYMENTS}ZZZZ`, secretAccessKey: 'y', sessionToken: 't' },
      { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: 'not-the-secret', sessionToken: Credentials!.SessionToken! },
      { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: 'another-token' },
    ];
    const names = [];
    for (const credentials of forged) {
      const client = new sc.ServiceCatalogClient({ endpoint: local.baseUrl, region: 'eu-west-1', credentials, maxAttempts: 1 });
      const error = await refusal(client.send(new sc.ListProvisionedProductPlansCommand({})));
      expect(error?.$metadata.httpStatusCode).toBe(403);
      names.push(error?.name);
      client.destroy();
    }
    expect(names).toEqual(['UnrecognizedClientException', 'InvalidSignatureException', 'UnrecognizedClientException']);
  });
});

describe('GET /local/calls', () => {
  test('lists the Service Catalog calls with the account, Region, principal and source identity of each', async () => {
    const payments = await spokeCatalog(PAYMENTS, 'eu-west-1');
    await payments.send(new sc.ListProvisionedProductPlansCommand({}));
    await hubCatalog.send(new sc.ListProvisionedProductPlansCommand({}));
    payments.destroy();
    const listed = (await calls('servicecatalog')).filter((c) => c.operation === 'ListProvisionedProductPlans' && !c.error);
    expect(listed.slice(-2)).toEqual([
      {
        operation: 'ListProvisionedProductPlans',
        account: PAYMENTS,
        region: 'eu-west-1',
        principal: `arn:aws:sts::${PAYMENTS}:assumed-role/plangate-spoke-eu-west-1/plangate-run-0001`,
        sourceIdentity: 'plangate-run-0001',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      {
        operation: 'ListProvisionedProductPlans',
        account: '000000000000',
        region: 'us-east-1',
        principal: 'arn:aws:iam::000000000000:user/local',
        at: expect.any(String),
      },
    ]);
  });

  test('lists AssumeRole in the role’s account, refused ones with their error', async () => {
    await assume(spokeRoleArn(DATA, 'us-east-1'));
    await refusal(assume(spokeRoleArn(FOREIGN, 'us-east-1')));
    expect((await calls('sts')).slice(-2)).toEqual([
      {
        operation: 'AssumeRole',
        account: DATA,
        region: 'us-east-1',
        principal: 'arn:aws:iam::000000000000:user/local',
        sourceIdentity: 'plangate-run-0001',
        at: expect.any(String),
      },
      {
        operation: 'AssumeRole',
        account: FOREIGN,
        region: 'us-east-1',
        principal: 'arn:aws:iam::000000000000:user/local',
        sourceIdentity: 'plangate-run-0001',
        at: expect.any(String),
        error: 'AccessDenied',
      },
    ]);
  });

  test('answers 405 to another method and 400 to an unknown or missing service', async () => {
    expect((await fetch(`${local.baseUrl}/local/calls?service=sts`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${local.baseUrl}/local/calls?service=s3`)).status).toBe(400);
    expect((await fetch(`${local.baseUrl}/local/calls`)).status).toBe(400);
  });
});

describe('the spokes’ default buses and the hub bus', () => {
  /** The envelopes the hub bus's rule published: each event as the hub bus received it. */
  const hubEnvelopes = () =>
    local.outbox
      .list()
      .filter((e) => e.channel === 'email')
      .map((e) => {
        try {
          return JSON.parse(e.body) as { id: string; source: string; account: string; region: string; detail: Record<string, unknown> };
        } catch {
          return undefined;
        }
      })
      .filter((e) => e?.source?.startsWith('aws.'));

  test('a CloudTrail event in a spoke is forwarded to the hub bus keeping the spoke’s account and Region', async () => {
    const detail = { eventName: 'CreateProvisionedProductPlan', eventID: 'forwarded-0001', responseElements: { planId: 'plan-forwarded001' } };
    const put = await fetch(`${local.baseUrl}/local/aws-events`, {
      method: 'POST',
      body: JSON.stringify({
        account: PAYMENTS,
        region: 'eu-west-1',
        source: 'aws.servicecatalog',
        detailType: 'AWS API Call via CloudTrail',
        detail,
      }),
    });
    expect(put.status).toBe(200);
    const { EventId } = (await put.json()) as { EventId: string };
    await local.eventBridge.idle();
    await local.accounts.defaultBusAt({ account: PAYMENTS, region: 'eu-west-1' })!.idle();
    await local.accounts.hubBus!.idle();
    const onSpoke = local.outbox.list().find((e) => e.recipient === `default (${PAYMENTS}, eu-west-1)` && e.body.includes('forwarded-0001'));
    expect(onSpoke?.rules).toEqual(['ForwardPlanCreated']);
    const onHub = local.outbox.list().find((e) => e.recipient === HUB_BUS_NAME && e.body.includes('forwarded-0001'));
    expect(onHub?.rules).toEqual(['HubAnyRule']);
    expect(hubEnvelopes().find((e) => e!.id === EventId)).toMatchObject({ account: PAYMENTS, region: 'eu-west-1', detail });
  });

  test('a stack status change of a record run in a spoke reaches the hub bus with the spoke’s account and Region', async () => {
    await registerIn('plan-spokestack001', `?account=${DATA}&region=eu-west-1`, { ProvisionProductId: 'pp-spokestack001' });
    const data = await spokeCatalog(DATA, 'eu-west-1');
    await data.send(new sc.ExecuteProvisionedProductPlanCommand({ PlanId: 'plan-spokestack001', IdempotencyToken: 'spoke-stack-0001' }));
    data.destroy();
    let envelope: ReturnType<typeof hubEnvelopes>[number];
    for (let i = 0; i < 200 && !envelope; i++) {
      await new Promise((r) => setTimeout(r, 25));
      envelope = hubEnvelopes().find((e) => String(e!.detail['stack-id']).includes(`:stack/SC-${DATA}-pp-spokestack001/`));
    }
    expect(envelope).toMatchObject({ source: 'aws.cloudformation', account: DATA, region: 'eu-west-1' });
    expect(String(envelope!.detail['stack-id'])).toMatch(new RegExp(`^arn:aws:cloudformation:eu-west-1:${DATA}:stack/`));
  });

  test('the hub bus refuses an account outside the organization, and sources or detail types its policy does not admit', () => {
    const hubBus = local.accounts.hubBus!;
    const cloudTrail = (account: string) =>
      awsEvent(
        'aws.servicecatalog',
        'AWS API Call via CloudTrail',
        [],
        { eventName: 'CreateProvisionedProductPlan' },
        { account, region: 'eu-west-1' },
      );
    const from = (account: string) => ({ account, principalArn: `arn:aws:iam::${account}:role/forwarder` });
    expect(() => hubBus.receive(cloudTrail(FOREIGN), from(FOREIGN))).toThrow(expect.objectContaining({ name: 'AccessDeniedException' }));
    const other = awsEvent('aws.ec2', 'EC2 Instance State-change Notification', [], {}, { account: PAYMENTS, region: 'eu-west-1' });
    expect(() => hubBus.receive(other, from(PAYMENTS))).toThrow(expect.objectContaining({ name: 'AccessDeniedException' }));
    const mixed = awsEvent('aws.servicecatalog', 'CloudFormation Stack Status Change', [], {}, { account: PAYMENTS, region: 'eu-west-1' });
    expect(() => hubBus.receive(mixed, from(PAYMENTS))).toThrow(expect.objectContaining({ name: 'AccessDeniedException' }));
    expect(hubBus.receive(cloudTrail(PAYMENTS), from(PAYMENTS))).toEqual(expect.any(String));
  });
});

describe('the new routes’ bad inputs', () => {
  test.each([
    [`?account=${FOREIGN}&region=eu-west-1`, FOREIGN],
    [`?account=${PAYMENTS}`, 'us-east-1'],
    ['?region=eu-west-1', 'eu-west-1'],
  ])('POST /local/plans%s answers 400 naming what local mode does not emulate', async (query, named) => {
    const answer = await registerIn('plan-nowhere00001', query);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toContain(named);
  });

  test('POST /local/aws-events answers 400 to an account or Region local mode does not emulate, and to a non-AWS source', async () => {
    const event = { source: 'aws.servicecatalog', detailType: 'AWS API Call via CloudTrail', detail: {} };
    for (const where of [
      { account: FOREIGN, region: 'eu-west-1' },
      { account: PAYMENTS, region: 'ap-south-1' },
      { account: 12, region: 'eu-west-1' },
    ]) {
      const answer = await fetch(`${local.baseUrl}/local/aws-events`, { method: 'POST', body: JSON.stringify({ ...event, ...where }) });
      expect(answer.status).toBe(400);
    }
    const notAws = await fetch(`${local.baseUrl}/local/aws-events`, {
      method: 'POST',
      body: JSON.stringify({ ...event, source: 'plangate', account: PAYMENTS, region: 'eu-west-1' }),
    });
    expect(notAws.status).toBe(400);
  });
});
