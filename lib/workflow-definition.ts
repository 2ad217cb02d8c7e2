import { Duration, type aws_lambda as lambda, aws_stepfunctions as sfn, aws_stepfunctions_tasks as tasks } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { OUTCOME_STATES, STATES } from '../lambdas/shared/contracts/state-names';
import { type Outcomes, retryTransient, type WorkflowDefinitionProps, type WorkflowFunctions } from './workflow-tasks';

export { STATES } from '../lambdas/shared/contracts/state-names';

/**
 * The run, in JSONPath: review → approval (task token) → execute → poll → notify. Each phase is built by its own
 * method; every ending sets `$.outcome` in a Pass state and converges on the one Notify task.
 */
export class WorkflowDefinition extends Construct {
  /** The first state; hand it to the state machine. */
  readonly start: sfn.IChainable;

  constructor(scope: Construct, id: string, props: WorkflowDefinitionProps) {
    super(scope, id);
    const outcomes = this.endings(props.functions.notify, props.changeCalendar);
    const approved = this.decision(props.functions, outcomes, props.changeCalendar);
    const approval = this.approvalPhase(props, outcomes, approved);
    this.start = this.reviewPhase(props, outcomes, approval);
  }

  /** One Pass state per outcome, each followed by Notify; with no payload given, Notify gets the whole state document. */
  private endings(notifyFunction: lambda.IFunction, changeCalendar: boolean): Outcomes {
    const outcome = (id: string, value: string) => new sfn.Pass(this, id, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });
    const outcomes: Outcomes = {
      succeeded: outcome(OUTCOME_STATES.succeeded, 'SUCCEEDED'),
      failed: outcome(OUTCOME_STATES.failed, 'FAILED'),
      rejected: outcome(OUTCOME_STATES.rejected, 'REJECTED'),
      denied: outcome(OUTCOME_STATES.denied, 'DENIED'),
      expired: outcome(OUTCOME_STATES.expired, 'EXPIRED'),
      invalidInput: outcome(OUTCOME_STATES.invalidInput, 'INVALID_INPUT'),
      planNotReady: outcome(OUTCOME_STATES.planNotReady, 'PLAN_NOT_READY'),
      planChanged: outcome(OUTCOME_STATES.planChanged, 'PLAN_CHANGED'),
      duplicate: outcome(OUTCOME_STATES.duplicate, 'DUPLICATE'),
      timedOut: outcome(OUTCOME_STATES.timedOut, 'TIMED_OUT'),
      internalError: outcome(OUTCOME_STATES.internalError, 'INTERNAL_ERROR'),
      spokeUnreachable: outcome(OUTCOME_STATES.spokeUnreachable, 'SPOKE_UNREACHABLE'),
      ...(changeCalendar ? { frozen: outcome(OUTCOME_STATES.frozen, 'FROZEN') } : {}),
      approvalStale: outcome(OUTCOME_STATES.approvalStale, 'APPROVAL_STALE'),
      windowMissed: outcome(OUTCOME_STATES.windowMissed, 'WINDOW_MISSED'),
      cancelled: outcome(OUTCOME_STATES.cancelled, 'CANCELLED'),
    };
    const notify = this.invoke(STATES.notify, notifyFunction, undefined, '$.notification');
    notify.addCatch(
      new sfn.Fail(this, STATES.notificationFailed, {
        error: 'NotificationFailed',
        cause: 'The run ended but its outcome notification could not be sent',
      }),
      { resultPath: '$.notifyError' },
    );
    notify.next(new sfn.Succeed(this, STATES.done, { outputPath: '$.notification' }));
    for (const state of Object.values(outcomes)) state.next(notify);
    return outcomes;
  }

  /** Start → ReviewPlan, waiting while the plan is still being created, then auto-approval or a human's. */
  private reviewPhase(props: WorkflowDefinitionProps, o: Outcomes, approval: { auto: sfn.IChainable; human: sfn.IChainable }): sfn.IChainable {
    // The run's state never holds its input (which may be up to 256 KiB): ReviewPlan reads it from the context object
    // and its result carries what later steps need, within the review's budget (lambdas/shared/domain/state-budget.ts).
    const start = new sfn.Pass(this, STATES.start, {
      parameters: { run: { 'executionArn.$': '$$.Execution.Id', 'startedAt.$': '$$.Execution.StartTime', planChecks: 0 } },
    });
    // A refusal of a request with a valid plan id keeps that id (and only that) for the outcome, which CI waits on. Every
    // start names it at the top of its input (the spokes' review-request rule too: lib/triggers.ts). A refusal after
    // the input was validated (the plan, the rules or the spoke's role) keeps the account and Region it names too.
    const whyRefused = new sfn.Choice(this, STATES.reviewRefused)
      .when(sfn.Condition.stringEquals('$.error.Error', 'PlanDeniedError'), o.denied)
      .when(sfn.Condition.stringEquals('$.error.Error', 'PlanNotReadyError'), o.planNotReady)
      .when(sfn.Condition.stringEquals('$.error.Error', 'SpokeAccessDeniedError'), o.spokeUnreachable)
      .otherwise(o.invalidInput);
    const keep = (id: string, fields: string[]) =>
      new sfn.Pass(this, id, {
        parameters: Object.fromEntries(fields.map((field) => [`${field}.$`, `$$.Execution.Input.${field}`])),
        resultPath: '$.input',
      }).next(whyRefused);
    const refused = new sfn.Choice(this, STATES.namesPlace)
      .when(
        sfn.Condition.and(
          sfn.Condition.not(sfn.Condition.stringEquals('$.error.Error', 'InvalidPlanInputError')),
          sfn.Condition.isPresent('$$.Execution.Input.accountId'),
          sfn.Condition.isPresent('$$.Execution.Input.region'),
        ),
        keep(STATES.keepPlace, ['planId', 'accountId', 'region']),
      )
      .otherwise(keep(STATES.keepPlanId, ['planId']));
    const review = this.invoke(
      STATES.reviewPlan,
      props.functions.reviewPlan,
      // The run's ARN for the logs, and the checks so far (none on a run's first review, which counts RunsStarted).
      sfn.TaskInput.fromObject({ 'input.$': '$$.Execution.Input', 'executionArn.$': '$.run.executionArn', 'planChecks.$': '$.run.planChecks' }),
      '$.review',
    )
      .addCatch(refused, {
        errors: ['InvalidPlanInputError', 'PlanDeniedError', 'PlanNotReadyError', 'SpokeAccessDeniedError'],
        resultPath: '$.error',
      })
      .addCatch(o.invalidInput, { errors: ['InvalidInputError'], resultPath: '$.error' })
      .addCatch(o.internalError, { resultPath: '$.error' });
    const countCheck = new sfn.Pass(this, STATES.countPlanCheck, {
      parameters: {
        'executionArn.$': '$.run.executionArn',
        'startedAt.$': '$.run.startedAt',
        'planChecks.$': 'States.MathAdd($.run.planChecks, 1)',
      },
      resultPath: '$.run',
    });
    const waitForPlan = new sfn.Wait(this, STATES.waitForPlan, { time: sfn.WaitTime.duration(props.planCheckInterval) });
    const stillCreating = new sfn.Pass(this, STATES.planStillBeingCreated, {
      parameters: {
        Error: 'PlanNotReadyError',
        'Cause.$': "States.Format('Plan {} was still CREATE_IN_PROGRESS after {} checks', $.review.planId, $.run.planChecks)",
      },
      resultPath: '$.error',
    }).next(o.planNotReady);
    return start.next(review).next(
      new sfn.Choice(this, STATES.planReady)
        .when(
          sfn.Condition.and(
            sfn.Condition.stringEquals('$.review.planStatus', 'CREATE_IN_PROGRESS'),
            sfn.Condition.numberLessThan('$.run.planChecks', props.planChecks),
          ),
          waitForPlan.next(countCheck).next(review),
        )
        .when(sfn.Condition.stringEquals('$.review.planStatus', 'CREATE_IN_PROGRESS'), stillCreating)
        .otherwise(
          new sfn.Choice(this, STATES.autoApproveChoice)
            .when(sfn.Condition.booleanEquals('$.review.policy.autoApproved', true), approval.auto)
            .otherwise(approval.human),
        ),
    );
  }

  /**
   * A human decision through the approval API, or the rule's. With a reminder the wait is two tasks: the first until
   * the reminder time, the second (which reminds and takes over the decision) for the rest. A task token cannot
   * outlive its task, so each has its own. Expiry closes the approval record before reporting EXPIRED.
   */
  private approvalPhase(props: WorkflowDefinitionProps, o: Outcomes, approved: sfn.Choice) {
    const expire = this.invoke(
      STATES.expireApproval,
      props.functions.expireApproval,
      sfn.TaskInput.fromObject({
        'planId.$': '$.review.planId',
        'accountId.$': '$.review.accountId',
        'region.$': '$.review.region',
        'acceptLanguage.$': '$.review.acceptLanguage',
        'executionArn.$': '$.run.executionArn',
      }),
      '$.expiry',
    )
      .addCatch(o.expired, { resultPath: '$.error' })
      .next(o.expired);

    const reminder = props.reminderBeforeExpiry.toSeconds() > 0;
    const approvalTask = (id: string, timeout: Duration, isReminder: boolean) => {
      const task = new tasks.LambdaInvoke(this, id, {
        lambdaFunction: props.functions.requestApproval,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({
          taskToken: sfn.JsonPath.taskToken,
          'executionArn.$': '$.run.executionArn',
          'review.$': '$.review',
          ...(isReminder ? { reminder: true } : {}),
        }),
        resultPath: '$.approval',
        taskTimeout: sfn.Timeout.duration(timeout),
        retryOnServiceExceptions: false,
      });
      retryTransient(task);
      return task;
    };
    const requestApproval = approvalTask(
      STATES.requestApproval,
      reminder ? props.approvalTimeout.minus(props.reminderBeforeExpiry) : props.approvalTimeout,
      false,
    );
    if (reminder) {
      const remind = approvalTask(STATES.remindApprovers, props.reminderBeforeExpiry, true)
        .addCatch(expire, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD })
        .addCatch(o.denied, { errors: ['PlanDeniedError'], resultPath: '$.error' })
        .addCatch(o.internalError, { resultPath: '$.error' });
      remind.next(approved);
      requestApproval.addCatch(remind, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    } else {
      requestApproval.addCatch(expire, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    }
    // PlanDeniedError: PlanCreated failed the wait, as the plan's creator (known only after the review) leaves too few approvers.
    requestApproval
      .addCatch(o.duplicate, { errors: ['DuplicateRunError'], resultPath: '$.error' })
      .addCatch(o.denied, { errors: ['PlanDeniedError'], resultPath: '$.error' })
      .addCatch(o.internalError, { resultPath: '$.error' });

    const autoApprove = this.invoke(
      STATES.autoApprove,
      props.functions.autoApprove,
      sfn.TaskInput.fromObject({ 'executionArn.$': '$.run.executionArn', 'review.$': '$.review' }),
      '$.approval',
    )
      .addCatch(o.duplicate, { errors: ['DuplicateRunError'], resultPath: '$.error' })
      .addCatch(o.internalError, { resultPath: '$.error' });
    return { auto: autoApprove.next(approved), human: requestApproval.next(approved) };
  }

  /** Both approval tasks and auto-approval feed this one decision: execute and follow the record, or report the rejection. */
  private decision(functions: WorkflowFunctions, o: Outcomes, changeCalendar: boolean): sfn.Choice {
    const execute = this.invoke(
      STATES.executePlan,
      functions.executePlan,
      sfn.TaskInput.fromObject({
        'planId.$': '$.review.planId',
        'accountId.$': '$.review.accountId',
        'region.$': '$.review.region',
        'acceptLanguage.$': '$.review.acceptLanguage',
        'executionArn.$': '$.run.executionArn',
      }),
      '$.execution',
    )
      .addCatch(o.planChanged, { errors: ['PlanChangedError'], resultPath: '$.error' })
      .addCatch(o.planNotReady, { errors: ['PlanNotReadyError'], resultPath: '$.error' })
      // Its quorum needed the approval of the plan's creator (CloudTrail's record of them came late).
      .addCatch(o.denied, { errors: ['PlanDeniedError'], resultPath: '$.error' })
      .addCatch(o.spokeUnreachable, { errors: ['SpokeAccessDeniedError'], resultPath: '$.error' })
      // A windowed run's revalidation: the window passed, or an approval is older than plangate:approvalValidityHours.
      .addCatch(o.windowMissed, { errors: ['WindowMissedError'], resultPath: '$.error' })
      .addCatch(o.approvalStale, { errors: ['ApprovalStaleError'], resultPath: '$.error' })
      // A cancellation that the window's opening overtook: ExecutePlan finds it on the record.
      .addCatch(o.cancelled, { errors: ['RunCancelledError'], resultPath: '$.error' });
    // Only with a change calendar (without one, the definition is as before calendars): a closed calendar ends the run
    // FROZEN, or with onClosed `wait` ExecutePlan says until when, and the run waits, then asks again.
    if (o.frozen) execute.addCatch(o.frozen, { errors: ['CalendarClosedError'], resultPath: '$.error' });
    execute.addCatch(o.internalError, { resultPath: '$.error' });
    const startPolling = new sfn.Pass(this, STATES.startPolling, {
      result: sfn.Result.fromObject({ checks: 0, safetyNetWaits: 0, quickChecks: 0, seenEventAt: '', wake: {} }),
      resultPath: '$.record',
    });
    const checkRecord = this.invoke(
      STATES.checkRecord,
      functions.checkRecord,
      sfn.TaskInput.fromObject({
        // For the logs.
        'planId.$': '$.review.planId',
        'accountId.$': '$.review.accountId',
        'region.$': '$.review.region',
        'executionArn.$': '$.run.executionArn',
        'recordId.$': '$.execution.recordId',
        'acceptLanguage.$': '$.review.acceptLanguage',
        'executedAt.$': '$.execution.executedAt',
        'checks.$': '$.record.checks',
        'safetyNetWaits.$': '$.record.safetyNetWaits',
        'quickChecks.$': '$.record.quickChecks',
        'seenEventAt.$': '$.record.seenEventAt',
        'wake.$': '$.record.wake',
      }),
      '$.record',
    )
      .addCatch(o.spokeUnreachable, { errors: ['SpokeAccessDeniedError'], resultPath: '$.error' })
      .addCatch(o.internalError, { resultPath: '$.error' });
    // A quick re-check after a stack event (Service Catalog lags its stack), or a poll when no event can come.
    const waitForRecord = new sfn.Wait(this, STATES.waitForRecord, { time: sfn.WaitTime.secondsPath('$.record.nextCheckInSeconds') }).next(
      checkRecord,
    );
    // Otherwise the run waits for the stack behind its record to finish (AwaitRecord wakes it), at most the safety net.
    const awaitRecordEvent = new tasks.LambdaInvoke(this, STATES.awaitRecordEvent, {
      lambdaFunction: functions.awaitRecord,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        taskToken: sfn.JsonPath.taskToken,
        'executionArn.$': '$.run.executionArn',
        'provisionedProductId.$': '$.record.provisionedProductId',
        'accountId.$': '$.review.accountId',
        'region.$': '$.review.region',
        'seenEventAt.$': '$.record.seenEventAt',
      }),
      resultPath: '$.record.wake',
      taskTimeout: sfn.Timeout.at('$.record.nextCheckInSeconds'),
      retryOnServiceExceptions: false,
    });
    retryTransient(awaitRecordEvent);
    awaitRecordEvent
      .addCatch(checkRecord, { errors: ['States.Timeout'], resultPath: '$.record.wake' })
      .addCatch(o.internalError, { resultPath: '$.error' })
      .next(checkRecord);
    if (changeCalendar) {
      const wait = new sfn.Wait(this, STATES.waitForCalendar, { time: sfn.WaitTime.timestampPath('$.execution.deferredUntil') }).next(execute);
      execute.next(
        new sfn.Choice(this, STATES.calendarDeferred).when(sfn.Condition.isPresent('$.execution.deferredUntil'), wait).otherwise(startPolling),
      );
    } else {
      execute.next(startPolling);
    }
    startPolling
      .next(checkRecord)
      .next(
        new sfn.Choice(this, STATES.recordFinished)
          .when(sfn.Condition.stringEquals('$.record.status', 'SUCCEEDED'), o.succeeded)
          .when(sfn.Condition.stringEquals('$.record.status', 'FAILED'), o.failed)
          .when(sfn.Condition.booleanEquals('$.record.timedOut', true), o.timedOut)
          .when(sfn.Condition.stringEquals('$.record.next', 'await'), awaitRecordEvent)
          .otherwise(waitForRecord),
      );
    const windowed = new sfn.Choice(this, STATES.executeWindow)
      .when(sfn.Condition.isPresent('$.review.executeWindow.notBefore'), this.windowWait(functions.windowWait, o, execute))
      .otherwise(execute);
    return new sfn.Choice(this, STATES.approved).when(sfn.Condition.stringEquals('$.approval.decision', 'APPROVED'), windowed).otherwise(o.rejected);
  }

  /**
   * A run with an executeWindow waits on a task token until its notBefore (the task's timeout, computed first, so
   * that an approval given after notBefore goes on at once): reschedule completes it and the run waits again for the
   * record's new window, run-now completes it and the run executes, cancel fails it (CANCELLED). ExecutePlan
   * revalidates in every case.
   */
  private windowWait(windowWait: lambda.IFunction, o: Outcomes, execute: sfn.IChainable): sfn.IChainable {
    const run = {
      'planId.$': '$.review.planId',
      'accountId.$': '$.review.accountId',
      'region.$': '$.review.region',
      'executionArn.$': '$.run.executionArn',
    };
    const schedule = this.invoke(STATES.scheduleWindow, windowWait, sfn.TaskInput.fromObject(run), '$.schedule').addCatch(o.internalError, {
      resultPath: '$.error',
    });
    const wait = new tasks.LambdaInvoke(this, STATES.waitForWindow, {
      lambdaFunction: windowWait,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ taskToken: sfn.JsonPath.taskToken, ...run }),
      resultPath: '$.schedule.woken',
      taskTimeout: sfn.Timeout.at('$.schedule.waitSeconds'),
      retryOnServiceExceptions: false,
    });
    retryTransient(wait);
    wait
      .addCatch(execute, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD })
      .addCatch(o.cancelled, { errors: ['RunCancelledError'], resultPath: '$.error' })
      .addCatch(o.internalError, { resultPath: '$.error' });
    return schedule
      .next(wait)
      .next(
        new sfn.Choice(this, STATES.windowRescheduled)
          .when(sfn.Condition.stringEquals('$.schedule.woken.action', 'reschedule'), schedule)
          .otherwise(execute),
      );
  }

  /** A Lambda task whose result is the handler's return value, with a timeout and transient retries. */
  private invoke(id: string, fn: lambda.IFunction, payload: sfn.TaskInput | undefined, resultPath: string) {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: fn,
      payload,
      payloadResponseOnly: true,
      resultPath,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(5)),
      retryOnServiceExceptions: false,
    });
    retryTransient(task);
    return task;
  }
}
