import aslValidator from 'asl-validator';
import { App, Duration, aws_lambda as lambda, Stack, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import { WorkflowDefinition } from '../../lib/workflow-definition';
import { resolveSettings } from '../../lib/workflow-props';
import type { WorkflowDefinitionProps, WorkflowFunctions } from '../../lib/workflow-tasks';
import { resolve } from '../../local/template';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/**
 * The state machine's graph, built alone with stub functions and rendered as Step Functions gets it (as aws-cdk's own
 * aws-stepfunctions-tasks tests assert each state's JSON): no stack of functions to synthesize.
 */
type Definition = { StartAt: string; States: Record<string, Record<string, unknown>>; QueryLanguage?: string };

const stubFunctions = (stack: Stack): WorkflowFunctions => {
  const stub = (name: string) => lambda.Function.fromFunctionArn(stack, name, `arn:aws:lambda:us-east-1:111122223333:function:${name}`);
  return {
    reviewPlan: stub('ReviewPlan'),
    autoApprove: stub('AutoApprove'),
    requestApproval: stub('RequestApproval'),
    expireApproval: stub('ExpireApproval'),
    executePlan: stub('ExecutePlan'),
    checkRecord: stub('CheckRecord'),
    awaitRecord: stub('AwaitRecord'),
    notify: stub('Notify'),
    windowWait: stub('WindowWait'),
  };
};

/** The definition for the construct's settings from `props` (defaults as PlanApprovalWorkflow applies them). */
function render(props: Partial<Parameters<typeof resolveSettings>[0]> = {}): Definition {
  const stack = new Stack(new App(), 'Definition');
  const settings = resolveSettings({ approvers: [{ email: 'a@example.com' }, { email: 'b@example.com' }], ...props });
  const definitionProps: WorkflowDefinitionProps = {
    functions: stubFunctions(stack),
    approvalTimeout: settings.approvalTimeout,
    reminderBeforeExpiry: settings.reminderBeforeExpiry,
    planCheckInterval: settings.planCheckInterval,
    changeCalendar: props.changeCalendar !== undefined,
    planChecks: Math.ceil(settings.planReadyTimeout.toSeconds() / settings.planCheckInterval.toSeconds()),
  };
  const definition = new WorkflowDefinition(stack, 'Definition', definitionProps);
  // Pseudo parameters (the partition in service integration ARNs) resolved as local mode does.
  return resolve(stack.resolve(new sfn.StateGraph(definition.start.startState, 'Workflow').toGraphJson()), { Resources: {} }) as Definition;
}

/** The default settings (cdk.json's example sets none of these), rendered once. */
const definition = render();
const states = definition.States;

describe('state machine', () => {
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

  test('a wait failed as PlanDeniedError (PlanCreated: the plan creator, known late, leaves too few approvers) ends the run DENIED, whichever wait it is', () => {
    for (const task of ['RequestApproval', 'RemindApprovers']) {
      expect({ task, catches: states[task]!.Catch }).toEqual({
        task,
        catches: expect.arrayContaining([{ ErrorEquals: ['PlanDeniedError'], ResultPath: '$.error', Next: 'Outcome: Denied' }]),
      });
    }
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
      'Schedule the execution',
      'Wait for the execution window',
    ]);
    for (const [name, task] of tasks) {
      expect({ name, retry: task.Retry }).toEqual({
        name,
        retry: [
          expect.objectContaining({
            ErrorEquals: expect.arrayContaining(['TransientError', 'Lambda.TooManyRequestsException']),
            BackoffRate: 2,
            // Full jitter under a cap: a burst of throttled runs retries spread out, not in synchronized waves, and
            // for long enough (2 + 4 + … + 60 s) that 200 runs drain through a 10 requests/s API (npm run bench:load).
            JitterStrategy: 'FULL',
            MaxDelaySeconds: 60,
            MaxAttempts: 8,
          }),
        ],
      });
      const catchAll = (task.Catch as { ErrorEquals: string[] }[]).at(-1);
      expect({ name, catchAll: catchAll?.ErrorEquals }).toEqual({ name, catchAll: ['States.ALL'] });
      expect({ name, bounded: (task.TimeoutSeconds as number) > 0 || typeof task.TimeoutSecondsPath === 'string' }).toEqual({ name, bounded: true });
    }
  });

  test('routes every ending through the one Notify task', () => {
    const outcomes = Object.entries(states).filter(([name]) => name.startsWith('Outcome: '));
    expect(outcomes.map(([, s]) => s.Result).sort()).toEqual([
      'APPROVAL_STALE',
      'CANCELLED',
      'DENIED',
      'DUPLICATE',
      'EXPIRED',
      'FAILED',
      'INTERNAL_ERROR',
      'INVALID_INPUT',
      'PLAN_CHANGED',
      'PLAN_NOT_READY',
      'REJECTED',
      'SPOKE_UNREACHABLE',
      'SUCCEEDED',
      'TIMED_OUT',
      'WINDOW_MISSED',
    ]);
    for (const [, state] of outcomes) expect(state.Next).toBe('Notify');
    const ends = Object.entries(states).filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End);
    expect(ends.map(([name]) => name).sort()).toEqual(['Done', 'Notification failed']);
  });

  test('a spoke whose role refuses ends SPOKE_UNREACHABLE from every task that calls Service Catalog there, not retried', () => {
    // ReviewPlan's refusals first keep the (validated) plan id, and the account and Region it names, for the outcome.
    expect(states.ReviewPlan!.Catch).toContainEqual(
      expect.objectContaining({ ErrorEquals: expect.arrayContaining(['SpokeAccessDeniedError']), Next: 'Names a place?' }),
    );
    expect(states['Why refused?']!.Choices).toContainEqual({
      Variable: '$.error.Error',
      StringEquals: 'SpokeAccessDeniedError',
      Next: 'Outcome: Spoke unreachable',
    });
    expect(JSON.stringify(states.ReviewPlan!.Retry)).not.toContain('SpokeAccessDeniedError');
    for (const task of ['ExecutePlan', 'CheckRecord']) {
      expect(states[task]!.Catch).toContainEqual({
        ErrorEquals: ['SpokeAccessDeniedError'],
        ResultPath: '$.error',
        Next: 'Outcome: Spoke unreachable',
      });
      expect(JSON.stringify(states[task]!.Retry)).not.toContain('SpokeAccessDeniedError');
    }
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
      Parameters: {
        Payload: {
          'taskToken.$': '$$.Task.Token',
          'provisionedProductId.$': '$.record.provisionedProductId',
          'seenEventAt.$': '$.record.seenEventAt',
        },
      },
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

  test('an approved run with an executeWindow waits on a task token until its notBefore, which a reschedule resets', () => {
    expect(states['Approved?']).toMatchObject({ Choices: [expect.objectContaining({ Next: 'Execution window?' })] });
    expect(states['Execution window?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.review.executeWindow.notBefore', IsPresent: true, Next: 'Schedule the execution' }],
      Default: 'ExecutePlan',
    });
    expect(states['Schedule the execution']).toMatchObject({ Type: 'Task', ResultPath: '$.schedule', Next: 'Wait for the execution window' });
    const wait = states['Wait for the execution window']!;
    expect(wait).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.schedule.waitSeconds',
      ResultPath: '$.schedule.woken',
      Next: 'Rescheduled?',
    });
    expect(wait.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'ExecutePlan' },
      { ErrorEquals: ['RunCancelledError'], ResultPath: '$.error', Next: 'Outcome: Cancelled' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Outcome: Internal error' },
    ]);
    expect(states['Rescheduled?']).toMatchObject({
      Choices: [{ Variable: '$.schedule.woken.action', StringEquals: 'reschedule', Next: 'Schedule the execution' }],
      Default: 'ExecutePlan',
    });
    expect(states.ExecutePlan!.Catch).toEqual(
      expect.arrayContaining([
        { ErrorEquals: ['WindowMissedError'], ResultPath: '$.error', Next: 'Outcome: Window missed' },
        { ErrorEquals: ['ApprovalStaleError'], ResultPath: '$.error', Next: 'Outcome: Approval stale' },
        { ErrorEquals: ['RunCancelledError'], ResultPath: '$.error', Next: 'Outcome: Cancelled' },
      ]),
    );
  });

  test('without a reminder, one token task waits the whole timeout and then expires', () => {
    const noReminderStates = render({ reminderBeforeExpiry: Duration.minutes(0) }).States;
    expect(noReminderStates.RemindApprovers).toBeUndefined();
    expect(noReminderStates.RequestApproval).toMatchObject({
      TimeoutSeconds: 86_400,
      Catch: expect.arrayContaining([{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'ExpireApproval' }]),
    });
  });

  test('used directly, the construct reminds a quarter of a short timeout before expiry', () => {
    const directStates = render({ approvalTimeout: Duration.hours(2) }).States;
    expect(directStates.RequestApproval).toMatchObject({ TimeoutSeconds: 5_400 });
    expect(directStates.RemindApprovers).toMatchObject({ TimeoutSeconds: 1_800 });
  });
});

describe('with a change calendar', () => {
  const calendar = render({ changeCalendar: { windows: [] } });

  test('is valid Amazon States Language: FROZEN is reached, and a deferral waits until its time, then executes again', () => {
    const { isValid, errorsText } = aslValidator(calendar as never);
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
    const execute = calendar.States.ExecutePlan as { Catch: { ErrorEquals: string[]; Next: string }[]; Next: string };
    expect(execute.Catch).toContainEqual(expect.objectContaining({ ErrorEquals: ['CalendarClosedError'], Next: 'Outcome: Frozen' }));
    expect(execute.Next).toBe('Deferred by the calendar?');
    expect(calendar.States['Wait for the calendar']).toMatchObject({ Type: 'Wait', TimestampPath: '$.execution.deferredUntil', Next: 'ExecutePlan' });
  });
});
