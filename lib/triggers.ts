import {
  Duration,
  aws_events as events,
  type aws_lambda as lambda,
  Stack,
  type aws_stepfunctions as sfn,
  type aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { REVIEW_REQUESTED_DETAIL_TYPE } from '../lambdas/shared/contracts/events';

/*
 * The workflow's EventBridge rules. They are created in the scope they are given, the workflow construct, under the
 * ids they have always had (test/lib/logical-ids.test.ts).
 */

/** CloudTrail's record of a new plan: the hub's own (default bus), a spoke's (forwarded to the hub bus). */
export const PLAN_CREATED_PATTERN: events.EventPattern = {
  source: ['aws.servicecatalog'],
  detailType: ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['servicecatalog.amazonaws.com'],
    eventName: ['CreateProvisionedProductPlan'],
    // CloudTrail records response elements in lowerCamelCase.
    responseElements: { planId: events.Match.exists() },
    userIdentity: { arn: events.Match.exists() },
  },
};

/**
 * Rules that start runs: a custom review request, and CloudTrail's record of a new plan. A request that cannot start
 * a run after 8 retries over a day goes to the dead-letter queue, rather than being dropped.
 */
export function addRunTriggers(
  scope: Construct,
  props: {
    stateMachine: sfn.IStateMachine;
    planCreated: lambda.IFunction;
    eventSource: string;
    deadLetterQueue: sqs.IQueue;
    /** With spokes, a run learns who sent the request: ReviewPlan refuses a request naming another account. */
    spokes?: boolean;
  },
): events.Rule[] {
  const target = (input: events.RuleTargetInput) =>
    new targets.SfnStateMachine(props.stateMachine, {
      input,
      retryAttempts: 8,
      maxEventAge: Duration.hours(24),
      deadLetterQueue: props.deadLetterQueue,
    });
  const reviewRequested = new events.Rule(scope, 'ReviewRequestedRule', {
    description: 'Starts a PlanGate run for a custom review request event',
    eventPattern: {
      source: [props.eventSource],
      detailType: [REVIEW_REQUESTED_DETAIL_TYPE],
      detail: { planId: events.Match.exists() },
    },
    // The event's detail is the run input: {planId, accountId?, region?, acceptLanguage?, requestedBy?, changeClass?, ...}; with spokes, with its sender.
    targets: [
      target(
        props.spokes
          ? events.RuleTargetInput.fromObject({
              // The plan id at the top too, as every start has it: the workflow keeps it for the outcome of a refused request.
              planId: events.EventField.fromPath('$.detail.planId'),
              request: events.EventField.fromPath('$.detail'),
              sentBy: { account: events.EventField.account },
            })
          : events.RuleTargetInput.fromEventPath('$.detail'),
      ),
    ],
  });
  const planCreated = new events.Rule(scope, 'PlanCreatedRule', {
    // To the PlanCreated function, which keeps who created the plan (the verified requester) before it starts the run.
    description: 'Starts a PlanGate run when CloudTrail records a new provisioned product plan',
    eventPattern: PLAN_CREATED_PATTERN,
    targets: [
      new targets.LambdaFunction(props.planCreated, { retryAttempts: 8, maxEventAge: Duration.hours(24), deadLetterQueue: props.deadLetterQueue }),
    ],
  });
  return [reviewRequested, planCreated];
}

/**
 * Runs that end outside the workflow's own endings (stopped, failed, timed out) are closed by the CloseRun function,
 * as Notify closes the others: so no run ends silently, and no approval stays open. The rule keeps the id of the alert
 * it replaces. Events it cannot deliver, after 8 retries over a day, go to the dead-letter queue.
 */
export function closeRunsEndedOutside(
  scope: Construct,
  props: { stateMachine: sfn.IStateMachine; closeRun: lambda.IFunction; deadLetterQueue: sqs.IQueue },
): events.Rule {
  return new events.Rule(scope, 'UnnotifiedEndRule', {
    description: 'Closes PlanGate runs that end (failed, timed out, stopped) outside the workflow, and tells everyone',
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [props.stateMachine.stateMachineArn] },
    },
    targets: [
      new targets.LambdaFunction(props.closeRun, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(24) }),
    ],
  });
}

/** Stack statuses after which CloudFormation does nothing more on its own (a FAILED one may start a rollback). */
export const SETTLED_STACK_STATUSES = [
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'ROLLBACK_COMPLETE',
  'DELETE_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
  'CREATE_FAILED',
  'UPDATE_FAILED',
  'ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_FAILED',
  'DELETE_FAILED',
  'IMPORT_ROLLBACK_FAILED',
];

/**
 * CloudFormation reports every stack's status changes to the default bus. This rule passes on those of the stacks
 * Service Catalog runs for provisioned products in this account (SC-<account>-<provisioned product id>), settled
 * ones only, to AwaitRecord, which wakes the run waiting for that product's record. A failed or late delivery costs
 * at most the safety net's wait; after 8 retries over a day, the event goes to the dead-letter queue.
 */
export function wakeRunsWhenStacksFinish(scope: Construct, props: { awaitRecord: lambda.IFunction; deadLetterQueue: sqs.IQueue }): events.Rule {
  const { account, region, partition } = Stack.of(scope);
  return new events.Rule(scope, 'StackFinishedRule', {
    description: 'Wakes a PlanGate run when the CloudFormation stack behind its Service Catalog record settles',
    eventPattern: {
      source: ['aws.cloudformation'],
      detailType: ['CloudFormation Stack Status Change'],
      account: [account],
      detail: {
        'stack-id': events.Match.wildcard(`arn:${partition}:cloudformation:${region}:${account}:stack/SC-${account}-*/*`),
        'status-details': { status: SETTLED_STACK_STATUSES },
      },
    },
    targets: [
      new targets.LambdaFunction(props.awaitRecord, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(24) }),
    ],
  });
}

/**
 * Every 5 minutes, WatchRuns counts the runs in flight and their open approvals (gauges for the dashboard and the
 * approval alarm). A count that comes late is worthless, so a failed one is not retried for long: it goes to the
 * dead-letter queue, and the next one comes 5 minutes later.
 */
export function watchRunsOnSchedule(scope: Construct, props: { watchRuns: lambda.IFunction; deadLetterQueue: sqs.IQueue }): events.Rule {
  return new events.Rule(scope, 'WatchRunsSchedule', {
    description: 'Counts PlanGate runs in flight and approvals waiting, every 5 minutes',
    schedule: events.Schedule.rate(Duration.minutes(5)),
    targets: [
      new targets.LambdaFunction(props.watchRuns, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.minutes(5) }),
    ],
  });
}

/**
 * The hub bus's rules: the spokes' CloudTrail records of new plans go to PlanCreated (with the event triggers on),
 * their stacks' settled statuses to AwaitRecord, as the hub's own do. Any account and Region of the organization
 * (the bus's policy admits no other): the functions check each against the allow-list and the event's envelope.
 */
export function addHubBusRules(
  scope: Construct,
  props: {
    bus: events.IEventBus;
    awaitRecord: lambda.IFunction;
    stackEventsDeadLetterQueue: sqs.IQueue;
    planCreated?: { fn: lambda.IFunction; deadLetterQueue: sqs.IQueue };
  },
): events.Rule[] {
  const { partition } = Stack.of(scope);
  const deliver = (fn: lambda.IFunction, deadLetterQueue: sqs.IQueue) =>
    new targets.LambdaFunction(fn, { deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(24) });
  const rules = [
    new events.Rule(scope, 'HubStackFinishedRule', {
      eventBus: props.bus,
      description: 'Wakes a PlanGate run when the CloudFormation stack behind its Service Catalog record in a spoke settles',
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        detail: {
          'stack-id': events.Match.wildcard(`arn:${partition}:cloudformation:*:*:stack/SC-*/*`),
          'status-details': { status: SETTLED_STACK_STATUSES },
        },
      },
      targets: [deliver(props.awaitRecord, props.stackEventsDeadLetterQueue)],
    }),
  ];
  if (props.planCreated) {
    rules.push(
      new events.Rule(scope, 'HubPlanCreatedRule', {
        eventBus: props.bus,
        description: 'Starts a PlanGate run when CloudTrail records a new provisioned product plan in a spoke',
        eventPattern: PLAN_CREATED_PATTERN,
        targets: [deliver(props.planCreated.fn, props.planCreated.deadLetterQueue)],
      }),
    );
  }
  return rules;
}
