import { Duration, type aws_lambda as lambda, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import type { OUTCOME_STATES } from '../lambdas/shared/contracts/state-names';

/* What the workflow definition (lib/workflow-definition.ts) is built from, and the retry every one of its tasks has. */

/** Errors worth another attempt: our TransientError and the Lambda service's own failures. */
const TRANSIENT_ERRORS = [
  'TransientError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

export interface WorkflowFunctions {
  readonly reviewPlan: lambda.IFunction;
  readonly autoApprove: lambda.IFunction;
  readonly requestApproval: lambda.IFunction;
  readonly expireApproval: lambda.IFunction;
  readonly executePlan: lambda.IFunction;
  readonly checkRecord: lambda.IFunction;
  readonly awaitRecord: lambda.IFunction;
  readonly notify: lambda.IFunction;
  /** A windowed run's wait for its window (issue 23). */
  readonly windowWait: lambda.IFunction;
}

export interface WorkflowDefinitionProps {
  readonly functions: WorkflowFunctions;
  readonly approvalTimeout: Duration;
  /** Zero for no reminder. */
  readonly reminderBeforeExpiry: Duration;
  readonly planCheckInterval: Duration;
  /** How many times to look at a plan that is still being created before giving up. */
  readonly planChecks: number;
  /** With plangate:changeCalendar: ExecutePlan may refuse (FROZEN) or defer (wait until the calendar opens). */
  readonly changeCalendar: boolean;
}

/** The Pass state that sets each outcome, by its name in code. */
export type Outcomes = Record<Exclude<keyof typeof OUTCOME_STATES, 'frozen'>, sfn.Pass> & {
  /** Only with a change calendar: Step Functions refuses a definition with a state nothing leads to. */
  frozen?: sfn.Pass;
};

/**
 * Retries the transient errors with exponential backoff and full jitter, at most a minute apart: eight attempts, up to
 * about four minutes, so a burst of runs against a rate-limited API (200 at once, 10 requests/s) drains without a
 * run giving up, and the jitter spreads their retries instead of sending them back in waves.
 */
export function retryTransient(task: sfn.TaskStateBase) {
  task.addRetry({
    errors: TRANSIENT_ERRORS,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 8,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
}
