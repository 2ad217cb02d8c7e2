/**
 * Step Functions' execution history, in the shapes GetExecutionHistory answers (HistoryEvent: id, previousEventId,
 * timestamp, type and its `<type>EventDetails`), built from aws-local-stepfunctions' event log and what the local
 * task handlers saw. The interpreter reports states entered, failed, retried and exited; the Task events that
 * Step Functions records in between (scheduled, started, submitted, succeeded, failed, timed out) are derived here.
 */

/** An event from aws-local-stepfunctions' log: ExecutionStarted, StateEntered, StateExited, StateFailed, StateRetried, … */
export interface ExecutionEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  Error?: string;
  Cause?: string;
  output?: unknown;
  input?: unknown;
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** Epoch seconds, as the wire carries timestamps. */
  timestamp: number;
  type: string;
  [details: `${string}EventDetails`]: Record<string, unknown>;
}

export interface StateDefinition {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const truncated = { truncated: false };

export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  /** Raw task results, first in first out per state, as the handlers returned them. */
  private readonly results = new Map<string, unknown[]>();
  private readonly payloads = new Map<string, unknown>();
  /** Callback tasks whose Lambda invocation returned before the interpreter reported the state entered. */
  private readonly submitted = new Set<string>();
  private readonly started = new Set<string>();
  private readonly failedLast = new Set<string>();

  constructor(
    private readonly states: Record<string, StateDefinition>,
    /** Wait states local mode runs as timed tasks (to scale them); they are recorded as waits. */
    private readonly waits: ReadonlySet<string>,
    private readonly region: string,
  ) {}

  /** What a task handler was given, for the TaskScheduled event's parameters. */
  taskInvoked(state: string, payload: unknown): void {
    this.payloads.set(state, payload);
  }

  taskReturned(state: string, result: unknown): void {
    this.results.set(state, [...(this.results.get(state) ?? []), result]);
  }

  /** A callback task's Lambda invocation returned: the task is now waiting for its token. */
  taskSubmitted(state: string): void {
    if (this.started.has(state)) this.addSubmitted(state);
    else this.submitted.add(state);
  }

  /** Maps one interpreter event, with the stop's error and cause for an aborted execution. */
  record(event: ExecutionEvent, stop: { error?: string; cause?: string } = {}) {
    const at = event.timestamp;
    const name = event.state?.name ?? '';
    const definition = this.states[name];
    const isWait = this.waits.has(name);
    const isTask = definition?.Type === 'Task' && !isWait;
    const kind = isWait ? 'Wait' : (event.state?.type ?? '');
    switch (event.type) {
      case 'ExecutionStarted':
        return this.add('ExecutionStarted', at, { executionStartedEventDetails: { input: json(event.input), inputDetails: truncated } });
      case 'ExecutionSucceeded':
        return this.add('ExecutionSucceeded', at, { executionSucceededEventDetails: { output: json(event.output), outputDetails: truncated } });
      case 'ExecutionFailed':
        return this.add('ExecutionFailed', at, { executionFailedEventDetails: { error: event.Error, cause: event.Cause } });
      case 'ExecutionAborted':
        return this.add('ExecutionAborted', at, { executionAbortedEventDetails: { error: stop.error, cause: stop.cause } });
      case 'ExecutionTimeout':
        return this.add('ExecutionTimedOut', at, { executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'The execution timed out' } });
      case 'StateEntered':
        this.add(`${kind}StateEntered`, at, { stateEnteredEventDetails: { name, input: json(event.state?.input), inputDetails: truncated } });
        if (isTask) this.scheduleTask(name, at);
        return;
      case 'StateRetried':
        if (isTask) this.scheduleTask(name, at);
        return;
      case 'StateFailed':
        if (!isTask) return;
        this.failedLast.add(name);
        this.started.delete(name);
        return this.add(event.Error === 'States.Timeout' ? 'TaskTimedOut' : 'TaskFailed', at, {
          [event.Error === 'States.Timeout' ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails']: {
            ...this.resourceOf(name),
            error: event.Error,
            cause: event.Cause,
          },
        });
      case 'StateExited':
        if (isTask && !this.failedLast.has(name)) {
          const result = this.results.get(name)?.shift();
          this.add('TaskSucceeded', at, { taskSucceededEventDetails: { ...this.resourceOf(name), output: json(result), outputDetails: truncated } });
        }
        this.failedLast.delete(name);
        this.started.delete(name);
        return this.add(`${kind}StateExited`, at, { stateExitedEventDetails: { name, output: json(event.state?.output), outputDetails: truncated } });
      default:
        return; // StateCaught: Step Functions records the caught error as TaskFailed, already added
    }
  }

  private scheduleTask(name: string, at: number) {
    this.failedLast.delete(name);
    const definition = this.states[name]!;
    const parameters = this.payloads.has(name) ? { ...definition.Parameters, Payload: this.payloads.get(name) } : definition.Parameters;
    this.add('TaskScheduled', at, {
      taskScheduledEventDetails: {
        ...this.resourceOf(name),
        region: this.region,
        parameters: json(parameters),
        timeoutInSeconds: definition.TimeoutSeconds,
      },
    });
    this.add('TaskStarted', at, { taskStartedEventDetails: this.resourceOf(name) });
    this.started.add(name);
    if (this.submitted.delete(name)) this.addSubmitted(name);
  }

  private addSubmitted(name: string) {
    this.add('TaskSubmitted', Date.now(), {
      taskSubmittedEventDetails: {
        ...this.resourceOf(name),
        output: json({ StatusCode: 202, ExecutedVersion: '$LATEST' }),
        outputDetails: truncated,
      },
    });
  }

  /** `lambda` / `invoke` or `invoke.waitForTaskToken`, as Step Functions names the resource of a Lambda task. */
  private resourceOf(name: string) {
    const resource = this.states[name]?.Resource ?? '';
    return { resourceType: 'lambda', resource: resource.endsWith('.waitForTaskToken') ? 'invoke.waitForTaskToken' : 'invoke' };
  }

  private add(type: string, at: number, details: Record<string, Record<string, unknown>>) {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: id - 1, timestamp: at / 1000, type, ...details });
  }
}
