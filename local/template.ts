import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HUB_BUS_NAME } from '../lambdas/shared/contracts/spokes';
import { STACK_NAME } from '../lambdas/shared/contracts/stack';
import { STATES } from '../lambdas/shared/contracts/state-names';
import { defaultReminderMinutes } from '../lib/defaults';
import { FUNCTION_METADATA_KEY, FUNCTIONS, type FunctionName } from '../lib/functions';
import type { LocalBucket } from './s3';

/**
 * Reads what local execution needs from a synthesized CloudFormation template: the state machine's
 * definition, each Lambda function's environment, and the approval table's key schema. Intrinsic
 * functions are resolved to stable local values (ARNs in a fake account and region).
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
/** The stack name local mode answers DescribeStacks for: the deployed default. */
export const LOCAL_STACK_NAME = STACK_NAME;

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
export type CfnTemplate = { Resources: Record<string, Resource>; Parameters?: Record<string, { Default?: unknown }> };

/** The account and Region a template is deployed to (its pseudo parameters), and the values of its parameters. */
export interface DeployScope {
  account: string;
  region: string;
  parameters?: Record<string, string>;
}

const HUB_SCOPE: DeployScope = { account: LOCAL_ACCOUNT, region: LOCAL_REGION };

export interface LocalWorkflow {
  /** Amazon States Language, with every reference resolved. */
  definition: Record<string, unknown>;
  stateMachineArn: string;
  /** Which of our handlers each Lambda function ARN in the definition stands for. */
  functionsByArn: Map<string, FunctionName>;
  /** Lambda's handling of each function's failed asynchronous invocations: its EventInvokeConfig and DeadLetterConfig. */
  asyncInvocations: Map<FunctionName, AsyncInvocation>;
  /** Every function's environment merged: local mode runs all handlers in one process. */
  environment: Record<string, string>;
  table: { name: string; keySchema: unknown; attributeDefinitions: unknown; globalSecondaryIndexes?: unknown };
  /** The EventBridge rules on the default bus, with their targets. */
  rules: LocalRule[];
  /** The hub's own event bus (plangate-hub), when spokes are configured: its rules and its resource policy. */
  hubBus?: LocalBus;
  /** The scheduled rules, with their targets. */
  schedules: LocalSchedule[];
  /** Email subscriptions, by topic ARN: who receives a publish, and the filter policy on its message attributes. */
  subscriptions: Map<string, { endpoint: string; filterPolicy?: Record<string, unknown> }[]>;
  /** The approval API's routes: path pattern (`/cli/plans/{planId}/release`, `/{proxy+}`), authorization and handler. */
  apiRoutes: ApiRoute[];
  /** The Object Lock buckets (the evidence bucket) and the asymmetric signing keys' ARNs (issue 24). */
  lockedBuckets?: LocalBucket[];
  signingKeyArns?: string[];
}

/** How often Lambda retries a failed asynchronous invocation, and where it then sends the event (if anywhere). */
export interface AsyncInvocation {
  maximumRetryAttempts: number;
  deadLetterArn?: string;
}

/** Lambda's own default for a function without an EventInvokeConfig. */
const DEFAULT_ASYNC_RETRIES = 2;

export interface ApiRoute {
  path: string;
  authorization: 'NONE' | 'AWS_IAM';
  function: FunctionName;
}

/** A custom event bus: its name and ARN, its rules, and its resource policy's statements. */
export interface LocalBus {
  name: string;
  arn: string;
  rules: LocalRule[];
  policy: PolicyStatement[];
}

/** One statement of a resource policy, as the template writes it (resolved). */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS?: string | string[]; Service?: string | string[] };
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface LocalRule {
  /** The rule's logical id, which local mode reports as its name. */
  name: string;
  arn: string;
  pattern: Record<string, unknown>;
  enabled: boolean;
  targets: LocalTarget[];
}

export interface LocalSchedule {
  name: string;
  arn: string;
  /** From `rate(N minutes)` and the like. */
  rateSeconds: number;
  enabled: boolean;
  targets: LocalTarget[];
}

export interface LocalTarget {
  id: string;
  arn: string;
  input?: string;
  inputPath?: string;
  inputTransformer?: { pathsMap: Record<string, string>; template: string };
  retryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  deadLetterArn?: string;
  /** The role EventBridge uses to deliver (to another account's bus). */
  roleArn?: string;
}

function arnFor(logicalId: string, resource: Resource, template: CfnTemplate, scope: DeployScope): string {
  const { Type: type } = resource;
  const where = `${scope.region}:${scope.account}`;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${where}:function:${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${where}:stateMachine:${logicalId}`;
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${where}:table/${logicalId}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${where}:${logicalId}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${where}:${logicalId}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${where}:key/${logicalId}`;
    case 'AWS::Events::Rule':
      return `arn:aws:events:${where}:rule/${logicalId}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${scope.account}:role/${String(resolve(resource.Properties?.RoleName ?? logicalId, template, scope))}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${where}:event-bus/${busName(logicalId, resource, template, scope)}`;
    default:
      return `arn:aws:local:${where}:${logicalId}`;
  }
}

/** A bus's name: its Name property (as CloudFormation's Ref gives it), else its logical id. */
const busName = (logicalId: string, resource: Resource, template: CfnTemplate, scope: DeployScope) =>
  String(resolve(resource.Properties?.Name ?? logicalId, template, scope));

const pseudo = (scope: DeployScope): Record<string, string> => ({
  'AWS::Partition': 'aws',
  'AWS::Region': scope.region,
  'AWS::AccountId': scope.account,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': LOCAL_STACK_NAME,
});

export function resolve(value: unknown, template: CfnTemplate, scope: DeployScope = HUB_SCOPE): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, template, scope));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = obj[key];
    if (key === 'Ref') {
      const name = arg as string;
      const pseudoValue = pseudo(scope)[name];
      if (pseudoValue) return pseudoValue;
      const parameter = template.Parameters?.[name];
      if (parameter) {
        const given = scope.parameters?.[name] ?? parameter.Default;
        if (given === undefined) throw new Error(`Template parameter ${name} has no value and no default`);
        return given;
      }
      const resource = template.Resources[name];
      if (!resource) throw new Error(`Template has no resource or pseudo parameter named ${name}`);
      // Ref of a topic or state machine is its ARN; of a bus, its name; of anything else, its name (the logical id here).
      if (resource.Type === 'AWS::Events::EventBus') return busName(name, resource, template, scope);
      return ['AWS::SNS::Topic', 'AWS::StepFunctions::StateMachine'].includes(resource.Type) ? arnFor(name, resource, template, scope) : name;
    }
    if (key === 'Fn::GetAtt') {
      const [id, attribute] = arg as [string, string];
      const resource = template.Resources[id];
      if (!resource) throw new Error(`Template has no resource ${id}`);
      if (attribute === 'Arn') return arnFor(id, resource, template, scope);
      if (attribute === 'Name' && resource.Type === 'AWS::Events::EventBus') return busName(id, resource, template, scope);
      return `${id}.${attribute}`;
    }
    if (key === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => String(resolve(p, template, scope))).join(separator);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(obj[k], template, scope)]));
}

/** Which of our handlers a function resource is, by the metadata WorkflowFunction gives it; undefined for other functions. */
export function functionNameOf(logicalId: string, resource: Resource): FunctionName | undefined {
  const name = resource.Metadata?.[FUNCTION_METADATA_KEY];
  if (name === undefined) return undefined;
  if (!Object.hasOwn(FUNCTIONS, String(name))) {
    throw new Error(`Function ${logicalId} names ${String(name)} in its metadata, which is not one of PlanGate's functions`);
  }
  return name as FunctionName;
}

export function loadWorkflow(template: CfnTemplate): LocalWorkflow {
  const entries = Object.entries(template.Resources);
  const only = (type: string) => {
    const found = entries.filter(([, r]) => r.Type === type);
    if (found.length !== 1) throw new Error(`Expected one ${type} in the template, found ${found.length}`);
    return found[0]!;
  };

  const [smId, sm] = only('AWS::StepFunctions::StateMachine');
  const definitionString = resolve(sm.Properties?.DefinitionString, template);
  if (typeof definitionString !== 'string') throw new Error('State machine has no DefinitionString');

  const functionsByArn = new Map<string, FunctionName>();
  const asyncInvocations = new Map<FunctionName, AsyncInvocation>();
  const environment: Record<string, string> = {};
  for (const [id, resource] of entries) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = functionNameOf(id, resource);
    if (!name) continue;
    functionsByArn.set(arnFor(id, resource, template, HUB_SCOPE), name);
    asyncInvocations.set(name, asyncInvocationOf(id, template));
    const variables = resolve((resource.Properties?.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}, template);
    for (const [key, value] of Object.entries(variables as Record<string, string>)) {
      if (environment[key] !== undefined && environment[key] !== value) {
        throw new Error(`Functions disagree on environment variable ${key}; local mode runs them in one process`);
      }
      environment[key] = value;
    }
  }

  const [tableId, table] = only('AWS::DynamoDB::Table');
  return {
    definition: JSON.parse(definitionString) as Record<string, unknown>,
    stateMachineArn: arnFor(smId, sm, template, HUB_SCOPE),
    functionsByArn,
    asyncInvocations,
    environment,
    table: {
      name: tableId,
      keySchema: table.Properties?.KeySchema,
      attributeDefinitions: table.Properties?.AttributeDefinitions,
      globalSecondaryIndexes: table.Properties?.GlobalSecondaryIndexes,
    },
    rules: rulesOnBus(template, 'default', HUB_SCOPE),
    hubBus: hubBus(template),
    schedules: entries
      .filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties?.ScheduleExpression)
      .map(([id, rule]) => toLocalSchedule(id, rule, template)),
    subscriptions: emailSubscriptions(template),
    apiRoutes: apiRoutes(template),
    lockedBuckets: entries
      .filter(([, r]) => r.Type === 'AWS::S3::Bucket' && r.Properties?.ObjectLockEnabled)
      .map(([id, r]) => ({ name: id, retentionDays: objectLockDays(r) })),
    signingKeyArns: entries
      .filter(([, r]) => r.Type === 'AWS::KMS::Key' && r.Properties?.KeyUsage === 'SIGN_VERIFY')
      .map(([id, r]) => arnFor(id, r, template, HUB_SCOPE)),
  };
}

/** An Object Lock bucket's default retention, in days (the template sets Days; Years are 365 days each). */
function objectLockDays(bucket: Resource): number {
  const retention = (bucket.Properties?.ObjectLockConfiguration as { Rule?: { DefaultRetention?: { Days?: number; Years?: number } } } | undefined)
    ?.Rule?.DefaultRetention;
  return retention?.Days ?? (retention?.Years ?? 0) * 365;
}

/**
 * The pattern rules on one bus of a template, with its scope's account and Region. A rule on a bus local mode does
 * not emulate (neither the default bus nor the hub's) is refused.
 */
export function rulesOnBus(template: CfnTemplate, bus: string, scope: DeployScope): LocalRule[] {
  const known = new Set(['default', HUB_BUS_NAME]);
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule' && !r.Properties?.ScheduleExpression)
    .filter(([id, r]) => {
      const on = String(resolve(r.Properties?.EventBusName ?? 'default', template, scope))
        .split('/')
        .pop()!;
      if (!known.has(on)) throw new Error(`Rule ${id} is on bus ${on}; local mode has the default bus and ${HUB_BUS_NAME} only`);
      return on === bus;
    })
    .map(([id, rule]) => toLocalRule(id, rule, template, scope));
}

/** The hub bus (plangate-hub) of the hub template, with its rules and its policy's statements; undefined without one. */
function hubBus(template: CfnTemplate): LocalBus | undefined {
  const entries = Object.entries(template.Resources);
  const found = entries.find(([id, r]) => r.Type === 'AWS::Events::EventBus' && busName(id, r, template, HUB_SCOPE) === HUB_BUS_NAME);
  if (!found) return undefined;
  const [busId, bus] = found;
  const ownPolicy = resolve(bus.Properties?.Policy ?? { Statement: [] }, template) as { Statement?: PolicyStatement | PolicyStatement[] };
  const statements = [ownPolicy.Statement ?? []].flat();
  for (const [, resource] of entries) {
    if (resource.Type !== 'AWS::Events::EventBusPolicy') continue;
    const props = resolve(resource.Properties ?? {}, template) as {
      EventBusName?: string;
      Statement?: PolicyStatement;
      Action?: string;
      Principal?: string;
      Condition?: { Type: string; Key: string; Value: string };
    };
    if ((props.EventBusName ?? 'default') !== HUB_BUS_NAME) continue;
    if (props.Statement) statements.push(props.Statement);
    // The older form: one account (or * with an organization condition) allowed to PutEvents.
    else if (props.Principal) {
      const condition = props.Condition ? { StringEquals: { [props.Condition.Key]: props.Condition.Value } } : undefined;
      const principal = props.Principal === '*' ? '*' : { AWS: `arn:aws:iam::${props.Principal}:root` };
      statements.push({ Effect: 'Allow', Principal: principal, Action: props.Action ?? 'events:PutEvents', Condition: condition });
    }
  }
  return {
    name: HUB_BUS_NAME,
    arn: arnFor(busId, bus, template, HUB_SCOPE),
    rules: rulesOnBus(template, HUB_BUS_NAME, HUB_SCOPE),
    policy: statements,
  };
}

function asyncInvocationOf(functionId: string, template: CfnTemplate): AsyncInvocation {
  const config = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === functionId,
  );
  const deadLetter = (template.Resources[functionId]!.Properties?.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn;
  return {
    maximumRetryAttempts: (config?.Properties?.MaximumRetryAttempts as number | undefined) ?? DEFAULT_ASYNC_RETRIES,
    ...(deadLetter ? { deadLetterArn: String(resolve(deadLetter, template)) } : {}),
  };
}

/** Each API Gateway method (all are ANY), with its resource's full path and the function its integration invokes. */
function apiRoutes(template: CfnTemplate): ApiRoute[] {
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const resource = id ? template.Resources[id] : undefined;
    if (!resource) return ''; // the API's root resource (Fn::GetAtt RootResourceId)
    const { PathPart, ParentId } = resource.Properties as { PathPart: string; ParentId: unknown };
    return `${pathOf(ParentId)}/${PathPart}`;
  };
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method')
    .map((method) => {
      const props = method.Properties as { ResourceId: unknown; AuthorizationType: string; Integration: unknown };
      const target = JSON.stringify(props.Integration).match(/"Fn::GetAtt":\["(\w+)","Arn"\]/)?.[1];
      const fn = target && template.Resources[target] && functionNameOf(target, template.Resources[target]);
      if (!fn) throw new Error('An API method integrates with something other than one of our functions');
      return { path: pathOf(props.ResourceId) || '/', authorization: props.AuthorizationType === 'AWS_IAM' ? 'AWS_IAM' : 'NONE', function: fn };
    });
}

/**
 * The route API Gateway picks for a path: literal segments before `{param}` ones, and those before a greedy
 * `{proxy+}`, compared segment by segment from the left.
 */
export function routeFor(routes: ApiRoute[], path: string): ApiRoute | undefined {
  const segments = path.split('/').filter(Boolean);
  const score = (pattern: string): number[] | undefined => {
    const parts = pattern.split('/').filter(Boolean);
    const ranks: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.endsWith('+}')) return segments.length > i ? [...ranks, 1] : undefined;
      if (i >= segments.length) return undefined;
      if (part.startsWith('{')) ranks.push(2);
      else if (part === segments[i]) ranks.push(3);
      else return undefined;
    }
    return parts.length === segments.length ? ranks : undefined;
  };
  const compare = (a: number[], b: number[]) => {
    for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  let best: { route: ApiRoute; ranks: number[] } | undefined;
  for (const route of routes) {
    const ranks = score(route.path);
    if (ranks && (!best || compare(ranks, best.ranks) > 0)) best = { route, ranks };
  }
  return best?.route;
}

const RATE_UNITS: Record<string, number> = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86_400, days: 86_400 };

/** A scheduled rule; only `rate(...)` expressions, the kind the template has. */
function toLocalSchedule(id: string, rule: Resource, template: CfnTemplate): LocalSchedule {
  const { ScheduleExpression: expression, ...rest } = rule.Properties as { ScheduleExpression: string };
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  if (!rate) throw new Error(`Rule ${id} is scheduled by ${expression}; local mode runs rate(...) schedules only`);
  const { enabled, targets, arn } = toLocalRule(id, { ...rule, Properties: { ...rest, EventPattern: {} } }, template, HUB_SCOPE);
  return { name: id, arn, rateSeconds: Number(rate[1]) * RATE_UNITS[rate[2]!]!, enabled, targets };
}

function toLocalRule(id: string, rule: Resource, template: CfnTemplate, scope: DeployScope): LocalRule {
  const props = resolve(rule.Properties ?? {}, template, scope) as {
    EventPattern?: Record<string, unknown>;
    State?: string;
    EventBusName?: string;
    Targets?: {
      Id: string;
      Arn: string;
      Input?: string;
      InputPath?: string;
      InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
      RetryPolicy?: LocalTarget['retryPolicy'];
      DeadLetterConfig?: { Arn?: string };
      RoleArn?: string;
    }[];
  };
  if (!props.EventPattern) throw new Error(`Rule ${id} has no event pattern; local mode routes pattern rules only`);
  return {
    name: id,
    arn: arnFor(id, rule, template, scope),
    pattern: props.EventPattern,
    enabled: (props.State ?? 'ENABLED') === 'ENABLED',
    targets: (props.Targets ?? []).map((t) => ({
      id: t.Id,
      arn: t.Arn,
      input: t.Input,
      inputPath: t.InputPath,
      inputTransformer: t.InputTransformer && { pathsMap: t.InputTransformer.InputPathsMap ?? {}, template: t.InputTransformer.InputTemplate },
      retryPolicy: t.RetryPolicy,
      deadLetterArn: t.DeadLetterConfig?.Arn,
      roleArn: t.RoleArn,
    })),
  };
}

function emailSubscriptions(template: CfnTemplate): LocalWorkflow['subscriptions'] {
  const byTopic: LocalWorkflow['subscriptions'] = new Map();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::SNS::Subscription') continue;
    const props = resolve(resource.Properties ?? {}, template) as { TopicArn: string; Endpoint: string; FilterPolicy?: Record<string, unknown> };
    byTopic.set(props.TopicArn, [...(byTopic.get(props.TopicArn) ?? []), { endpoint: props.Endpoint, filterPolicy: props.FilterPolicy }]);
  }
  return byTopic;
}

/**
 * The construct's default reminder (defaultReminderMinutes: an hour before expiry, or a quarter of a shorter
 * timeout, in whole minutes) for a timeout in seconds; under four minutes, a quarter in whole seconds (at least 1).
 */
const defaultReminderSeconds = (seconds: number) => defaultReminderMinutes(seconds / 60) * 60 || Math.max(1, Math.floor(seconds / 4));

/**
 * Shortens the approval timeout (the tasks' TimeoutSeconds and the handler's expiry), to try reminders and
 * expiry quickly. With a reminder task, the reminder comes `reminderSeconds` before expiry (default: as the construct's).
 */
export function withApprovalTimeout(workflow: LocalWorkflow, seconds: number, reminderSeconds = defaultReminderSeconds(seconds)): LocalWorkflow {
  // A JSON copy: structuredClone's objects can come from another realm (under jest), which the interpreter rejects.
  const states = JSON.parse(JSON.stringify(workflow.definition.States)) as Record<string, { TimeoutSeconds?: number }>;
  const first = states[STATES.requestApproval]!;
  const reminder = states[STATES.remindApprovers];
  if (reminder) {
    // Whole seconds, as Amazon States Language requires.
    if (!Number.isInteger(reminderSeconds) || reminderSeconds < 1 || reminderSeconds >= seconds) {
      throw new Error(`The reminder must come a whole number of seconds (at least 1) before the ${seconds}-second expiry`);
    }
    first.TimeoutSeconds = seconds - reminderSeconds;
    reminder.TimeoutSeconds = reminderSeconds;
  } else {
    first.TimeoutSeconds = seconds;
  }
  return {
    ...workflow,
    definition: { ...workflow.definition, States: states },
    environment: { ...workflow.environment, APPROVAL_TIMEOUT_SECONDS: String(seconds) },
  };
}

/** Creates the approval table as the template defines it (key schema and attributes). */
export async function createApprovalTable(client: DynamoDBClient, workflow: LocalWorkflow): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: workflow.table.name,
      KeySchema: workflow.table.keySchema as never,
      AttributeDefinitions: workflow.table.attributeDefinitions as never,
      GlobalSecondaryIndexes: workflow.table.globalSecondaryIndexes as never,
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await tableActive(client, workflow.table.name);
}

/** Waits until a new table is ACTIVE: dynalite, like DynamoDB, creates it a moment after CreateTable answers. */
export async function tableActive(client: { send: DynamoDBClient['send'] }, TableName: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Table ${TableName} did not become ACTIVE`);
}
