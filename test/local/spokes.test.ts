import { HUB_BUS_NAME, type Spokes } from '../../lambdas/shared/contracts/spokes';
import { FUNCTION_METADATA_KEY } from '../../lib/functions';
import { type PutRequest, policyAdmits } from '../../local/bus-policy';
import { createEmulators } from '../../local/emulators';
import { LOCAL_SLACK_CONTEXT } from '../../local/server';
import { StsSessions } from '../../local/sts';
import { type CfnTemplate, loadWorkflow, type PolicyStatement } from '../../local/template';
import { ONE_APPROVAL } from '../fixtures/context';
import { synthesizedTemplate } from '../support/prebuilt';

/** The pieces of local mode with several accounts, without a server: the bus policy, the buses and catalogs per account. */

const ORG = 'o-abcdefghij';
const request = (overrides: Partial<PutRequest> = {}): PutRequest => ({
  principalArn: 'arn:aws:iam::111111111111:role/forwarder',
  principalAccount: '111111111111',
  principalOrgId: ORG,
  source: 'aws.servicecatalog',
  detailType: 'AWS API Call via CloudTrail',
  ...overrides,
});
const organizationOnly: PolicyStatement = {
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: 'events:PutEvents',
  Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG, 'events:source': ['aws.servicecatalog', 'aws.cloudformation'] } },
};

describe('the bus policy', () => {
  test('admits the organization, refuses an account outside it or a source it does not list', () => {
    expect(policyAdmits([organizationOnly], request())).toBe(true);
    expect(policyAdmits([organizationOnly], request({ principalOrgId: undefined, principalAccount: '999999999999' }))).toBe(false);
    expect(policyAdmits([organizationOnly], request({ source: 'aws.ec2' }))).toBe(false);
  });

  test('an explicit Deny wins; no statement, another action or a condition key it cannot evaluate admits nothing', () => {
    const deny: PolicyStatement = {
      Effect: 'Deny',
      Principal: '*',
      Action: 'events:*',
      Condition: { StringLike: { 'aws:PrincipalArn': '*:role/forwarder' } },
    };
    expect(policyAdmits([organizationOnly, deny], request())).toBe(false);
    expect(policyAdmits([], request())).toBe(false);
    expect(policyAdmits([{ ...organizationOnly, Action: 'events:DescribeRule' }], request())).toBe(false);
    expect(policyAdmits([{ ...organizationOnly, Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-1' } } }], request())).toBe(false);
  });

  test('a principal named by account admits that account only', () => {
    const oneAccount: PolicyStatement = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'events:PutEvents' };
    expect(policyAdmits([oneAccount], request())).toBe(true);
    expect(policyAdmits([oneAccount], request({ principalAccount: '222222222222', principalArn: 'arn:aws:iam::222222222222:root' }))).toBe(false);
  });
});

describe('accounts and Regions', () => {
  let template: CfnTemplate;
  beforeAll(async () => {
    template = await synthesizedTemplate({ ...LOCAL_SLACK_CONTEXT, ...ONE_APPROVAL });
  });

  const withSpokes = (spokes: Spokes, extra: CfnTemplate['Resources'] = {}): CfnTemplate => {
    const copy = JSON.parse(JSON.stringify(template)) as CfnTemplate;
    const fn = Object.values(copy.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[FUNCTION_METADATA_KEY])!;
    (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables.SPOKES = JSON.stringify(spokes);
    Object.assign(copy.Resources, extra);
    return copy;
  };

  test('with "*" (anyAccountRegions), any account gets a default bus in those Regions on first use, and none elsewhere', () => {
    const spokes: Spokes = { hubAccountId: '000000000000', organizationId: ORG, accounts: [], anyAccountRegions: ['eu-west-1'] };
    const emulators = createEmulators(loadWorkflow(withSpokes(spokes)), { log: () => undefined });
    try {
      expect(emulators.defaultBusAt({ account: '444444444444', region: 'eu-west-1' })?.arn).toBe(
        'arn:aws:events:eu-west-1:444444444444:event-bus/default',
      );
      expect(emulators.defaultBusAt({ account: '444444444444', region: 'us-west-2' })).toBeUndefined();
      const catalog = emulators.serviceCatalogAt({ account: '444444444444', region: 'eu-west-1' });
      expect(catalog).not.toBe(emulators.serviceCatalog);
      expect(emulators.serviceCatalogAt({ account: '444444444444', region: 'eu-west-1' })).toBe(catalog);
    } finally {
      emulators.metrics.close();
      emulators.close();
    }
  });

  test('without spokes, every Service Catalog call is the hub’s, whatever Region it is signed for', () => {
    const emulators = createEmulators(loadWorkflow(template), { log: () => undefined });
    try {
      expect(emulators.serviceCatalogAt({ account: '000000000000', region: 'eu-west-1' })).toBe(emulators.serviceCatalog);
      expect(emulators.hubBus).toBeUndefined();
    } finally {
      emulators.metrics.close();
      emulators.close();
    }
  });

  test('the hub bus policy is read from the template, in either form of AWS::Events::EventBusPolicy', () => {
    const spokes: Spokes = { hubAccountId: '000000000000', organizationId: ORG, accounts: [{ accountId: '111111111111', regions: ['eu-west-1'] }] };
    const workflow = loadWorkflow(
      withSpokes(spokes, {
        HubBus: { Type: 'AWS::Events::EventBus', Properties: { Name: HUB_BUS_NAME } },
        Statement: {
          Type: 'AWS::Events::EventBusPolicy',
          Properties: { EventBusName: { Ref: 'HubBus' }, StatementId: 'a', Statement: organizationOnly },
        },
        Legacy: {
          Type: 'AWS::Events::EventBusPolicy',
          Properties: { EventBusName: { Ref: 'HubBus' }, StatementId: 'b', Action: 'events:PutEvents', Principal: '222222222222' },
        },
        OtherBus: { Type: 'AWS::Events::EventBusPolicy', Properties: { StatementId: 'c', Action: 'events:PutEvents', Principal: '333333333333' } },
      }),
    );
    expect(workflow.hubBus?.arn).toBe(`arn:aws:events:us-east-1:000000000000:event-bus/${HUB_BUS_NAME}`);
    expect(workflow.hubBus?.policy).toEqual([
      organizationOnly,
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:root' }, Action: 'events:PutEvents' },
    ]);
  });
});

test('an assumed role’s key names no live session once it expires, and is known as expired', () => {
  const sessions = new StsSessions();
  const session = sessions.issue('111111111111', 'arn:aws:iam::111111111111:role/plangate-spoke-eu-west-1', 'plangate-run', 900, 'plangate-run');
  const later = new Date(Date.now() + 901_000);
  expect(sessions.find(session.accessKeyId)).toBe(session);
  expect(sessions.find(session.accessKeyId, later)).toBeUndefined();
  expect([
    sessions.expired(session.accessKeyId),
    sessions.expired(session.accessKeyId, later),
    sessions.expired('ASIA111111111111ZZZZ', later),
  ]).toEqual([false, true, false]);
});
