import * as path from 'node:path';

/**
 * The workflow's Lambda functions: construct id prefix → handler file under lambdas/.
 * The construct bundles these; local mode and the end-to-end tests bind the same files to the
 * state machine's tasks, matching them by the construct id in each function's `aws:cdk:path`.
 */
export const FUNCTIONS = {
  ReviewPlan: 'review-plan',
  AutoApprove: 'auto-approve',
  RequestApproval: 'request-approval',
  ExpireApproval: 'expire-approval',
  ApprovalApi: 'approval-api',
  ExecutePlan: 'execute-plan',
  CheckRecord: 'check-record',
  Notify: 'notify',
  CloseRun: 'close-run',
  AwaitRecord: 'await-record',
  WatchRuns: 'watch-runs',
  PlanCreated: 'plan-created',
} as const;

export type FunctionName = keyof typeof FUNCTIONS;

export const handlerEntry = (name: FunctionName) =>
  path.join(__dirname, '..', 'lambdas', FUNCTIONS[name], 'handler.ts');
