import { App, Duration, Stack, Validations, aws_sns as sns } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig } from '../lib/config';
import { PlanApprovalWorkflow } from '../lib/plan-approval-workflow';
import { PlanGateStack } from '../lib/plan-gate-stack';
import { loadWorkflow, resolve } from '../local/template';
import { exampleContext, synthesize } from '../local/synth';
import { FUNCTIONS } from '../lib/functions';

/** The template as `cdk synth` produces it from the example configuration, synthesized once. */
const { template, json, stack } = synthesize();
const definition = loadWorkflow(json).definition as { States: Record<string, Record<string, unknown>>; QueryLanguage?: string };
const states = definition.States;

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

  test('is valid Amazon States Language, written in JSONPath', () => {
    const { isValid, errorsText } = aslValidator(definition as never);
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  test('waits for the approval in two token tasks: until the reminder (60 minutes before expiry), then for the rest of the 1440 minutes', () => {
    expect(states.RequestApproval).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 86_400 - 3_600,
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token' } },
      Catch: expect.arrayContaining([{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'RemindApprovers' }]),
    });
    expect(states.RemindApprovers).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 3_600,
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token', reminder: true } },
      Catch: expect.arrayContaining([{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'ExpireApproval' }]),
      Next: 'Approved?',
    });
    expect(states.ExpireApproval).toMatchObject({ Next: 'Outcome: Expired' });
  });

  test('without a reminder, one token task waits the whole timeout and then expires', () => {
    const { json: noReminder } = synthesize({ 'plangate:reminderMinutesBeforeExpiry': 0 });
    const noReminderStates = (loadWorkflow(noReminder).definition as typeof definition).States;
    expect(noReminderStates.RemindApprovers).toBeUndefined();
    expect(noReminderStates.RequestApproval).toMatchObject({
      TimeoutSeconds: 86_400,
      Catch: expect.arrayContaining([{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'ExpireApproval' }]),
    });
  });

  test('used directly, the construct reminds a quarter of a short timeout before expiry', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const direct = new Stack(app, 'Direct');
    new PlanApprovalWorkflow(direct, 'Workflow', { approvers: [{ email: 'a@example.com' }, { email: 'b@example.com' }], approvalTimeout: Duration.hours(2) });
    const directStates = (loadWorkflow(app.synth().getStackByName('Direct').template).definition as typeof definition).States;
    expect(directStates.RequestApproval).toMatchObject({ TimeoutSeconds: 5_400 });
    expect(directStates.RemindApprovers).toMatchObject({ TimeoutSeconds: 1_800 });
    expect(() => new PlanApprovalWorkflow(new Stack(app, 'Bad'), 'Workflow', { approvers: [{ email: 'a@example.com' }, { email: 'b@example.com' }], reminderBeforeExpiry: Duration.days(1) })).toThrow(
      'reminderBeforeExpiry: must be shorter than the approval timeout (1440 minutes); 0 turns reminders off',
    );
  });

  test('auto-approval is a branch the rules choose, with no task token: nobody is asked', () => {
    expect(states['Auto-approve?']).toMatchObject({
      Choices: [{ Variable: '$.review.policy.autoApproved', BooleanEquals: true, Next: 'AutoApprove' }],
      Default: 'RequestApproval',
    });
    expect(states.AutoApprove).toMatchObject({ Resource: expect.stringMatching(/^arn:aws:lambda:/), Next: 'Approved?' });
    expect(JSON.stringify(states.AutoApprove)).not.toContain('Task.Token');
  });

  test('retries transient errors with backoff and jitter on every task, and catches the rest', () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual([
      'AutoApprove',
      'Await record event',
      'CheckRecord',
      'ExecutePlan',
      'ExpireApproval',
      'Notify',
      'RemindApprovers',
      'RequestApproval',
      'ReviewPlan',
    ]);
    for (const [name, task] of tasks) {
      expect({ name, retry: task.Retry }).toEqual({
        name,
        retry: [expect.objectContaining({ ErrorEquals: expect.arrayContaining(['TransientError', 'Lambda.TooManyRequestsException']), BackoffRate: 2, JitterStrategy: 'FULL' })],
      });
      const catchAll = (task.Catch as { ErrorEquals: string[] }[]).at(-1);
      expect({ name, catchAll: catchAll?.ErrorEquals }).toEqual({ name, catchAll: ['States.ALL'] });
      expect({ name, bounded: (task.TimeoutSeconds as number) > 0 || typeof task.TimeoutSecondsPath === 'string' }).toEqual({ name, bounded: true });
    }
  });

  test('routes every ending through the one Notify task', () => {
    const outcomes = Object.entries(states).filter(([name]) => name.startsWith('Outcome: '));
    expect(outcomes.map(([, s]) => s.Result).sort()).toEqual(
      ['DENIED', 'DUPLICATE', 'EXPIRED', 'FAILED', 'INTERNAL_ERROR', 'INVALID_INPUT', 'PLAN_CHANGED', 'PLAN_NOT_READY', 'REJECTED', 'SUCCEEDED', 'TIMED_OUT'],
    );
    for (const [, state] of outcomes) expect(state.Next).toBe('Notify');
    const ends = Object.entries(states).filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End);
    expect(ends.map(([name]) => name).sort()).toEqual(['Done', 'Notification failed']);
  });

  test('after executing, waits for the stack behind the record (a token task bounded by the safety net), or re-checks soon after a stack event', () => {
    expect(states['Record finished?']).toMatchObject({
      Choices: expect.arrayContaining([{ Variable: '$.record.next', StringEquals: 'await', Next: 'Await record event' }]),
      Default: 'Wait for record',
    });
    expect(states['Await record event']).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.record.nextCheckInSeconds',
      ResultPath: '$.record.wake',
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token', 'provisionedProductId.$': '$.record.provisionedProductId', 'seenEventAt.$': '$.record.seenEventAt' } },
      Catch: expect.arrayContaining([{ ErrorEquals: ['States.Timeout'], ResultPath: '$.record.wake', Next: 'CheckRecord' }]),
      Next: 'CheckRecord',
    });
  });

  test('waits between record checks for the interval CheckRecord computes, and for plans at the configured interval', () => {
    expect(states['Wait for record']).toMatchObject({ Type: 'Wait', SecondsPath: '$.record.nextCheckInSeconds' });
    expect(states['Wait for plan']).toMatchObject({ Type: 'Wait', Seconds: 30 });
    // 30 minutes of checks every 30 seconds.
    expect(JSON.stringify(states['Plan ready?'])).toContain('"NumericLessThan":60');
  });
});

describe('data and encryption', () => {
  test('the approval table keeps its data: point-in-time recovery, KMS, deletion protection, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
        DeletionProtectionEnabled: true,
      }),
    });
  });

  test('topics are encrypted and refuse unencrypted publishing', () => {
    expect(resourcesOf('AWS::SNS::Topic')).toHaveLength(3); // approval requests, outcomes, alarms
    template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::SNS::TopicPolicy', 3);
    template.allResourcesProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('every log group is encrypted and kept for the configured 365 days', () => {
    const groups = resourcesOf('AWS::Logs::LogGroup');
    expect(groups.length).toBe(13); // eleven functions, the state machine, the API's access log
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });

  test('the key rotates', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('notifications', () => {
  test('each approver has an email subscription filtered to their own messages', () => {
    for (const email of ['alice@example.com', 'bob@example.com', 'carol@example.com']) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        FilterPolicy: { approver: [email] },
      });
    }
  });

  test('notification emails receive every outcome', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'platform-team@example.com',
      FilterPolicy: Match.absent(),
    });
  });
});

describe('least privilege', () => {
  test('each function may call only the Service Catalog action it uses', () => {
    const serviceCatalog = (role: string) => actionsOf(role).filter((a) => a.startsWith('servicecatalog:'));
    expect(serviceCatalog('ReviewPlan')).toEqual(['servicecatalog:DescribeProvisionedProductPlan']);
    // Execute describes the plan once more, to refuse one that changed after approval.
    expect(serviceCatalog('ExecutePlan')).toEqual(['servicecatalog:DescribeProvisionedProductPlan', 'servicecatalog:ExecuteProvisionedProductPlan']);
    expect(serviceCatalog('CheckRecord')).toEqual(['servicecatalog:DescribeRecord']);
    for (const role of ['RequestApproval', 'ApprovalApi', 'Notify', 'AutoApprove', 'ExpireApproval', 'CloseRun']) expect(serviceCatalog(role)).toEqual([]);
  });

  test('only the approval API and AwaitRecord may complete tasks, and only with SendTaskSuccess on this state machine', () => {
    const stateActions = resourcesOf('AWS::IAM::Policy').flatMap(([id, p]) =>
      (p.Properties as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }).PolicyDocument.Statement.filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('states:Send')),
      ).map((s) => ({ id, action: s.Action, resource: s.Resource })),
    );
    expect(stateActions).toEqual([
      { id: expect.stringMatching(/^WorkflowApprovalApiRoleDefaultPolicy/), action: 'states:SendTaskSuccess', resource: { Ref: expect.stringMatching(/^WorkflowStateMachine/) } },
      { id: expect.stringMatching(/^WorkflowAwaitRecordCompletesTasks/), action: 'states:SendTaskSuccess', resource: { Ref: expect.stringMatching(/^WorkflowStateMachine/) } },
    ]);
  });

  test('execute, expire, notify and close only read and update the approval record: they cannot create or delete one', () => {
    for (const role of ['ExecutePlan', 'ExpireApproval', 'Notify', 'CloseRun']) {
      const actions = actionsOf(role);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
      expect({ role, writes: actions.filter((a) => /dynamodb:(Put|Delete|BatchWrite)/.test(a)) }).toEqual({ role, writes: [] });
    }
  });

  test('only the expire function may delete plans, and only when plangate:deleteExpiredPlans is on', () => {
    const everyAction = (resources: typeof json.Resources) =>
      JSON.stringify(Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy'));
    expect(everyAction(json.Resources)).not.toContain('DeleteProvisionedProductPlan');
    const { json: deleting } = synthesize({ 'plangate:deleteExpiredPlans': true });
    const withDelete = Object.entries(deleting.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r).includes('servicecatalog:DeleteProvisionedProductPlan'))
      .map(([id]) => id);
    expect(withDelete).toEqual([expect.stringMatching(/^WorkflowExpireApprovalRoleDefaultPolicy/)]);
  });

  test('functions write logs to their own log group instead of using the AWS managed basic execution role', () => {
    const functionRoles = resourcesOf('AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties).includes('lambda.amazonaws.com'));
    expect(functionRoles).toHaveLength(11);
    for (const [id, role] of functionRoles) expect({ id, managed: role.Properties?.ManagedPolicyArns }).toEqual({ id, managed: undefined });
    const reviewLogs = roleStatements('ReviewPlan').find((s) => [s.Action].flat().includes('logs:PutLogEvents'));
    expect(reviewLogs?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WorkflowReviewPlanLogs/), 'Arn'] });
  });
});

describe('functions', () => {
  test('run on ARM64 with the latest Node.js runtime and X-Ray tracing', () => {
    const functions = resourcesOf('AWS::Lambda::Function');
    expect(functions).toHaveLength(11);
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

describe('approval API', () => {
  test('is throttled, traced and access-logged', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20, LoggingLevel: 'ERROR', DataTraceEnabled: false })],
    });
  });

  test('sends every method and path to a handler, so wrong ones get readable answers', () => {
    template.resourceCountIs('AWS::ApiGateway::Method', 6);
    template.allResourcesProperties('AWS::ApiGateway::Method', { HttpMethod: 'ANY' });
  });

  test('the command line’s routes, and only they, take IAM-signed requests; releases go to CloseRun, decisions to the approval API', () => {
    const methods = template.findResources('AWS::ApiGateway::Method');
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const pathOf = (id: string): string => {
      const r = resources[id]?.Properties as { PathPart: string; ParentId: { Ref?: string } } | undefined;
      return r ? `${r.ParentId.Ref ? pathOf(r.ParentId.Ref) : ''}/${r.PathPart}` : '';
    };
    const routes = Object.values(methods).map((m) => {
      const p = m.Properties as { AuthorizationType: string; ResourceId: { Ref?: string }; Integration: { Uri: { 'Fn::Join': [string, unknown[]] } } };
      const target = JSON.stringify(p.Integration.Uri).match(/Workflow(\w+)Function[0-9A-F]{8}/)?.[1];
      return `${p.ResourceId.Ref ? pathOf(p.ResourceId.Ref) : '/'} ${p.AuthorizationType} ${target}`;
    });
    expect(routes.sort()).toEqual([
      '/ NONE ApprovalApi',
      '/cli AWS_IAM ApprovalApi',
      '/cli/plans/{planId}/decision AWS_IAM ApprovalApi',
      '/cli/plans/{planId}/release AWS_IAM CloseRun',
      '/cli/{proxy+} AWS_IAM ApprovalApi',
      '/{proxy+} NONE ApprovalApi',
    ]);
  });
});

describe('triggers', () => {
  test('a custom review request event starts a run with its detail as input; one that cannot goes to a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['plangate'], 'detail-type': ['PlanGate Review Requested'], detail: { planId: [{ exists: true }] } },
      Targets: [
        Match.objectLike({
          InputPath: '$.detail',
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowRunTriggersDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
  });

  test('a CloudTrail CreateProvisionedProductPlan event starts a run for the new plan, naming who created it', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.servicecatalog'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: { eventName: ['CreateProvisionedProductPlan'], responseElements: { planId: [{ exists: true }] } },
      },
      Targets: [
        Match.objectLike({
          InputTransformer: {
            InputPathsMap: { 'detail-responseElements-planId': '$.detail.responseElements.planId', 'detail-userIdentity-arn': '$.detail.userIdentity.arn' },
            InputTemplate: '{"planId":<detail-responseElements-planId>,"requestedBy":<detail-userIdentity-arn>}',
          },
        }),
      ],
    });
  });

  test('a run that ends outside the workflow (failed, timed out, stopped) is closed by CloseRun, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.states'], detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: Match.stringLikeRegexp('^WorkflowStateMachine') }] } },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowCloseRunFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowEndingsDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
    // Its own failed invocations, after Lambda's two retries, go to the same queue.
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
    for (const role of ['ReviewPlan', 'RequestApproval', 'ApprovalApi', 'Notify', 'ExecutePlan']) expect(actionsOf(role)).not.toContain('states:DescribeExecution');
  });

  test('settled stack events of Service Catalog stacks in this account wake the waiting run, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudformation'],
        'detail-type': ['CloudFormation Stack Status Change'],
        account: [{ Ref: 'AWS::AccountId' }],
        detail: {
          'stack-id': [{ wildcard: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudformation:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':stack/SC-', { Ref: 'AWS::AccountId' }, '-*/*']] } }],
          'status-details': { status: Match.arrayWith(['UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'CREATE_FAILED']) },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowAwaitRecordFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowStackEventsDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
    // In-progress statuses (a rollback starting) are not settled, so they wake nobody.
    expect(JSON.stringify(json)).not.toContain('UPDATE_ROLLBACK_IN_PROGRESS');
  });

  test('can be turned off in configuration', () => {
    const { template: noTriggers } = synthesize({ 'plangate:eventTriggerEnabled': false });
    noTriggers.resourceCountIs('AWS::Events::Rule', 3); // the rules that close runs, wake them and count them stay
    noTriggers.resourceCountIs('AWS::SQS::Queue', 3); // and so do their dead-letter queues
  });
});

describe('operations', () => {
  const alarms = resourcesOf('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties as Record<string, unknown> & { AlarmName: string });
  const alarmNamed = (name: string) => alarms.find((a) => a.AlarmName === `PlanGate-${name}`);
  const alarmTopic = { Ref: expect.stringMatching(/^WorkflowMonitoringAlarmTopic/) };
  const functionNames = Object.keys(FUNCTIONS);
  const deadLetterQueues = ['EndingsDeadLetterQueue', 'StackEventsDeadLetterQueue', 'RunTriggersDeadLetterQueue', 'WatchRunsDeadLetterQueue'];

  test('an alarm for every failure worth waking someone for, each telling the alarm topic when it fires and when it clears', () => {
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      [
        'ExecutionsFailed',
        'ExecutionsTimedOut',
        'ExecutionsAborted',
        'InternalErrors',
        ...functionNames.flatMap((fn) => [`${fn}Errors`, `${fn}Throttles`]),
        'ApprovalApi5xx',
        'ApprovalApiLatency',
        'ApprovalsOverdue',
        'TableThrottles',
        ...deadLetterQueues.map((q) => `${q}NotEmpty`),
      ]
        .map((name) => `PlanGate-${name}`)
        .sort(),
    );
    for (const alarm of alarms) {
      expect({ name: alarm.AlarmName, actions: alarm.AlarmActions, ok: alarm.OKActions }).toEqual({ name: alarm.AlarmName, actions: [alarmTopic], ok: [alarmTopic] });
      expect(alarm.AlarmDescription).toMatch(/\w+ \w+ \w+/);
    }
  });

  test('an idle stack raises none: missing data is fine, except a dead-letter queue’s, which stays in alarm until it is read', () => {
    for (const alarm of alarms) {
      const dlq = alarm.AlarmName.endsWith('DeadLetterQueueNotEmpty');
      expect({ name: alarm.AlarmName, missing: alarm.TreatMissingData }).toEqual({ name: alarm.AlarmName, missing: dlq ? 'ignore' : 'notBreaching' });
    }
    expect(alarmNamed('EndingsDeadLetterQueueNotEmpty')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^WorkflowEndingsDeadLetterQueue/), 'QueueName'] } }],
    });
  });

  test('executions that fail, time out or are stopped; runs that end INTERNAL_ERROR (their execution succeeds)', () => {
    for (const [name, metric] of [['ExecutionsFailed', 'ExecutionsFailed'], ['ExecutionsTimedOut', 'ExecutionsTimedOut'], ['ExecutionsAborted', 'ExecutionsAborted']]) {
      expect(alarmNamed(name!)).toMatchObject({ Namespace: 'AWS/States', MetricName: metric, Statistic: 'Sum', Period: 300, Threshold: 1, Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'WorkflowStateMachine8F1B1C15' } }] });
    }
    expect(alarmNamed('InternalErrors')).toMatchObject({
      Namespace: 'PlanGate',
      MetricName: 'RunEnded',
      Dimensions: expect.arrayContaining([{ Name: 'outcome', Value: 'INTERNAL_ERROR' }, { Name: 'service', Value: 'PlanGate' }]),
    });
  });

  test('a function’s errors alarm leaves out the workflow’s named endings, which the function counts itself', () => {
    const errors = alarmNamed('ReviewPlanErrors') as unknown as { Metrics: { Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] } } }[] };
    expect(errors.Metrics.find((m) => m.Expression)?.Expression).toBe('errorsReviewPlan - FILL(expectedReviewPlan, 0)');
    const [lambdaErrors, expected] = ['errorsReviewPlan', 'expectedReviewPlan'].map((id) => errors.Metrics.find((m) => m.Id === id)?.MetricStat?.Metric);
    expect(lambdaErrors).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^WorkflowReviewPlanFunction/) } }] });
    expect(expected).toMatchObject({
      Namespace: 'PlanGate',
      MetricName: 'ExpectedErrors',
      Dimensions: expect.arrayContaining([{ Name: 'function', Value: { Ref: expect.stringMatching(/^WorkflowReviewPlanFunction/) } }]),
    });
    expect(alarmNamed('ReviewPlanThrottles')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Threshold: 1 });
  });

  test('the approval API’s 5xx answers and latency, the table’s throttles, and approvals waiting past 75% of their timeout', () => {
    const api = [{ Name: 'ApiName', Value: 'PlanGate-ApprovalApi' }, { Name: 'Stage', Value: { Ref: expect.stringMatching(/^WorkflowApprovalApiDeploymentStage/) } }];
    expect(alarmNamed('ApprovalApi5xx')).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Statistic: 'Sum', Threshold: 1, Dimensions: api });
    expect(alarmNamed('ApprovalApiLatency')).toMatchObject({ MetricName: 'Latency', ExtendedStatistic: 'p90', Threshold: 3000, DatapointsToAlarm: 2, EvaluationPeriods: 3, Dimensions: api });
    expect(JSON.stringify(alarmNamed('TableThrottles'))).toMatch(/ReadThrottleEvents.*WriteThrottleEvents/);
    expect(alarmNamed('ApprovalsOverdue')).toMatchObject({ Namespace: 'PlanGate', MetricName: 'ApprovalsOverdue', Statistic: 'Maximum', Period: 600, Threshold: 1 });
    const watchRuns = resourcesOf('AWS::Lambda::Function').find(([id]) => id.startsWith('WorkflowWatchRunsFunction'))![1];
    expect(watchRuns.Properties).toMatchObject({ Environment: { Variables: { APPROVAL_ALARM_PERCENT: '75', STATE_MACHINE_ARN: { Ref: 'WorkflowStateMachine8F1B1C15' } } } });
  });

  test('thresholds come from plangate:alarmThresholds; the Slack alarm only with Slack', () => {
    const { json: custom } = synthesize({
      'plangate:alarmThresholds': { functionErrors: 3, apiLatencyP90Ms: 5000, approvalWaitPercent: 50 },
      'plangate:slackWebhookSecret': 'plangate/slack-webhook-url',
    });
    const customAlarms = Object.values(custom.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties as { AlarmName: string; Threshold: number });
    const threshold = (name: string) => customAlarms.find((a) => a.AlarmName === `PlanGate-${name}`)?.Threshold;
    expect([threshold('NotifyErrors'), threshold('ApprovalApiLatency'), threshold('ExecutionsFailed'), threshold('SlackPostsFailed')]).toEqual([3, 5000, 1, 1]);
    expect(alarmNamed('SlackPostsFailed')).toBeUndefined();
    expect(JSON.stringify(custom)).toContain('"APPROVAL_ALARM_PERCENT":"50"');
  });

  test('the alarm topic is encrypted with the key, which only this stack’s alarms may use and publish with; alarm emails subscribe', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'PlanGate alarms', KmsMasterKeyId: { 'Fn::GetAtt': ['WorkflowKey505700D2', 'Arn'] } });
    const alarmTopicRef = { Ref: Match.stringLikeRegexp('^WorkflowMonitoringAlarmTopic') };
    // This stack's alarms only, by their names' prefix.
    const alarmArns = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:PlanGate-*']] };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [alarmTopicRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarms',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': alarmArns } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': alarmArns } },
          }),
        ]),
      },
    });
    const { template: withEmails } = synthesize({ 'plangate:alarmEmails': ['oncall@example.com'] });
    withEmails.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: alarmTopicRef });
  });

  test('every EventBridge target and every asynchronously invoked function has an encrypted dead-letter queue that keeps messages 14 days', () => {
    const rules = resourcesOf('AWS::Events::Rule').map(([id, r]) => [id, (r.Properties as { Targets: { DeadLetterConfig?: unknown; Arn: unknown }[] }).Targets] as const);
    expect(rules).toHaveLength(5);
    for (const [id, targets] of rules) for (const target of targets) expect({ id, dlq: target.DeadLetterConfig }).toEqual({ id, dlq: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] } } });
    // Functions that are targets of rules are invoked asynchronously: Lambda sends what fails its retries to a queue too.
    const asyncFunctions = rules.flatMap(([, targets]) => targets.map((t) => JSON.stringify(t.Arn))).filter((arn) => arn.includes('Function'));
    expect(asyncFunctions).toHaveLength(3);
    for (const [id, fn] of resourcesOf('AWS::Lambda::Function').filter(([id]) => asyncFunctions.some((arn) => arn.includes(id)))) {
      expect({ id, dlq: (fn.Properties as { DeadLetterConfig?: unknown }).DeadLetterConfig }).toEqual({ id, dlq: { TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] } } });
    }
    const queues = resourcesOf('AWS::SQS::Queue');
    expect(queues.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(deadLetterQueues.map((q) => `Workflow${q}`).sort());
    for (const [, queue] of queues) expect(queue.Properties).toMatchObject({ KmsMasterKeyId: { 'Fn::GetAtt': ['WorkflowKey505700D2', 'Arn'] }, MessageRetentionPeriod: 1_209_600 });
  });

  test('every function with a dead-letter queue may send to it, and use the key that encrypts it', () => {
    const withQueue = resourcesOf('AWS::Lambda::Function').filter(([, fn]) => (fn.Properties as { DeadLetterConfig?: unknown }).DeadLetterConfig);
    expect(withQueue.map(([id]) => id.replace(/^Workflow|Function[0-9A-F]{8}$/g, '')).sort()).toEqual(['AwaitRecord', 'CloseRun', 'WatchRuns']);
    for (const [id, fn] of withQueue) {
      const name = id.replace(/^Workflow|Function[0-9A-F]{8}$/g, '');
      const queue = (fn.Properties as { DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [string, string] } } }).DeadLetterConfig.TargetArn['Fn::GetAtt'][0];
      const statements = roleStatements(name);
      const grants = (action: string, resource: unknown) =>
        statements.some((s) => [s.Action].flat().includes(action) && JSON.stringify([s.Resource].flat()).includes(JSON.stringify(resource)));
      expect({ name, send: grants('sqs:SendMessage', { 'Fn::GetAtt': [queue, 'Arn'] }) }).toEqual({ name, send: true });
      expect({ name, key: grants('kms:GenerateDataKey', { 'Fn::GetAtt': ['WorkflowKey505700D2', 'Arn'] }) || grants('kms:GenerateDataKey*', { 'Fn::GetAtt': ['WorkflowKey505700D2', 'Arn'] }) }).toEqual({ name, key: true });
    }
  });

  test('WatchRuns counts every 5 minutes: it lists this state machine’s executions and reads the table, nothing more', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowWatchRunsFunction'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 } })],
    });
    const actions = actionsOf('WatchRuns');
    expect(actions.filter((a) => a.startsWith('states:')).sort()).toEqual(['states:DescribeExecution', 'states:ListExecutions']);
    expect(actions.filter((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    expect(roleStatements('WatchRuns').find((st) => st.Action === 'states:ListExecutions')?.Resource).toEqual({ Ref: 'WorkflowStateMachine8F1B1C15' });
  });

  test('the dashboard shows runs by outcome, approval and execution times, runs in flight, errors per function and Slack failures', () => {
    const [, dashboard] = resourcesOf('AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.parse(resolve((dashboard.Properties as { DashboardBody: unknown }).DashboardBody, json) as string) as {
      widgets: { properties: { title: string; metrics?: unknown[][] } }[];
    };
    const widget = (title: string) => JSON.stringify(body.widgets.find((w) => w.properties.title.startsWith(title))?.properties.metrics);
    expect(widget('Runs by outcome')).toContain(`SEARCH('{PlanGate,outcome,service} MetricName=\\"RunEnded\\" service=\\"PlanGate\\"', 'Sum', 3600)`);
    expect(widget('Runs by outcome')).toContain('"RunsStarted"');
    expect(widget('Approval wait')).toMatch(/"ApprovalWaitSeconds".*"stat":"p50".*"ApprovalWaitSeconds".*"stat":"p90"/);
    expect(widget('Execution and detection delay')).toMatch(/"ExecutionSeconds".*"p50".*"ExecutionSeconds".*"p90".*"DetectionDelaySeconds"/);
    expect(widget('Runs in flight')).toMatch(/"RunsInFlight".*"ApprovalsWaiting".*"ApprovalsOverdue"/);
    for (const fn of functionNames) expect(widget('Unexpected errors per function')).toContain(`errors${fn} - FILL(expected${fn}, 0)`);
    expect(widget('Slack failures')).toContain('"SlackPostFailed"');
    expect(body.widgets.at(-1)).toMatchObject({ type: 'alarm', properties: { alarms: expect.arrayContaining([expect.stringContaining('WorkflowMonitoringApprovalsOverdue')]) } });
  });

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
    });
  });

  test('API Gateway’s account-level CloudWatch role (one per account and region) is created unless configured off', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const { template: without } = synthesize({ 'plangate:apiGatewayCloudWatchRole': false });
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
  const { json: custom } = synthesize({ 'plangate:sensitiveResourceTypes': ['AWS::RDS::*', 'AWS::ElastiCache::ReplicationGroup'] });
  expect(JSON.parse(reviewEnv(custom.Resources)!)).toEqual(['AWS::RDS::*', 'AWS::ElastiCache::ReplicationGroup']);
});

describe('Slack', () => {
  const { json: withSlack } = synthesize({
    'plangate:slackWebhookSecret': 'plangate/slack-webhook-url',
    'plangate:slackSigningSecret': 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:plangate/signing-AbCdEf',
  });
  const policyOf = (role: string) =>
    JSON.stringify(Object.entries(withSlack.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith(`Workflow${role}RoleDefaultPolicy`))![1]);

  test('functions get the secrets’ ids, never their values, and read only the secrets they use', () => {
    const envs = Object.values(withSlack.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables);
    expect(envs.filter((e) => e.SLACK_WEBHOOK_SECRET_ID === 'plangate/slack-webhook-url')).toHaveLength(4); // requests, clicks, and both closers
    // The approval API reads the signing secret; RequestApproval only learns that the buttons are on.
    expect(envs.filter((e) => e.SLACK_SIGNING_SECRET_ID)).toHaveLength(2);
    for (const role of ['RequestApproval', 'ApprovalApi', 'Notify', 'CloseRun']) expect(policyOf(role)).toContain('secret:plangate/slack-webhook-url-??????');
    expect(policyOf('ApprovalApi')).toContain('secret:plangate/signing-AbCdEf');
    for (const role of ['RequestApproval', 'Notify', 'ReviewPlan', 'ExecutePlan', 'CheckRecord']) expect(policyOf(role)).not.toContain('signing');
    for (const role of ['ReviewPlan', 'ExecutePlan', 'CheckRecord']) expect(policyOf(role)).not.toContain('secretsmanager');
    expect(JSON.stringify(withSlack)).not.toContain('hooks.slack.com/services');
  });

  test('approvers carry their Slack user ids to the functions that map clicks to people', () => {
    const approvers = Object.values(withSlack.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties as { Environment: { Variables: Record<string, string> } }).Environment.Variables.APPROVERS)
      .filter(Boolean);
    expect(JSON.parse(approvers[0]!)).toContainEqual(expect.objectContaining({ email: 'alice@example.com', name: 'Alice Martin', slackUserId: 'U0ALICE01' }));
  });
});
