import { randomUUID } from 'node:crypto';
import type { Outbox } from './outbox';
import { AwsApiError, type ServiceCatalogEmulator } from './service-catalog';
import type { Execution, LocalStepFunctions } from './step-functions';

/**
 * The AWS APIs local mode answers, as the real SDK clients speak them:
 *   Service Catalog  awsJson1_1  X-Amz-Target: AWS242ServiceCatalogService.<Op>
 *   Step Functions   awsJson1_0  X-Amz-Target: AWSStepFunctions.<Op>
 *   EventBridge      awsJson1_1  X-Amz-Target: AWSEvents.PutEvents
 *   SNS              awsQuery    form body Action=Publish, XML answer
 * (DynamoDB is dynalite's, see server.ts.) Errors are HTTP 400 with `__type`, as AWS sends them.
 */

export interface JsonAnswer {
  status: number;
  contentType: string;
  body: string;
}

type Json = Record<string, unknown>;

const epochSeconds = (d?: Date) => (d ? d.getTime() / 1000 : undefined);

function json(status: number, body: unknown, version: '1.0' | '1.1'): JsonAnswer {
  return { status, contentType: `application/x-amz-json-${version}`, body: JSON.stringify(body) };
}

/** Runs one JSON-protocol operation, turning emulator errors into AWS's error shape. */
export function answerJson(version: '1.0' | '1.1', operation: () => unknown): JsonAnswer {
  try {
    return json(200, operation() ?? {}, version);
  } catch (error) {
    if (error instanceof AwsApiError) return json(error.statusCode, { __type: error.type, message: error.message }, version);
    return json(500, { __type: 'InternalFailure', message: (error as Error).message }, version);
  }
}

export function serviceCatalogOperation(emulator: ServiceCatalogEmulator, operation: string, input: Json) {
  return () => emulator.handle(operation, input);
}

function requireString(input: Json, member: string): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') throw new AwsApiError('ValidationException', `${member} is required`);
  return value;
}

function describe(execution: Execution, stateMachineArn: string) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    stopDate: epochSeconds(execution.stopDate),
    input: JSON.stringify(execution.input),
    output: execution.output === undefined ? undefined : JSON.stringify(execution.output),
    error: execution.error,
    cause: execution.cause,
  };
}

/** Step Functions' history event names for aws-local-stepfunctions' event log. */
function historyOf(execution: Execution) {
  return execution.events.map((event, i) => {
    const base = { id: i + 1, previousEventId: i, timestamp: event.timestamp / 1000 };
    const state = event.state;
    switch (event.type) {
      case 'ExecutionStarted':
        return { ...base, type: 'ExecutionStarted', executionStartedEventDetails: { input: JSON.stringify(event.input) } };
      case 'ExecutionSucceeded':
        return { ...base, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: JSON.stringify(event.output) } };
      case 'ExecutionFailed':
        return { ...base, type: 'ExecutionFailed', executionFailedEventDetails: { error: event.Error, cause: event.Cause } };
      case 'ExecutionAborted':
        return { ...base, type: 'ExecutionAborted' };
      case 'ExecutionTimeout':
        return { ...base, type: 'ExecutionTimedOut' };
      case 'StateEntered':
        return { ...base, type: `${state!.type}StateEntered`, stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input) } };
      case 'StateExited':
        return { ...base, type: `${state!.type}StateExited`, stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output) } };
      default:
        return { ...base, type: event.type, stateEnteredEventDetails: state ? { name: state.name } : undefined };
    }
  });
}

export function stepFunctionsOperation(sfn: LocalStepFunctions, operation: string, input: Json) {
  const execution = () => {
    const arn = requireString(input, 'executionArn');
    if (!arn.startsWith('arn:aws:states:')) throw new AwsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    return sfn.describeExecution(arn);
  };
  const stateMachine = () => {
    const arn = requireString(input, 'stateMachineArn');
    if (arn !== sfn.stateMachineArn) throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  };
  return () => {
    switch (operation) {
      case 'ListStateMachines':
        return {
          stateMachines: [{ stateMachineArn: sfn.stateMachineArn, name: sfn.stateMachineName, type: 'STANDARD', creationDate: 0 }],
        };
      case 'StartExecution': {
        stateMachine();
        let runInput: unknown = {};
        if (input.input !== undefined) {
          try {
            runInput = JSON.parse(String(input.input));
          } catch {
            throw new AwsApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
          }
        }
        const started = sfn.startExecution(runInput, (input.name as string | undefined) ?? randomUUID());
        return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
      }
      case 'DescribeExecution':
        return describe(execution(), sfn.stateMachineArn);
      case 'StopExecution':
        sfn.stopExecution(execution().executionArn);
        return { stopDate: Date.now() / 1000 };
      case 'ListExecutions': {
        stateMachine();
        const wanted = input.statusFilter as string | undefined;
        return {
          executions: sfn
            .listExecutions()
            .filter((e) => !wanted || e.status === wanted)
            .map((e) => ({ executionArn: e.executionArn, stateMachineArn: sfn.stateMachineArn, name: e.name, status: e.status, startDate: epochSeconds(e.startDate), stopDate: epochSeconds(e.stopDate) })),
        };
      }
      case 'GetExecutionHistory': {
        const events = historyOf(execution());
        return { events: input.reverseOrder ? events.reverse() : events };
      }
      case 'SendTaskSuccess':
        sfn.sendTaskSuccess(requireString(input, 'taskToken'), requireString(input, 'output'));
        return {};
      case 'SendTaskFailure':
        sfn.sendTaskFailure(requireString(input, 'taskToken'), input.error as string | undefined, input.cause as string | undefined);
        return {};
      default:
        throw new AwsApiError('UnknownOperationException', `Operation ${operation} is not supported by local mode`);
    }
  };
}

export function eventBridgeOperation(outbox: Outbox, operation: string, input: Json) {
  return () => {
    if (operation !== 'PutEvents') throw new AwsApiError('UnknownOperationException', `Operation ${operation} is not supported by local mode`);
    const entries = (input.Entries as Json[] | undefined) ?? [];
    if (entries.length < 1 || entries.length > 10) throw new AwsApiError('ValidationException', 'Entries must hold 1 to 10 events');
    return {
      FailedEntryCount: 0,
      Entries: entries.map((entry) => {
        outbox.add({
          channel: 'eventbridge',
          recipient: String(entry.EventBusName ?? 'default'),
          subject: `${entry.Source} / ${entry.DetailType}`,
          body: String(entry.Detail ?? '{}'),
        });
        return { EventId: randomUUID() };
      }),
    };
  };
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** SNS Publish over the Query protocol; the message lands in the outbox. */
export function snsPublish(outbox: Outbox, body: string, recipientsOf: (topicArn: string, approver?: string) => string): JsonAnswer {
  const form = new URLSearchParams(body);
  const requestId = randomUUID();
  const error = (code: string, message: string) => ({
    status: 400,
    contentType: 'text/xml',
    body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  });
  if (form.get('Action') !== 'Publish') return error('InvalidAction', `Action ${form.get('Action')} is not supported by local mode`);
  const topicArn = form.get('TopicArn');
  const message = form.get('Message');
  if (!topicArn || !message) return error('InvalidParameter', 'TopicArn and Message are required');
  let approver: string | undefined;
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    if (form.get(`MessageAttributes.entry.${i}.Name`) === 'approver') approver = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? undefined;
  }
  outbox.add({ channel: 'email', recipient: recipientsOf(topicArn, approver), subject: form.get('Subject') ?? undefined, body: message });
  const messageId = randomUUID();
  return {
    status: 200,
    contentType: 'text/xml',
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
  };
}
