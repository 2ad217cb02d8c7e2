import { App, aws_kms as kms, aws_lambda as lambda, Stack, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { deadLetterQueue } from '../../lib/storage';
import { addRunTriggers, closeRunsEndedOutside, wakeRunsWhenStacksFinish, watchRunsOnSchedule } from '../../lib/triggers';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/** The EventBridge rules alone, under the workflow's scope name, with a stand-in state machine and functions. */
const stack = new Stack(new App(), 'Triggers');
const scope = new Construct(stack, 'Workflow');
const key = new kms.Key(scope, 'Key');
const stateMachine = new sfn.StateMachine(scope, 'StateMachine', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(scope, 'Start')) });
const fn = (name: string) =>
  new lambda.Function(scope, `${name}Function`, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
addRunTriggers(scope, {
  stateMachine,
  planCreated: fn('PlanCreated'),
  eventSource: 'plangate',
  deadLetterQueue: deadLetterQueue(scope, 'RunTriggersDeadLetterQueue', key),
});
closeRunsEndedOutside(scope, { stateMachine, closeRun: fn('CloseRun'), deadLetterQueue: deadLetterQueue(scope, 'EndingsDeadLetterQueue', key) });
wakeRunsWhenStacksFinish(scope, { awaitRecord: fn('AwaitRecord'), deadLetterQueue: deadLetterQueue(scope, 'StackEventsDeadLetterQueue', key) });
watchRunsOnSchedule(scope, { watchRuns: fn('WatchRuns'), deadLetterQueue: deadLetterQueue(scope, 'WatchRunsDeadLetterQueue', key) });
const template = Template.fromStack(stack);
const json = template.toJSON();

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

  test('a CloudTrail CreateProvisionedProductPlan event goes, whole, to PlanCreated (which keeps who created the plan, then starts the run)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.servicecatalog'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: { eventName: ['CreateProvisionedProductPlan'], responseElements: { planId: [{ exists: true }] } },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowPlanCreatedFunction'), 'Arn'] },
          Input: Match.absent(),
          InputTransformer: Match.absent(),
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowRunTriggersDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
  });

  test('a run that ends outside the workflow (failed, timed out, stopped) is closed by CloseRun, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: Match.stringLikeRegexp('^WorkflowStateMachine') }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowCloseRunFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowEndingsDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
  });

  test('settled stack events of Service Catalog stacks in this account wake the waiting run, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudformation'],
        'detail-type': ['CloudFormation Stack Status Change'],
        account: [{ Ref: 'AWS::AccountId' }],
        detail: {
          'stack-id': [
            {
              wildcard: {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':cloudformation:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':stack/SC-',
                    { Ref: 'AWS::AccountId' },
                    '-*/*',
                  ],
                ],
              },
            },
          ],
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

  test('WatchRuns counts every 5 minutes, and a count that fails is not retried for long', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowWatchRunsFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        }),
      ],
    });
  });
});
