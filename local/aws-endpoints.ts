import { randomUUID } from 'node:crypto';
import type { LocalEventBridge, PutEventsSender } from './event-bridge';
import type { HistoryEvent } from './execution-history';
import type { Outbox } from './outbox';
import { AwsApiError, type ServiceCatalogEmulator } from './service-catalog';
import { EXECUTION_STATUSES, type Execution, type LocalStepFunctions } from './step-functions';

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
    if (error instanceof AwsApiError) return json(error.statusCode, { __type: error.type, message: error.message, ...error.members }, version);
    return json(500, { __type: 'InternalFailure', message: (error as Error).message }, version);
  }
}

export function serviceCatalogOperation(emulator: ServiceCatalogEmulator, operation: string, input: Json) {
  return () => emulator.handle(operation, input);
}

function requireString(input: Json, member: string): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') {
    throw new AwsApiError(
      'ValidationException',
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:\s]{1,80}$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:\s]{1,80}:[^:\s]{1,80}$/;

/** Step Functions' own wording for a value outside a member's constraint. */
const invalidValue = (member: string, value: unknown, constraint: string) =>
  new AwsApiError(
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );

/** One page of a list: `maxResults` (1-1000; 0 or absent for the default 100) and an opaque `nextToken`. */
function page<T>(items: T[], input: Json, list: string): { items: T[]; nextToken?: string } {
  const max = input.maxResults ?? 0;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 1000) {
    throw invalidValue('maxResults', max, 'Member must have value less than or equal to 1000');
  }
  let offset = 0;
  if (input.nextToken !== undefined && input.nextToken !== null) {
    let token: { list?: string; offset?: number } = {};
    try {
      token = JSON.parse(Buffer.from(String(input.nextToken), 'base64url').toString());
    } catch {
      // refused below
    }
    if (token.list !== list || !Number.isInteger(token.offset) || token.offset! < 0 || token.offset! > items.length) {
      throw new AwsApiError('InvalidToken', 'Invalid Token: the nextToken is not one this list issued');
    }
    offset = token.offset!;
  }
  const end = offset + (max || 100);
  return {
    items: items.slice(offset, end),
    nextToken: end < items.length ? Buffer.from(JSON.stringify({ list, offset: end })).toString('base64url') : undefined,
  };
}

function describe(execution: Execution, stateMachineArn: string) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    stopDate: epochSeconds(execution.stopDate),
    input: execution.inputText,
    inputDetails: { included: true },
    output: execution.output === undefined ? undefined : JSON.stringify(execution.output),
    outputDetails: execution.output === undefined ? undefined : { included: true },
    error: execution.error,
    cause: execution.cause,
    redriveCount: 0,
    redriveStatus: 'NOT_REDRIVABLE',
  };
}

function summary(execution: Execution, stateMachineArn: string) {
  const { executionArn, name, status, startDate, stopDate } = execution;
  return { executionArn, stateMachineArn, name, status, startDate: epochSeconds(startDate), stopDate: epochSeconds(stopDate), redriveCount: 0 };
}

export function stepFunctionsOperation(sfn: LocalStepFunctions, operation: string, input: Json) {
  const execution = () => {
    const arn = requireString(input, 'executionArn');
    if (!EXECUTION_ARN.test(arn)) throw new AwsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    return sfn.describeExecution(arn);
  };
  const stateMachine = () => {
    const arn = requireString(input, 'stateMachineArn');
    if (!STATE_MACHINE_ARN.test(arn)) throw new AwsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    if (arn !== sfn.stateMachineArn) throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  };
  const text = (member: string, max: number) => {
    const value = input[member];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length > max) throw invalidValue(member, value, `Member must have length less than or equal to ${max}`);
    return value;
  };
  return () => {
    switch (operation) {
      case 'ListStateMachines': {
        const machines = [
          { stateMachineArn: sfn.stateMachineArn, name: sfn.stateMachineName, type: 'STANDARD', creationDate: epochSeconds(sfn.creationDate) },
        ];
        const { items, nextToken } = page(machines, input, 'stateMachines');
        return { stateMachines: items, nextToken };
      }
      case 'StartExecution': {
        stateMachine();
        const inputText = input.input === undefined ? '{}' : String(input.input);
        let runInput: unknown;
        try {
          runInput = JSON.parse(inputText);
        } catch {
          throw new AwsApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
        }
        const name = input.name === undefined ? randomUUID() : String(input.name);
        const started = sfn.startExecution(runInput, name, inputText);
        return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
      }
      case 'DescribeExecution':
        return describe(execution(), sfn.stateMachineArn);
      case 'StopExecution': {
        const error = text('error', 256);
        const cause = text('cause', 32_768);
        const stopped = sfn.stopExecution(execution().executionArn, error, cause);
        return { stopDate: epochSeconds(stopped.stopDate) };
      }
      case 'ListExecutions': {
        stateMachine();
        const wanted = input.statusFilter;
        if (wanted !== undefined && !(EXECUTION_STATUSES as readonly unknown[]).includes(wanted)) {
          throw invalidValue('statusFilter', wanted, `Member must satisfy enum value set: [${EXECUTION_STATUSES.join(', ')}]`);
        }
        const executions = sfn.listExecutions().filter((e) => wanted === undefined || e.status === wanted);
        const { items, nextToken } = page(executions, input, `executions:${String(wanted)}`);
        return { executions: items.map((e) => summary(e, sfn.stateMachineArn)), nextToken };
      }
      case 'GetExecutionHistory': {
        const { executionArn, history } = execution();
        const ordered = input.reverseOrder === true ? [...history].reverse() : history;
        const withData = input.includeExecutionData === false ? ordered.map(withoutData) : ordered;
        const { items, nextToken } = page(withData, input, `history:${executionArn}:${input.reverseOrder === true}`);
        return { events: items, nextToken };
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

/** A history event without its input and output, as includeExecutionData: false asks. */
function withoutData(event: HistoryEvent): HistoryEvent {
  const copy = JSON.parse(JSON.stringify(event)) as HistoryEvent;
  for (const details of Object.values(copy)) {
    if (details && typeof details === 'object') for (const key of ['input', 'output', 'parameters']) delete (details as Record<string, unknown>)[key];
  }
  return copy;
}

/** EventBridge's PutEvents, from a sender (the signing account and Region), each entry to the bus `busFor` finds. */
export function eventBridgeOperation(
  bus: LocalEventBridge,
  operation: string,
  input: Json,
  sender?: PutEventsSender,
  busFor?: (nameOrArn: string) => LocalEventBridge | undefined,
) {
  return () => {
    if (operation !== 'PutEvents') throw new AwsApiError('UnknownOperationException', `Operation ${operation} is not supported by local mode`);
    return bus.putEvents(input.Entries, sender, busFor);
  };
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** SNS Publish over the Query protocol: the message lands in the outbox, addressed as the topic's subscriptions say. */
export function snsPublish(outbox: Outbox, body: string, recipientsOf: (topicArn: string, attributes: Record<string, string>) => string): JsonAnswer {
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
  if (Buffer.byteLength(message) > 262_144) return error('InvalidParameter', 'Invalid parameter: Message too long');
  const attributes: Record<string, string> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    attributes[form.get(`MessageAttributes.entry.${i}.Name`)!] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
  }
  outbox.add({ channel: 'email', recipient: recipientsOf(topicArn, attributes), subject: form.get('Subject') ?? undefined, body: message });
  const messageId = randomUUID();
  return {
    status: 200,
    contentType: 'text/xml',
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
  };
}

const queryError = (code: string, message: string, requestId: string): JsonAnswer => ({
  status: 400,
  contentType: 'text/xml',
  body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
});

/** STS GetCallerIdentity over the Query protocol: the principal of the access key that signed the request. */
export function stsGetCallerIdentity(caller: { arn: string; userId: string }): JsonAnswer {
  const requestId = randomUUID();
  return {
    status: 200,
    contentType: 'text/xml',
    body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${xmlEscape(caller.arn)}</Arn><UserId>${xmlEscape(caller.userId)}</UserId><Account>${caller.arn.split(':')[4]}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
  };
}

/** CloudFormation DescribeStacks over the Query protocol, for the one local stack and its outputs. */
export function cloudFormationDescribeStacks(body: string, stack: { name: string; outputs: Record<string, string> }): JsonAnswer {
  const form = new URLSearchParams(body);
  const requestId = randomUUID();
  const name = form.get('StackName') ?? stack.name;
  if (name !== stack.name) return queryError('ValidationError', `Stack with id ${name} does not exist`, requestId);
  const outputs = Object.entries(stack.outputs)
    .map(([key, value]) => `<member><OutputKey>${xmlEscape(key)}</OutputKey><OutputValue>${xmlEscape(value)}</OutputValue></member>`)
    .join('');
  return {
    status: 200,
    contentType: 'text/xml',
    body: `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${xmlEscape(stack.name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${xmlEscape(stack.name)}/local</StackId><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeStacksResponse>`,
  };
}
