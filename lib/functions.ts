import * as path from 'node:path';

/**
 * The workflow's Lambda functions: construct id prefix → handler file under lambdas/.
 * The construct bundles these and names each in its function resource's metadata (FUNCTION_METADATA_KEY);
 * local mode and the end-to-end tests read that entry to bind the same files to the template's functions.
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
  EvidenceManifest: 'evidence-manifest',
  WindowWait: 'window-wait',
  RunActions: 'run-actions',
  SignIn: 'sign-in',
  Inbox: 'inbox',
} as const;

export type FunctionName = keyof typeof FUNCTIONS;

/** The functions a stack has only with a setting: SignIn and Inbox with plangate:signIn. */
const OPTIONAL_FUNCTIONS: readonly FunctionName[] = ['SignIn', 'Inbox'];

/** The functions every stack has (the example configuration's): all but the optional ones. */
export const STANDARD_FUNCTIONS = (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => !OPTIONAL_FUNCTIONS.includes(name));

/** The CloudFormation `Metadata` entry of each function resource that names it (a FunctionName). */
export const FUNCTION_METADATA_KEY = 'plangate:function';

export const handlerEntry = (name: FunctionName) => path.join(__dirname, '..', 'lambdas', FUNCTIONS[name], 'handler.ts');
