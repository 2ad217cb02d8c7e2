import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { ApprovalStore } from '../shared/adapters/approval-store';
import { BreakGlassStore } from '../shared/adapters/break-glass-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { stepFunctions } from '../shared/adapters/clients/step-functions';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import { APPROVAL_ALARM_PERCENT, BREAK_GLASS, type EnvironmentOf, STATE_MACHINE_ARN, TABLE_NAME } from '../shared/contracts/environment';
import { METRIC } from '../shared/contracts/metrics';
import { isOverdue } from '../shared/domain/break-glass';
import { planRefOfInput } from '../shared/domain/plan-location';
import { logger } from '../shared/runtime/logger';
import { count } from '../shared/runtime/metrics';

export const WATCH_RUNS_ENV = { STATE_MACHINE_ARN, TABLE_NAME, APPROVAL_ALARM_PERCENT, BREAK_GLASS };
export type WatchRunsEnv = EnvironmentOf<typeof WATCH_RUNS_ENV>;

export interface RunCensus {
  runsInFlight: number;
  approvalsWaiting: number;
  /** Open approvals past APPROVAL_ALARM_PERCENT of their approval timeout. */
  approvalsOverdue: number;
  /** With plangate:breakGlass: break-glass reviews still open past reviewWithinHours. */
  breakGlassReviewsOverdue?: number;
}

/** Runs looked at together: each costs a DescribeExecution and a GetItem. */
const CONCURRENCY = 10;

/**
 * Every 5 minutes (a schedule rule): how many runs are in flight, how many of them wait for approval, and how many
 * have waited past the alarm's share of their approval timeout. CloudWatch has no gauge of a state machine's open
 * executions, and a run waiting for approval does nothing that could be counted, so they are counted here, as
 * gauges for the dashboard and the approval alarm. The invocation's event (the schedule's) is not used.
 */
export async function watchRuns(_event: unknown, env: WatchRunsEnv, now = new Date()): Promise<RunCensus> {
  const store = new ApprovalStore(dynamo, env.TABLE_NAME);
  const running = await runningExecutions(env.STATE_MACHINE_ARN);
  const census: RunCensus = { runsInFlight: running.length, approvalsWaiting: 0, approvalsOverdue: 0 };
  const failures: unknown[] = [];
  for (let i = 0; i < running.length; i += CONCURRENCY) {
    const looks = await Promise.allSettled(running.slice(i, i + CONCURRENCY).map((executionArn) => openApproval(store, executionArn)));
    for (const look of looks) {
      if (look.status === 'rejected') failures.push(look.reason);
      else if (look.value) {
        census.approvalsWaiting++;
        if (waitedShare(look.value, now) * 100 >= env.APPROVAL_ALARM_PERCENT) census.approvalsOverdue++;
      }
    }
  }
  if (env.BREAK_GLASS) census.breakGlassReviewsOverdue = await overdueReviews(store, new BreakGlassStore(dynamo, env.TABLE_NAME), now);
  // One run that cannot be looked at must not hide the others: the counts go out, then the failure is reported.
  count(METRIC.RunsInFlight, census.runsInFlight);
  if (census.breakGlassReviewsOverdue !== undefined) count(METRIC.BreakGlassReviewsOverdue, census.breakGlassReviewsOverdue);
  count(METRIC.ApprovalsWaiting, census.approvalsWaiting);
  count(METRIC.ApprovalsOverdue, census.approvalsOverdue);
  logger.info('Runs counted', { ...census, runsNotLookedAt: failures.length });
  if (failures.length) {
    throw new AggregateError(failures, `Could not look at ${failures.length} of ${running.length} runs in flight; their approvals are not counted`);
  }
  return census;
}

/** The index's reviews past due, each checked on its record: still open, and its break-glass decision stands. */
async function overdueReviews(store: ApprovalStore, reviews: BreakGlassStore, now: Date): Promise<number> {
  const due = (await reviews.indexedReviews()).filter((entry) => Date.parse(entry.dueAt) < now.getTime());
  const records = await Promise.all(due.map((entry) => store.getRun(entry.planRef, entry.executionArn)));
  return records.filter((record) => record && isOverdue(record, now)).length;
}

async function runningExecutions(stateMachineArn: string): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stepFunctions.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
    arns.push(...(page.executions ?? []).map((e) => e.executionArn!));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

/** The approval this run owns and nobody has decided yet, if any: the run's input names the plan. */
async function openApproval(store: ApprovalStore, executionArn: string): Promise<ApprovalRecord | undefined> {
  const { input } = await stepFunctions.send(new DescribeExecutionCommand({ executionArn }));
  const planRef = planRefOfInput(parseJson(input), executionArn);
  if (!planRef) return undefined;
  const record = await store.get(planRef);
  return record?.executionArn === executionArn && record.status === 'PENDING' && !record.outcome ? record : undefined;
}

/** How much of its approval timeout the request has used: 0 when asked, 1 at expiry. */
export function waitedShare(record: Pick<ApprovalRecord, 'requestedAt' | 'expiresAt'>, now: Date): number {
  const askedAt = Date.parse(record.requestedAt);
  const timeout = record.expiresAt * 1000 - askedAt;
  return timeout > 0 ? (now.getTime() - askedAt) / timeout : 1;
}

function parseJson(text: string | undefined): { planId?: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(text ?? 'null');
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
