import { createHash } from 'node:crypto';
import type { ApprovalRecord } from '../contracts/approval-record';
import type { OutcomeDetail } from '../contracts/events';
import type { ReviewResult } from '../contracts/steps';

/*
 * Compliance evidence (issue 24): one bundle per run, written once when the run is closed, and a daily manifest that
 * lists the day's bundles and chains to the day before. Both are canonical JSON, so anyone can recompute the SHA-256
 * the KMS signature covers from the stored bytes alone.
 */

export const BUNDLE_SCHEMA = 'plangate.evidence/v1';
export const MANIFEST_SCHEMA = 'plangate.evidence-manifest/v1';
export const BUNDLE_PREFIX = 'bundles/';
export const MANIFEST_PREFIX = 'manifests/';
/** The signing algorithm, over the SHA-256 digest of the stored bytes (KMS Sign, MessageType DIGEST). */
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/**
 * JSON with object keys sorted (by UTF-16 code units, as RFC 8785) and no insignificant whitespace: the same value always
 * gives the same bytes. Strings and numbers are written as JSON.stringify writes them (which is RFC 8785's form for
 * numbers); undefined members are left out as JSON.stringify does. Not-finite numbers have no JSON form: refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.keys(value as object)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
}

export const sha256Hex = (bytes: string | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** `2026-12-02` of an ISO 8601 time (UTC). */
export const dayOf = (iso: string) => new Date(iso).toISOString().slice(0, 10);

/** The execution's name: the last part of its ARN, unique within the state machine. */
export const runNameOf = (executionArn: string) => executionArn.split(':').pop() ?? executionArn;

/** `bundles/2026/12/02/<execution name>.json`: by the day the run ended (UTC), then the run. */
export const bundleKey = (endedAt: string, executionArn: string) =>
  `${BUNDLE_PREFIX}${dayOf(endedAt).replaceAll('-', '/')}/${runNameOf(executionArn)}.json`;

/** `manifests/2026/12/02.json` for the day `2026-12-02`. */
export const manifestKey = (day: string) => `${MANIFEST_PREFIX}${day.replaceAll('-', '/')}.json`;

/** The prefix of a day's bundles, for listing them. */
export const bundleDayPrefix = (day: string) => `${BUNDLE_PREFIX}${day.replaceAll('-', '/')}/`;

/** The day (`2026-12-02`) a bundle or manifest key is filed under, or undefined for any other key. */
export function dayOfKey(key: string): string | undefined {
  const match = /^(?:bundles\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+|manifests\/(\d{4})\/(\d{2})\/(\d{2}))\.json$/.exec(key);
  if (!match) return undefined;
  const [y, m, d] = match[1] ? [match[1], match[2], match[3]] : [match[4], match[5], match[6]];
  return `${y}-${m}-${d}`;
}

/** The days from `from` to `to` (`YYYY-MM-DD`), both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export const previousDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/** What closing a run knows: its outcome (as every channel reports it), its approval record if it owns one, its state. */
export interface BundleInput {
  detail: OutcomeDetail;
  record?: ApprovalRecord;
  /** The review in the run's state, when the run has no record (a denied plan, say). */
  review?: ReviewResult;
  startedAt?: string;
  /** The stack that wrote it. */
  producer: { stack?: string; closer: string };
}

/**
 * One run's evidence: the plan as reviewed (its changes and their digest, risk, requirements), the request, every
 * approval and the decision with who gave them and how their identity was verified, the execution (idempotency token,
 * record, its status and errors), the outcome and reason, timings and the execution ARN. No task token, link or secret:
 * the record's task token is never copied. Built only from what was recorded, so closing twice builds the same bundle.
 */
export function buildBundle({ detail, record, review: stateReview, startedAt, producer }: BundleInput) {
  const review = record?.review ?? stateReview;
  const recorded = record?.outcome;
  return {
    schema: BUNDLE_SCHEMA,
    run: {
      executionArn: detail.executionArn,
      startedAt,
      endedAt: recorded?.finishedAt ?? detail.finishedAt,
      durationsSeconds: detail.durationsSeconds,
    },
    plan: {
      accountId: detail.accountId,
      accountName: detail.accountName,
      region: detail.region,
      planId: review?.planId ?? detail.planId,
      planName: review?.plan?.planName ?? detail.planName,
      provisionedProductId: detail.provisionedProductId,
      provisionedProductName: detail.provisionedProductName,
      productId: review?.plan?.productId,
      provisioningArtifactId: review?.plan?.provisioningArtifactId,
      planStatus: review?.planStatus,
      reviewedAt: review?.reviewedAt,
      changes: review?.summary,
      changesDigestSha256: review?.changesDigest,
      creator: record?.creator ?? review?.creator,
      calendar: review?.calendar,
      executeWindow: review?.executeWindow,
    },
    policy: {
      requirements: review?.policy,
      requiredApprovals: record?.requiredApprovals,
      approvers: record?.approvers.map((a) => a.email),
      groupMembers: record?.groupMembers,
    },
    request: {
      requestedBy: record?.requestedBy ?? detail.requestedBy,
      requestedAt: record?.requestedAt,
      selfApprover: record?.selfApprover,
      emergency: detail.emergency ?? review?.emergency,
    },
    approvals: record?.approvals ?? [],
    voidedApprovals: record?.voidedApprovals,
    decision: record?.decision ?? (detail.decision ? { decision: detail.decision, approver: detail.approver, comment: detail.comment } : undefined),
    execution: {
      idempotencyToken: recorded?.idempotencyToken ?? detail.idempotencyToken ?? record?.execution?.idempotencyToken,
      startedAt: record?.execution?.startedAt,
      refused: record?.execution?.refused,
      recordId: recorded?.recordId ?? detail.recordId,
      recordStatus: detail.recordStatus,
      recordErrors: detail.recordErrors,
      recordErrorsUnlisted: detail.recordErrorsUnlisted,
    },
    outcome: {
      outcome: recorded?.outcome ?? detail.outcome,
      reason: recorded?.reason ?? detail.reason,
      error: recorded?.error,
      cause: recorded?.cause,
      released: record?.released,
      releasedBy: record?.releasedBy,
    },
    producer,
  };
}
export type EvidenceBundle = ReturnType<typeof buildBundle>;

/** One bundle as a manifest lists it. */
export interface ManifestEntry {
  key: string;
  versionId?: string;
  sha256: string;
}

/**
 * A day's manifest: its bundles (sorted by key) with their hashes, and the previous day's manifest with its hash: a
 * chain, as CloudTrail's digest files are. Removing or changing a bundle or an earlier manifest breaks it.
 */
export function buildManifest(day: string, bundles: ManifestEntry[], previous: ManifestEntry | undefined) {
  return {
    schema: MANIFEST_SCHEMA,
    day,
    bundles: [...bundles].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    previousManifest: previous ?? null,
  };
}
export type EvidenceManifest = ReturnType<typeof buildManifest>;

/** The object metadata that travels with every bundle and manifest (S3 user metadata, `x-amz-meta-*`). */
export interface SignatureMetadata {
  sha256: string;
  /** Base64 of the DER-encoded ECDSA signature KMS returned. */
  signature: string;
  'signing-key': string;
  'signing-algorithm': string;
}
