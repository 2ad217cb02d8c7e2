import { randomUUID } from 'node:crypto';
import { matchesPattern } from './event-patterns';
import type { Outbox } from './outbox';
import { AwsApiError } from './service-catalog';
import { type AsyncInvocation, LOCAL_ACCOUNT, LOCAL_REGION, type LocalRule, type LocalSchedule, type LocalTarget } from './template';

/**
 * The default event bus in local mode: PutEvents entries, and the events AWS services emit (Step Functions status
 * changes, CloudFormation stack status changes), are matched against the synthesized template's rules and sent to
 * each matching rule's targets, after its input path or transformer:
 *   a state machine  StartExecution (a failure goes to the target's dead-letter queue, as EventBridge does with
 *                    errors a retry cannot fix)
 *   a Lambda         an asynchronous invocation of the bundled handler, which Lambda accepts (or refuses: then the
 *                    target's dead-letter queue); a failed invocation is retried as often as the function's
 *                    EventInvokeConfig says (1 and 2 minutes later, times the time scale), then goes to the
 *                    function's own dead-letter queue (its DeadLetterConfig), as Lambda does
 *   an SNS topic     a publish, into the outbox
 * Every event is listed in the outbox with the rules it matched; dead letters appear there too (channel `dlq`).
 * Scheduled rules send their targets EventBridge's "Scheduled Event" on their rate (startSchedules).
 */

export interface AwsEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface PutEventsEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Resources?: unknown;
  Time?: unknown;
  EventBusName?: unknown;
}

/** How each kind of target receives an event's input. Failures throw. */
export interface TargetDelivery {
  startExecution(stateMachineArn: string, input: string): void;
  /** The function's retries and dead-letter queue; throws as Lambda's Invoke refuses an unknown function. */
  asyncInvocation(functionArn: string): AsyncInvocation;
  /** One invocation of the function's handler. */
  invokeFunction(functionArn: string, event: unknown): Promise<void>;
  publish(topicArn: string, message: string): void;
  /** Another bus (the hub's, from a spoke): EventBridge delivers the event itself, with the rule's role. */
  putOnBus?(busArn: string, event: AwsEvent, sender: { account: string; roleArn?: string }): void;
}

/** Which bus this is: its name, account and Region; who else may put events on it (its resource policy). */
export interface BusIdentity {
  name: string;
  account: string;
  region: string;
  /** For another account's PutEvents (or a rule forwarding to this bus): the reason it is refused, if it is. */
  refusal?: (event: AwsEvent, sender: { account: string; principalArn: string }) => string | undefined;
}

const DEFAULT_BUS_IDENTITY: BusIdentity = { name: 'default', account: LOCAL_ACCOUNT, region: LOCAL_REGION };

/** EventBridge's limit on one entry: 256 KiB. */
const MAX_ENTRY_BYTES = 262_144;
/** Lambda's waits before its retries of a failed asynchronous invocation (two at most). */
const ASYNC_RETRY_DELAYS_SECONDS = [60, 120];

/** Who calls PutEvents: the caller's account and principal, and the Region of the endpoint called. */
export interface PutEventsSender {
  account: string;
  region: string;
  principalArn: string;
}

const HUB_SENDER: PutEventsSender = { account: LOCAL_ACCOUNT, region: LOCAL_REGION, principalArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/local` };

export class LocalEventBridge {
  private readonly inFlight = new Set<Promise<void>>();
  readonly identity: BusIdentity;

  constructor(
    private readonly rules: LocalRule[],
    private readonly deliver: TargetDelivery,
    private readonly outbox: Outbox,
    private readonly options: { timeScale?: number; log?: (line: string) => void; bus?: BusIdentity } = {},
  ) {
    this.identity = options.bus ?? DEFAULT_BUS_IDENTITY;
  }

  get arn(): string {
    return `arn:aws:events:${this.identity.region}:${this.identity.account}:event-bus/${this.identity.name}`;
  }

  /**
   * PutEvents: each entry is checked as EventBridge checks it, and a bad one fails alone, with its error code. Each
   * goes to the bus its EventBusName names (busFor; by default, this bus by its name or ARN), as the sender puts it.
   */
  putEvents(
    entries: unknown,
    sender: PutEventsSender = HUB_SENDER,
    busFor: (nameOrArn: string) => LocalEventBridge | undefined = (nameOrArn) =>
      [this.identity.name, this.arn].includes(nameOrArn) ? this : undefined,
  ): { FailedEntryCount: number; Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] } {
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      throw new AwsApiError('ValidationException', 'Entries must hold 1 to 10 events');
    }
    const results = entries.map((entry: PutEventsEntry) => {
      try {
        const name = String(entry.EventBusName ?? 'default');
        const bus = busFor(name);
        if (!bus) throw new AwsApiError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
        return { EventId: bus.receive(toEvent(entry, sender), sender) };
      } catch (error) {
        if (!(error instanceof AwsApiError)) throw error;
        return { ErrorCode: error.type, ErrorMessage: error.message };
      }
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /**
   * An event another account sends (its PutEvents, or its rule forwarding here): admitted only as the bus's resource
   * policy says, and kept as sent (its account and Region are the sender's, as EventBridge keeps them).
   */
  receive(event: AwsEvent, sender: { account: string; principalArn: string }): string {
    if (sender.account !== this.identity.account) {
      const refusal = this.identity.refusal ? this.identity.refusal(event, sender) : 'the bus has no resource policy';
      if (refusal) {
        this.options.log?.(`[events] ${this.identity.name} refused an event from ${sender.account}: ${refusal}`);
        throw new AwsApiError(
          'AccessDeniedException',
          `User: ${sender.principalArn} is not authorized to perform: events:PutEvents on resource: ${this.arn}`,
        );
      }
    }
    return this.emit(event);
  }

  /** Puts an event on the bus (from PutEvents or an AWS service) and starts its deliveries. Returns its id. */
  emit(event: AwsEvent): string {
    const matched = this.rules.filter((rule) => rule.enabled && matchesPattern(rule.pattern, event));
    const { name, account, region } = this.identity;
    this.outbox.add({
      channel: 'eventbridge',
      recipient: account === LOCAL_ACCOUNT && region === LOCAL_REGION ? name : `${name} (${account}, ${region})`,
      subject: `${event.source} / ${event['detail-type']}`,
      body: JSON.stringify(event.detail),
      rules: matched.map((r) => r.name),
    });
    for (const rule of matched) for (const target of rule.targets) this.track(this.send(rule, target, event));
    return event.id;
  }

  /**
   * Runs the scheduled rules: each sends EventBridge's "Scheduled Event" to its targets every `intervalMs(rate)`
   * milliseconds. Scheduled events are not put on the bus (no other rule sees them), so they are not in the outbox.
   * Returns what stops them.
   */
  startSchedules(schedules: LocalSchedule[], intervalMs: (rateSeconds: number) => number): () => void {
    const timers = schedules
      .filter((s) => s.enabled)
      .map((schedule) =>
        setInterval(() => {
          const event = awsEvent('aws.events', 'Scheduled Event', [schedule.arn], {});
          for (const target of schedule.targets) this.track(this.send(schedule, target, event));
        }, intervalMs(schedule.rateSeconds)).unref(),
      );
    return () => timers.forEach(clearInterval);
  }

  /** Settles once every delivery started so far has ended (its retries and dead letter included). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private track(delivery: Promise<void>) {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async send(rule: Pick<LocalRule, 'name'>, target: LocalTarget, event: AwsEvent): Promise<void> {
    await Promise.resolve(); // PutEvents answers first; deliveries follow, as on the real bus
    const [service] = target.arn.split(':').slice(2, 3);
    if (service === 'events') {
      // Bus to bus, EventBridge sends the event itself (no input transformation), keeping its account and Region.
      try {
        if (!this.deliver.putOnBus) throw new Error(`Local mode cannot deliver to ${target.arn}`);
        return this.deliver.putOnBus(target.arn, event, { account: this.identity.account, roleArn: target.roleArn });
      } catch (error) {
        return this.deadLetter(rule, target, event, error as Error);
      }
    }
    let input: string;
    try {
      input = targetInput(target, event);
    } catch (error) {
      return this.deadLetter(rule, target, event, error as Error);
    }
    try {
      if (service === 'states') this.deliver.startExecution(target.arn, input);
      else if (service === 'sns') this.deliver.publish(target.arn, unquoted(input));
      else if (service === 'lambda') await this.invokeAsync(rule, target.arn, JSON.parse(input), this.deliver.asyncInvocation(target.arn));
      else throw new Error(`Local mode cannot deliver to ${target.arn}`);
    } catch (error) {
      await this.deadLetter(rule, target, event, error as Error);
    }
  }

  /** Lambda's side of an asynchronous invocation it accepted: its failures never reach the rule's target. */
  private async invokeAsync(rule: Pick<LocalRule, 'name'>, functionArn: string, payload: unknown, invocation: AsyncInvocation) {
    const functionName = functionArn.split(':').pop();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deliver.invokeFunction(functionArn, payload);
      } catch (error) {
        const reason = `${(error as Error).name}: ${(error as Error).message}`;
        if (attempt < invocation.maximumRetryAttempts) {
          this.options.log?.(`[events] ${functionName} failed (${reason}); retrying`);
          // Without a time scale, local mode does not make you wait minutes for a retry.
          await new Promise((resolve) => setTimeout(resolve, ASYNC_RETRY_DELAYS_SECONDS[attempt]! * 1000 * (this.options.timeScale ?? 0.001)));
        } else if (invocation.deadLetterArn) {
          const subject = `${rule.name} → ${functionName} (asynchronous invocation): ${reason}`;
          this.outbox.add({ channel: 'dlq', recipient: invocation.deadLetterArn, subject, body: JSON.stringify(payload), rules: [rule.name] });
          return;
        } else {
          this.options.log?.(`[events] ${functionName} failed (${reason}) and has no dead-letter queue: the event is dropped`);
          return;
        }
      }
    }
  }

  private async deadLetter(rule: Pick<LocalRule, 'name'>, target: LocalTarget, event: AwsEvent, error: Error) {
    const reason = `${error.name}: ${error.message}`;
    if (!target.deadLetterArn) {
      this.options.log?.(`[events] ${rule.name} could not deliver to ${target.arn} and has no dead-letter queue: ${reason}`);
      return;
    }
    this.outbox.add({
      channel: 'dlq',
      recipient: target.deadLetterArn,
      subject: `${rule.name} → ${target.id}: ${reason}`,
      body: JSON.stringify(event),
      rules: [rule.name],
    });
  }
}

/** An AWS-shaped event from a PutEvents entry, refused (ValidationException etc.) where EventBridge refuses it. */
function toEvent(entry: PutEventsEntry, sender: PutEventsSender): AwsEvent {
  if (typeof entry.Source !== 'string' || !entry.Source)
    throw new AwsApiError('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.');
  // Only AWS puts events with an `aws.` source (PlanGate trusts CloudTrail's record of a plan's creator for that).
  if (entry.Source.startsWith('aws.')) {
    throw new AwsApiError(
      'NotAuthorizedForSourceException',
      'Not authorized for the source. Sources starting with "aws." are reserved for AWS services.',
    );
  }
  if (typeof entry.DetailType !== 'string' || !entry.DetailType) {
    throw new AwsApiError('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.');
  }
  let detail: unknown;
  try {
    detail = JSON.parse(typeof entry.Detail === 'string' ? entry.Detail : '');
  } catch {
    throw new AwsApiError('MalformedDetail', 'Detail is malformed.');
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw new AwsApiError('MalformedDetail', 'Detail is malformed.');
  const resources = entry.Resources ?? [];
  if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string'))
    throw new AwsApiError('InvalidArgument', 'Parameter Resources is not valid.');
  const time = entry.Time === undefined ? new Date() : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : String(entry.Time));
  if (Number.isNaN(time.getTime())) throw new AwsApiError('InvalidArgument', 'Parameter Time is not valid.');
  const event: AwsEvent = {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: sender.account,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: sender.region,
    resources,
    detail,
  };
  if (Buffer.byteLength(JSON.stringify(entry)) > MAX_ENTRY_BYTES)
    throw new AwsApiError('InvalidArgument', `The entry is larger than ${MAX_ENTRY_BYTES} bytes.`);
  return event;
}

/** An event as an AWS service puts it on the bus of an account and Region (by default, the hub's). */
export function awsEvent(
  source: string,
  detailType: string,
  resources: string[],
  detail: unknown,
  where: { account: string; region: string } = { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
): AwsEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: where.account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: where.region,
    resources,
    detail,
  };
}

/** The target's input: the whole event, a constant, the value at its input path, or its input transformer's output. */
function targetInput(target: LocalTarget, event: AwsEvent): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) return JSON.stringify(valueAt(target.inputPath, event) ?? null);
  if (!target.inputTransformer) return JSON.stringify(event);
  const values = Object.fromEntries(Object.entries(target.inputTransformer.pathsMap).map(([name, path]) => [name, valueAt(path, event)]));
  return transform(target.inputTransformer.template, values);
}

/**
 * EventBridge's input template: `<name>` inside a JSON string is replaced by the value's text, outside one by the
 * value as JSON. A value the event lacks is null.
 */
function transform(template: string, values: Record<string, unknown>): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    const placeholder = c === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    if (placeholder && Object.hasOwn(values, placeholder[1]!)) {
      const value = values[placeholder[1]!];
      out += inString
        ? typeof value === 'string'
          ? JSON.stringify(value).slice(1, -1)
          : JSON.stringify(value ?? null)
        : JSON.stringify(value ?? null);
      i += placeholder[0].length - 1;
      continue;
    }
    if (c === '"' && template[i - 1] !== '\\') inString = !inString;
    out += c;
  }
  return out;
}

/** An SNS message from a target input that is a JSON string, as `RuleTargetInput.fromText` writes it, is its text. */
function unquoted(input: string): string {
  try {
    const parsed: unknown = JSON.parse(input);
    return typeof parsed === 'string' ? parsed : input;
  } catch {
    return input;
  }
}

/** The value at an EventBridge JSON path: `$`, `$.a.b`, `$.a[0]`. */
function valueAt(path: string, event: unknown): unknown {
  const keys = path.replace(/^\$/, '').match(/[^.[\]]+/g) ?? [];
  return keys.reduce<unknown>(
    (value, key) => (value === null || typeof value !== 'object' ? undefined : (value as Record<string, unknown>)[key]),
    event,
  );
}
