/**
 * Every state of the workflow's definition, by name. The definition, local mode (its shortened waits and progress
 * lines), the command line (a run's phase), the benchmark and the tests all refer to states by these names; this
 * module loads nothing, so the command line need not load aws-cdk-lib to read a run's history.
 */
export const STATES = {
  start: 'Start',
  reviewPlan: 'ReviewPlan',
  namesPlace: 'Names a place?',
  keepPlace: 'Keep plan and place',
  keepPlanId: 'Keep plan id',
  reviewRefused: 'Why refused?',
  planReady: 'Plan ready?',
  waitForPlan: 'Wait for plan',
  countPlanCheck: 'Count plan check',
  planStillBeingCreated: 'Plan still being created',
  autoApproveChoice: 'Auto-approve?',
  autoApprove: 'AutoApprove',
  requestApproval: 'RequestApproval',
  remindApprovers: 'RemindApprovers',
  expireApproval: 'ExpireApproval',
  approved: 'Approved?',
  executeWindow: 'Execution window?',
  scheduleWindow: 'Schedule the execution',
  waitForWindow: 'Wait for the execution window',
  windowRescheduled: 'Rescheduled?',
  executePlan: 'ExecutePlan',
  calendarDeferred: 'Deferred by the calendar?',
  waitForCalendar: 'Wait for the calendar',
  startPolling: 'Start polling',
  checkRecord: 'CheckRecord',
  recordFinished: 'Record finished?',
  waitForRecord: 'Wait for record',
  awaitRecordEvent: 'Await record event',
  notify: 'Notify',
  notificationFailed: 'Notification failed',
  done: 'Done',
} as const;

/** The Pass state of each ending, which sets `$.outcome` before Notify. */
export const OUTCOME_STATES = {
  succeeded: 'Outcome: Succeeded',
  failed: 'Outcome: Failed',
  rejected: 'Outcome: Rejected',
  denied: 'Outcome: Denied',
  expired: 'Outcome: Expired',
  invalidInput: 'Outcome: Invalid input',
  planNotReady: 'Outcome: Plan not ready',
  planChanged: 'Outcome: Plan changed',
  duplicate: 'Outcome: Duplicate',
  timedOut: 'Outcome: Timed out',
  internalError: 'Outcome: Internal error',
  spokeUnreachable: 'Outcome: Spoke unreachable',
  frozen: 'Outcome: Frozen',
  approvalStale: 'Outcome: Approval stale',
  windowMissed: 'Outcome: Window missed',
  cancelled: 'Outcome: Cancelled',
} as const;
