import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import type { FunctionName } from '../lib/functions';
import { type ExecutionEvent, type HistoryEvent, HistoryRecorder, type StateDefinition } from './execution-history';
import { AwsApiError } from './service-catalog';
import { LOCAL_REGION, type LocalWorkflow } from './template';

export type { ExecutionEvent } from './execution-history';

/**
 * Runs the synthesized state machine with aws-local-stepfunctions, each Lambda task bound to the real handler,
 * and adds what the interpreter lacks: executions you can start, describe, list and stop as Step Functions does
 * (idempotent names, AWS's history events, status change events), and `.waitForTaskToken` tasks that wait for
 * SendTaskSuccess / SendTaskFailure.
 *
 * Task tokens: as in Step Functions, every attempt of a waitForTaskToken task gets a token of its own, live
 * while that attempt runs. The interpreter's context object holds one per execution, so it is a placeholder
 * that each attempt's payload gets swapped for a fresh token. Used, expired or finished tokens answer
 * TaskTimedOut, unknown ones InvalidToken, as Step Functions does.
 *
 * Time: Wait states run as timed local tasks, so a time scale can shorten every wait, including a `SecondsPath`
 * one, as it shortens callback tasks' timeouts, retry intervals and the execution's own timeout; other tasks'
 * timeouts shrink only down to TASK_TIMEOUT_FLOOR_SECONDS.
 */

/** The interpreter's JSON value type (it does not export its own). */
type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;
export type ExecutionStatus = Exclude<(typeof EXECUTION_STATUSES)[number], 'PENDING_REDRIVE'>;

/** Step Functions' limit on execution input (and state payloads): 256 KiB, counted in UTF-8 bytes. */
export const MAX_PAYLOAD_BYTES = 262_144;

export interface Execution {
  executionArn: string;
  name: string;
  input: unknown;
  /** The input as given, which a repeated StartExecution must match to be idempotent. */
  inputText: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: unknown;
  error?: string;
  cause?: string;
  /** The interpreter's own events (local mode prints progress from them). */
  events: ExecutionEvent[];
  /** As GetExecutionHistory answers it. */
  history: HistoryEvent[];
  /** Settles when the execution stops, whatever its status. */
  finished: Promise<Execution>;
}

interface PendingTask {
  executionArn: string;
  deadlineMs: number;
  settled: boolean;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

export interface LocalStepFunctionsOptions {
  /**
   * Multiplies every Wait, task timeout (a Lambda task's down to TASK_TIMEOUT_FLOOR_SECONDS), retry interval and the
   * execution's timeout. @default - real durations, except the Wait states named in waitTimeOverrides
   */
  timeScale?: number;
  /**
   * Milliseconds for named Wait states and callback tasks' timeouts, when no time scale is given (local mode's
   * shortened poll waits).
   */
  waitTimeOverrides?: Record<string, number>;
  /** Milliseconds between retries of named states. */
  retryIntervalOverrides?: Record<string, number>;
  /** Called for every interpreter event of every execution, in order. */
  onEvent?: (execution: Execution, event: ExecutionEvent) => void;
  /** Called when an execution starts and when it ends, as Step Functions reports status changes to EventBridge. */
  onStatusChange?: (execution: Execution) => void;
}

const newTaskToken = () => randomBytes(96).toString('base64');

/** Step Functions' execution names: 1-80 characters, none of whitespace, brackets, wildcards or `"#%\^|~`$&,;:/`. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Step Functions refuses control characters in names
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

/** A Lambda function error as Step Functions reports it: Error is the errorType, Cause the JSON payload. */
class LambdaFunctionError extends Error {
  constructor(error: unknown) {
    const e = error instanceof Error ? error : new Error(String(error));
    super(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
    this.name = e.name;
  }
}

/**
 * The least a scaled task timeout leaves a Lambda handler, in real seconds (its own timeout if shorter): a busy
 * machine runs one in seconds, while 5 minutes at a time scale of 0.01 would be 3.
 */
export const TASK_TIMEOUT_FLOOR_SECONDS = 30;

/** The longest timer Node.js keeps, in seconds (2^31 - 1 ms). */
const MAX_TIMER_SECONDS = 2_147_483;

/** The payload member that carries a callback task's timeout to its local handler (and is removed before the Lambda sees it). */
const LOCAL_TIMEOUT = '__localTimeoutSeconds';

interface WaitDefinition {
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
}

/**
 * The definition local mode runs: Wait states become tasks with a local handler (so every wait can be scaled), and
 * with a time scale, durations are multiplied. The interpreter takes fractional seconds, so validation is skipped
 * here; the deployed definition itself is validated by the infrastructure tests.
 */
function runtimeDefinition(definition: Record<string, unknown>, timeScale: number | undefined) {
  const copy = JSON.parse(JSON.stringify(definition)) as { TimeoutSeconds?: number; States: Record<string, Record<string, unknown>> };
  const waits = new Map<string, WaitDefinition>();
  const scale = (seconds: unknown) => (typeof seconds === 'number' && timeScale ? seconds * timeScale : seconds);
  // Node.js keeps a timer at most 2^31 - 1 ms (about 24.8 days) and fires a longer one at once: the execution's own
  // timeout (which allows for a 37-day execution window) is capped there; nothing local runs that long.
  if (copy.TimeoutSeconds) copy.TimeoutSeconds = Math.min(scale(copy.TimeoutSeconds) as number, MAX_TIMER_SECONDS);
  for (const [name, state] of Object.entries(copy.States)) {
    if (state.Type === 'Wait') {
      const { Seconds, SecondsPath, Timestamp, TimestampPath, Type: _type, ...rest } = state as WaitDefinition & Record<string, unknown>;
      waits.set(name, { Seconds, SecondsPath, Timestamp, TimestampPath });
      // The timed task must outlast any wait it stands for: 23 days, about the longest timer Node.js keeps.
      copy.States[name] = { ...rest, Type: 'Task', Resource: 'local:wait', TimeoutSeconds: 2_000_000 };
      continue;
    }
    if (typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken')) {
      // The local handler keeps a callback task's time, scaled even when TimeoutSecondsPath gives it: the timeout
      // travels in the payload, read where the interpreter would read it.
      const payload = (state.Parameters as { Payload: Record<string, unknown> }).Payload;
      if (state.TimeoutSecondsPath) payload[`${LOCAL_TIMEOUT}.$`] = state.TimeoutSecondsPath;
      else payload[LOCAL_TIMEOUT] = state.TimeoutSeconds ?? 60;
      delete state.TimeoutSecondsPath;
      state.TimeoutSeconds = 2_000_000;
    } else if (state.TimeoutSeconds !== undefined) {
      // A handler takes real time whatever the scale: a timeout below it would fail the task while the handler goes on.
      state.TimeoutSeconds = Math.max(scale(state.TimeoutSeconds) as number, Math.min(state.TimeoutSeconds as number, TASK_TIMEOUT_FLOOR_SECONDS));
    }
    for (const retrier of (state.Retry as Record<string, unknown>[] | undefined) ?? []) {
      retrier.IntervalSeconds = scale(retrier.IntervalSeconds ?? 1);
      if (retrier.MaxDelaySeconds !== undefined) retrier.MaxDelaySeconds = scale(retrier.MaxDelaySeconds);
    }
  }
  return { definition: copy, waits };
}

/** The value at a simple reference path (`$.a.b`), as Wait's SecondsPath and TimestampPath use. */
function atPath(path: string, input: unknown): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], input);
}

/** An execution's interpreter run, and the error that ended it from outside the workflow (as States.DataLimitExceeded does). */
interface LocalRun {
  abort: () => void;
  timers: Set<NodeJS.Timeout>;
  failure?: { error: string; cause: string };
}

export class LocalStepFunctions {
  private readonly machine: StateMachine;
  private readonly waits: Map<string, WaitDefinition>;
  private readonly executions = new Map<string, Execution>();
  private readonly tasks = new Map<string, PendingTask>();
  private readonly runs = new Map<string, LocalRun>();
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly creationDate = new Date();

  constructor(
    private readonly workflow: LocalWorkflow,
    private readonly handlers: Record<FunctionName, LambdaHandler>,
    private readonly options: LocalStepFunctionsOptions = {},
  ) {
    const runtime = runtimeDefinition(workflow.definition, options.timeScale);
    this.waits = runtime.waits;
    this.machine = new StateMachine(runtime.definition as never, { validationOptions: { noValidate: true } });
    this.stateMachineArn = workflow.stateMachineArn;
    this.stateMachineName = workflow.stateMachineArn.split(':').pop()!;
  }

  /**
   * Starts an execution. As in Step Functions: the same name with the same input while it runs answers that
   * execution again (`existing: true`); any other reuse of a name is ExecutionAlreadyExists.
   */
  startExecution(input: unknown, name: string = randomUUID(), inputText = JSON.stringify(input ?? null)): Execution & { existing?: boolean } {
    if (!EXECUTION_NAME.test(name)) throw new AwsApiError('InvalidName', `Invalid Name: '${name}'`);
    if (Buffer.byteLength(inputText) > MAX_PAYLOAD_BYTES) {
      throw new AwsApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: the input is larger than ${MAX_PAYLOAD_BYTES} bytes`);
    }
    if (nestingDepth(inputText) > MAX_INPUT_DEPTH) {
      const message = `Invalid State Machine Execution Input: the input is nested more than ${MAX_INPUT_DEPTH} levels deep`;
      throw new AwsApiError('InvalidExecutionInput', message);
    }
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.inputText === inputText) return { ...existing, existing: true };
      throw new AwsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const placeholderToken = newTaskToken();
    const states = this.workflow.definition.States as Record<string, StateDefinition>;
    const recorder = new HistoryRecorder(states, new Set(this.waits.keys()), LOCAL_REGION);
    const timers = new Set<NodeJS.Timeout>();
    const run = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(executionArn, placeholderToken, recorder, timers),
        retryIntervalOverrides: this.options.retryIntervalOverrides,
      },
      context: {
        Execution: { Id: executionArn, Name: name },
        StateMachine: { Id: this.stateMachineArn, Name: this.stateMachineName },
        Task: { Token: placeholderToken },
      },
    });
    const execution: Execution = {
      executionArn,
      name,
      input,
      inputText,
      status: 'RUNNING',
      startDate: new Date(),
      events: [],
      history: recorder.events,
      finished: undefined as unknown as Promise<Execution>,
    };
    const logEvents = (async () => {
      for await (const event of run.eventLogs as AsyncIterable<ExecutionEvent>) {
        this.checkStateSize(executionArn, event);
        execution.events.push(event);
        recorder.record(event, execution);
        this.options.onEvent?.(execution, event);
      }
    })();
    execution.finished = run.result
      .then(
        (output): [ExecutionStatus, Partial<Execution>] => ['SUCCEEDED', { output }],
        (error: Error): [ExecutionStatus, Partial<Execution>] => {
          const failure = this.runs.get(executionArn)?.failure;
          if (failure) return ['FAILED', failure];
          if (error.name === 'ExecutionAbortedError') return ['ABORTED', {}];
          if (error.name === 'ExecutionTimeoutError') return ['TIMED_OUT', { error: 'States.Timeout' }];
          const cause = error.cause as Error | undefined;
          return ['FAILED', { error: cause?.name ?? error.name, cause: cause?.message ?? error.message }];
        },
      )
      .then(async ([status, result]) => {
        // The history is complete before the status says the execution ended, as in Step Functions.
        await logEvents;
        for (const timer of timers) clearTimeout(timer);
        this.end(execution, status, result);
        this.options.onStatusChange?.(execution);
        return execution;
      });
    this.runs.set(executionArn, { abort: run.abort, timers });
    this.executions.set(executionArn, execution);
    this.options.onStatusChange?.(execution);
    return execution;
  }

  /**
   * Step Functions' limit on every state's input and output, not only a task's result: over it, the execution fails
   * with States.DataLimitExceeded, which no Catch takes.
   */
  private checkStateSize(executionArn: string, event: ExecutionEvent) {
    const document = event.type === 'StateEntered' ? event.state?.input : event.type === 'StateExited' ? event.state?.output : undefined;
    if (document === undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(document));
    if (bytes > MAX_PAYLOAD_BYTES) {
      const where = event.type === 'StateEntered' ? 'input to' : 'output of';
      this.failOutside(
        executionArn,
        'States.DataLimitExceeded',
        `The state ${where} ${event.state?.name} is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`,
      );
    }
  }

  /** Ends a run with an error no Catch can take: its interpreter is stopped, and the execution reports the error. */
  private failOutside(executionArn: string, error: string, cause: string) {
    const run = this.runs.get(executionArn);
    if (!run || run.failure) return;
    run.failure = { error, cause };
    run.abort();
  }

  /**
   * Before a task does anything: lets the event log catch up (the interpreter goes on to the next state before its
   * events are read), so that a run already over the limit does not invoke another function.
   */
  private async mayRun(executionArn: string): Promise<boolean> {
    await new Promise((resolve) => setImmediate(resolve));
    return !this.runs.get(executionArn)?.failure;
  }

  /** Stops a running execution, keeping the error and cause given; stopping one that has ended does nothing. */
  stopExecution(executionArn: string, error?: string, cause?: string): Execution {
    const execution = this.describeExecution(executionArn);
    if (execution.status !== 'RUNNING') return execution;
    Object.assign(execution, { status: 'ABORTED', stopDate: new Date(), error, cause });
    // Settle a task waiting for its token, so the interpreter's task timeout timer is cleared too.
    for (const task of this.tasks.values()) {
      if (task.executionArn === executionArn && !task.settled) {
        task.settled = true;
        task.reject(new Error('Execution stopped'));
      }
    }
    this.runs.get(executionArn)?.abort();
    return execution;
  }

  describeExecution(executionArn: string): Execution {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new AwsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  /** Newest first, as ListExecutions answers. */
  listExecutions(): Execution[] {
    return [...this.executions.values()].sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    if (Buffer.byteLength(output) > MAX_PAYLOAD_BYTES) {
      throw new AwsApiError('InvalidOutput', `Invalid Output: the output is larger than ${MAX_PAYLOAD_BYTES} bytes`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new AwsApiError('InvalidOutput', 'Invalid Output: the output is not valid JSON');
    }
    this.liveTask(taskToken).resolve(parsed);
  }

  sendTaskFailure(taskToken: string, error = '', cause = ''): void {
    const failure = new Error(cause);
    failure.name = error || 'States.TaskFailed';
    this.liveTask(taskToken).reject(failure);
  }

  private liveTask(taskToken: string): PendingTask {
    const task = this.tasks.get(taskToken);
    if (!task) throw new AwsApiError('InvalidToken', 'Invalid Token');
    const running = this.executions.get(task.executionArn)?.status === 'RUNNING';
    if (task.settled || !running || Date.now() > task.deadlineMs) throw new AwsApiError('TaskTimedOut', 'Task Timed Out');
    task.settled = true;
    return task;
  }

  /** Records how an execution ended, unless a stop already did (the interpreter reports the abort later). */
  private end(execution: Execution, status: ExecutionStatus, result: Partial<Execution>): Execution {
    if (execution.status === 'RUNNING') Object.assign(execution, result, { status, stopDate: new Date() });
    for (const task of this.tasks.values()) if (task.executionArn === execution.executionArn) task.settled = true;
    return execution;
  }

  /** One local function per Task state (and per Wait state, run as a timed task), bound to this execution. */
  private taskHandlers(executionArn: string, placeholderToken: string, recorder: HistoryRecorder, timers: Set<NodeJS.Timeout>) {
    const states = this.workflow.definition.States as Record<string, StateDefinition>;
    const bound: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
    for (const [stateName, wait] of this.waits) {
      bound[stateName] = (input) =>
        new Promise((resolve) => {
          const timer = setTimeout(
            () => {
              timers.delete(timer);
              resolve(input);
            },
            this.waitMs(stateName, wait, input),
          );
          timers.add(timer);
        });
    }
    for (const [stateName, state] of Object.entries(states)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      if (state.Resource.endsWith(':lambda:invoke.waitForTaskToken')) {
        const fn = this.functionFor(state.Parameters?.FunctionName as string | undefined, stateName);
        bound[stateName] = async (input) => {
          const taskToken = newTaskToken();
          const { [LOCAL_TIMEOUT]: timeoutSeconds, ...given } = (input as { Payload: Record<string, unknown> }).Payload;
          // Recorded before the wait below, so the history's TaskScheduled event (written from the log) has the payload.
          recorder.taskInvoked(stateName, given);
          if (!(await this.mayRun(executionArn))) return new Promise<JSONValue>(() => undefined);
          const payload = JSON.parse(JSON.stringify(given).replaceAll(placeholderToken, taskToken));
          const override = this.options.timeScale === undefined ? this.options.waitTimeOverrides?.[stateName] : undefined;
          const timeoutMs = Math.min(override ?? Number(timeoutSeconds) * 1000 * (this.options.timeScale ?? 1), MAX_TIMER_SECONDS * 1000);
          const waiting = new Promise<unknown>((resolve, reject) => {
            const task: PendingTask = { executionArn, deadlineMs: Date.now() + timeoutMs, settled: false, resolve, reject };
            this.tasks.set(taskToken, task);
            const timer = setTimeout(() => {
              timers.delete(timer);
              if (task.settled) return;
              task.settled = true;
              reject(Object.assign(new Error('The task timed out'), { name: 'States.Timeout' }));
            }, timeoutMs);
            timers.add(timer);
          });
          // A stop can settle the task while its Lambda still runs: the rejection is handled here, not left unhandled.
          waiting.catch(() => undefined);
          await this.invoke(fn, payload, executionArn);
          recorder.taskSubmitted(stateName);
          const output = await waiting;
          recorder.taskReturned(stateName, output);
          return output as JSONValue;
        };
      } else if (state.Resource.startsWith('arn:aws:lambda:')) {
        const fn = this.functionFor(state.Resource, stateName);
        bound[stateName] = async (input) => {
          recorder.taskInvoked(stateName, input);
          if (!(await this.mayRun(executionArn))) return new Promise<JSONValue>(() => undefined);
          const output = await this.invoke(fn, input, executionArn);
          recorder.taskReturned(stateName, output);
          return output;
        };
      } else {
        throw new Error(`State ${stateName} uses ${state.Resource}, which local mode does not run`);
      }
    }
    return bound;
  }

  /** How long a Wait state really waits: its duration, scaled; or, unscaled, local mode's shortened wait for it. */
  private waitMs(stateName: string, wait: WaitDefinition, input: unknown): number {
    const override = this.options.waitTimeOverrides?.[stateName];
    if (override !== undefined && this.options.timeScale === undefined) return override;
    let seconds = wait.Seconds ?? Number(wait.SecondsPath ? atPath(wait.SecondsPath, input) : 0);
    const timestamp = wait.Timestamp ?? (wait.TimestampPath ? String(atPath(wait.TimestampPath, input)) : undefined);
    if (timestamp) seconds = (Date.parse(timestamp) - Date.now()) / 1000;
    return Math.min(Math.max(0, seconds * 1000 * (this.options.timeScale ?? 1)), MAX_TIMER_SECONDS * 1000);
  }

  private functionFor(arn: string | undefined, stateName: string): FunctionName {
    const fn = arn && this.workflow.functionsByArn.get(arn);
    if (!fn) throw new Error(`State ${stateName} invokes ${arn}, which is not one of PlanGate's functions`);
    return fn;
  }

  /** Invokes a handler as Lambda would: JSON in, JSON out, errors as Lambda function errors. */
  private async invoke(fn: FunctionName, event: unknown, executionArn: string): Promise<JSONValue> {
    const inputBytes = Buffer.byteLength(JSON.stringify(event ?? null));
    if (inputBytes > MAX_PAYLOAD_BYTES) {
      this.failOutside(
        executionArn,
        'States.DataLimitExceeded',
        `The input to ${fn} is ${inputBytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`,
      );
      return new Promise<JSONValue>(() => undefined);
    }
    let result: unknown;
    try {
      result = await invokeHandler(this.handlers[fn], fn, event, this.workflow);
    } catch (error) {
      throw new LambdaFunctionError(error);
    }
    const output = JSON.stringify(result ?? null);
    // Step Functions refuses a task result over 256 KiB, and no Catch takes that: the execution fails.
    if (Buffer.byteLength(output) > MAX_PAYLOAD_BYTES) {
      this.failOutside(
        executionArn,
        'States.DataLimitExceeded',
        `The output of ${fn} is ${Buffer.byteLength(output)} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`,
      );
      return new Promise<JSONValue>(() => undefined);
    }
    return JSON.parse(output) as JSONValue;
  }
}

/**
 * How deep local mode lets a run's input nest. AWS documents no limit (its JSON parser has one); local mode's keeps
 * within what the interpreter, the history and JSON.stringify can walk without running out of stack.
 */
const MAX_INPUT_DEPTH = 1000;

/** The deepest nesting of objects and arrays in a JSON text, counted without recursion. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

/** Calls a bundled handler with a JSON copy of the event and a Lambda-shaped context, as the Lambda runtime does. */
export function invokeHandler(handler: LambdaHandler, fn: FunctionName, event: unknown, workflow: LocalWorkflow): Promise<unknown> {
  const context = {
    functionName: fn,
    functionVersion: '$LATEST',
    invokedFunctionArn: [...workflow.functionsByArn].find(([, name]) => name === fn)?.[0] ?? fn,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } satisfies Context;
  return handler(JSON.parse(JSON.stringify(event ?? null)), context);
}
