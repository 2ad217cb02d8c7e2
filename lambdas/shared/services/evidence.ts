import { putSigned } from '../adapters/evidence-store';
import type { ApprovalRecord } from '../contracts/approval-record';
import type { OutcomeDetail } from '../contracts/events';
import { METRIC } from '../contracts/metrics';
import type { RunState } from '../contracts/steps';
import { buildBundle, bundleKey } from '../domain/evidence';
import { logger } from '../runtime/logger';
import { count } from '../runtime/metrics';

/** Where closings write evidence; a deployment always sets both (lib/evidence.ts). */
export interface EvidenceEnv {
  EVIDENCE_BUCKET?: string;
  EVIDENCE_KEY_ID?: string;
}

/**
 * Writes the run's evidence bundle, once (a conditional PUT under a key fixed by the run and the day its record was
 * closed). Never fails the closing: the ending is already on the record and announced when this runs. A bundle not
 * written is logged as an error and counted (EvidenceNotWritten, which alarms); the daily manifest job writes it from
 * the run's record and output before it lists the day, and `plangate evidence verify` reports any run still without one.
 */
export async function writeEvidence(
  run: { detail: OutcomeDetail; record?: ApprovalRecord; state?: Pick<RunState, 'review' | 'run'>; closer: string },
  env: EvidenceEnv,
): Promise<{ key: string; written: boolean } | undefined> {
  if (!env.EVIDENCE_BUCKET || !env.EVIDENCE_KEY_ID) return undefined;
  const bundle = buildBundle({
    detail: run.detail,
    record: run.record,
    review: run.state?.review,
    startedAt: run.state?.run.startedAt,
    producer: { closer: run.closer },
  });
  const key = bundleKey(bundle.run.endedAt, run.detail.executionArn);
  try {
    const { written } = await putSigned({ bucket: env.EVIDENCE_BUCKET, keyId: env.EVIDENCE_KEY_ID }, key, bundle);
    logger.info(written ? 'Evidence written' : 'Evidence was already written', { key });
    return { key, written };
  } catch (error) {
    logger.error('Evidence not written: the manifest job will write it', { key, error: (error as Error).message });
    count(METRIC.EvidenceNotWritten);
    return undefined;
  }
}
