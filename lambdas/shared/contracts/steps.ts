/**
 * The shapes that flow between the state machine's steps. Each Lambda's output lands at one path of the run's
 * state document (see lib/workflow-definition.ts); these schemas name and check them, and the types are inferred.
 */

import { approverSchema } from './approver';
import { breakGlassUseSchema } from './break-glass';
import { InvalidInputError } from './errors';
import { executeWindowInputSchema, executeWindowSchema } from './execute-window';
import { accountIdSchema, regionSchema } from './spokes';
import * as z from './zod';

export const ACCEPT_LANGUAGES = ['en', 'jp', 'zh'] as const;
export const acceptLanguageSchema = /* @__PURE__ */ (() => z.enum(ACCEPT_LANGUAGES, { error: 'acceptLanguage must be one of "en", "jp", "zh"' }))();
export type AcceptLanguage = z.infer<typeof acceptLanguageSchema>;

export const RISK_LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export const riskLevelSchema = /* @__PURE__ */ (() => z.enum(RISK_LEVELS))();
export type RiskLevel = z.infer<typeof riskLevelSchema>;

/** Service Catalog's `Id` shape, applied as a full match. */
export const planIdSchema = /* @__PURE__ */ (() =>
  z
    .string({ error: 'planId is required' })
    .check(z.regex(/^[a-zA-Z0-9_-]{1,100}$/, 'planId must be 1-100 characters of letters, digits, "_" or "-"')))();

/**
 * How the approval table and the command line name a plan: its id for a hub plan, `<accountId>:<region>:<planId>` for a
 * spoke's (domain/plan-location.ts scopedId).
 */
export const planRefSchema = /* @__PURE__ */ (() =>
  z
    .string({ error: 'planId is required' })
    .check(
      z.regex(
        /^(\d{12}:[a-z]{2}(-[a-z]+)+-\d:)?[a-zA-Z0-9_-]{1,100}$/,
        'planId must be 1-100 characters of letters, digits, "_" or "-" (a spoke plan\'s: <accountId>:<region>:<planId>)',
      ),
    ))();

export const executionArnSchema = /* @__PURE__ */ (() => z.string().check(z.minLength(1)))();

/** What a user or trigger may start a run with. Without accountId and region, the plan is in the hub's account and Region. */
export const runInputSchema = /* @__PURE__ */ (() =>
  z
    .object({
      planId: planIdSchema,
      accountId: z.optional(accountIdSchema),
      region: z.optional(regionSchema),
      acceptLanguage: z.optional(acceptLanguageSchema),
      requestedBy: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
      /** `emergency`: skips the change calendar (not the approvals), for the requesters of plangate:changeCalendar.emergency. */
      changeClass: z.optional(z.enum(['standard', 'emergency'], { error: 'changeClass must be "standard" or "emergency"' })),
      /** Why, for the approvers and the audit: required with changeClass `emergency`. */
      emergencyReason: z.optional(
        z.string().check(z.minLength(1, 'emergencyReason must be 1-1000 characters'), z.maxLength(1000, 'emergencyReason must be 1-1000 characters')),
      ),
      /** When the approved plan may be executed (contracts/execute-window.ts): the run waits until notBefore. */
      executeWindow: z.optional(executeWindowInputSchema),
    })
    .check(
      z.refine((input) => input.changeClass !== 'emergency' || input.emergencyReason !== undefined, {
        error: 'emergencyReason is required with changeClass "emergency"',
        path: ['emergencyReason'],
      }),
    ))();
export type RunInput = z.infer<typeof runInputSchema>;

/**
 * A run the review-request rule started: the event's detail, and the account that sent it (from the envelope, trusted).
 * The plan id is at the top too, the same: a refused run's outcome keeps it from there (lib/workflow-definition.ts).
 */
export const sentRunInputSchema = /* @__PURE__ */ (() =>
  z
    .object({ planId: planIdSchema, request: runInputSchema, sentBy: z.object({ account: accountIdSchema }) })
    .check(z.refine((start) => start.planId === start.request.planId, { error: 'planId must be the same as request.planId', path: ['planId'] })))();

/** Either way a run starts. */
export const startInputSchema = /* @__PURE__ */ (() => z.union([runInputSchema, sentRunInputSchema]))();

/** The schema for one start's input, by its shape: so a bad run input is told what is wrong with it, not with both shapes. */
export const startInputSchemaFor = (input: unknown) =>
  typeof input === 'object' && input !== null && 'request' in input && 'sentBy' in input ? sentRunInputSchema : runInputSchema;

/**
 * A start's input, checked as the shape it has. Not the union: the rule's `{planId, request, sentBy}` is a valid plain
 * run input too (unknown keys are dropped), which would name the hub's plan of that id instead of the request's.
 */
export function parseStartInput(input: unknown) {
  const schema: z.ZodMiniType<z.infer<typeof startInputSchema>> = startInputSchemaFor(input);
  return z.safeParse(schema, input);
}

/**
 * The run input a start names. A request sent as an event may name only its sender's account (absent: the sender's):
 * naming another is for operators, who start runs with StartExecution.
 */
export function runInputOf(start: z.infer<typeof startInputSchema>): RunInput {
  if (!('request' in start)) return start;
  const { request, sentBy } = start;
  if (request.accountId !== undefined && request.accountId !== sentBy.account) {
    throw new InvalidInputError(`The review request names account ${request.accountId}, but account ${sentBy.account} sent it`);
  }
  return { ...request, accountId: sentBy.account };
}

/** Set by the state machine's first state from the execution's context object, at `$.run`. */
export const runContextSchema = /* @__PURE__ */ (() =>
  z.object({ executionArn: executionArnSchema, startedAt: z.string(), planChecks: z.number() }))();
export type RunContext = z.infer<typeof runContextSchema>;

/** One property-level detail of a change (Service Catalog's ResourceChangeDetail), flattened. */
export const changeDetailSchema = /* @__PURE__ */ (() =>
  z.object({
    /** PROPERTIES, TAGS, METADATA, ... */
    attribute: z.optional(z.string()),
    /** The property's name, when the attribute is PROPERTIES. */
    name: z.optional(z.string()),
    /** NEVER, CONDITIONALLY or ALWAYS: whether changing it re-creates the resource. */
    requiresRecreation: z.optional(z.string()),
    /** STATIC, or DYNAMIC when the new value is known only at execution. */
    evaluation: z.optional(z.string()),
    /** What caused the change: a parameter, a resource (or LogicalId.Attr); absent for a direct template edit. */
    causingEntity: z.optional(z.string()),
  }))();
export type ChangeDetail = z.infer<typeof changeDetailSchema>;

export const resourceChangeSummarySchema = /* @__PURE__ */ (() =>
  z.object({
    action: z.string(),
    logicalResourceId: z.string(),
    resourceType: z.string(),
    physicalResourceId: z.optional(z.string()),
    replacement: z.optional(z.string()),
    risk: riskLevelSchema,
    /** Why the change is HIGH or MEDIUM risk. */
    reason: z.optional(z.string()),
    /** What changes in the resource, re-creating details first; capped (absent in records reviewed before details were kept). */
    details: z.optional(z.array(changeDetailSchema)),
    /** How many details the list leaves out because of the caps. */
    detailsUnlisted: z.optional(z.number()),
  }))();
export type ResourceChangeSummary = z.infer<typeof resourceChangeSummarySchema>;

export const changeSummarySchema = /* @__PURE__ */ (() =>
  z.object({
    total: z.number(),
    countsByAction: z.record(z.string(), z.number()),
    replacements: z.number(),
    /** The plan's risk: its riskiest change's. */
    risk: riskLevelSchema,
    countsByRisk: z.record(riskLevelSchema, z.number()),
    /** Riskiest first (removals, then replacements, lead the HIGH ones), then the rest; capped at MAX_LISTED_CHANGES. */
    changes: z.array(resourceChangeSummarySchema),
    /** How many changes the list leaves out because of the cap. */
    unlisted: z.number(),
  }))();
export type ChangeSummary = z.infer<typeof changeSummarySchema>;

/** A provisioning parameter of a plan (domain/parameters.ts): given a value, masked (its name looks secret), or kept as it is. */
export const planParameterSchema = /* @__PURE__ */ (() =>
  z.object({
    key: z.string(),
    value: z.optional(z.string()),
    masked: z.optional(z.boolean()),
    /** UsePreviousValue: the provisioned product keeps its current value. */
    kept: z.optional(z.boolean()),
  }))();
export type PlanParameter = z.infer<typeof planParameterSchema>;

export const planSummarySchema = /* @__PURE__ */ (() =>
  z.object({
    planId: z.string(),
    planName: z.optional(z.string()),
    status: z.string(),
    statusMessage: z.optional(z.string()),
    provisionedProductId: z.optional(z.string()),
    provisionedProductName: z.optional(z.string()),
    productId: z.optional(z.string()),
    provisioningArtifactId: z.optional(z.string()),
    /** The product's and the version's names, when Service Catalog would tell them (adapters/plans.ts). */
    productName: z.optional(z.string()),
    provisioningArtifactName: z.optional(z.string()),
    createdTime: z.optional(z.string()),
    parameters: z.optional(z.array(planParameterSchema)),
    parametersUnlisted: z.optional(z.number()),
  }))();
export type PlanSummary = z.infer<typeof planSummarySchema>;

/** The approval rules from configuration (plangate:autoApproveUpTo, plangate:requiredApprovals). */
export const approvalRulesSchema = /* @__PURE__ */ (() =>
  z.object({
    /** Plans up to this risk run without a human decision; NONE asks a human for every plan. */
    autoApproveUpTo: z.enum(['NONE', ...RISK_LEVELS]),
    requiredApprovals: z.record(riskLevelSchema, z.number().check(z.int(), z.minimum(1))),
  }))();
export type ApprovalRules = z.infer<typeof approvalRulesSchema>;

/** One requirement a reviewed plan must meet (contracts/policies.ts names the rules and groups). */
export const requirementSchema = /* @__PURE__ */ (() =>
  z.object({
    /** The rule's name; `plangate:requiredApprovals` for the floor. */
    rule: z.string(),
    /** A group of plangate:groups, or `*`: any approver. */
    group: z.string(),
    count: z.number(),
    stage: z.number(),
  }))();
export type Requirement = z.infer<typeof requirementSchema>;

/** A rule of plangate:approvalRules that matched a plan, and why. */
export const appliedRuleSchema = /* @__PURE__ */ (() =>
  z.object({
    name: z.string(),
    stage: z.number(),
    /** Why it applies, in words: the first changes (or the place) that made it match, each clipped. */
    because: z.array(z.string()),
    /** How many more changes made it match than `because` lists. */
    becauseUnlisted: z.optional(z.number()),
  }))();
export type AppliedRule = z.infer<typeof appliedRuleSchema>;

/** What the rules make of one reviewed plan, at `$.review.policy`. */
export const approvalPolicySchema = /* @__PURE__ */ (() =>
  z.object({
    /** True when the plan runs without asking anyone. */
    autoApproved: z.boolean(),
    /** Distinct human approvals needed (0 when auto-approved). */
    requiredApprovals: z.number(),
    /** The rule that applied, in words, for the approvers, the notification and the audit record. */
    rule: z.string(),
    /** The approver who asked for the run: they may reject it but not approve it. */
    selfApprover: z.optional(z.string()),
    /**
     * With plangate:approvalRules: every requirement, by stage (the floor of plangate:requiredApprovals last). Absent:
     * `requiredApprovals` distinct approvals from any approver.
     */
    requirements: z.optional(z.array(requirementSchema)),
    /** The rules that matched, in order, with why. */
    rulesApplied: z.optional(z.array(appliedRuleSchema)),
    /** plangate:distinctApproversAcrossRules: one approval meets one requirement only. */
    distinctApprovers: z.optional(z.boolean()),
  }))();
export type ApprovalPolicy = z.infer<typeof approvalPolicySchema>;

/**
 * Who created a plan, as CloudTrail recorded CreateProvisionedProductPlan's caller: the requester PlanGate has
 * verified, unlike a run input's `requestedBy`, which is a claim. Written by the PlanCreated function only.
 */
export const creatorSchema = /* @__PURE__ */ (() =>
  z.object({
    arn: z.string(),
    /** The approver that principal is (by iamPrincipals, email, or an Identity Center session name): they may not approve. */
    approverEmail: z.optional(z.string()),
    verifiedBy: z.literal('cloudtrail'),
    eventId: z.string(),
    eventTime: z.string(),
  }))();
export type Creator = z.infer<typeof creatorSchema>;

/** The change calendar as ReviewPlan saw it (plangate:changeCalendar), at `$.review.calendar`: for every surface to show. */
export const calendarAtReviewSchema = /* @__PURE__ */ (() =>
  z.object({
    open: z.boolean(),
    /** "Change freeze year-end active until 2027-01-04 08:00 Europe/Berlin" */
    reason: z.optional(z.string()),
    /** When the answer can next change (ISO 8601, UTC). */
    nextTransition: z.optional(z.string()),
    checkedAt: z.string(),
  }))();
export type CalendarAtReview = z.infer<typeof calendarAtReviewSchema>;

/** An emergency change (run input changeClass `emergency`, from an allowed requester), at `$.review.emergency`. */
export const emergencySchema = /* @__PURE__ */ (() => z.object({ reason: z.string(), requestedBy: z.string() }))();
export type Emergency = z.infer<typeof emergencySchema>;

/** ReviewPlan's output, at `$.review`. */
export const reviewResultSchema = /* @__PURE__ */ (() =>
  z.object({
    planId: planIdSchema,
    /** Where the plan is (set by every review since spokes; the hub's for a hub plan), and the account's configured name. */
    accountId: z.optional(accountIdSchema),
    region: z.optional(regionSchema),
    accountName: z.optional(z.string()),
    acceptLanguage: acceptLanguageSchema,
    /** As the run input claims it. */
    requestedBy: z.optional(z.string()),
    /** As CloudTrail recorded it, when known by the review. */
    creator: z.optional(creatorSchema),
    planStatus: z.string(),
    plan: z.optional(planSummarySchema),
    summary: z.optional(changeSummarySchema),
    /** SHA-256 of the resource changes reviewed; execution checks the plan still has exactly these. */
    changesDigest: z.optional(z.string()),
    /** What the approval rules require of this plan. */
    policy: z.optional(approvalPolicySchema),
    /** The change calendar when the plan was reviewed; execution checks it again, and that check decides. */
    calendar: z.optional(calendarAtReviewSchema),
    /** Set for an allowed emergency change: it skips the calendar at execution, and every surface and the record show it. */
    emergency: z.optional(emergencySchema),
    /** The run input's execution window: the run waits until notBefore, and ExecutePlan revalidates before executing. */
    executeWindow: z.optional(executeWindowSchema),
    reviewedAt: z.string(),
  }))();
export type ReviewResult = z.infer<typeof reviewResultSchema>;

/** The review of a CREATE_SUCCESS plan, which is what approval steps receive. */
export const reviewedPlanSchema = /* @__PURE__ */ (() =>
  z.extend(reviewResultSchema, {
    summary: changeSummarySchema,
    changesDigest: z.string(),
    policy: approvalPolicySchema,
  }))();
export type ReviewedPlan = z.infer<typeof reviewedPlanSchema>;

export const DECISIONS = ['APPROVED', 'REJECTED'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Where a person decided: their emailed link, Slack's buttons, or `plangate approve|reject` (signed with IAM). */
export const decisionChannelSchema = /* @__PURE__ */ (() => z.enum(['web', 'slack', 'cli']))();
export type DecisionChannel = z.infer<typeof decisionChannelSchema>;

/** A signed-in approver's identity as their identity provider's ID token verified it: the token's `iss` and `sub`. */
export const signedInSchema = /* @__PURE__ */ (() => z.object({ issuer: z.string(), subject: z.string() }))();
export type SignedIn = z.infer<typeof signedInSchema>;

/** One approver's approval, counted towards the quorum. */
export const approvalSchema = /* @__PURE__ */ (() =>
  z.object({
    approver: approverSchema,
    channel: decisionChannelSchema,
    decidedAt: z.string(),
    comment: z.optional(z.string()),
    /** The IAM principal that signed a command-line decision (channel `cli`). */
    principal: z.optional(z.string()),
    /** The groups of the request's requirements the approver belonged to when they voted (Identity Center checked then). */
    groups: z.optional(z.array(z.string())),
    /** The stage that was open when they voted. */
    stage: z.optional(z.number()),
    /** Who was signed in when they decided on the page (plangate:signIn): the identity provider's verified identity. */
    signedIn: z.optional(signedInSchema),
  }))();
export type Approval = z.infer<typeof approvalSchema>;

/** An approver's decision: what the approval API sends back with SendTaskSuccess. */
export const humanDecisionSchema = /* @__PURE__ */ (() =>
  z.object({
    decision: z.enum(DECISIONS),
    approver: approverSchema,
    comment: z.optional(z.string()),
    channel: decisionChannelSchema,
    /** The IAM principal that signed a command-line decision (channel `cli`). */
    principal: z.optional(z.string()),
    requestedAt: z.string(),
    decidedAt: z.string(),
    /** Every approval counted towards the quorum, in order (the deciding one last). */
    approvals: z.optional(z.array(approvalSchema)),
    /** In the run's state, approvals left out of `approvals` to fit it (the approval record has them all). */
    approvalsUnlisted: z.optional(z.number()),
    /** An approval's groups, stage and signed-in identity (as on approvalSchema). */
    groups: z.optional(z.array(z.string())),
    stage: z.optional(z.number()),
    /** A break-glass approval (plangate:breakGlass): it approved the plan outright, for a short while. */
    breakGlass: z.optional(breakGlassUseSchema),
    signedIn: z.optional(signedInSchema),
  }))();
export type HumanDecision = z.infer<typeof humanDecisionSchema>;

/** The auto-approval rule's decision: AutoApprove's output. */
export const ruleDecisionSchema = /* @__PURE__ */ (() =>
  z.object({
    decision: z.literal('APPROVED'),
    channel: z.literal('rule'),
    /** The rule that approved, e.g. "LOW risk is within plangate:autoApproveUpTo (LOW)". */
    rule: z.string(),
    requestedAt: z.string(),
    decidedAt: z.string(),
  }))();
export type RuleDecision = z.infer<typeof ruleDecisionSchema>;

/** How the approval was decided, at `$.approval`. */
export const approvalDecisionSchema = /* @__PURE__ */ (() => z.union([humanDecisionSchema, ruleDecisionSchema]))();
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

/** ExecutePlan's output, at `$.execution`. */
export const executionResultSchema = /* @__PURE__ */ (() =>
  z.object({
    recordId: z.string(),
    idempotencyToken: z.string(),
    recordStatus: z.string(),
    executedAt: z.string(),
  }))();
export type ExecutionResult = z.infer<typeof executionResultSchema>;

/**
 * ExecutePlan's output, at `$.execution`, when the change calendar is closed and plangate:changeCalendar's onClosed is
 * `wait`: nothing was executed; the state machine waits until `deferredUntil` and asks again.
 */
export const deferredExecutionSchema = /* @__PURE__ */ (() => z.object({ deferredUntil: z.string(), reason: z.string() }))();
export type DeferredExecution = z.infer<typeof deferredExecutionSchema>;

/** What `$.execution` holds: the executed plan's record, or a deferral by the change calendar. */
export const executionStepSchema = /* @__PURE__ */ (() => z.union([executionResultSchema, deferredExecutionSchema]))();
export type ExecutionStep = z.infer<typeof executionStepSchema>;

/** The execution, if the plan was executed (not deferred). */
export const executedOf = (execution: ExecutionStep | undefined): ExecutionResult | undefined =>
  execution && 'recordId' in execution ? execution : undefined;

export const recordErrorSchema = /* @__PURE__ */ (() => z.object({ code: z.optional(z.string()), description: z.optional(z.string()) }))();
export type RecordError = z.infer<typeof recordErrorSchema>;

/**
 * The end of a wait on the record, at `$.record.wake`: AwaitRecord's output when a stack event woke the run, or the
 * Catch's error when the safety net ran out (then without stackEventAt). Empty before the first wait.
 */
export const recordWakeSchema = /* @__PURE__ */ (() =>
  z.looseObject({ stackStatus: z.optional(z.string()), stackEventAt: z.optional(z.string()) }))();
export type RecordWake = z.infer<typeof recordWakeSchema>;

/** CheckRecord's output, at `$.record`. */
export const recordCheckSchema = /* @__PURE__ */ (() =>
  z.object({
    recordId: z.string(),
    status: z.string(),
    provisionedProductId: z.optional(z.string()),
    provisionedProductName: z.optional(z.string()),
    /** The first errors (at most 100, each clipped, as many as fit the record's share of the state); recordErrorsUnlisted
     * counts the rest. */
    recordErrors: z.array(recordErrorSchema),
    recordErrorsUnlisted: z.optional(z.number()),
    /** The first outputs that fit the record's share of the run's state; recordOutputsUnlisted counts the rest. */
    recordOutputs: z.array(z.object({ key: z.optional(z.string()), value: z.optional(z.string()), description: z.optional(z.string()) })),
    recordOutputsUnlisted: z.optional(z.number()),
    checks: z.number(),
    /** Safety-net waits so far: each one is longer, up to the cap. */
    safetyNetWaits: z.number(),
    /** Quick re-checks since the last stack event woke the run (Service Catalog lags its stack). */
    quickChecks: z.number(),
    /** The newest stack event this run has acted on (empty before any); an older one does not wake it again. */
    seenEventAt: z.string(),
    /** What ended the last wait: a stack event (`stackStatus`, `stackEventAt`), or the safety net's timeout. */
    wake: recordWakeSchema,
    /** `await`: wait for a stack event, at most nextCheckInSeconds (the safety net); `wait`: check again after it. */
    next: z.enum(['await', 'wait']),
    nextCheckInSeconds: z.number(),
    timedOut: z.boolean(),
    checkedAt: z.string(),
  }))();
export type RecordCheck = z.infer<typeof recordCheckSchema>;

/**
 * `$.record` before any check answered: the counters the workflow starts polling with (its "Start polling" state). A
 * run whose first check failed reaches Notify with these; they say nothing about the record, so Notify reads them as
 * no record, and the run is reported by the error it caught.
 */
const recordNotCheckedSchema = /* @__PURE__ */ (() =>
  z.object({
    checks: z.literal(0),
    safetyNetWaits: z.number(),
    quickChecks: z.number(),
    seenEventAt: z.string(),
    wake: recordWakeSchema,
  }))();
const recordAtNotifySchema = /* @__PURE__ */ (() =>
  z.pipe(
    z.union([recordCheckSchema, recordNotCheckedSchema]),
    z.transform((record): RecordCheck | undefined => ('recordId' in record ? record : undefined)),
  ))();

/** ExpireApproval's output, at `$.expiry`. */
export const expiryResultSchema = /* @__PURE__ */ (() =>
  z.object({
    expiredAt: z.string(),
    requiredApprovals: z.number(),
    approvals: z.array(approvalSchema),
    /** Approvers who had not approved (the requester excluded). */
    undecided: z.array(z.string()),
    /** How many more were undecided than the state has room to name. */
    undecidedUnlisted: z.optional(z.number()),
    /** Present when plangate:deleteExpiredPlans is on: whether DeleteProvisionedProductPlan succeeded, and why not. */
    planDeleted: z.optional(z.boolean()),
    deleteError: z.optional(z.string()),
  }))();
export type ExpiryResult = z.infer<typeof expiryResultSchema>;

export const OUTCOMES = [
  'SUCCEEDED',
  'FAILED',
  'REJECTED',
  'DENIED',
  'EXPIRED',
  'INVALID_INPUT',
  'PLAN_NOT_READY',
  'PLAN_CHANGED',
  'DUPLICATE',
  'TIMED_OUT',
  'INTERNAL_ERROR',
  /** The spoke's PlanGate role is missing or refused AssumeRole: nothing was read or executed there. */
  'SPOKE_UNREACHABLE',
  /** The change calendar (plangate:changeCalendar) was closed when the plan was to be executed: nothing ran. */
  'FROZEN',
  /** A windowed run (executeWindow): an approval was older than plangate:approvalValidityHours when it was to execute. */
  'APPROVAL_STALE',
  /** A windowed run reached its execution after executeWindow.notAfter. */
  'WINDOW_MISSED',
  /** A windowed run was cancelled while it waited for its window (`plangate cancel`): nothing ran. */
  'CANCELLED',
  // Endings outside the workflow's own paths, closed by the CloseRun function from Step Functions' status events:
  /** The execution was stopped (StopExecution). */
  'ABORTED',
  /** The execution failed outside the workflow's endings (its notification step failed, or it could not start). */
  'RUN_FAILED',
  /** The execution reached the state machine's own timeout. */
  'RUN_TIMED_OUT',
  /** An operator released a plan whose run is gone (`plangate release`). */
  'RELEASED',
] as const;
export const outcomeSchema = /* @__PURE__ */ (() => z.enum(OUTCOMES))();
export type Outcome = z.infer<typeof outcomeSchema>;

/** A Catch's error output: Cause is the Lambda error JSON for function errors. */
export const caughtErrorSchema = /* @__PURE__ */ (() => z.object({ Error: z.string(), Cause: z.optional(z.string()) }))();
export type CaughtError = z.infer<typeof caughtErrorSchema>;

/** The whole state document, as Notify receives it. Everything past `run` is present only if reached. */
export const runStateSchema = /* @__PURE__ */ (() =>
  z.object({
    /**
     * What the state knows of the run's input: `{planId}` when the review refused a request with a valid plan id (the
     * state never carries the input itself); for a run closed by CloseRun, the execution's input.
     */
    input: z.optional(z.unknown()),
    run: runContextSchema,
    outcome: outcomeSchema,
    review: z.optional(reviewResultSchema),
    approval: z.optional(approvalDecisionSchema),
    execution: z.optional(executionStepSchema),
    record: z.optional(recordAtNotifySchema),
    expiry: z.optional(expiryResultSchema),
    error: z.optional(caughtErrorSchema),
  }))();
export type RunState = z.infer<typeof runStateSchema>;
