/**
 * State names that other code refers to: local mode's shortened waits and progress lines, the command line's phases,
 * and the tests. Apart from the definition, so the command line need not load aws-cdk-lib to read a run's history.
 */
export const STATES = {
  reviewPlan: 'ReviewPlan',
  waitForPlan: 'Wait for plan',
  autoApprove: 'AutoApprove',
  requestApproval: 'RequestApproval',
  remindApprovers: 'RemindApprovers',
  expireApproval: 'ExpireApproval',
  executePlan: 'ExecutePlan',
  checkRecord: 'CheckRecord',
  waitForRecord: 'Wait for record',
  awaitRecordEvent: 'Await record event',
  notify: 'Notify',
} as const;
