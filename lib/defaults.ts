/*
 * Every configuration default, once: the zod schema (lib/config.ts) fills them in for `cdk.json`, the construct
 * (lib/plan-approval-workflow.ts) for props left out, and test/lib/readme-defaults.test.ts holds the README's
 * tables to them. No aws-cdk-lib import, so anything may read them cheaply.
 */

import { DEFAULT_EVENT_SOURCE } from '../lambdas/shared/contracts/events';

/** The defaults of `plangate:<key>`; the construct's props take the same values (durations in these units). */
export const DEFAULTS = {
  approvalTimeoutMinutes: 1_440,
  planCheckIntervalSeconds: 30,
  planReadyTimeoutMinutes: 30,
  pollInitialIntervalSeconds: 60,
  pollMaxIntervalSeconds: 600,
  pollTimeoutMinutes: 240,
  notificationEmails: [] as string[],
  eventTriggerEnabled: true,
  eventSource: DEFAULT_EVENT_SOURCE,
  defaultAcceptLanguage: 'en',
  requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 2 },
  deniedResourceTypes: [] as string[],
  autoApproveUpTo: 'NONE',
  distinctApproversAcrossRules: false,
  deleteExpiredPlans: false,
  alarmEmails: [] as string[],
  apiGatewayCloudWatchRole: true,
  logRetentionDays: 365,
  /** Longer than a 12-month SOC 2 Type II period, with a margin for the audit. */
  evidenceRetentionDays: 400,
  requireSignIn: false,
} as const;

/** The shortest approval timeout: a reminder, an expiry and a decision must fit in it. */
export const MIN_APPROVAL_TIMEOUT_MINUTES = 5;

/** The reminder's default: an hour before expiry, or a quarter of a shorter approval timeout (whole minutes). */
export const defaultReminderMinutes = (approvalTimeoutMinutes: number) => Math.min(60, Math.floor(approvalTimeoutMinutes / 4));

/** What each alarm fires at (plangate:alarmThresholds). Counts are per 5 minutes. */
export interface AlarmThresholds {
  /** Executions that failed, timed out or were stopped (one alarm each). */
  readonly executionsEnded: number;
  /** Runs that ended INTERNAL_ERROR: a step failed after its retries (the execution itself succeeds). */
  readonly internalErrors: number;
  /** Errors of one function, other than the workflow's named endings and retries. */
  readonly functionErrors: number;
  /** Throttled invocations of one function. */
  readonly functionThrottles: number;
  /** Approval API answers with a 5xx status (its pages say "Something went wrong"). */
  readonly api5xx: number;
  /** The approval API's p90 latency, in milliseconds, in 2 of 3 periods (Slack wants an answer within 3 s). */
  readonly apiLatencyP90Ms: number;
  /** An approval still open past this share (percent) of its approval timeout. */
  readonly approvalWaitPercent: number;
  /** Throttled reads and writes on the approval table. */
  readonly dynamoDbThrottles: number;
  /** Slack posts that failed after their retry (only with Slack configured). */
  readonly slackPostFailures: number;
}

export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  executionsEnded: 1,
  internalErrors: 1,
  functionErrors: 1,
  functionThrottles: 1,
  api5xx: 1,
  apiLatencyP90Ms: 3000,
  approvalWaitPercent: 75,
  dynamoDbThrottles: 1,
  slackPostFailures: 1,
};
