import { Duration, aws_events as events, aws_events_targets as targets, aws_sns as sns, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** Detail type of the custom event that asks PlanGate to review a plan. */
export const REVIEW_REQUESTED_DETAIL_TYPE = 'PlanGate Review Requested';

/*
 * The workflow's EventBridge rules. They are created in the scope they are given, the workflow construct, under the
 * ids they have always had (test/logical-ids.test.ts).
 */

/** Rules that start runs: a custom review request, and CloudTrail's record of a new plan. */
export function addRunTriggers(scope: Construct, props: { stateMachine: sfn.IStateMachine; eventSource: string }): events.Rule[] {
  const target = (input: events.RuleTargetInput) =>
    new targets.SfnStateMachine(props.stateMachine, { input, retryAttempts: 8, maxEventAge: Duration.hours(24) });
  const reviewRequested = new events.Rule(scope, 'ReviewRequestedRule', {
    description: 'Starts a PlanGate run for a custom review request event',
    eventPattern: {
      source: [props.eventSource],
      detailType: [REVIEW_REQUESTED_DETAIL_TYPE],
      detail: { planId: events.Match.exists() },
    },
    // The event's detail is the run input: {planId, acceptLanguage?, requestedBy?}.
    targets: [target(events.RuleTargetInput.fromEventPath('$.detail'))],
  });
  const planCreated = new events.Rule(scope, 'PlanCreatedRule', {
    description: 'Starts a PlanGate run when CloudTrail records a new provisioned product plan',
    eventPattern: {
      source: ['aws.servicecatalog'],
      detailType: ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['servicecatalog.amazonaws.com'],
        eventName: ['CreateProvisionedProductPlan'],
        // CloudTrail records response elements in lowerCamelCase.
        responseElements: { planId: events.Match.exists() },
        userIdentity: { arn: events.Match.exists() },
      },
    },
    targets: [
      target(
        events.RuleTargetInput.fromObject({
          planId: events.EventField.fromPath('$.detail.responseElements.planId'),
          requestedBy: events.EventField.fromPath('$.detail.userIdentity.arn'),
        }),
      ),
    ],
  });
  return [reviewRequested, planCreated];
}

/**
 * Every run ends through Notify. Should one fail, time out or be stopped by hand instead, this rule still tells the
 * outcome topic, so no run ends silently.
 */
export function alertOnUnnotifiedEnd(scope: Construct, props: { stateMachine: sfn.IStateMachine; outcomeTopic: sns.ITopic }): events.Rule {
  const name = events.EventField.fromPath('$.detail.name');
  const status = events.EventField.fromPath('$.detail.status');
  return new events.Rule(scope, 'UnnotifiedEndRule', {
    description: 'Alerts when a PlanGate run ends without its outcome notification',
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [props.stateMachine.stateMachineArn] },
    },
    targets: [
      new targets.SnsTopic(props.outcomeTopic, {
        message: events.RuleTargetInput.fromText(
          `PlanGate run ${name} ended with status ${status} before its outcome notification was sent. ` +
            `Check the execution in the Step Functions console; the plan may or may not have been executed.`,
        ),
      }),
    ],
  });
}
