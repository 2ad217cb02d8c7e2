import { DescribeRecordCommand, type RecordDetail, type RecordOutput, type ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { serviceCatalogAt } from '../shared/adapters/clients/service-catalog';
import { type EnvironmentOf, POLL_INITIAL_INTERVAL_SECONDS, POLL_MAX_INTERVAL_SECONDS, POLL_TIMEOUT_SECONDS } from '../shared/contracts/environment';
import { METRIC } from '../shared/contracts/metrics';
import { parseInput } from '../shared/contracts/parse-input';
import { accountIdSchema, regionSchema } from '../shared/contracts/spokes';
import { acceptLanguageSchema, type RecordCheck, type RecordWake, recordWakeSchema } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { MAX_LISTED_ERRORS } from '../shared/domain/outcome';
import { hubLocation, locationOf } from '../shared/domain/plan-location';
import { fitList, STATE_BUDGET, withinBudget } from '../shared/domain/state-budget';
import { clip, firstItems } from '../shared/domain/text';
import { logger } from '../shared/runtime/logger';
import { seconds } from '../shared/runtime/metrics';

export const CHECK_RECORD_ENV = { POLL_INITIAL_INTERVAL_SECONDS, POLL_MAX_INTERVAL_SECONDS, POLL_TIMEOUT_SECONDS };
export type CheckRecordEnv = EnvironmentOf<typeof CHECK_RECORD_ENV>;

const eventSchema = z.object({
  recordId: z.string().check(z.regex(/^[a-zA-Z0-9_-]{1,100}$/, 'recordId must be a Service Catalog record id')),
  acceptLanguage: acceptLanguageSchema,
  /** The run, and where its plan is (absent in runs reviewed before spokes: the hub). */
  executionArn: z._default(z.string(), ''),
  accountId: z.optional(accountIdSchema),
  region: z.optional(regionSchema),
  executedAt: z.iso.datetime(),
  checks: z.number().check(z.int(), z.minimum(0)),
  safetyNetWaits: z._default(z.number().check(z.int(), z.minimum(0)), 0),
  quickChecks: z._default(z.number().check(z.int(), z.minimum(0)), 0),
  seenEventAt: z._default(z.string(), ''),
  wake: z._default(recordWakeSchema, {}),
});

/** SUCCEEDED and FAILED are final; CREATED, IN_PROGRESS and IN_PROGRESS_IN_ERROR are not. */
export const FINAL_RECORD_STATUSES = new Set(['SUCCEEDED', 'FAILED']);

export interface PollSettings {
  /** The first safety-net wait; each one after is twice as long, up to the cap. */
  initialIntervalSeconds: number;
  maxIntervalSeconds: number;
  timeoutSeconds: number;
}

/**
 * After a stack event wakes the run, Service Catalog reports the record final some time later (no published figure:
 * seconds, perhaps tens of seconds): the run checks again this many seconds apart, 2, 4, 8 s, then every 12 s until
 * about 3 minutes after the wake, before it goes back to waiting for events and the safety net.
 */
export const QUICK_RECHECK_SECONDS: readonly number[] = [2, 4, 8, ...Array<number>(13).fill(12)];

/** Stack statuses that a rollback usually follows: the record stays IN_PROGRESS_IN_ERROR until its event. */
const ROLLBACK_FOLLOWS = new Set(['CREATE_FAILED', 'UPDATE_FAILED']);
/** Quick re-checks after such a status: only the first few, the rollback's own event starts a new series. */
const BEFORE_ROLLBACK_RECHECKS = 3;

/** The safety net's wait before the next check: doubles from the initial interval up to the cap. */
export function nextCheckInSeconds(waits: number, settings: PollSettings): number {
  return Math.min(settings.initialIntervalSeconds * 2 ** Math.min(waits, 20), settings.maxIntervalSeconds);
}

export interface CheckProgress {
  safetyNetWaits: number;
  quickChecks: number;
  seenEventAt: string;
  wake: RecordWake;
  /** A record whose provisioned product is known can be woken by its stack's events; otherwise only polled. */
  canAwait: boolean;
}

/**
 * What the run does after a check that did not find the record final: a stack event it has not acted on yet starts
 * quick re-checks for a few minutes (the record follows its settled stack, however late); after them, or without one,
 * it waits for the next event (or polls, when it cannot), at most the safety net's interval, which grows with each wait.
 */
export function nextStep(
  progress: CheckProgress,
  settings: PollSettings,
  /** The benchmark passes the schedules it compares. */
  quickRecheckSeconds: readonly number[] = QUICK_RECHECK_SECONDS,
): Pick<RecordCheck, 'next' | 'nextCheckInSeconds' | 'safetyNetWaits' | 'quickChecks' | 'seenEventAt'> {
  const eventAt = progress.wake.stackEventAt;
  const freshEvent = eventAt !== undefined && eventAt !== progress.seenEventAt;
  const quickChecks = freshEvent ? 0 : progress.quickChecks;
  const seenEventAt = eventAt ?? progress.seenEventAt;
  const rollbackFollows = ROLLBACK_FOLLOWS.has(progress.wake.stackStatus ?? '');
  const quickLimit = Math.min(quickRecheckSeconds.length, rollbackFollows ? BEFORE_ROLLBACK_RECHECKS : Number.POSITIVE_INFINITY);
  if (eventAt !== undefined && quickChecks < quickLimit) {
    return {
      next: 'wait',
      nextCheckInSeconds: quickRecheckSeconds[quickChecks]!,
      safetyNetWaits: progress.safetyNetWaits,
      quickChecks: quickChecks + 1,
      seenEventAt,
    };
  }
  return {
    next: progress.canAwait ? 'await' : 'wait',
    nextCheckInSeconds: nextCheckInSeconds(progress.safetyNetWaits, settings),
    safetyNetWaits: progress.safetyNetWaits + 1,
    quickChecks,
    seenEventAt,
  };
}

/** Reads a record and, once it is final, all pages of its outputs. */
async function describeRecord(client: ServiceCatalogClient, recordId: string, acceptLanguage: string) {
  const outputs: RecordOutput[] = [];
  let pageToken: string | undefined;
  const first = await client.send(new DescribeRecordCommand({ Id: recordId, AcceptLanguage: acceptLanguage, PageSize: 20 }));
  outputs.push(...(first.RecordOutputs ?? []));
  pageToken = first.NextPageToken ?? undefined;
  while (pageToken && FINAL_RECORD_STATUSES.has(first.RecordDetail?.Status ?? '')) {
    const page = await client.send(new DescribeRecordCommand({ Id: recordId, AcceptLanguage: acceptLanguage, PageSize: 20, PageToken: pageToken }));
    outputs.push(...(page.RecordOutputs ?? []));
    pageToken = page.NextPageToken ?? undefined;
  }
  return { detail: first.RecordDetail, outputs };
}

/**
 * Checks a record once and tells the state machine what to do until the next check (nextStep), or that time is up.
 * The record is the only judge of success or failure: a stack event is only a cue to check it.
 */
export async function checkRecord(event: unknown, env: CheckRecordEnv): Promise<RecordCheck> {
  const { recordId, acceptLanguage, executedAt, checks, executionArn, accountId, region, ...progress } = parseInput(eventSchema, event);
  const settings: PollSettings = {
    initialIntervalSeconds: env.POLL_INITIAL_INTERVAL_SECONDS,
    maxIntervalSeconds: env.POLL_MAX_INTERVAL_SECONDS,
    timeoutSeconds: env.POLL_TIMEOUT_SECONDS,
  };
  const client = await serviceCatalogAt(locationOf({ accountId, region }), hubLocation(executionArn), executionArn);
  const { detail, outputs } = await describeRecord(client, recordId, acceptLanguage);
  const errors = firstItems(detail?.RecordErrors ?? [], MAX_LISTED_ERRORS);
  const status = detail?.Status ?? 'UNKNOWN';
  const now = new Date();
  const elapsedSeconds = (now.getTime() - Date.parse(executedAt)) / 1000;
  logger.info('Record checked', { recordId, status, checks: checks + 1 });
  if (FINAL_RECORD_STATUSES.has(status)) recordTimings(detail, executedAt, now);
  const check = {
    recordId,
    status,
    provisionedProductId: detail?.ProvisionedProductId && clip(detail.ProvisionedProductId, 200),
    provisionedProductName: detail?.ProvisionedProductName && clip(detail.ProvisionedProductName, 200),
    recordErrors: errors.items.map((e) => ({ code: e.Code && clip(e.Code, 200), description: e.Description && clip(e.Description, 1_000) })),
    recordOutputs: firstItems(outputs, 100).items.map((o) => ({
      key: o.OutputKey && clip(o.OutputKey, 255),
      value: o.OutputValue && clip(o.OutputValue, 1_000),
      description: o.Description && clip(o.Description, 500),
    })),
    checks: checks + 1,
    wake: progress.wake,
    ...nextStep({ ...progress, canAwait: Boolean(detail?.ProvisionedProductId) }, settings),
    timedOut: !FINAL_RECORD_STATUSES.has(status) && elapsedSeconds >= settings.timeoutSeconds,
    checkedAt: now.toISOString(),
  };
  return withinBudget('record', fitRecord(check, errors.more));
}

/**
 * The record within its share of the run's state: the first errors and outputs that fit, and how many were left out
 * (Service Catalog keeps them all). Outputs get at most a third of it: the errors are what a failed run is about.
 */
function fitRecord(check: RecordCheck, errorsUnlisted: number): RecordCheck {
  const { recordErrors, recordOutputs, ...rest } = check;
  const outputs = fitList(recordOutputs, STATE_BUDGET.record / 3, (kept, dropped) => ({
    recordOutputs: kept,
    ...(dropped ? { recordOutputsUnlisted: dropped } : {}),
  }));
  return fitList(recordErrors, STATE_BUDGET.record, (kept, dropped) => ({
    ...rest,
    recordErrors: kept,
    ...(errorsUnlisted + dropped ? { recordErrorsUnlisted: errorsUnlisted + dropped } : {}),
    ...outputs,
  }));
}

/**
 * Once a run finds its record final (which ends its polling): how long Service Catalog took (the record's own times,
 * or from our execute call when it gives no creation time), and how long the run took to notice.
 */
function recordTimings(detail: RecordDetail | undefined, executedAt: string, now: Date) {
  const finishedAt = detail?.UpdatedTime?.getTime();
  if (finishedAt === undefined) return;
  seconds(METRIC.ExecutionSeconds, (finishedAt - (detail?.CreatedTime?.getTime() ?? Date.parse(executedAt))) / 1000);
  seconds(METRIC.DetectionDelaySeconds, (now.getTime() - finishedAt) / 1000);
}
