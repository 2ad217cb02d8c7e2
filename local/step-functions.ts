import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import type { FunctionName } from '../lib/functions';
import type { LocalWorkflow } from './template';
import { AwsApiError } from './service-catalog';

/**
 * Runs the synthesized state machine with aws-local-stepfunctions, each Lambda task bound to the real
 * handler, and adds what the interpreter lacks: executions you can start, describe and list, and
 * `.waitForTaskToken` tasks that wait for SendTaskSuccess / SendTaskFailure like Step Functions does.
 *
 * Task tokens: as in Step Functions, every attempt of a waitForTaskToken task gets a token of its own, live
 * while that attempt runs. The interpreter's context object holds one per execution, so it is a placeholder
 * that each attempt's payload gets swapped for a fresh token. Used, expired or finished tokens answer
 * TaskTimedOut, unknown ones InvalidToken, as Step Functions does.
 */

/** The interpreter's JSON value type (it does not export its own). */
type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** An event from aws-local-stepfunctions' log: ExecutionStarted, StateEntered, StateExited, StateRetried, … */
export interface ExecutionEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  Error?: string;
  Cause?: string;
  output?: unknown;
  input?: unknown;
}

export interface Execution {
  executionArn: string;
  name: string;
  input: unknown;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: unknown;
  error?: string;
  cause?: string;
  events: ExecutionEvent[];
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
  /** Milliseconds for named Wait states, to run long waits quickly. */
  waitTimeOverrides?: Record<string, number>;
  /** Milliseconds between retries of named states. */
  retryIntervalOverrides?: Record<string, number>;
  /** Called for every event of every execution, in order (local mode prints progress from it). */
  onEvent?: (execution: Execution, event: ExecutionEvent) => void;
}

type StateDefinition = { Type: string; Resource?: string; TimeoutSeconds?: number; Parameters?: { FunctionName?: string } };

const newTaskToken = () => randomBytes(96).toString('base64');

/** A Lambda function error as Step Functions reports it: Error is the errorType, Cause the JSON payload. */
class LambdaFunctionError extends Error {
  constructor(error: unknown) {
    const e = error instanceof Error ? error : new Error(String(error));
    super(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
    this.name = e.name;
  }
}

export class LocalStepFunctions {
  private readonly machine: StateMachine;
  private readonly executions = new Map<string, Execution>();
  private readonly tasks = new Map<string, PendingTask>();
  private readonly abortHandles = new Map<string, () => void>();
  readonly stateMachineArn: string;
  readonly stateMachineName: string;

  constructor(
    private readonly workflow: LocalWorkflow,
    private readonly handlers: Record<FunctionName, LambdaHandler>,
    private readonly options: LocalStepFunctionsOptions = {},
  ) {
    this.machine = new StateMachine(workflow.definition as never);
    this.stateMachineArn = workflow.stateMachineArn;
    this.stateMachineName = workflow.stateMachineArn.split(':').pop()!;
  }

  startExecution(input: unknown, name: string = randomUUID()): Execution {
    if (!/^[a-zA-Z0-9_-]{1,80}$/.test(name)) throw new AwsApiError('InvalidName', `Invalid execution name: ${name}`);
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    if (this.executions.has(executionArn)) {
      throw new AwsApiError('ExecutionAlreadyExists', `Execution already exists: '${executionArn}'`);
    }
    const placeholderToken = newTaskToken();
    const run = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(executionArn, placeholderToken),
        waitTimeOverrides: this.options.waitTimeOverrides,
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
      status: 'RUNNING',
      startDate: new Date(),
      events: [],
      finished: undefined as unknown as Promise<Execution>,
    };
    const logEvents = (async () => {
      for await (const event of run.eventLogs as AsyncIterable<ExecutionEvent>) {
        execution.events.push(event);
        this.options.onEvent?.(execution, event);
      }
    })();
    execution.finished = run.result.then(
      (output) => this.stop(execution, 'SUCCEEDED', { output }),
      (error: Error) => {
        const status = error.name === 'ExecutionAbortedError' ? 'ABORTED' : error.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
        const cause = error.cause as Error | undefined;
        return this.stop(execution, status, { error: cause?.name ?? error.name, cause: cause?.message ?? error.message });
      },
    ).then(async (e) => {
      await logEvents;
      return e;
    });
    this.abortHandles.set(executionArn, run.abort);
    this.executions.set(executionArn, execution);
    return execution;
  }

  stopExecution(executionArn: string): void {
    const execution = this.describeExecution(executionArn);
    if (execution.status !== 'RUNNING') return;
    // Settle a task waiting for its token, so the interpreter's task timeout timer is cleared too.
    for (const task of this.tasks.values()) {
      if (task.executionArn === executionArn && !task.settled) {
        task.settled = true;
        task.reject(new Error('Execution stopped'));
      }
    }
    this.abortHandles.get(executionArn)?.();
  }

  describeExecution(executionArn: string): Execution {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new AwsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  listExecutions(): Execution[] {
    return [...this.executions.values()].sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  sendTaskSuccess(taskToken: string, output: string): void {
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

  private stop(execution: Execution, status: ExecutionStatus, result: Partial<Execution>): Execution {
    Object.assign(execution, result, { status, stopDate: new Date() });
    for (const task of this.tasks.values()) if (task.executionArn === execution.executionArn) task.settled = true;
    return execution;
  }

  /** One local function per Task state, bound to this execution. */
  private taskHandlers(executionArn: string, placeholderToken: string) {
    const states = this.workflow.definition.States as Record<string, StateDefinition>;
    const bound: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
    for (const [stateName, state] of Object.entries(states)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      if (state.Resource.endsWith(':lambda:invoke.waitForTaskToken')) {
        const fn = this.functionFor(state.Parameters?.FunctionName, stateName);
        bound[stateName] = async (input) => {
          const taskToken = newTaskToken();
          const payload = JSON.parse(JSON.stringify((input as { Payload: unknown }).Payload).replaceAll(placeholderToken, taskToken));
          const waiting = new Promise<unknown>((resolve, reject) => {
            this.tasks.set(taskToken, {
              executionArn,
              deadlineMs: Date.now() + (state.TimeoutSeconds ?? 60) * 1000,
              settled: false,
              resolve,
              reject,
            });
          });
          await this.invoke(fn, payload);
          return waiting as Promise<JSONValue>;
        };
      } else if (state.Resource.startsWith('arn:aws:lambda:')) {
        const fn = this.functionFor(state.Resource, stateName);
        bound[stateName] = (input) => this.invoke(fn, input);
      } else {
        throw new Error(`State ${stateName} uses ${state.Resource}, which local mode does not run`);
      }
    }
    return bound;
  }

  private functionFor(arn: string | undefined, stateName: string): FunctionName {
    const fn = arn && this.workflow.functionsByArn.get(arn);
    if (!fn) throw new Error(`State ${stateName} invokes ${arn}, which is not one of PlanGate's functions`);
    return fn;
  }

  /** Invokes a handler as Lambda would: JSON in, JSON out, errors as Lambda function errors. */
  private async invoke(fn: FunctionName, event: unknown): Promise<JSONValue> {
    const context = {
      functionName: fn,
      functionVersion: '$LATEST',
      invokedFunctionArn: [...this.workflow.functionsByArn].find(([, name]) => name === fn)?.[0] ?? fn,
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
    try {
      const result = await this.handlers[fn](JSON.parse(JSON.stringify(event ?? null)), context);
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (error) {
      throw new LambdaFunctionError(error);
    }
  }
}
