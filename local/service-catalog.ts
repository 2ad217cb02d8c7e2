import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * An in-memory Service Catalog for plans and records, following ../shared/reference/service-catalog-api.md:
 * full-match validation of ids, the modeled errors, pages of at most 20, epoch-second timestamps,
 * only CREATE_SUCCESS plans execute, the same IdempotencyToken returns the same record, and a record
 * moves CREATED → IN_PROGRESS (→ IN_PROGRESS_IN_ERROR) → SUCCEEDED | FAILED as the clock advances.
 *
 * Requests and responses are wire-shaped JSON, so the same object serves the SDK-level fakes in tests
 * and the HTTP endpoint of local mode. Behaviour the reference marks [inferred] is labelled below.
 */

/** A modeled AWS error: `type` is the `__type` on the wire and the SDK error's `name`. */
export class AwsApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
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

const resourceChangeSchema = z.looseObject({
  Action: z.enum(['ADD', 'MODIFY', 'REMOVE']),
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: z.string().optional(),
  ResourceType: z.string().min(1).max(256),
  Replacement: z.enum(['TRUE', 'FALSE', 'CONDITIONAL']).optional(),
  Scope: z.array(z.string()).optional(),
  Details: z.array(z.looseObject({})).optional(),
});

const simulationSchema = z.strictObject({
  recordSeconds: z.number().min(0).max(86_400).default(3),
  finalStatus: z.enum(['SUCCEEDED', 'FAILED']).default('SUCCEEDED'),
  recordErrors: z.array(z.strictObject({ Code: z.string(), Description: z.string() })).default([]),
  recordOutputs: z.array(z.strictObject({ OutputKey: z.string(), OutputValue: z.string(), Description: z.string().optional() })).default([]),
});
export type PlanSimulation = z.infer<typeof simulationSchema>;

/** The body of `POST /local/plans`: a DescribeProvisionedProductPlan response plus an optional simulation. */
export const planRegistrationSchema = z.strictObject({
  ProvisionedProductPlanDetails: z.looseObject({
    PlanId: z.string().regex(ID, 'PlanId must be 1-100 characters of letters, digits, "_" or "-"').optional(),
    PlanName: z.string().min(1),
    Status: z
      .enum(['CREATE_IN_PROGRESS', 'CREATE_SUCCESS', 'CREATE_FAILED', 'EXECUTE_IN_PROGRESS', 'EXECUTE_SUCCESS', 'EXECUTE_FAILED'])
      .default('CREATE_SUCCESS'),
    StatusMessage: z.string().optional(),
    ProvisionProductId: z.string().regex(ID).optional(),
    ProvisionProductName: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/, 'ProvisionProductName must be 1-128 characters, starting with a letter or digit').optional(),
    ProductId: z.string().regex(ID).optional(),
    ProvisioningArtifactId: z.string().regex(ID).optional(),
    PathId: z.string().regex(ID).optional(),
    PlanType: z.literal('CLOUDFORMATION').default('CLOUDFORMATION'),
  }),
  ResourceChanges: z.array(resourceChangeSchema).default([]),
  simulation: simulationSchema.optional(),
});
export type PlanRegistration = z.input<typeof planRegistrationSchema>;

interface StoredPlan {
  details: Json & { PlanId: string; Status: string };
  resourceChanges: Json[];
  simulation: PlanSimulation;
}

interface StoredRecord {
  planId: string;
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
}

const randomId = (prefix: string) => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return prefix + Array.from(randomBytes(13), (b) => alphabet[b % alphabet.length]).join('');
};

export class ServiceCatalogEmulator {
  private readonly plans = new Map<string, StoredPlan>();
  private readonly records = new Map<string, StoredRecord>();
  private readonly faults = new Map<string, Fault[]>();
  /** Every call received, in order, for tests to inspect. */
  readonly calls: ServiceCatalogCall[] = [];

  /** @param now the clock records advance by, in milliseconds */
  constructor(private readonly now: () => number = Date.now) {}

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
    const { ProvisionedProductPlanDetails: details, ResourceChanges, simulation } = parsed.data;
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
        UpdatedTime: nowSeconds,
      },
      resourceChanges: ResourceChanges,
      simulation: simulationSchema.parse(simulation ?? {}),
    });
    return planId;
  }

  /** Dispatches a wire request by operation name, as the HTTP endpoint does. */
  handle(operation: string, input: Json): Json {
    this.calls.push({ operation, input: structuredClone(input) });
    const fault = this.faults.get(operation)?.shift();
    if (fault && !fault.afterProcessing) throw fault.error;
    const output = this.dispatch(operation, input);
    if (fault) throw fault.error;
    return output;
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
      default:
        throw new AwsApiError('UnknownOperationException', `Operation ${operation} is not supported by this emulator`);
    }
  }

  private describeProvisionedProductPlan(input: Json): Json {
    const plan = this.plan(requireId(input, 'PlanId'));
    checkLanguage(input);
    const page = paginate(plan.resourceChanges, input);
    this.syncPlanWithRecord(plan);
    return { ProvisionedProductPlanDetails: { ...plan.details }, ResourceChanges: page.items, NextPageToken: page.next };
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
    return {
      ...record.detail,
      Status: status,
      UpdatedTime: final ? (record.executedAtMs + recordSeconds * 1000) / 1000 : this.now() / 1000,
      RecordErrors: status === 'FAILED' ? recordErrors : [],
    };
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
    const decoded = typeof input.PageToken === 'string' ? Number(Buffer.from(input.PageToken, 'base64url').toString()) : Number.NaN;
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) throw invalid('PageToken is not valid');
    offset = decoded;
  }
  const end = offset + (size || MAX_PAGE_SIZE);
  return {
    items: items.slice(offset, end),
    next: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}
