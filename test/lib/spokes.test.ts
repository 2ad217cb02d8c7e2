import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { spokesSchema } from '../../lambdas/shared/contracts/spokes';
import { addPlanGateStacks } from '../../lib/app';
import { parseConfig } from '../../lib/config';
import { STANDARD_FUNCTIONS } from '../../lib/functions';
import { PlanApprovalWorkflow } from '../../lib/plan-approval-workflow';
import { exampleContext } from '../../local/synth';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;

const HUB_ACCOUNT = '111111111111';
const HUB_REGION = 'eu-central-1';
const SPOKE_CONTEXT = {
  'plangate:approvers': [
    { email: 'a@example.com', iamPrincipals: [`arn:aws:sts::${HUB_ACCOUNT}:assumed-role/PlanGateApprover/a`] },
    { email: 'b@example.com' },
  ],
  'plangate:organizationId': 'o-abcdef1234',
  'plangate:spokeAccounts': [{ accountId: '222222222222', name: 'payments-prod', regions: ['eu-west-1', 'us-east-1'] }],
  'plangate:spokeStackSet': { organizationalUnitIds: ['ou-ab12-cdef3456'], regions: ['eu-west-1', 'us-east-1'] },
  'plangate:operators': [`arn:aws:iam::${HUB_ACCOUNT}:role/platform/PlanGateOperator`, `arn:aws:iam::${HUB_ACCOUNT}:user/ops`],
};

/** The app as bin/plangate.ts builds it, cdk-nag included (which fails the synth on an unacknowledged finding). */
function synthesizeApp(context: Record<string, unknown>) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stacks = addPlanGateStacks(app, parseConfig(context));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { ...stacks, assembly, hub: Template.fromStack(stacks.hub) };
}

/** A template value with its Refs and Joins worked out, as CloudFormation would with these values. */
function evaluate(value: unknown, refs: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, refs));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return refs[object.Ref as string] ?? `<${object.Ref}>`;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(evaluate(part, refs))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, evaluate(v, refs)]));
}
const HUB_REFS = { 'AWS::Partition': 'aws', 'AWS::AccountId': HUB_ACCOUNT, 'AWS::Region': HUB_REGION };

const withSpokes = synthesizeApp(SPOKE_CONTEXT);
const hubResources = withSpokes.hub.toJSON().Resources as Resources;
const spokeTemplate = Template.fromStack(withSpokes.spoke!);
const spokeJson = spokeTemplate.toJSON() as { Parameters: Record<string, unknown>; Resources: Resources };
const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const functionOf = (name: string) => ofType(hubResources, 'AWS::Lambda::Function').find(([id]) => id.startsWith(`Workflow${name}Function`))![1];
const roleOf = (name: string) => ofType(hubResources, 'AWS::IAM::Role').find(([id]) => id.startsWith(`Workflow${name}Role`))![1];
const statementsOf = (name: string) =>
  ofType(hubResources, 'AWS::IAM::Policy')
    .filter(([id]) => id.startsWith(`Workflow${name}RoleDefaultPolicy`))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement);

describe('the hub, with spokes', () => {
  test('the hub bus admits PutEvents only from the organization, and only CloudTrail plan records and stack status changes', () => {
    withSpokes.hub.hasResourceProperties('AWS::Events::EventBus', { Name: 'plangate-hub' });
    const statements = ofType(hubResources, 'AWS::Events::EventBusPolicy').map(([, p]) => p.Properties!.Statement);
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Condition: {
          StringEquals: {
            'aws:PrincipalOrgID': 'o-abcdef1234',
            'events:source': 'aws.servicecatalog',
            'events:detail-type': 'AWS API Call via CloudTrail',
          },
        },
      }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Condition: {
          StringEquals: {
            'aws:PrincipalOrgID': 'o-abcdef1234',
            'events:source': 'aws.cloudformation',
            'events:detail-type': 'CloudFormation Stack Status Change',
          },
        },
      }),
    ]);
  });

  test('on the hub bus, a spoke’s new plan goes to PlanCreated and its settled stacks to AwaitRecord, with retries and dead letters', () => {
    const onHubBus = { Ref: Match.stringLikeRegexp('^WorkflowHubBus') };
    withSpokes.hub.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: onHubBus,
      EventPattern: { source: ['aws.servicecatalog'], detail: Match.objectLike({ eventName: ['CreateProvisionedProductPlan'] }) },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowPlanCreatedFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowRunTriggersDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
    withSpokes.hub.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: onHubBus,
      EventPattern: Match.objectLike({ source: ['aws.cloudformation'], 'detail-type': ['CloudFormation Stack Status Change'] }),
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowAwaitRecordFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowStackEventsDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
  });

  test('every function gets the allow-list in SPOKES, with the hub’s own account', () => {
    for (const name of STANDARD_FUNCTIONS) {
      const variables = (functionOf(name).Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      const spokes = spokesSchema.parse(JSON.parse(evaluate(variables.SPOKES, HUB_REFS) as string));
      expect(spokes).toEqual({
        hubAccountId: HUB_ACCOUNT,
        organizationId: 'o-abcdef1234',
        accounts: [{ accountId: '222222222222', name: 'payments-prod', regions: ['eu-west-1', 'us-east-1'] }],
      });
    }
  });

  test('only the functions that call Service Catalog may assume the spoke roles, recording the run', () => {
    const assumes = (name: string) =>
      statementsOf(name).some((s) => [s.Action].flat().includes('sts:AssumeRole') && JSON.stringify(s.Resource).includes('plangate-spoke-*'));
    expect(STANDARD_FUNCTIONS.filter(assumes).sort()).toEqual(['CheckRecord', 'ExecutePlan', 'ReviewPlan']);
    const [statement] = statementsOf('ExecutePlan').filter((s) => [s.Action].flat().includes('sts:AssumeRole'));
    expect(statement!.Action).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity']);
    expect(evaluate(statement!.Resource, HUB_REFS)).toBe('arn:aws:iam::*:role/plangate-spoke-*');
  });

  test('the spoke roles they may assume are the organization’s only: a look-alike role in a mistyped or foreign account is refused', () => {
    // With "*" any account id in the Regions is allowed, and the spoke roles' names (and the hub roles they trust) are fixed.
    for (const name of ['ReviewPlan', 'ExecutePlan', 'CheckRecord']) {
      const [statement] = statementsOf(name).filter((s) => [s.Action].flat().includes('sts:AssumeRole'));
      expect(statement).toMatchObject({ Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-abcdef1234' } } });
    }
  });

  test('with plangate:deleteExpiredPlans, ExpireApproval may assume them too', () => {
    const deleting = synthesizeApp({ ...SPOKE_CONTEXT, 'plangate:deleteExpiredPlans': true }).hub.toJSON().Resources as Resources;
    const statements = ofType(deleting, 'AWS::IAM::Policy')
      .filter(([id]) => id.startsWith('WorkflowExpireApprovalRoleDefaultPolicy'))
      .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement);
    expect(statements.flatMap((s) => [s.Action].flat())).toEqual(
      expect.arrayContaining(['sts:AssumeRole', 'servicecatalog:DeleteProvisionedProductPlan']),
    );
  });

  test('a custom review request starts a run with its sender’s account (EventBridge’s envelope) beside the request', () => {
    withSpokes.hub.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['PlanGate Review Requested'] }),
      Targets: [
        Match.objectLike({
          InputPath: Match.absent(),
          InputTransformer: {
            InputPathsMap: { 'detail-planId': '$.detail.planId', detail: '$.detail', account: '$.account' },
            // The plan id at the top as well, which the workflow keeps for the outcome of a refused request.
            InputTemplate: '{"planId":<detail-planId>,"request":<detail>,"sentBy":{"account":<account>}}',
          },
        }),
      ],
    });
  });

  test('operators may start runs: a managed policy with StartExecution on the state machine, attached to their roles and users', () => {
    withSpokes.hub.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: Match.stringLikeRegexp('^WorkflowStateMachine') } }],
      },
      Roles: ['PlanGateOperator'],
      Users: ['ops'],
    });
  });

  test('a service-managed StackSet, auto-deployed, puts the spoke stack, pointed at this hub, in the OUs and Regions', () => {
    const stackSets = ofType(hubResources, 'AWS::CloudFormation::StackSet').map(([, r]) => r.Properties!);
    expect(stackSets).toHaveLength(1);
    expect(stackSets[0]).toMatchObject({
      StackSetName: 'PlanGateSpoke',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Parameters: [
        { ParameterKey: 'HubAccountId', ParameterValue: { Ref: 'AWS::AccountId' } },
        { ParameterKey: 'HubRegion', ParameterValue: { Ref: 'AWS::Region' } },
      ],
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456'] }, Regions: ['eu-west-1', 'us-east-1'] }],
    });
    // The same template `cdk synth` writes for PlanGateSpoke.
    expect(JSON.parse(stackSets[0]!.TemplateBody as string)).toEqual(spokeJson);
  });

  test('"*": any account of the organization, in the StackSet’s Regions', () => {
    const anyAccount = synthesizeApp({ ...SPOKE_CONTEXT, 'plangate:spokeAccounts': '*' }).hub.toJSON().Resources as Resources;
    const [, review] = ofType(anyAccount, 'AWS::Lambda::Function').find(([id]) => id.startsWith('WorkflowReviewPlanFunction'))!;
    const variable = (review.Properties!.Environment as { Variables: Record<string, unknown> }).Variables.SPOKES;
    expect(JSON.parse(evaluate(variable, HUB_REFS) as string)).toEqual({
      hubAccountId: HUB_ACCOUNT,
      organizationId: 'o-abcdef1234',
      accounts: [],
      anyAccountRegions: ['eu-west-1', 'us-east-1'],
    });
  });
});

describe('the spoke stack', () => {
  const [, spokeRole] = Object.entries(spokeJson.Resources).find(([id]) => id.startsWith('SpokeRole'))!;
  const spokeRefs = { ...HUB_REFS, HubAccountId: HUB_ACCOUNT, HubRegion: HUB_REGION, 'AWS::AccountId': '222222222222', 'AWS::Region': 'eu-west-1' };

  test('takes the hub’s account and Region as parameters, and needs no bootstrapping (a StackSet deploys it anywhere)', () => {
    expect(Object.keys(spokeJson.Parameters).sort()).toEqual(['HubAccountId', 'HubRegion']);
    expect(JSON.stringify(spokeJson)).not.toMatch(/BootstrapVersion|cdk-bootstrap/);
  });

  test('no trust policy in it admits "*" or any account but the hub', () => {
    for (const [, role] of ofType(spokeJson.Resources, 'AWS::IAM::Role')) {
      for (const statement of (role.Properties!.AssumeRolePolicyDocument as { Statement: { Principal: unknown }[] }).Statement) {
        const principal = evaluate(statement.Principal, spokeRefs);
        expect(JSON.stringify(principal)).not.toContain('*');
        expect([{ AWS: `arn:aws:iam::${HUB_ACCOUNT}:root` }, { Service: 'events.amazonaws.com' }]).toContainEqual(principal);
      }
    }
  });

  test('its role, plangate-spoke-<region>, trusts exactly the hub roles of the functions that call Service Catalog, with a PlanGate source identity', () => {
    const properties = evaluate(spokeRole!.Properties, spokeRefs) as {
      RoleName: string;
      AssumeRolePolicyDocument: { Statement: { Action: string | string[]; Condition: Record<string, Record<string, unknown>> }[] };
    };
    expect(properties.RoleName).toBe('plangate-spoke-eu-west-1');
    // The hub's actual role names, in the hub's account and Region.
    const hubRoleArns = ['ReviewPlan', 'ExecutePlan', 'CheckRecord', 'ExpireApproval'].map(
      (name) => `arn:aws:iam::${HUB_ACCOUNT}:role/${evaluate(roleOf(name).Properties!.RoleName, HUB_REFS)}`,
    );
    const statements = properties.AssumeRolePolicyDocument.Statement;
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity']);
    for (const statement of statements) {
      expect(statement.Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': hubRoleArns }, StringLike: { 'sts:SourceIdentity': 'plangate-*' } });
    }
    // No other hub role has a fixed name to trust.
    expect(ofType(hubResources, 'AWS::IAM::Role').filter(([, r]) => r.Properties!.RoleName !== undefined)).toHaveLength(4);
  });

  test('its role may describe, execute and delete plans, describe records and (for their names) products, and nothing else', () => {
    const policies = spokeRole!.Properties!.Policies as { PolicyDocument: { Statement: { Action: string[]; Resource: string }[] } }[];
    expect(policies.flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => s.Action)).sort()).toEqual([
      'servicecatalog:DeleteProvisionedProductPlan',
      'servicecatalog:DescribeProductAsAdmin',
      'servicecatalog:DescribeProvisionedProductPlan',
      'servicecatalog:DescribeRecord',
      'servicecatalog:ExecuteProvisionedProductPlan',
    ]);
    expect(ofType(spokeJson.Resources, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('SpokeRole'))).toEqual([]);
  });

  test('two rules on the default bus forward new plans and settled SC-* stacks to the hub bus, with a role that may only put events there', () => {
    const hubBusArn = `arn:aws:events:${HUB_REGION}:${HUB_ACCOUNT}:event-bus/plangate-hub`;
    const rules = ofType(spokeJson.Resources, 'AWS::Events::Rule').map(([, r]) => evaluate(r.Properties, spokeRefs) as Record<string, unknown>);
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(rule.EventBusName).toBeUndefined();
      expect(rule.Targets).toEqual([expect.objectContaining({ Arn: hubBusArn, RoleArn: expect.anything() })]);
    }
    expect(rules.map((r) => r.EventPattern)).toEqual([
      expect.objectContaining({ source: ['aws.servicecatalog'], detail: expect.objectContaining({ eventName: ['CreateProvisionedProductPlan'] }) }),
      expect.objectContaining({
        source: ['aws.cloudformation'],
        'detail-type': ['CloudFormation Stack Status Change'],
        detail: expect.objectContaining({ 'stack-id': [{ wildcard: 'arn:aws:cloudformation:eu-west-1:222222222222:stack/SC-*/*' }] }),
      }),
    ]);
    const forwardStatements = ofType(spokeJson.Resources, 'AWS::IAM::Policy').flatMap(
      ([, p]) => (evaluate(p.Properties!.PolicyDocument, spokeRefs) as { Statement: unknown[] }).Statement,
    );
    expect(forwardStatements).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: hubBusArn }]);
  });
});

test('the example SCP lets only the spoke role execute plans, and protects the spoke’s roles and rules by the names the stack gives them', () => {
  const scp = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'spoke', 'scp-example.json'), 'utf8')) as {
    Statement: {
      Sid: string;
      Effect: string;
      Action: string | string[];
      Resource: string | string[];
      Condition: { ArnNotLike: Record<string, string> };
    }[];
  };
  const matches = (pattern: string, arn: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.?+^$()[\]{}|\\/]/g, '\\$&'))
        .join('.*')}$`,
    ).test(arn);
  const covered = (sid: string, arn: string) => [scp.Statement.find((s) => s.Sid === sid)!.Resource].flat().some((pattern) => matches(pattern, arn));
  const spokeRefs = { 'AWS::Partition': 'aws', 'AWS::AccountId': '222222222222', 'AWS::Region': 'eu-west-1' };
  const named = (type: string, key: string) => ofType(spokeJson.Resources, type).map(([, r]) => evaluate(r.Properties![key], spokeRefs) as string);
  const [spokeRoleName, forwardRoleName] = named('AWS::IAM::Role', 'RoleName');
  expect(scp.Statement.every((s) => s.Effect === 'Deny')).toBe(true);
  const execute = scp.Statement.find((s) => s.Sid === 'OnlyPlanGateExecutesPlans')!;
  expect(execute.Action).toBe('servicecatalog:ExecuteProvisionedProductPlan');
  expect(matches(execute.Condition.ArnNotLike['aws:PrincipalArn']!, `arn:aws:iam::222222222222:role/${spokeRoleName}`)).toBe(true);
  expect(matches(execute.Condition.ArnNotLike['aws:PrincipalArn']!, `arn:aws:iam::222222222222:role/${forwardRoleName}`)).toBe(false);
  for (const role of [spokeRoleName, forwardRoleName])
    expect(covered('ProtectPlanGateSpokeRoles', `arn:aws:iam::222222222222:role/${role}`)).toBe(true);
  for (const rule of named('AWS::Events::Rule', 'Name')) {
    expect(covered('ProtectPlanGateForwardingRules', `arn:aws:events:eu-west-1:222222222222:rule/${rule}`)).toBe(true);
  }
});

describe('without spokes', () => {
  const single = synthesizeApp(exampleContext());
  const text = JSON.stringify(single.hub.toJSON());

  test('there is no spoke stack, no hub bus, no fixed role name, no SPOKES and no StackSet', () => {
    expect(single.spoke).toBeUndefined();
    expect(single.assembly.stacks.map((s) => s.stackName)).toEqual(['PlanGate']);
    for (const absent of ['plangate-hub', 'plangate-spoke', 'SPOKES', 'RoleName', 'AWS::CloudFormation::StackSet', 'AWS::Events::EventBusPolicy']) {
      expect(text).not.toContain(absent);
    }
  });

  test('a custom review request’s detail is the run input, as before', () => {
    single.hub.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['PlanGate Review Requested'] }),
      Targets: [Match.objectLike({ InputPath: '$.detail', InputTransformer: Match.absent() })],
    });
  });
});

test('the construct refuses, like the configuration, an approver principal matching any account when spokes are given', () => {
  const app = new App();
  const stack = new Stack(app, 'Refused');
  expect(
    () =>
      new PlanApprovalWorkflow(stack, 'Workflow', {
        approvers: [{ email: 'a@example.com', iamPrincipals: ['arn:aws:sts::*:assumed-role/Approver/a'] }, { email: 'b@example.com' }],
        spokes: { organizationId: 'o-abcdef1234', accounts: [{ accountId: '222222222222', regions: ['eu-west-1'] }] },
      }),
  ).toThrow('approvers.0.iamPrincipals.0: arn:aws:sts::*:assumed-role/Approver/a has "*" in its account field');
});

test('with spokes, dropped events (any reason) raise an alarm; without, there is none', () => {
  withSpokes.hub.hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmName: 'PlanGate-DroppedEvents',
    Threshold: 1,
    Metrics: [Match.objectLike({ Expression: "SELECT SUM(DroppedEvents) FROM PlanGate WHERE service = 'PlanGate'", Period: 300 })],
  });
  synthesizeApp(exampleContext()).hub.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: 'PlanGate-DroppedEvents' }, 0);
});
