import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * An in-memory Service Catalog for plans and records, following the Service Catalog API reference:
 * full-match validation of ids, the modeled errors, pages of at most 20, epoch-second timestamps,
 * only CREATE_SUCCESS plans execute, the same IdempotencyToken returns the same record, and a record
 * moves CREATED → IN_PROGRESS (→ IN_PROGRESS_IN_ERROR) → SUCCEEDED | FAILED as the clock advances.
 *
 * Requests and responses are wire-shaped JSON, so the same object serves the SDK-level fakes in tests
 * and the HTTP endpoint of local mode. Behaviour the reference does not document is marked [inferred] below.
 *
 * Each record runs as a CloudFormation stack, `SC-<account>-<provisionedProductId>`, whose status changes are
 * reported (onStackEvent) as CloudFormation reports them to EventBridge: in progress when the record starts, then,
 * a little before the record itself turns final (Service Catalog lags its stack), complete or rolled back.
 */

/**
 * A modeled AWS error: `type` is the `__type` on the wire and the SDK error's `name`; `members` are the error's other
 * modeled fields (the SDK sets them on the error).
 */
export class AwsApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
    readonly members: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = type;
  }
}

const invalid = (message: string) => new AwsApiError('InvalidParametersException', message);
const notFound = (message: string) => new AwsApiError('ResourceNotFoundException', message);

const ID = /^[a-zA-Z0-9_-]{1,100}$/;
const TOKEN = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$/;
const LANGUAGES = new Set(['en', 'jp', 'zh']);
const MAX_PAGE_SIZE = 20;

type Json = Record<string, unknown>;

/*
 * The body of `POST /local/plans`, checked field by field as the Service Catalog API reference types them (its data
 * types for plans, resource changes and their details), so a plan that registers is one the SDKs can read back.
 */
const id = (name: string) =>
  z.string({ error: `${name} must be a string` }).regex(ID, `${name} must be 1-100 characters of letters, digits, "_" or "-"`);
const resourceAttribute = z.enum(['PROPERTIES', 'METADATA', 'CREATIONPOLICY', 'UPDATEPOLICY', 'DELETIONPOLICY', 'TAGS']);
/** Epoch seconds on the wire; an ISO-8601 time is accepted here and stored as epoch seconds. */
const timestamp = z.union([z.number().nonnegative(), z.iso.datetime({ offset: true }).transform((t) => Date.parse(t) / 1000)], {
  error: 'must be a time: epoch seconds, or an ISO-8601 date-time such as 2026-11-22T10:00:00Z',
});
const tagText = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

const resourceChangeSchema = z.strictObject({
  Action: z.enum(['ADD', 'MODIFY', 'REMOVE']),
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: z.string().optional(),
  ResourceType: z.string().min(1).max(256),
  Replacement: z.enum(['TRUE', 'FALSE', 'CONDITIONAL']).optional(),
  Scope: z.array(resourceAttribute).optional(),
  Details: z
    .array(
      z.strictObject({
        Target: z
          .strictObject({
            Attribute: resourceAttribute.optional(),
            Name: z.string().optional(),
            RequiresRecreation: z.enum(['NEVER', 'CONDITIONALLY', 'ALWAYS']).optional(),
          })
          .optional(),
        Evaluation: z.enum(['STATIC', 'DYNAMIC']).optional(),
        CausingEntity: z.string().optional(),
      }),
    )
    .optional(),
});

const simulationSchema = z.strictObject({
  recordSeconds: z.number().min(0).max(86_400).default(3),
  finalStatus: z.enum(['SUCCEEDED', 'FAILED']).default('SUCCEEDED'),
  recordErrors: z.array(z.strictObject({ Code: z.string(), Description: z.string() })).default([]),
  recordOutputs: z.array(z.strictObject({ OutputKey: z.string(), OutputValue: z.string(), Description: z.string().optional() })).default([]),
  /** How long the record takes to turn final after its stack has (Service Catalog lags CloudFormation). @default 2, or a tenth of recordSeconds if shorter */
  recordLagSeconds: z.number().min(0).max(600).optional(),
  /** False for a record that fails before CloudFormation runs (a launch role or parameter problem): no stack events. @default true */
  stackEvents: z.boolean().default(true),
  /** The record provisions a new product (stack CREATE_*) rather than updating one (UPDATE_*). @default false */
  newProduct: z.boolean().default(false),
  /** Stack statuses whose events never reach EventBridge (a lost event), to try the safety net. @default none */
  lostStackEvents: z
    .array(z.string().regex(/^[A-Z_]+$/))
    .max(20)
    .default([]),
});
export type PlanSimulation = z.infer<typeof simulationSchema>;

/** The body of `POST /local/plans`: a DescribeProvisionedProductPlan response plus an optional simulation. */
export const planRegistrationSchema = z.strictObject({
  ProvisionedProductPlanDetails: z.strictObject({
    PlanId: id('PlanId').optional(),
    PlanName: z.string().min(1),
    Status: z
      .enum(['CREATE_IN_PROGRESS', 'CREATE_SUCCESS', 'CREATE_FAILED', 'EXECUTE_IN_PROGRESS', 'EXECUTE_SUCCESS', 'EXECUTE_FAILED'])
      .default('CREATE_SUCCESS'),
    StatusMessage: z.string().optional(),
    ProvisionProductId: id('ProvisionProductId').optional(),
    ProvisionProductName: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/, 'ProvisionProductName must be 1-128 characters, starting with a letter or digit')
      .optional(),
    ProductId: id('ProductId').optional(),
    ProvisioningArtifactId: id('ProvisioningArtifactId').optional(),
    PathId: id('PathId').optional(),
    PlanType: z.literal('CLOUDFORMATION').default('CLOUDFORMATION'),
    CreatedTime: timestamp.optional(),
    UpdatedTime: timestamp.optional(),
    NotificationArns: z
      .array(
        z
          .string()
          .min(1)
          .max(1224)
          .regex(/^arn:[a-z0-9-.]{1,63}:[a-z0-9-.]{0,63}:[a-z0-9-.]{0,63}:[a-z0-9-.]{0,63}:[^/].{0,1023}$/, 'must be an ARN'),
      )
      .max(5)
      .optional(),
    ProvisioningParameters: z
      .array(
        z.strictObject({
          Key: z.string().min(1).max(1000).optional(),
          Value: z.string().max(4096).optional(),
          UsePreviousValue: z.boolean().optional(),
        }),
      )
      .optional(),
    Tags: z
      .array(
        z.strictObject({
          Key: z.string().min(1).max(128).regex(tagText, 'must be letters, digits, spaces or _.:/=+-@'),
          Value: z.string().min(1).max(256).regex(tagText, 'must be letters, digits, spaces or _.:/=+-@'),
        }),
      )
      .max(50)
      .optional(),
  }),
  ResourceChanges: z.array(resourceChangeSchema).default([]),
  simulation: simulationSchema.optional(),
  /** The product's and the plan's version's names, which DescribeProductAsAdmin answers (absent: the product is unknown). */
  product: z.strictObject({ Name: z.string().min(1).max(8191), ProvisioningArtifactName: z.string().min(1).max(8192) }).optional(),
});
export type PlanRegistration = z.input<typeof planRegistrationSchema>;

interface StoredPlan {
  details: Json & { PlanId: string; Status: string };
  resourceChanges: Json[];
  simulation: PlanSimulation;
}

interface StoredRecord {
  planId: string;
  /** The last part of the stack id CloudFormation gives the record's run. */
  stackUuid: string;
  idempotencyToken: string;
  acceptLanguage?: string;
  executedAtMs: number;
  detail: Json & { RecordId: string };
  simulation: PlanSimulation;
}

interface Fault {
  error: AwsApiError;
  afterProcessing: boolean;
}

export interface ServiceCatalogCall {
  operation: string;
  input: Json;
  /** When it was called (real time): when ExecuteProvisionedProductPlan ran, against a change calendar's windows. */
  at: string;
}

/** A status change of the CloudFormation stack behind a record, as CloudFormation reports it to EventBridge. */
export interface StackStatusChange {
  stackId: string;
  status: string;
  statusReason: string;
}

export interface ServiceCatalogOptions {
  /**
   * Multiplies every simulated duration (a record's seconds, its lag behind the stack). @default 1
   * The emulator's clock runs 1/timeScale times as fast as the real one; answers date things by their age on it.
   */
  timeScale?: number;
  /** Receives every stack status change (local mode puts them on its event bus). */
  onStackEvent?: (change: StackStatusChange) => void;
  /** The account the stacks are in. @default 000000000000 */
  account?: string;
  region?: string;
  /**
   * Requests per second each operation answers before it throttles (ThrottlingException), as AWS rate-limits each API
   * of an account and Region: a token bucket per operation holding one second's worth, refilled continuously. Seconds
   * of the emulator's clock, as the workflow's waits and retries are scaled: at time scale F, N/F a real second. @default no limit
   */
  requestsPerSecond?: number;
}

/** A token bucket: `tokens` left as of `atMs` (the emulator's clock). */
interface Bucket {
  tokens: number;
  atMs: number;
}

const randomId = (prefix: string) => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return prefix + Array.from(randomBytes(13), (b) => alphabet[b % alphabet.length]).join('');
};

export class ServiceCatalogEmulator {
  private readonly plans = new Map<string, StoredPlan>();
  /** Products as DescribeProductAsAdmin answers them, by id, with their versions' names by id. */
  private readonly products = new Map<string, { name: string; versions: Map<string, string> }>();
  private readonly records = new Map<string, StoredRecord>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly buckets = new Map<string, Bucket>();
  /** Every call received, in order, for tests to inspect. */
  readonly calls: ServiceCatalogCall[] = [];

  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly timeScale: number;
  private readonly startedAtMs = Date.now();

  constructor(private readonly options: ServiceCatalogOptions = {}) {
    this.timeScale = options.timeScale ?? 1;
  }

  /** Simulated time, in milliseconds: real time divided by the time scale since the emulator started. */
  private now(): number {
    return this.startedAtMs + (Date.now() - this.startedAtMs) / this.timeScale;
  }

  /**
   * Details as an answer shows them: each time as long before the real clock as it is before the emulator's. The
   * functions' clock is the real one, so how long ago something happened reads in AWS time, as the scaled waits do
   * (with the emulator's own times, a record that just turned final would seem to finish in the future).
   */
  private asAnswered(details: Json): Json {
    const offsetSeconds = (Date.now() - this.now()) / 1000;
    const shift = (time: unknown) => (typeof time === 'number' ? time + offsetSeconds : time);
    return { ...details, CreatedTime: shift(details.CreatedTime), UpdatedTime: shift(details.UpdatedTime) };
  }

  /** Cancels pending stack events (local mode stopping). */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  /**
   * Makes the next call(s) of an operation fail with `error`. By default the call is refused before it
   * does anything (a throttle); with `afterProcessing` it takes effect and only its answer is lost
   * (a timeout after the service committed), which is what idempotency tokens exist for.
   */
  failNext(operation: string, error: AwsApiError, options: { times?: number; afterProcessing?: boolean } = {}): void {
    const fault: Fault = { error, afterProcessing: options.afterProcessing ?? false };
    this.faults.set(operation, [...(this.faults.get(operation) ?? []), ...Array(options.times ?? 1).fill(fault)]);
  }

  /** How many records executions have created, for tests of "nothing runs twice". */
  get recordCount(): number {
    return this.records.size;
  }

  /** Registers a plan, or replaces the plan with the same PlanId. Returns the PlanId. */
  registerPlan(body: unknown): string {
    const parsed = planRegistrationSchema.safeParse(body);
    if (!parsed.success) {
      throw invalid(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    }
    const { ProvisionedProductPlanDetails: details, ResourceChanges, simulation, product } = parsed.data;
    const planId = details.PlanId ?? randomId('plan-');
    const nowSeconds = this.now() / 1000;
    this.plans.set(planId, {
      details: {
        ProvisionProductId: randomId('pp-'),
        ProductId: randomId('prod-'),
        ProvisioningArtifactId: randomId('pa-'),
        PathId: randomId('lpv3-'),
        CreatedTime: nowSeconds,
        ...details,
        PlanId: planId,
        UpdatedTime: details.UpdatedTime ?? nowSeconds,
      },
      resourceChanges: ResourceChanges,
      simulation: simulationSchema.parse(simulation ?? {}),
    });
    const stored = this.plans.get(planId)!.details;
    if (product) {
      const known = this.products.get(String(stored.ProductId)) ?? { name: product.Name, versions: new Map<string, string>() };
      known.name = product.Name;
      known.versions.set(String(stored.ProvisioningArtifactId), product.ProvisioningArtifactName);
      this.products.set(String(stored.ProductId), known);
    }
    return planId;
  }

  /** The plan a record executes, if this emulator made the record. */
  planOfRecord(recordId: string): string | undefined {
    return this.records.get(recordId)?.planId;
  }

  /** Dispatches a wire request by operation name, as the HTTP endpoint does. */
  handle(operation: string, input: Json): Json {
    this.calls.push({ operation, input: structuredClone(input), at: new Date().toISOString() });
    const faults = this.faults.get(operation);
    // A refusal failNext asked for comes first; then the rate, which only a call that would be processed spends.
    if (faults?.[0] && !faults[0].afterProcessing) throw faults.shift()!.error;
    if (!this.admit(operation)) throw new AwsApiError('ThrottlingException', 'Rate exceeded');
    const fault = faults?.shift();
    const output = this.dispatch(operation, input);
    if (fault) throw fault.error;
    return output;
  }

  /** Takes a token from the operation's bucket, if there is a rate and a token left. */
  private admit(operation: string): boolean {
    const rate = this.options.requestsPerSecond;
    if (rate === undefined) return true;
    const nowMs = this.now();
    const capacity = Math.max(1, rate);
    const bucket = this.buckets.get(operation) ?? { tokens: capacity, atMs: nowMs };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * rate);
    bucket.atMs = nowMs;
    this.buckets.set(operation, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private dispatch(operation: string, input: Json): Json {
    switch (operation) {
      case 'DescribeProvisionedProductPlan':
        return this.describeProvisionedProductPlan(input);
      case 'ExecuteProvisionedProductPlan':
        return this.executeProvisionedProductPlan(input);
      case 'DescribeRecord':
        return this.describeRecord(input);
      case 'ListProvisionedProductPlans':
        return this.listProvisionedProductPlans(input);
      case 'DeleteProvisionedProductPlan':
        return this.deleteProvisionedProductPlan(input);
      case 'DescribeProductAsAdmin':
        return this.describeProductAsAdmin(input);
      default:
        throw new AwsApiError('UnknownOperationException', `Operation ${operation} is not supported by this emulator`);
    }
  }

  private describeProvisionedProductPlan(input: Json): Json {
    const plan = this.plan(requireId(input, 'PlanId'));
    checkLanguage(input);
    const page = paginate(plan.resourceChanges, input);
    this.syncPlanWithRecord(plan);
    return { ProvisionedProductPlanDetails: this.asAnswered(plan.details), ResourceChanges: page.items, NextPageToken: page.next };
  }

  private executeProvisionedProductPlan(input: Json): Json {
    const planId = requireId(input, 'PlanId');
    checkLanguage(input);
    const token = input.IdempotencyToken;
    if (typeof token !== 'string' || !TOKEN.test(token)) {
      throw invalid('IdempotencyToken must be 1-128 characters of letters, digits, "_" or "-", starting with a letter or digit');
    }
    const previous = [...this.records.values()].find((r) => r.idempotencyToken === token);
    if (previous) {
      // [inferred] Same token, different request: AWS does not document this; we refuse it.
      if (previous.planId !== planId) throw invalid(`IdempotencyToken ${token} was already used for another request`);
      return { RecordDetail: this.recordDetail(previous, true) };
    }
    const plan = this.plan(planId);
    // [inferred] Only a plan that finished creating and has not run yet can be executed.
    if (plan.details.Status !== 'CREATE_SUCCESS') {
      throw new AwsApiError('InvalidStateException', `Plan ${planId} is not in a valid state for execution (${plan.details.Status})`);
    }
    const nowMs = this.now();
    const recordId = randomId('rec-');
    const record: StoredRecord = {
      planId,
      stackUuid: randomUUID(),
      idempotencyToken: token,
      acceptLanguage: input.AcceptLanguage as string | undefined,
      executedAtMs: nowMs,
      simulation: plan.simulation,
      detail: {
        RecordId: recordId,
        ProvisionedProductName: plan.details.ProvisionProductName,
        Status: 'CREATED',
        CreatedTime: nowMs / 1000,
        UpdatedTime: nowMs / 1000,
        ProvisionedProductType: 'CFN_STACK',
        RecordType: 'UPDATE_PROVISIONED_PRODUCT', // [inferred]
        ProvisionedProductId: plan.details.ProvisionProductId,
        ProductId: plan.details.ProductId,
        ProvisioningArtifactId: plan.details.ProvisioningArtifactId,
        PathId: plan.details.PathId,
        RecordErrors: [],
        RecordTags: [],
      },
    };
    this.records.set(recordId, record);
    plan.details.Status = 'EXECUTE_IN_PROGRESS';
    plan.details.UpdatedTime = nowMs / 1000;
    this.runStack(record);
    return { RecordDetail: this.recordDetail(record, true) };
  }

  private describeRecord(input: Json): Json {
    const id = requireId(input, 'Id');
    checkLanguage(input);
    const record = this.records.get(id);
    if (!record) throw notFound(`Record ${id} not found`);
    const detail = this.recordDetail(record, false);
    const outputs = detail.Status === 'SUCCEEDED' || detail.Status === 'FAILED' ? record.simulation.recordOutputs : [];
    const page = paginate(outputs, input);
    return { RecordDetail: detail, RecordOutputs: page.items, NextPageToken: page.next };
  }

  private listProvisionedProductPlans(input: Json): Json {
    checkLanguage(input);
    const filter = input.ProvisionProductId;
    if (filter !== undefined && (typeof filter !== 'string' || !ID.test(filter))) throw invalid('ProvisionProductId is not a valid id');
    const summaries = [...this.plans.values()]
      .filter((p) => filter === undefined || p.details.ProvisionProductId === filter)
      .map((p) => ({
        PlanName: p.details.PlanName,
        PlanId: p.details.PlanId,
        ProvisionProductId: p.details.ProvisionProductId,
        ProvisionProductName: p.details.ProvisionProductName,
        PlanType: p.details.PlanType,
        ProvisioningArtifactId: p.details.ProvisioningArtifactId,
      }));
    const page = paginate(summaries, input);
    return { ProvisionedProductPlans: page.items, NextPageToken: page.next };
  }

  private deleteProvisionedProductPlan(input: Json): Json {
    const planId = requireId(input, 'PlanId');
    checkLanguage(input);
    if (input.IgnoreErrors !== undefined && typeof input.IgnoreErrors !== 'boolean') throw invalid('IgnoreErrors must be a boolean');
    this.plan(planId);
    this.plans.delete(planId);
    return {};
  }

  /** By Id only (Name is the other way to ask; PlanGate asks by the id the plan names). */
  private describeProductAsAdmin(input: Json): Json {
    const id = requireId(input, 'Id');
    checkLanguage(input);
    const product = this.products.get(id);
    if (!product) throw notFound(`Product ${id} not found`);
    return {
      ProductViewDetail: {
        ProductViewSummary: {
          Id: `prodview-${id.slice(5)}`,
          ProductId: id,
          Name: product.name,
          Owner: 'Platform team',
          Type: 'CLOUD_FORMATION_TEMPLATE',
        },
        Status: 'CREATED',
        ProductARN: `arn:aws:catalog:${this.options.region ?? 'us-east-1'}:${this.options.account ?? '000000000000'}:product/${id}`,
      },
      ProvisioningArtifactSummaries: [...product.versions].map(([versionId, name]) => ({ Id: versionId, Name: name })),
      Tags: [],
      TagOptions: [],
      Budgets: [],
    };
  }

  private plan(planId: string): StoredPlan {
    const plan = this.plans.get(planId);
    if (!plan) throw notFound(`Plan ${planId} not found`);
    return plan;
  }

  /** The record as of now: its status follows the simulated timeline; `atCreation` gives the Execute response. */
  private recordDetail(record: StoredRecord, atCreation: boolean): Json {
    const { recordSeconds, finalStatus, recordErrors } = record.simulation;
    const elapsed = (this.now() - record.executedAtMs) / 1000;
    let status: string;
    if (atCreation) status = 'CREATED';
    else if (elapsed >= recordSeconds) status = finalStatus;
    else if (elapsed < recordSeconds * 0.1) status = 'CREATED';
    // A failing record goes through IN_PROGRESS_IN_ERROR (rollback) for its second half.
    else if (finalStatus === 'FAILED' && elapsed >= recordSeconds / 2) status = 'IN_PROGRESS_IN_ERROR';
    else status = 'IN_PROGRESS';
    const final = status === 'SUCCEEDED' || status === 'FAILED';
    return this.asAnswered({
      ...record.detail,
      Status: status,
      UpdatedTime: final ? (record.executedAtMs + recordSeconds * 1000) / 1000 : this.now() / 1000,
      RecordErrors: status === 'FAILED' ? recordErrors : [],
    });
  }

  /**
   * Reports the stack's status changes for a record's run: in progress at once; for a failing record, the failure
   * and rollback when the record goes IN_PROGRESS_IN_ERROR; and the final status recordLagSeconds before the record
   * itself turns final. A record that fails before CloudFormation runs (stackEvents false) has no stack events.
   */
  private runStack(record: StoredRecord): void {
    const { recordSeconds, finalStatus, recordLagSeconds, stackEvents, newProduct, lostStackEvents } = record.simulation;
    if (!stackEvents || !this.options.onStackEvent) return;
    const account = this.options.account ?? '000000000000';
    const name = `SC-${account}-${String(record.detail.ProvisionedProductId)}`;
    const stackId = `arn:aws:cloudformation:${this.options.region ?? 'us-east-1'}:${account}:stack/${name}/${record.stackUuid}`;
    const verb = newProduct ? 'CREATE' : 'UPDATE';
    const at = (seconds: number, status: string, statusReason = '') => {
      if (lostStackEvents.includes(status)) return;
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          this.options.onStackEvent?.({ stackId, status, statusReason });
        },
        seconds * 1000 * this.timeScale,
      );
      this.timers.add(timer);
    };
    const lag = Math.min(recordLagSeconds ?? Math.min(2, recordSeconds / 10), recordSeconds);
    const final = recordSeconds - lag;
    at(0, `${verb}_IN_PROGRESS`, 'User Initiated');
    if (finalStatus === 'FAILED') {
      const reason = record.simulation.recordErrors[0]?.Description ?? 'Resource update failed';
      at(Math.min(recordSeconds / 2, final), `${verb}_FAILED`, reason);
      at(Math.min(recordSeconds / 2, final), newProduct ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS', reason);
      at(final, newProduct ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE');
    } else {
      at(final, `${verb}_COMPLETE`);
    }
  }

  /** [inferred] A plan's status follows its record: EXECUTE_IN_PROGRESS, then EXECUTE_SUCCESS or EXECUTE_FAILED. */
  private syncPlanWithRecord(plan: StoredPlan): void {
    if (plan.details.Status !== 'EXECUTE_IN_PROGRESS') return;
    const record = [...this.records.values()].find((r) => r.planId === plan.details.PlanId);
    if (!record) return;
    const status = this.recordDetail(record, false).Status;
    if (status === 'SUCCEEDED') plan.details.Status = 'EXECUTE_SUCCESS';
    if (status === 'FAILED') plan.details.Status = 'EXECUTE_FAILED';
  }
}

function requireId(input: Json, member: string): string {
  const value = input[member];
  if (value === undefined) throw invalid(`${member} is required`);
  if (typeof value !== 'string' || !ID.test(value)) throw invalid(`${member} must be 1-100 characters of letters, digits, "_" or "-"`);
  return value;
}

function checkLanguage(input: Json): void {
  const lang = input.AcceptLanguage;
  if (lang !== undefined && (typeof lang !== 'string' || !LANGUAGES.has(lang))) {
    throw invalid(`AcceptLanguage ${JSON.stringify(lang)} is not supported; use en, jp or zh`);
  }
}

/** Opaque page tokens: the offset, base64url-encoded. PageSize 0 or absent means 20 [inferred]. */
function paginate<T>(items: T[], input: Json): { items: T[]; next?: string } {
  const size = input.PageSize ?? 0;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw invalid(`PageSize must be a whole number from 0 to ${MAX_PAGE_SIZE}`);
  }
  let offset = 0;
  if (input.PageToken !== undefined && input.PageToken !== null) {
    const token = input.PageToken;
    // Only a token this emulator issued: base64url of an offset, re-encoding to itself ("!!!" or "" is refused).
    const decoded = typeof token === 'string' && /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString() : '';
    const offset_ = /^\d+$/.test(decoded) ? Number(decoded) : Number.NaN;
    if (!Number.isInteger(offset_) || offset_ > items.length || Buffer.from(decoded).toString('base64url') !== token)
      throw invalid('PageToken is not valid');
    offset = offset_;
  }
  const end = offset + (size || MAX_PAGE_SIZE);
  return {
    items: items.slice(offset, end),
    next: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}
