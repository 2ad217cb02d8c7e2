import type { RequestListener } from 'node:http';
import dynalite from 'dynalite';
import { STATES } from '../lambdas/shared/contracts/state-names';
import { FUNCTIONS, type FunctionName } from '../lib/functions';
import { awsEvent, LocalEventBridge } from './event-bridge';
import { matchesPattern } from './event-patterns';
import { LocalMetrics } from './metrics';
import { Outbox, type OutboxEntry } from './outbox';
import { AwsApiError, ServiceCatalogEmulator } from './service-catalog';
import { type Execution, type ExecutionEvent, invokeHandler, type LambdaHandler, LocalStepFunctions } from './step-functions';
import type { LocalWorkflow } from './template';

/**
 * The AWS services local mode emulates, wired to each other as in AWS: the bus starts runs and invokes functions,
 * Step Functions and CloudFormation put their status changes on the bus. Step Functions comes last (startStepFunctions):
 * it needs the handlers, which need the server's address.
 */
export interface Emulators {
  /** DynamoDB: dynalite's request listener. */
  dynamo: RequestListener;
  outbox: Outbox;
  metrics: LocalMetrics;
  eventBridge: LocalEventBridge;
  serviceCatalog: ServiceCatalogEmulator;
  stepFunctions?: LocalStepFunctions;
  handlers?: Record<FunctionName, LambdaHandler>;
  /** Error codes the next SNS publishes fail with (failNextPublish). */
  publishFaults: string[];
  /** Who receives a publish to a topic: its email subscriptions whose filter policy matches the message attributes. */
  recipientsOf(topicArn: string, attributes: Record<string, string>): string;
}

export interface EmulatorOptions {
  timeScale?: number;
  log: (line: string) => void;
}

export function createEmulators(workflow: LocalWorkflow, { timeScale, log }: EmulatorOptions): Emulators {
  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const outbox = new Outbox((entry) => log(printEntry(entry)));
  const recipientsOf = (topicArn: string, attributes: Record<string, string>) => recipients(workflow, topicArn, attributes);
  const functionOf = (arn: string) => {
    const fn = workflow.functionsByArn.get(arn);
    if (!fn) throw new AwsApiError('ResourceNotFoundException', `Function not found: ${arn}`);
    return fn;
  };
  const emulators: Emulators = {
    dynamo: db.listeners('request')[0] as RequestListener,
    outbox,
    metrics: new LocalMetrics(Object.keys(FUNCTIONS)),
    publishFaults: [],
    recipientsOf,
    eventBridge: new LocalEventBridge(
      workflow.rules,
      {
        startExecution: (arn, input) => {
          const { stepFunctions } = emulators;
          if (arn !== stepFunctions?.stateMachineArn) throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
          stepFunctions.startExecution(JSON.parse(input), undefined, input);
        },
        asyncInvocation: (arn) => workflow.asyncInvocations.get(functionOf(arn))!,
        invokeFunction: async (arn, event) => {
          const fn = functionOf(arn);
          if (!emulators.handlers) throw new AwsApiError('ResourceNotFoundException', `Function not found: ${arn}`);
          await invokeHandler(emulators.handlers[fn], fn, event, workflow);
        },
        publish: (arn, message) => outbox.add({ channel: 'email', recipient: recipientsOf(arn, {}), body: message }),
      },
      outbox,
      { timeScale, log },
    ),
    serviceCatalog: new ServiceCatalogEmulator({
      timeScale,
      onStackEvent: ({ stackId, status, statusReason }) =>
        emulators.eventBridge.emit(
          awsEvent('aws.cloudformation', 'CloudFormation Stack Status Change', [stackId], {
            'stack-id': stackId,
            'status-details': { status, 'status-reason': statusReason },
          }),
        ),
    }),
  };
  return emulators;
}

/** Step Functions with the loaded handlers; its status changes go on the bus, its progress to the log. */
export function startStepFunctions(
  emulators: Emulators,
  workflow: LocalWorkflow,
  handlers: Record<FunctionName, LambdaHandler>,
  { timeScale, log, pollWaitMs }: EmulatorOptions & { pollWaitMs: number },
): LocalStepFunctions {
  const sfn = new LocalStepFunctions(workflow, handlers, {
    timeScale,
    waitTimeOverrides: { [STATES.waitForPlan]: pollWaitMs, [STATES.waitForRecord]: pollWaitMs, [STATES.awaitRecordEvent]: pollWaitMs },
    onEvent: (execution, event) => {
      const line = progressLine(execution, event);
      if (line) log(line);
    },
    onStatusChange: (execution) => {
      const detail = statusChangeDetail(execution, sfn.stateMachineArn);
      emulators.eventBridge.emit(awsEvent('aws.states', 'Step Functions Execution Status Change', [execution.executionArn], detail));
    },
  });
  emulators.handlers = handlers;
  emulators.stepFunctions = sfn;
  return sfn;
}

function progressLine(execution: Execution, event: ExecutionEvent): string | undefined {
  const run = execution.name.slice(0, 8);
  if (event.type === 'StateEntered' && event.state?.type !== 'Choice') {
    if (event.state?.name === STATES.requestApproval) return `[${run}] waiting for approval`;
    if (event.state?.name === STATES.remindApprovers) return `[${run}] reminding approvers, still waiting`;
    return `[${run}] ${event.state?.name}`;
  }
  if (event.type === 'StateExited' && event.state?.name === STATES.checkRecord) {
    return `[${run}] record ${(event.state.output as { record?: { status?: string } }).record?.status}`;
  }
  if (event.type === 'StateRetried') return `[${run}] retrying ${event.state?.name}`;
  if (event.type.startsWith('Execution') && event.type !== 'ExecutionStarted') {
    const outcome = (event.output as { outcome?: string } | undefined)?.outcome;
    return `[${run}] ${event.type.replace('Execution', 'run ').toLowerCase()}${outcome ? `: ${outcome}` : ''}`;
  }
  return undefined;
}

function printEntry(entry: OutboxEntry): string {
  const links = entry.urls.length ? `\n    ${entry.urls.join('\n    ')}` : '';
  return `[outbox] ${entry.channel} to ${entry.recipient}: ${entry.subject ?? ''}${links}`;
}

function recipients(workflow: LocalWorkflow, topicArn: string, attributes: Record<string, string>): string {
  const subscriptions = workflow.subscriptions.get(topicArn) ?? [];
  const reached = subscriptions.filter((s) => !s.filterPolicy || matchesPattern(s.filterPolicy, attributes)).map((s) => s.endpoint);
  return reached.join(', ') || `${topicArn.split(':').pop()} (no subscriber's filter matched)`;
}

/** A Step Functions "Execution Status Change" event's detail (times in epoch milliseconds, as AWS sends them). */
function statusChangeDetail(execution: Execution, stateMachineArn: string) {
  const ended = execution.status !== 'RUNNING';
  return {
    executionArn: execution.executionArn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    stopDate: execution.stopDate?.getTime() ?? null,
    input: execution.inputText,
    inputDetails: { included: true },
    output: ended && execution.output !== undefined ? JSON.stringify(execution.output) : null,
    outputDetails: ended && execution.output !== undefined ? { included: true } : null,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
  };
}
