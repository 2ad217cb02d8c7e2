import { DescribeExecutionCommand, type ExecutionListItem, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { ApprovalStore } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { stepFunctions } from '../shared/adapters/clients/step-functions';
import { type EvidenceTarget, getObject, listKeys, putSigned } from '../shared/adapters/evidence-store';
import { type EnvironmentOf, EVIDENCE_BUCKET, EVIDENCE_KEY_ID, STATE_MACHINE_ARN, TABLE_NAME } from '../shared/contracts/environment';
import { type OutcomeDetail, outcomeDetailSchema } from '../shared/contracts/events';
import type { Outcome } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import {
  buildBundle,
  buildManifest,
  bundleDayPrefix,
  bundleKey,
  dayOf,
  dayOfKey,
  type ManifestEntry,
  manifestKey,
  previousDay,
  runNameOf,
  sha256Hex,
} from '../shared/domain/evidence';
import { planRefOfInput } from '../shared/domain/plan-location';
import { logger } from '../shared/runtime/logger';

export const EVIDENCE_MANIFEST_ENV = { EVIDENCE_BUCKET, EVIDENCE_KEY_ID, STATE_MACHINE_ARN, TABLE_NAME };
export type EvidenceManifestEnv = EnvironmentOf<typeof EVIDENCE_MANIFEST_ENV>;

/** How many finished days back the job looks for a day without a manifest (it runs hourly: a week of outage is caught up). */
const CATCH_UP_DAYS = 7;
/** Runs that started this long before a day are not looked for among its endings (a run lasts far less: approval timeout and polls). */
const LONGEST_RUN_DAYS = 35;

const eventSchema = z.object({ day: z.optional(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'))) });

/**
 * Hourly (a schedule rule): writes the manifest of each finished day (UTC) that has none, oldest first, so each chains
 * to the one before. `{"day": "YYYY-MM-DD"}` writes that day's now (an operator's back-fill, or the tests). Before a
 * day is listed, a run that finished then without a bundle (its closing could not write it) gets one, built from its
 * approval record and output. A manifest already written is left as it is (conditional PUT): running twice is harmless.
 */
export async function evidenceManifest(event: unknown, env: EvidenceManifestEnv, now = new Date()): Promise<{ written: string[] }> {
  const target: EvidenceTarget = { bucket: env.EVIDENCE_BUCKET!, keyId: env.EVIDENCE_KEY_ID! };
  if (!target.bucket || !target.keyId) throw new Error('EVIDENCE_BUCKET and EVIDENCE_KEY_ID must be set');
  const asked = z.safeParse(eventSchema, event ?? {});
  const today = dayOf(now.toISOString());
  const days = asked.success && asked.data.day ? [asked.data.day] : await daysWithoutManifest(target, today);
  const written: string[] = [];
  for (const day of days) {
    await backFill(target, env, day, now);
    const key = await writeManifest(target, day);
    if (key) written.push(key);
  }
  logger.info('Evidence manifests', { written });
  return { written };
}

/** The finished days of the last week after the latest one with a manifest (none written yet: yesterday only). */
async function daysWithoutManifest(target: EvidenceTarget, today: string): Promise<string[]> {
  const missing: string[] = [];
  let day = previousDay(today);
  for (let i = 0; i < CATCH_UP_DAYS; i++, day = previousDay(day)) {
    if (await getObject(target.bucket, manifestKey(day))) break;
    missing.unshift(day);
  }
  return missing.length === CATCH_UP_DAYS && !(await anyManifest(target)) ? missing.slice(-1) : missing;
}

const anyManifest = async (target: EvidenceTarget) => (await listKeys(target.bucket, 'manifests/')).length > 0;

async function writeManifest(target: EvidenceTarget, day: string): Promise<string | undefined> {
  const entries: ManifestEntry[] = [];
  for (const { key } of await listKeys(target.bucket, bundleDayPrefix(day))) {
    const object = await getObject(target.bucket, key);
    if (object) entries.push({ key, versionId: object.versionId, sha256: sha256Hex(object.body) });
  }
  const previousKey = manifestKey(previousDay(day));
  const previousObject = await getObject(target.bucket, previousKey);
  const previous = previousObject && { key: previousKey, versionId: previousObject.versionId, sha256: sha256Hex(previousObject.body) };
  const key = manifestKey(day);
  const { written } = await putSigned(target, key, buildManifest(day, entries, previous));
  return written ? key : undefined;
}

/** Writes the bundle of each run that finished on the day and has none (in the day's, the day before's or after's folder). */
async function backFill(target: EvidenceTarget, env: EvidenceManifestEnv, day: string, now: Date) {
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  const ended = (await finishedExecutions(env.STATE_MACHINE_ARN, dayStart - LONGEST_RUN_DAYS * 86_400_000)).filter(
    (e) => e.stopDate && dayOf(e.stopDate.toISOString()) === day,
  );
  if (!ended.length) return;
  const nextDay = dayOf(new Date(dayStart + 86_400_000).toISOString());
  const keys = new Set<string>();
  for (const d of [previousDay(day), day, nextDay]) for (const { key } of await listKeys(target.bucket, bundleDayPrefix(d))) keys.add(key);
  const names = new Set(
    [...keys]
      .filter((k) => dayOfKey(k))
      .map((k) =>
        k
          .split('/')
          .pop()!
          .replace(/\.json$/, ''),
      ),
  );
  const store = new ApprovalStore(dynamo, env.TABLE_NAME);
  for (const execution of ended) {
    if (names.has(runNameOf(execution.executionArn!))) continue;
    const bundle = await bundleOf(store, execution, now);
    const { written } = await putSigned(target, bundleKey(bundle.run.endedAt, execution.executionArn!), bundle);
    logger.warn('Evidence written late, from the record', { executionArn: execution.executionArn, written });
  }
}

/** A run's bundle from what outlives it: its output (Notify's outcome) or its status, and its approval record. */
async function bundleOf(store: ApprovalStore, execution: ExecutionListItem, now: Date) {
  const executionArn = execution.executionArn!;
  const described = await stepFunctions.send(new DescribeExecutionCommand({ executionArn }));
  const output = z.safeParse(outcomeDetailSchema, parseJson(described.output));
  const input = parseJson(described.input);
  const stoppedAt = (described.stopDate ?? now).toISOString();
  const detail: OutcomeDetail = output.success
    ? output.data
    : {
        outcome: OUTSIDE_ENDINGS[described.status ?? ''] ?? 'RUN_FAILED',
        reason: [described.error, described.cause].filter(Boolean).join(': ') || `The run ended ${described.status}.`,
        recordErrors: [],
        executionArn,
        durationsSeconds: { total: Math.round(((described.stopDate ?? now).getTime() - (described.startDate ?? now).getTime()) / 1000) },
        finishedAt: stoppedAt,
      };
  const planRef = planRefOfInput(input, executionArn);
  const found = planRef ? await store.get(planRef) : undefined;
  const record = found?.executionArn === executionArn ? found : undefined;
  return buildBundle({ detail, record, startedAt: described.startDate?.toISOString(), producer: { closer: 'EvidenceManifest' } });
}

const OUTSIDE_ENDINGS: Record<string, Outcome> = { FAILED: 'RUN_FAILED', TIMED_OUT: 'RUN_TIMED_OUT', ABORTED: 'ABORTED' };

async function finishedExecutions(stateMachineArn: string, startedAfter: number): Promise<ExecutionListItem[]> {
  const found: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stepFunctions.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }));
    for (const execution of page.executions ?? []) {
      // Newest first: past the oldest start that could end on the day, the rest are older still.
      if (execution.startDate && execution.startDate.getTime() < startedAfter) return found;
      if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') found.push(execution);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? 'null');
  } catch {
    return undefined;
  }
}
