import { Match } from 'aws-cdk-lib/assertions';
import { STANDARD_FUNCTIONS } from '../../lib/functions';
import { synthesize } from '../../local/synth';
import { resolve } from '../../local/template';
import { ALTERNATE } from './configurations';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/** The alarms, the dashboard and what feeds them, as deployed: each configuration synthesized once. */
const { template, json } = synthesize();
const alternate = synthesize(ALTERNATE);
const resourcesOf = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const roleStatements = (rolePrefix: string) => {
  const [, policy] = resourcesOf('AWS::IAM::Policy').find(([id]) => id.startsWith(`Workflow${rolePrefix}RoleDefaultPolicy`))!;
  return (policy.Properties as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }).PolicyDocument.Statement;
};
const actionsOf = (rolePrefix: string) => roleStatements(rolePrefix).flatMap((s) => [s.Action].flat());

describe('operations', () => {
  const alarms = resourcesOf('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties as Record<string, unknown> & { AlarmName: string });
  const alarmNamed = (name: string) => alarms.find((a) => a.AlarmName === `PlanGate-${name}`);
  const alarmTopic = { Ref: expect.stringMatching(/^WorkflowMonitoringAlarmTopic/) };
  const functionNames = STANDARD_FUNCTIONS;
  const deadLetterQueues = [
    'EndingsDeadLetterQueue',
    'StackEventsDeadLetterQueue',
    'RunTriggersDeadLetterQueue',
    'WatchRunsDeadLetterQueue',
    'EvidenceManifestDeadLetterQueue',
  ];

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
        'EvidenceNotWritten',
        ...deadLetterQueues.map((q) => `${q}NotEmpty`),
      ]
        .map((name) => `PlanGate-${name}`)
        .sort(),
    );
    for (const alarm of alarms) {
      expect({ name: alarm.AlarmName, actions: alarm.AlarmActions, ok: alarm.OKActions }).toEqual({
        name: alarm.AlarmName,
        actions: [alarmTopic],
        ok: [alarmTopic],
      });
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
    for (const [name, metric] of [
      ['ExecutionsFailed', 'ExecutionsFailed'],
      ['ExecutionsTimedOut', 'ExecutionsTimedOut'],
      ['ExecutionsAborted', 'ExecutionsAborted'],
    ]) {
      expect(alarmNamed(name!)).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: metric,
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'WorkflowStateMachine8F1B1C15' } }],
      });
    }
    expect(alarmNamed('InternalErrors')).toMatchObject({
      Namespace: 'PlanGate',
      MetricName: 'RunEnded',
      Dimensions: expect.arrayContaining([
        { Name: 'outcome', Value: 'INTERNAL_ERROR' },
        { Name: 'service', Value: 'PlanGate' },
      ]),
    });
  });

  test('a function’s errors alarm leaves out the workflow’s named endings, which the function counts itself', () => {
    const errors = alarmNamed('ReviewPlanErrors') as unknown as {
      Metrics: { Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] } } }[];
    };
    expect(errors.Metrics.find((m) => m.Expression)?.Expression).toBe('errorsReviewPlan - FILL(expectedReviewPlan, 0)');
    const [lambdaErrors, expected] = ['errorsReviewPlan', 'expectedReviewPlan'].map(
      (id) => errors.Metrics.find((m) => m.Id === id)?.MetricStat?.Metric,
    );
    expect(lambdaErrors).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^WorkflowReviewPlanFunction/) } }],
    });
    expect(expected).toMatchObject({
      Namespace: 'PlanGate',
      MetricName: 'ExpectedErrors',
      Dimensions: expect.arrayContaining([{ Name: 'function', Value: { Ref: expect.stringMatching(/^WorkflowReviewPlanFunction/) } }]),
    });
    expect(alarmNamed('ReviewPlanThrottles')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Threshold: 1 });
  });

  test('the approval API’s 5xx answers and latency, the table’s throttles, and approvals waiting past 75% of their timeout', () => {
    const api = [
      { Name: 'ApiName', Value: 'PlanGate-ApprovalApi' },
      { Name: 'Stage', Value: { Ref: expect.stringMatching(/^WorkflowApprovalApiDeploymentStage/) } },
    ];
    expect(alarmNamed('ApprovalApi5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Sum',
      Threshold: 1,
      Dimensions: api,
    });
    expect(alarmNamed('ApprovalApiLatency')).toMatchObject({
      MetricName: 'Latency',
      ExtendedStatistic: 'p90',
      Threshold: 3000,
      DatapointsToAlarm: 2,
      EvaluationPeriods: 3,
      Dimensions: api,
    });
    expect(JSON.stringify(alarmNamed('TableThrottles'))).toMatch(/ReadThrottleEvents.*WriteThrottleEvents/);
    expect(alarmNamed('ApprovalsOverdue')).toMatchObject({
      Namespace: 'PlanGate',
      MetricName: 'ApprovalsOverdue',
      Statistic: 'Maximum',
      Period: 600,
      Threshold: 1,
    });
    const watchRuns = resourcesOf('AWS::Lambda::Function').find(([id]) => id.startsWith('WorkflowWatchRunsFunction'))![1];
    expect(watchRuns.Properties).toMatchObject({
      Environment: { Variables: { APPROVAL_ALARM_PERCENT: '75', STATE_MACHINE_ARN: { Ref: 'WorkflowStateMachine8F1B1C15' } } },
    });
  });

  test('thresholds come from plangate:alarmThresholds; the Slack alarm only with Slack', () => {
    const custom = alternate.json;
    const customAlarms = Object.values(custom.Resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => r.Properties as { AlarmName: string; Threshold: number });
    const threshold = (name: string) => customAlarms.find((a) => a.AlarmName === `PlanGate-${name}`)?.Threshold;
    expect([threshold('NotifyErrors'), threshold('ApprovalApiLatency'), threshold('ExecutionsFailed'), threshold('SlackPostsFailed')]).toEqual([
      3, 5000, 1, 1,
    ]);
    expect(alarmNamed('SlackPostsFailed')).toBeUndefined();
    expect(JSON.stringify(custom)).toContain('"APPROVAL_ALARM_PERCENT":"50"');
  });

  test('the alarm topic is encrypted with the key, which only this stack’s alarms may use and publish with; alarm emails subscribe', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'PlanGate alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': ['WorkflowKey505700D2', 'Arn'] },
    });
    const alarmTopicRef = { Ref: Match.stringLikeRegexp('^WorkflowMonitoringAlarmTopic') };
    // This stack's alarms only, by their names' prefix.
    const alarmArns = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:PlanGate-*'],
      ],
    };
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
    alternate.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: alarmTopicRef,
    });
  });

  test('every EventBridge target and every asynchronously invoked function has an encrypted dead-letter queue that keeps messages 14 days', () => {
    const rules = resourcesOf('AWS::Events::Rule').map(
      ([id, r]) => [id, (r.Properties as { Targets: { DeadLetterConfig?: unknown; Arn: unknown }[] }).Targets] as const,
    );
    expect(rules).toHaveLength(6);
    for (const [id, targets] of rules)
      for (const target of targets)
        expect({ id, dlq: target.DeadLetterConfig }).toEqual({
          id,
          dlq: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] } },
        });
    // Functions that are targets of rules are invoked asynchronously: Lambda sends what fails its retries to a queue too.
    const asyncFunctions = rules.flatMap(([, targets]) => targets.map((t) => JSON.stringify(t.Arn))).filter((arn) => arn.includes('Function'));
    expect(asyncFunctions).toHaveLength(5);
    for (const [id, fn] of resourcesOf('AWS::Lambda::Function').filter(([id]) => asyncFunctions.some((arn) => arn.includes(id)))) {
      expect({ id, dlq: (fn.Properties as { DeadLetterConfig?: unknown }).DeadLetterConfig }).toEqual({
        id,
        dlq: { TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] } },
      });
    }
    const queues = resourcesOf('AWS::SQS::Queue');
    expect(queues.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(deadLetterQueues.map((q) => `Workflow${q}`).sort());
    for (const [, queue] of queues)
      expect(queue.Properties).toMatchObject({ KmsMasterKeyId: { 'Fn::GetAtt': ['WorkflowKey505700D2', 'Arn'] }, MessageRetentionPeriod: 1_209_600 });
  });

  test('every function with a dead-letter queue may send to it, and use the key that encrypts it', () => {
    const withQueue = resourcesOf('AWS::Lambda::Function').filter(([, fn]) => (fn.Properties as { DeadLetterConfig?: unknown }).DeadLetterConfig);
    expect(withQueue.map(([id]) => id.replace(/^Workflow|Function[0-9A-F]{8}$/g, '')).sort()).toEqual([
      'AwaitRecord',
      'CloseRun',
      'EvidenceManifest',
      'PlanCreated',
      'WatchRuns',
    ]);
    for (const [id, fn] of withQueue) {
      const name = id.replace(/^Workflow|Function[0-9A-F]{8}$/g, '');
      const queue = (fn.Properties as { DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [string, string] } } }).DeadLetterConfig.TargetArn[
        'Fn::GetAtt'
      ][0];
      const statements = roleStatements(name);
      const grants = (action: string, resource: unknown) =>
        statements.some((s) => [s.Action].flat().includes(action) && JSON.stringify([s.Resource].flat()).includes(JSON.stringify(resource)));
      expect({ name, send: grants('sqs:SendMessage', { 'Fn::GetAtt': [queue, 'Arn'] }) }).toEqual({ name, send: true });
      expect({
        name,
        key:
          grants('kms:GenerateDataKey', { 'Fn::GetAtt': ['WorkflowKey505700D2', 'Arn'] }) ||
          grants('kms:GenerateDataKey*', { 'Fn::GetAtt': ['WorkflowKey505700D2', 'Arn'] }),
      }).toEqual({ name, key: true });
    }
  });

  test('WatchRuns counts every 5 minutes: it lists this state machine’s executions and reads the table, nothing more', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowWatchRunsFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        }),
      ],
    });
    const actions = actionsOf('WatchRuns');
    expect(actions.filter((a) => a.startsWith('states:')).sort()).toEqual(['states:DescribeExecution', 'states:ListExecutions']);
    expect(actions.filter((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    expect(roleStatements('WatchRuns').find((st) => st.Action === 'states:ListExecutions')?.Resource).toEqual({
      Ref: 'WorkflowStateMachine8F1B1C15',
    });
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
    expect(body.widgets.at(-1)).toMatchObject({
      type: 'alarm',
      properties: { alarms: expect.arrayContaining([expect.stringContaining('WorkflowMonitoringApprovalsOverdue')]) },
    });
  });
});
