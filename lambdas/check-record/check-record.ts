import { DescribeRecordCommand, type RecordOutput, type ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import * as z from '../shared/contracts/zod';
import { serviceCatalog } from '../shared/adapters/clients/service-catalog';
import type { Environment } from '../shared/contracts/environment';
import { acceptLanguageSchema, type RecordCheck } from '../shared/contracts/steps';
import { MAX_LISTED_ERRORS } from '../shared/domain/outcome';
import { clip, firstItems } from '../shared/domain/text';
import { parseInput } from '../shared/runtime/handler';
import { logger } from '../shared/runtime/logger';

export const CHECK_RECORD_ENV = ['POLL_INITIAL_INTERVAL_SECONDS', 'POLL_MAX_INTERVAL_SECONDS', 'POLL_TIMEOUT_SECONDS'] as const;
export type CheckRecordEnv = Environment<(typeof CHECK_RECORD_ENV)[number]>;

const eventSchema = z.object({
  recordId: z.string().check(z.regex(/^[a-zA-Z0-9_-]{1,100}$/, 'recordId must be a Service Catalog record id')),
  acceptLanguage: acceptLanguageSchema,
  executedAt: z.iso.datetime(),
  checks: z.number().check(z.int(), z.minimum(0)),
});

/** SUCCEEDED and FAILED are final; CREATED, IN_PROGRESS and IN_PROGRESS_IN_ERROR are not. */
export const FINAL_RECORD_STATUSES = new Set(['SUCCEEDED', 'FAILED']);

export interface PollSettings {
  initialIntervalSeconds: number;
  maxIntervalSeconds: number;
  timeoutSeconds: number;
}

/** The wait before the next check: doubles from the initial interval up to the cap. */
export function nextCheckInSeconds(checks: number, settings: PollSettings): number {
  return Math.min(settings.initialIntervalSeconds * 2 ** Math.min(checks, 20), settings.maxIntervalSeconds);
}

/** Reads a record and, once it is final, all pages of its outputs. */
async function describeRecord(client: ServiceCatalogClient, recordId: string, acceptLanguage: string) {
  const outputs: RecordOutput[] = [];
  let pageToken: string | undefined;
  const first = await client.send(new DescribeRecordCommand({ Id: recordId, AcceptLanguage: acceptLanguage, PageSize: 20 }));
  outputs.push(...(first.RecordOutputs ?? []));
  pageToken = first.NextPageToken ?? undefined;
  while (pageToken && FINAL_RECORD_STATUSES.has(first.RecordDetail?.Status ?? '')) {
    const page = await client.send(
      new DescribeRecordCommand({ Id: recordId, AcceptLanguage: acceptLanguage, PageSize: 20, PageToken: pageToken }),
    );
    outputs.push(...(page.RecordOutputs ?? []));
    pageToken = page.NextPageToken ?? undefined;
  }
  return { detail: first.RecordDetail, outputs };
}

/**
 * Checks a record once and tells the state machine when to look again, or that time is up.
 * The state machine's Wait state sleeps for `nextCheckInSeconds` between checks.
 */
export async function checkRecord(event: unknown, env: CheckRecordEnv): Promise<RecordCheck> {
  const { recordId, acceptLanguage, executedAt, checks } = parseInput(eventSchema, event);
  const settings: PollSettings = {
    initialIntervalSeconds: env.POLL_INITIAL_INTERVAL_SECONDS,
    maxIntervalSeconds: env.POLL_MAX_INTERVAL_SECONDS,
    timeoutSeconds: env.POLL_TIMEOUT_SECONDS,
  };
  const { detail, outputs } = await describeRecord(serviceCatalog, recordId, acceptLanguage);
  const errors = firstItems(detail?.RecordErrors ?? [], MAX_LISTED_ERRORS);
  const status = detail?.Status ?? 'UNKNOWN';
  const now = new Date();
  const elapsedSeconds = (now.getTime() - Date.parse(executedAt)) / 1000;
  logger.info('Record checked', { recordId, status, checks: checks + 1 });
  return {
    recordId,
    status,
    provisionedProductId: detail?.ProvisionedProductId,
    provisionedProductName: detail?.ProvisionedProductName,
    // Bounded, so the run's state stays within Step Functions' 256 KiB however many errors a record has.
    recordErrors: errors.items.map((e) => ({ code: e.Code && clip(e.Code, 200), description: e.Description && clip(e.Description, 1_000) })),
    ...(errors.more ? { recordErrorsUnlisted: errors.more } : {}),
    recordOutputs: firstItems(outputs, 100).items.map((o) => ({ key: o.OutputKey, value: o.OutputValue && clip(o.OutputValue, 1_000), description: o.Description && clip(o.Description, 500) })),
    checks: checks + 1,
    nextCheckInSeconds: nextCheckInSeconds(checks, settings),
    timedOut: !FINAL_RECORD_STATUSES.has(status) && elapsedSeconds >= settings.timeoutSeconds,
    checkedAt: now.toISOString(),
  };
}
