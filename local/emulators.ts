import type { RequestListener } from 'node:http';
import dynalite from 'dynalite';
import { HUB_BUS_NAME, type Spokes } from '../lambdas/shared/contracts/spokes';
import { STATES } from '../lambdas/shared/contracts/state-names';
import { FUNCTIONS, type FunctionName, STANDARD_FUNCTIONS } from '../lib/functions';
import { policyAdmits } from './bus-policy';
import { type AwsEvent, awsEvent, type BusIdentity, LocalEventBridge, type TargetDelivery } from './event-bridge';
import { matchesPattern } from './event-patterns';
import { IdentityCenterEmulator } from './identity-center';
import { KmsEmulator } from './kms';
import { LocalMetrics } from './metrics';
import { Outbox, type OutboxEntry } from './outbox';
import { S3Emulator } from './s3';
import { AwsApiError, ServiceCatalogEmulator } from './service-catalog';
import { HUB, inOrganization, isSpoke, type Location, listedSpokes, locationKey, spokesOf } from './spokes';
import { SsmEmulator } from './ssm';
import { type Execution, type ExecutionEvent, invokeHandler, type LambdaHandler, LocalStepFunctions } from './step-functions';
import { StsSessions } from './sts';
import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION, type LocalBus, type LocalWorkflow, rulesOnBus } from './template';

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
  /** The spokes the functions' SPOKES allow-list names; undefined without spokes (one account, as before issue 21). */
  spokes?: Spokes;
  /** The temporary credentials STS issued (AssumeRole into the spoke roles). */
  sessions: StsSessions;
  /** The emulated calls of Service Catalog and STS, in order (GET /local/calls). */
  calls: Record<'servicecatalog' | 'sts', ApiCall[]>;
  /** IAM Identity Center's identity store, whose group membership the functions check when a vote is cast (issue 22). */
  identityCenter: IdentityCenterEmulator;
  /** Systems Manager's Change Calendars, which plangate:changeCalendar.ssmCalendars names (issue 23). */
  ssm: SsmEmulator;
  /** The evidence bucket, with Object Lock, and the key that signs evidence (issue 24). */
  s3: S3Emulator;
  kms: KmsEmulator;
  /** The hub's plangate-hub bus, when the template has one (spokes configured). */
  hubBus?: LocalEventBridge;
  /** Service Catalog in an account and Region: the hub's is `serviceCatalog`; others are made on first use. */
  serviceCatalogAt(location: Location): ServiceCatalogEmulator;
  /** The default event bus of the hub or of a spoke (loaded with the spoke stack's rules); undefined elsewhere. */
  defaultBusAt(location: Location): LocalEventBridge | undefined;
  /** The bus a PutEvents entry's EventBusName names (a name is the sender's own account and Region's). */
  busFor(nameOrArn: string, sender: Location): LocalEventBridge | undefined;
  /** Cancels every Service Catalog emulator's pending stack events. */
  close(): void;
}

/** One emulated API call, as GET /local/calls lists it. */
export interface ApiCall {
  operation: string;
  account: string;
  region: string;
  /** The caller's ARN (for an assumed role, its session's). */
  principal: string;
  sourceIdentity?: string;
  at: string;
  /** Service Catalog: the plan the call is about (for DescribeRecord, the plan its record executes), when there is one. */
  planId?: string;
  /** Service Catalog: the record DescribeRecord asks for, or the one ExecuteProvisionedProductPlan answered. */
  recordId?: string;
  /** The error code, when the call was refused. */
  error?: string;
}

export interface EmulatorOptions {
  timeScale?: number;
  log: (line: string) => void;
  /** The synthesized PlanGateSpoke template, whose rules each spoke's default bus gets. @default none: spoke buses have no rules */
  spokeTemplate?: CfnTemplate;
  /** Requests per second each Service Catalog API answers in each account and Region before throttling. @default no limit */
  serviceCatalogTps?: number;
  /** The identity store's users and groups: the approvers, and plangate:groups' Identity Center groups. @default no users */
  identityCenter?: IdentityCenterEmulator;
}

export function createEmulators(workflow: LocalWorkflow, options: EmulatorOptions): Emulators {
  const { timeScale, log, spokeTemplate, serviceCatalogTps } = options;
  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const outbox = new Outbox((entry) => log(printEntry(entry)));
  const recipientsOf = (topicArn: string, attributes: Record<string, string>) => recipients(workflow, topicArn, attributes);
  const functionOf = (arn: string) => {
    const fn = workflow.functionsByArn.get(arn);
    if (!fn) throw new AwsApiError('ResourceNotFoundException', `Function not found: ${arn}`);
    return fn;
  };
  const spokes = spokesOf(workflow.environment);
  /** Another bus, by ARN: the one a rule forwards to. */
  const putOnBus: TargetDelivery['putOnBus'] = (busArn, event, { account, roleArn }) => {
    const bus = busByArn(busArn);
    if (!bus) throw new AwsApiError('ResourceNotFoundException', `Event bus ${busArn} does not exist.`);
    bus.receive(event, { account, principalArn: roleArn ?? `arn:aws:iam::${account}:root` });
  };
  const hubDelivery: TargetDelivery = {
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
    putOnBus,
  };
  // A spoke holds no function, state machine or topic of PlanGate's: its rules only forward to the hub bus.
  const nothingThere = (arn: string): never => {
    throw new AwsApiError('ResourceNotFoundException', `${arn} is not in a spoke account`);
  };
  const spokeDelivery: TargetDelivery = {
    startExecution: nothingThere,
    asyncInvocation: nothingThere,
    invokeFunction: async (arn) => nothingThere(arn),
    publish: nothingThere,
    putOnBus,
  };
  const stackEventsOn = (location: Location) => (change: { stackId: string; status: string; statusReason: string }) =>
    emulators
      .defaultBusAt(location)
      ?.emit(
        awsEvent(
          'aws.cloudformation',
          'CloudFormation Stack Status Change',
          [change.stackId],
          { 'stack-id': change.stackId, 'status-details': { status: change.status, 'status-reason': change.statusReason } },
          location,
        ),
      );
  const catalogs = new Map<string, ServiceCatalogEmulator>();
  const spokeBuses = new Map<string, LocalEventBridge>();
  const spokeBus = (location: Location) =>
    new LocalEventBridge(spokeRulesAt(spokeTemplate, location), spokeDelivery, outbox, {
      timeScale,
      log,
      bus: { name: 'default', ...location },
    });
  const busByArn = (arn: string) => {
    const match = /^arn:aws:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/.exec(arn);
    if (!match) return undefined;
    const [, region, account, name] = match as unknown as [string, string, string, string];
    if (name === 'default') return emulators.defaultBusAt({ account, region });
    return name === HUB_BUS_NAME && account === LOCAL_ACCOUNT && region === LOCAL_REGION ? emulators.hubBus : undefined;
  };

  const deployed = new Set<string>(workflow.functionsByArn.values());
  const emulators: Emulators = {
    dynamo: db.listeners('request')[0] as RequestListener,
    outbox,
    // Every standard function, and an optional one (SignIn) when the template has it.
    metrics: new LocalMetrics(Object.keys(FUNCTIONS).filter((name) => STANDARD_FUNCTIONS.includes(name as FunctionName) || deployed.has(name))),
    publishFaults: [],
    recipientsOf,
    spokes,
    sessions: new StsSessions(),
    calls: { servicecatalog: [], sts: [] },
    identityCenter: options.identityCenter ?? new IdentityCenterEmulator([]),
    ssm: new SsmEmulator(),
    s3: new S3Emulator(workflow.lockedBuckets ?? []),
    kms: new KmsEmulator(workflow.signingKeyArns ?? []),
    eventBridge: new LocalEventBridge(workflow.rules, hubDelivery, outbox, { timeScale, log }),
    hubBus:
      workflow.hubBus &&
      new LocalEventBridge(workflow.hubBus.rules, hubDelivery, outbox, { timeScale, log, bus: hubBusIdentity(workflow.hubBus, spokes) }),
    serviceCatalog: new ServiceCatalogEmulator({ timeScale, requestsPerSecond: serviceCatalogTps, onStackEvent: stackEventsOn(HUB) }),
    serviceCatalogAt(location) {
      // Without spokes, every call is the hub's, whatever Region it is signed for (as before issue 21).
      if (!spokes || locationKey(location) === locationKey(HUB)) return emulators.serviceCatalog;
      const key = locationKey(location);
      let catalog = catalogs.get(key);
      if (!catalog) {
        catalog = new ServiceCatalogEmulator({ timeScale, ...location, requestsPerSecond: serviceCatalogTps, onStackEvent: stackEventsOn(location) });
        catalogs.set(key, catalog);
      }
      return catalog;
    },
    defaultBusAt(location) {
      if (locationKey(location) === locationKey(HUB)) return emulators.eventBridge;
      if (!isSpoke(spokes, location)) return undefined;
      const key = locationKey(location);
      if (!spokeBuses.has(key)) spokeBuses.set(key, spokeBus(location));
      return spokeBuses.get(key);
    },
    busFor(nameOrArn, sender) {
      if (nameOrArn.startsWith('arn:')) return busByArn(nameOrArn);
      if (nameOrArn === 'default') return emulators.defaultBusAt(sender);
      return nameOrArn === HUB_BUS_NAME && locationKey(sender) === locationKey(HUB) ? emulators.hubBus : undefined;
    },
    close() {
      emulators.serviceCatalog.close();
      for (const catalog of catalogs.values()) catalog.close();
    },
  };
  // The listed spokes exist from the start; those "*" admits, on first use.
  for (const location of listedSpokes(spokes)) {
    emulators.serviceCatalogAt(location);
    emulators.defaultBusAt(location);
  }
  if (spokes && !spokeTemplate) log('[spokes] no PlanGateSpoke template: the spokes’ default buses forward nothing');
  return emulators;
}

/** The spoke stack's rules on a spoke's default bus, deployed there with the hub's account and Region as its parameters. */
function spokeRulesAt(template: CfnTemplate | undefined, location: Location) {
  if (!template) return [];
  return rulesOnBus(template, 'default', { ...location, parameters: { HubAccountId: LOCAL_ACCOUNT, HubRegion: LOCAL_REGION } });
}

/** The hub bus admits another account's event only as its resource policy says, with the sender's organization. */
function hubBusIdentity(bus: LocalBus, spokes: Spokes | undefined): BusIdentity {
  return {
    name: bus.name,
    account: LOCAL_ACCOUNT,
    region: LOCAL_REGION,
    refusal: (event: AwsEvent, sender) => {
      const request = {
        principalArn: sender.principalArn,
        principalAccount: sender.account,
        principalOrgId: inOrganization(spokes, sender.account) ? spokes?.organizationId : undefined,
        source: event.source,
        detailType: event['detail-type'],
      };
      return policyAdmits(bus.policy, request) ? undefined : `its resource policy does not admit ${event.source} / ${event['detail-type']} from it`;
    },
  };
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

/** The most input or output a status change event carries: an event is at most 256 KB, so a larger one is left out. */
const STATUS_EVENT_DATA_BYTES = 248 * 1024;

/**
 * A Step Functions "Execution Status Change" event's detail (times in epoch milliseconds, as AWS sends them). An input
 * or output over 248 KiB is left out, as AWS does (`inputDetails.included` false): DescribeExecution has it.
 */
function statusChangeDetail(execution: Execution, stateMachineArn: string) {
  const ended = execution.status !== 'RUNNING';
  const output = ended && execution.output !== undefined ? JSON.stringify(execution.output) : undefined;
  const fits = (text: string) => Buffer.byteLength(text) <= STATUS_EVENT_DATA_BYTES;
  return {
    executionArn: execution.executionArn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    stopDate: execution.stopDate?.getTime() ?? null,
    input: fits(execution.inputText) ? execution.inputText : null,
    inputDetails: { included: fits(execution.inputText) },
    output: output !== undefined && fits(output) ? output : null,
    outputDetails: output === undefined ? null : { included: fits(output) },
    error: execution.error ?? null,
    cause: execution.cause ?? null,
  };
}
