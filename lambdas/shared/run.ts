/**
 * The shapes that flow between the state machine's steps. Each Lambda's output lands at one
 * path of the run's state document (see lib/plan-approval-workflow.ts); these types name them.
 */
import { z } from 'zod';
import type { RiskLevel } from './risk';
import type { ApprovalPolicy } from './rules';

export const ACCEPT_LANGUAGES = ['en', 'jp', 'zh'] as const;
export type AcceptLanguage = (typeof ACCEPT_LANGUAGES)[number];

/** Service Catalog's `Id` shape, applied as a full match. */
export const planIdSchema = z
  .string({ error: 'planId is required' })
  .regex(/^[a-zA-Z0-9_-]{1,100}$/, 'planId must be 1-100 characters of letters, digits, "_" or "-"');

/** What a user or trigger may start a run with. */
export const runInputSchema = z.object({
  planId: planIdSchema,
  acceptLanguage: z.enum(ACCEPT_LANGUAGES, { error: 'acceptLanguage must be one of "en", "jp", "zh"' }).optional(),
  requestedBy: z.string().min(1).max(2048).optional(),
});
export type RunInput = z.infer<typeof runInputSchema>;

/** Set by the state machine's first state from the execution's context object. */
export interface RunContext {
  executionArn: string;
  startedAt: string;
  planChecks: number;
}

export interface ResourceChangeSummary {
  action: string;
  logicalResourceId: string;
  resourceType: string;
  physicalResourceId?: string;
  replacement?: string;
  risk: RiskLevel;
  /** Why the change is HIGH or MEDIUM risk. */
  reason?: string;
}

export interface ChangeSummary {
  total: number;
  countsByAction: Record<string, number>;
  replacements: number;
  /** The plan's risk: its riskiest change's. */
  risk: RiskLevel;
  countsByRisk: Record<RiskLevel, number>;
  /** Riskiest first (removals, then replacements, lead the HIGH ones), then the rest; capped at MAX_LISTED_CHANGES. */
  changes: ResourceChangeSummary[];
  /** How many changes the list leaves out because of the cap. */
  unlisted: number;
}

export interface PlanSummary {
  planId: string;
  planName?: string;
  status: string;
  statusMessage?: string;
  provisionedProductId?: string;
  provisionedProductName?: string;
  productId?: string;
  provisioningArtifactId?: string;
  createdTime?: string;
}

/** ReviewPlan's output, at `$.review`. */
export interface ReviewResult {
  planId: string;
  acceptLanguage: AcceptLanguage;
  requestedBy?: string;
  planStatus: string;
  plan?: PlanSummary;
  summary?: ChangeSummary;
  /** SHA-256 of the resource changes reviewed; execution checks the plan still has exactly these. */
  changesDigest?: string;
  /** What the approval rules require of this plan. */
  policy?: ApprovalPolicy;
  reviewedAt: string;
}

export type Decision = 'APPROVED' | 'REJECTED';

export interface Approver {
  email: string;
  name?: string;
  /** The approver's Slack user id, for decisions made with Slack buttons. */
  slackUserId?: string;
  /** IAM or STS principal ARNs (with * wildcards) that are this approver, to recognise their own requests. */
  iamPrincipals?: string[];
}

export type DecisionChannel = 'web' | 'slack';

/** One approver's approval, counted towards the quorum. */
export interface Approval {
  approver: Approver;
  channel: DecisionChannel;
  decidedAt: string;
  comment?: string;
}

/**
 * How the approval was decided, at `$.approval`: by an approver (what the approval API sends back with
 * SendTaskSuccess), or by the auto-approval rule (AutoApprove's output).
 */
export type ApprovalDecision = HumanDecision | RuleDecision;

export interface HumanDecision {
  decision: Decision;
  approver: Approver;
  comment?: string;
  channel: DecisionChannel;
  requestedAt: string;
  decidedAt: string;
  /** Every approval counted towards the quorum, in order (the deciding one last). */
  approvals?: Approval[];
}

export interface RuleDecision {
  decision: 'APPROVED';
  channel: 'rule';
  /** The rule that approved, e.g. "LOW risk is within plangate:autoApproveUpTo (LOW)". */
  rule: string;
  requestedAt: string;
  decidedAt: string;
}

/** ExecutePlan's output, at `$.execution`. */
export interface ExecutionResult {
  recordId: string;
  idempotencyToken: string;
  recordStatus: string;
  executedAt: string;
}

export interface RecordError {
  code?: string;
  description?: string;
}

/** CheckRecord's output, at `$.record`. */
export interface RecordCheck {
  recordId: string;
  status: string;
  provisionedProductId?: string;
  provisionedProductName?: string;
  recordErrors: RecordError[];
  recordOutputs: { key?: string; value?: string; description?: string }[];
  checks: number;
  nextCheckInSeconds: number;
  timedOut: boolean;
  checkedAt: string;
}

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
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A Catch's error output: Cause is the Lambda error JSON for function errors. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

/** The whole state document, as Notify receives it. Everything past `run` is present only if reached. */
export interface RunState {
  input: unknown;
  run: RunContext;
  outcome: Outcome;
  review?: ReviewResult;
  approval?: ApprovalDecision;
  execution?: ExecutionResult;
  record?: RecordCheck;
  /** ExpireApproval's output, on the expiry path. */
  expiry?: ExpiryResult;
  error?: CaughtError;
}

/** ExpireApproval's output, at `$.expiry`. */
export interface ExpiryResult {
  expiredAt: string;
  requiredApprovals: number;
  approvals: Approval[];
  /** Approvers who had not approved (the requester excluded). */
  undecided: string[];
  /** Present when plangate:deleteExpiredPlans is on: whether DeleteProvisionedProductPlan succeeded, and why not. */
  planDeleted?: boolean;
  deleteError?: string;
}
