/**
 * The CloudWatch metrics the functions emit (embedded metric format, through Powertools Metrics) and the alarms and
 * dashboard read (lib/monitoring.ts). One namespace; every metric has the `service` dimension (the stack's name, so
 * two PlanGate stacks in one account and region stay apart), and only these few add one of their own, each with a
 * handful of values: never a plan, run or person.
 */
export const METRICS_NAMESPACE = 'PlanGate';

export const METRIC = {
  /** A run's first review (ReviewPlan with no plan checks yet). */
  RunsStarted: 'RunsStarted',
  /** A run closed, by `outcome` (Notify or CloseRun, once per run). */
  RunEnded: 'RunEnded',
  /** From the approval request to a person's decision (approved or rejected), in seconds. */
  ApprovalWaitSeconds: 'ApprovalWaitSeconds',
  /** From ExecuteProvisionedProductPlan to the record's final status, as Service Catalog timed it, in seconds. */
  ExecutionSeconds: 'ExecutionSeconds',
  /** From the record's final status to CheckRecord seeing it, in seconds. */
  DetectionDelaySeconds: 'DetectionDelaySeconds',
  SlackPostFailed: 'SlackPostFailed',
  DuplicateRuns: 'DuplicateRuns',
  /**
   * A function invocation that ended with one of the workflow's named endings or a retry (ExpectedError), by
   * `function`: Lambda counts them as errors, and the error alarms subtract them.
   */
  ExpectedErrors: 'ExpectedErrors',
  /** Gauges, every 5 minutes (WatchRuns): running executions, their open approvals, and those past the alarm share. */
  RunsInFlight: 'RunsInFlight',
  ApprovalsWaiting: 'ApprovalsWaiting',
  ApprovalsOverdue: 'ApprovalsOverdue',
  /** Gauge, every 5 minutes (WatchRuns, with plangate:breakGlass): break-glass reviews still open past reviewWithinHours. */
  BreakGlassReviewsOverdue: 'BreakGlassReviewsOverdue',
  /** An event from a spoke that PlanGate did not act on, by `reason` (DROP_REASONS): a forgery, or a place not allowed. */
  DroppedEvents: 'DroppedEvents',
  /** A run's evidence bundle that its closing could not write (the manifest job writes it later; issue 24). */
  EvidenceNotWritten: 'EvidenceNotWritten',
} as const;

/** Why an event was dropped (the `reason` dimension of DroppedEvents). */
export const DROP_REASONS = {
  /** A CloudTrail event whose recipientAccountId differs from the account EventBridge says sent it. */
  recipientMismatch: 'RecipientMismatch',
  /** An account or Region outside the allow-list (plangate:spokeAccounts). */
  notAllowed: 'NotAllowed',
  /** A stack event whose stack ARN names another account or Region than the event's own. */
  stackArnMismatch: 'StackArnMismatch',
} as const;
export type DropReason = (typeof DROP_REASONS)[keyof typeof DROP_REASONS];

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Dimension names. */
export const DIMENSION = { service: 'service', outcome: 'outcome', function: 'function', reason: 'reason' } as const;
