import { App, aws_sns as sns, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig } from '../../lib/config';
import { PlanGateStack } from '../../lib/plan-gate-stack';
import { exampleContext, synthesize } from '../../local/synth';
import { ALTERNATE } from './configurations';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/**
 * The whole stack as `cdk synth` builds it (with cdk-nag's checks, which fail the synth on an unacknowledged finding):
 * what only the wiring of the parts decides. The example configuration and the alternate one, each synthesized once.
 */
const { template, json, stack } = synthesize();
const alternate = synthesize(ALTERNATE);
const resourcesOf = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const roleStatements = (rolePrefix: string) => {
  const [, policy] = resourcesOf('AWS::IAM::Policy').find(([id]) => id.startsWith(`Workflow${rolePrefix}RoleDefaultPolicy`))!;
  return (policy.Properties as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }).PolicyDocument.Statement;
};
const actionsOf = (rolePrefix: string) => roleStatements(rolePrefix).flatMap((s) => [s.Action].flat());

describe('state machine', () => {
  test('is a Standard workflow with tracing and logs that leave execution data (and task tokens) out', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
  });
});

describe('data and encryption', () => {
  test('the three topics (approval requests, outcomes, alarms) are encrypted and refuse unencrypted publishing', () => {
    expect(resourcesOf('AWS::SNS::Topic')).toHaveLength(3);
    template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::SNS::TopicPolicy', 3);
    template.allResourcesProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('every log group is encrypted and kept for the configured 365 days', () => {
    const groups = resourcesOf('AWS::Logs::LogGroup');
    expect(groups.length).toBe(17); // fifteen functions, the state machine, the API's access log
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });
});

describe('least privilege', () => {
  test('on the approval table, each function gets only the item actions it uses: none deletes, writes in batches or scans', () => {
    const table = (role: string) =>
      actionsOf(role)
        .filter((a) => a.startsWith('dynamodb:'))
        .sort();
    const expected = {
      ReviewPlan: ['GetItem'],
      WatchRuns: ['GetItem'],
      EvidenceManifest: ['GetItem'],
      ApprovalApi: ['GetItem', 'UpdateItem'],
      RunActions: ['GetItem', 'UpdateItem'],
      ExpireApproval: ['GetItem', 'UpdateItem'],
      ExecutePlan: ['GetItem', 'UpdateItem'],
      Notify: ['GetItem', 'UpdateItem'],
      CloseRun: ['GetItem', 'UpdateItem'],
      AwaitRecord: ['GetItem', 'UpdateItem'],
      RequestApproval: ['GetItem', 'PutItem', 'UpdateItem'],
      AutoApprove: ['GetItem', 'PutItem', 'UpdateItem'],
      PlanCreated: ['GetItem', 'PutItem', 'UpdateItem'],
    };
    for (const [role, actions] of Object.entries(expected))
      expect({ role, actions: table(role) }).toEqual({ role, actions: actions.map((a) => `dynamodb:${a}`) });
    expect(actionsOf('CheckRecord').filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  test('without sign-in no function queries the table (the Inbox, which reads the history index, exists only with it)', () => {
    expect(JSON.stringify(resourcesOf('AWS::IAM::Policy'))).not.toContain('dynamodb:Query');
  });

  test('the table’s own policy denies deleting items to everyone, whatever IAM they hold', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      ResourcePolicy: {
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLDelete'],
              Resource: '*',
              Sid: 'ApprovalRecordsAreNeverDeleted',
            },
          ],
        },
      },
    });
  });

  test('each function may call only the Service Catalog action it uses', () => {
    const serviceCatalog = (role: string) => actionsOf(role).filter((a) => a.startsWith('servicecatalog:'));
    // Review also reads the product's and its version's names (DescribeProductAsAdmin), for the approvers.
    expect(serviceCatalog('ReviewPlan')).toEqual(['servicecatalog:DescribeProvisionedProductPlan', 'servicecatalog:DescribeProductAsAdmin']);
    // Execute describes the plan once more, to refuse one that changed after approval.
    expect(serviceCatalog('ExecutePlan')).toEqual(['servicecatalog:DescribeProvisionedProductPlan', 'servicecatalog:ExecuteProvisionedProductPlan']);
    expect(serviceCatalog('CheckRecord')).toEqual(['servicecatalog:DescribeRecord']);
    for (const role of ['RequestApproval', 'ApprovalApi', 'Notify', 'AutoApprove', 'ExpireApproval', 'CloseRun', 'WindowWait', 'RunActions'])
      expect(serviceCatalog(role)).toEqual([]);
  });

  test('only the approval API, AwaitRecord and RunActions may complete tasks, on this state machine; only RunActions (a cancellation) and PlanCreated (a request its creator leaves unapprovable) may fail one', () => {
    const stateActions = resourcesOf('AWS::IAM::Policy').flatMap(([id, p]) =>
      (p.Properties as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }).PolicyDocument.Statement.filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('states:Send')),
      ).map((s) => ({ id, action: s.Action, resource: s.Resource })),
    );
    expect(stateActions).toEqual([
      {
        id: expect.stringMatching(/^WorkflowApprovalApiRoleDefaultPolicy/),
        action: 'states:SendTaskSuccess',
        resource: { Ref: expect.stringMatching(/^WorkflowStateMachine/) },
      },
      {
        id: expect.stringMatching(/^WorkflowAwaitRecordCompletesTasks/),
        action: 'states:SendTaskSuccess',
        resource: { Ref: expect.stringMatching(/^WorkflowStateMachine/) },
      },
      {
        id: expect.stringMatching(/^WorkflowRunActionsCompletesTasks/),
        action: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resource: { Ref: expect.stringMatching(/^WorkflowStateMachine/) },
      },
      {
        id: expect.stringMatching(/^WorkflowPlanCreatedRoleDefaultPolicy/),
        action: 'states:SendTaskFailure',
        resource: { Ref: expect.stringMatching(/^WorkflowStateMachine/) },
      },
    ]);
  });

  test('execute, expire, notify, close, the window wait and (without break-glass) the run actions only read and update the approval record: they cannot create or delete one', () => {
    for (const role of ['ExecutePlan', 'ExpireApproval', 'Notify', 'CloseRun', 'WindowWait', 'RunActions']) {
      const actions = actionsOf(role);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
      expect({ role, writes: actions.filter((a) => /dynamodb:(Put|Delete|BatchWrite)/.test(a)) }).toEqual({ role, writes: [] });
    }
  });

  test('only the expire function may delete plans, and only when plangate:deleteExpiredPlans is on', () => {
    const everyAction = (resources: typeof json.Resources) =>
      JSON.stringify(Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy'));
    expect(everyAction(json.Resources)).not.toContain('DeleteProvisionedProductPlan');
    const deleting = alternate.json;
    const withDelete = Object.entries(deleting.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r).includes('servicecatalog:DeleteProvisionedProductPlan'))
      .map(([id]) => id);
    expect(withDelete).toEqual([expect.stringMatching(/^WorkflowExpireApprovalRoleDefaultPolicy/)]);
  });

  test('functions write logs to their own log group instead of using the AWS managed basic execution role', () => {
    const functionRoles = resourcesOf('AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties).includes('lambda.amazonaws.com'));
    expect(functionRoles).toHaveLength(15);
    for (const [id, role] of functionRoles) expect({ id, managed: role.Properties?.ManagedPolicyArns }).toEqual({ id, managed: undefined });
    const reviewLogs = roleStatements('ReviewPlan').find((s) => [s.Action].flat().includes('logs:PutLogEvents'));
    expect(reviewLogs?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WorkflowReviewPlanLogs/), 'Arn'] });
  });
});

describe('functions', () => {
  test('run on ARM64 with the latest Node.js runtime and X-Ray tracing', () => {
    const functions = resourcesOf('AWS::Lambda::Function');
    expect(functions).toHaveLength(15);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
  });

  test('carry no secrets or tokens in their environment', () => {
    for (const [, fn] of resourcesOf('AWS::Lambda::Function')) {
      const names = Object.keys((fn.Properties as { Environment: { Variables: object } }).Environment.Variables);
      expect(names.filter((n) => /TOKEN|SECRET|PASSWORD/.test(n))).toEqual([]);
    }
  });
});

describe('triggers', () => {
  test('CloseRun’s own failed invocations, after Lambda’s two retries, go to the endings’ dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowEndingsDeadLetterQueue'), 'Arn'] } },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^WorkflowCloseRunLogs') } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), MessageRetentionPeriod: 1_209_600 });
  });

  test('only CloseRun (to release a plan whose run has ended) and WatchRuns (to count runs) may describe executions, and only this state machine’s', () => {
    for (const role of ['CloseRun', 'WatchRuns']) {
      expect(actionsOf(role)).toContain('states:DescribeExecution');
      const describe = roleStatements(role).find((st) => st.Action === 'states:DescribeExecution');
      expect(JSON.stringify(describe?.Resource)).toMatch(/:execution:.*WorkflowStateMachine8F1B1C15.*Name.*:\*/);
    }
    for (const role of ['ReviewPlan', 'RequestApproval', 'ApprovalApi', 'Notify', 'ExecutePlan'])
      expect(actionsOf(role)).not.toContain('states:DescribeExecution');
  });

  test('can be turned off in configuration', () => {
    const noTriggers = alternate.template;
    // The rules that close runs, wake them, count them and write the evidence manifests stay
    noTriggers.resourceCountIs('AWS::Events::Rule', 4);
    noTriggers.resourceCountIs('AWS::SQS::Queue', 4); // and so do their dead-letter queues
  });
});

describe('outputs and account role', () => {
  const alarmTopic = { Ref: expect.stringMatching(/^WorkflowMonitoringAlarmTopic/) };

  test('stack outputs name what the README’s commands need', () => {
    const outputs = (json as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    expect(outputs).toMatchObject({
      StateMachineArn: { Value: { Ref: 'WorkflowStateMachine8F1B1C15' } },
      ApprovalTableName: { Value: { Ref: 'WorkflowApprovalTable83CDE979' } },
      ApprovalApiUrl: { Value: { 'Fn::Join': ['', expect.arrayContaining(['https://', { Ref: 'WorkflowApprovalApi3949B4F3' }])] } },
      ApprovalRequestTopicArn: { Value: { Ref: 'WorkflowApprovalRequestTopic87183426' } },
      OutcomeTopicArn: { Value: { Ref: 'WorkflowOutcomeTopicCD29F16C' } },
      AlarmTopicArn: { Value: alarmTopic },
      DashboardUrl: { Value: { 'Fn::Join': ['', expect.arrayContaining([{ Ref: expect.stringMatching(/^WorkflowMonitoringDashboard/) }])] } },
      CloseRunFunctionName: { Value: { Ref: expect.stringMatching(/^WorkflowCloseRunFunction/) } },
      EvidenceBucketName: { Value: { Ref: expect.stringMatching(/^WorkflowEvidenceBucket/) } },
      EvidenceSigningKeyArn: { Value: { 'Fn::GetAtt': [expect.stringMatching(/^WorkflowEvidenceSigningKey/), 'Arn'] } },
    });
  });

  test('API Gateway’s account-level CloudWatch role (one per account and region) is created unless configured off', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const without = alternate.template;
    without.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(JSON.stringify(without.toJSON())).not.toContain('AmazonAPIGatewayPushToCloudWatchLogs');
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('every acknowledged finding states its reason', () => {
    const acknowledgments = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })));
    expect(acknowledgments.length).toBeGreaterThan(10);
    for (const { id, reason } of acknowledgments) expect({ id, reason }).toEqual({ id, reason: expect.stringMatching(/\w+ \w+ \w+ \w+/) });
  });

  test('checks run and stop synthesis on an unacknowledged finding', () => {
    const app = new App({ context: { ...exampleContext(), 'aws:cdk:bundling-stacks': [] } });
    const bad = new PlanGateStack(app, 'PlanGate', { config: parseConfig(exampleContext()) });
    new sns.Topic(bad, 'UnencryptedTopic');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
  });
});

test('the review function gets the sensitive resource types, the default list unless configured', () => {
  const reviewEnv = (resources: typeof json.Resources) =>
    Object.entries(resources)
      .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('WorkflowReviewPlanFunction'))
      .map(([, r]) => (r.Properties as { Environment: { Variables: Record<string, string> } }).Environment.Variables.SENSITIVE_RESOURCE_TYPES)[0];
  expect(JSON.parse(reviewEnv(json.Resources)!)).toContain('AWS::IAM::*');
  expect(JSON.parse(reviewEnv(alternate.json.Resources)!)).toEqual(['AWS::RDS::*', 'AWS::ElastiCache::ReplicationGroup']);
});

describe('Slack', () => {
  const withSlack = alternate.json;
  const policyOf = (role: string) =>
    JSON.stringify(
      Object.entries(withSlack.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith(`Workflow${role}RoleDefaultPolicy`))![1],
    );

  test('functions get the secrets’ ids, never their values, and read only the secrets they use', () => {
    const envs = Object.values(withSlack.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables);
    // Requests, clicks, both closers, and the command line's decisions (told on Slack; a vote may open a stage).
    expect(envs.filter((e) => e.SLACK_WEBHOOK_SECRET_ID === 'plangate/slack-webhook-url')).toHaveLength(5);
    // The approval API reads the signing secret; RequestApproval and RunActions only learn that the buttons are on.
    expect(envs.filter((e) => e.SLACK_SIGNING_SECRET_ID)).toHaveLength(3);
    for (const role of ['RequestApproval', 'ApprovalApi', 'Notify', 'CloseRun', 'RunActions'])
      expect(policyOf(role)).toContain('secret:plangate/slack-webhook-url-??????');
    expect(policyOf('ApprovalApi')).toContain('secret:plangate/signing-AbCdEf');
    for (const role of ['RequestApproval', 'RunActions', 'Notify', 'ReviewPlan', 'ExecutePlan', 'CheckRecord'])
      expect(policyOf(role)).not.toContain('signing');
    for (const role of ['ReviewPlan', 'ExecutePlan', 'CheckRecord']) expect(policyOf(role)).not.toContain('secretsmanager');
    expect(JSON.stringify(withSlack)).not.toContain('hooks.slack.com/services');
  });

  test('approvers carry their Slack user ids to the functions that map clicks to people', () => {
    const approvers = Object.values(withSlack.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties as { Environment: { Variables: Record<string, string> } }).Environment.Variables.APPROVERS)
      .filter(Boolean);
    expect(JSON.parse(approvers[0]!)).toContainEqual(
      expect.objectContaining({ email: 'alice@example.com', name: 'Alice Martin', slackUserId: 'U0ALICE01' }),
    );
  });
});
