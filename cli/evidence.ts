import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type ExecutionListItem, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  bundleDayPrefix,
  canonicalJson,
  dayOf,
  dayOfKey,
  daysBetween,
  type EvidenceBundle,
  type EvidenceManifest,
  manifestKey,
  previousDay,
  sha256Hex,
} from '../lambdas/shared/domain/evidence';
import type { Aws } from './aws';
import { EXIT } from './exit-codes';

/**
 * `plangate evidence export` and `plangate evidence verify` (issue 24): the evidence bucket's bundles for a period, as
 * one row per change for an auditor, and the proof that they are whole: every bundle's hash and signature, every
 * manifest's signature, the chain of manifests, and a bundle for every run the state machine finished.
 */

/** WHEN: an ISO 8601 date (midnight UTC) or date-time (UTC, or with an offset). */
export function parseWhen(value: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? new Date(`${value}T00:00:00Z`)
    : /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(value)
      ? new Date(value)
      : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError('give an ISO 8601 date or date-time in UTC, e.g. 2026-12-01 or 2026-12-01T08:00:00Z');
  }
  return date;
}

/** One stored object: its key, bytes, version and metadata. */
export interface StoredObject {
  key: string;
  body: string;
  versionId?: string;
  metadata: Record<string, string>;
}

/** What an auditor samples of one change, one row per run. */
export function exportRow(object: StoredObject): Record<string, string> {
  const b = JSON.parse(object.body) as EvidenceBundle;
  const approvals = (b.approvals ?? []) as { approver: { email: string }; channel: string; decidedAt: string; principal?: string }[];
  const decision = b.decision as { decision?: string; approver?: { email?: string } | string; decidedAt?: string; channel?: string } | undefined;
  const decidedBy = typeof decision?.approver === 'string' ? decision.approver : decision?.approver?.email;
  return {
    endedAt: b.run.endedAt ?? '',
    outcome: b.outcome.outcome ?? '',
    reason: b.outcome.reason ?? '',
    account: b.plan.accountId ?? '',
    region: b.plan.region ?? '',
    planId: b.plan.planId ?? '',
    planName: b.plan.planName ?? '',
    provisionedProduct: b.plan.provisionedProductName ?? b.plan.provisionedProductId ?? '',
    changesDigestSha256: b.plan.changesDigestSha256 ?? '',
    requestedBy: b.request.requestedBy ?? '',
    requestedAt: b.request.requestedAt ?? '',
    planCreator: (b.plan.creator as { arn?: string } | undefined)?.arn ?? '',
    emergency: b.request.emergency ? (b.request.emergency as { reason: string }).reason : '',
    approvals: approvals.map((a) => `${a.approver.email} (${a.channel}${a.principal ? ` as ${a.principal}` : ''}) at ${a.decidedAt}`).join('; '),
    decision: decision?.decision
      ? `${decision.decision}${decidedBy ? ` by ${decidedBy}` : ''}${decision.channel ? ` (${decision.channel})` : ''}`
      : '',
    decidedAt: decision?.decidedAt ?? '',
    executedAt: b.execution.startedAt ?? '',
    idempotencyToken: b.execution.idempotencyToken ?? '',
    recordId: b.execution.recordId ?? '',
    recordStatus: b.execution.recordStatus ?? '',
    run: b.run.executionArn,
    evidenceKey: object.key,
    evidenceVersionId: object.versionId ?? '',
    sha256: sha256Hex(object.body),
  };
}

/**
 * A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break. A cell a spreadsheet would run as a
 * formula (starting with = + - @, a tab or a carriage return) gets a leading apostrophe, as OWASP advises.
 */
export function csvCell(value: string): string {
  const neutral = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(neutral) ? `"${neutral.replaceAll('"', '""')}"` : neutral;
}

export function toCsv(rows: Record<string, string>[], columns = Object.keys(rows[0] ?? exportRow(SAMPLE_FOR_COLUMNS))): string {
  return [columns.map(csvCell).join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c] ?? '')).join(','))]
    .map((line) => `${line}\r\n`)
    .join('');
}
const SAMPLE_FOR_COLUMNS: StoredObject = {
  key: '',
  body: JSON.stringify({ run: { executionArn: '' }, plan: {}, request: {}, execution: {}, outcome: {} }),
  metadata: {},
};

/** A problem verify found: what (a key, a run, a day) and why. */
export interface Finding {
  subject: string;
  problem: string;
}

export interface EvidenceSnapshot {
  /** The period, [from, to). */
  from: Date;
  to: Date;
  now: Date;
  bundles: StoredObject[];
  /** Manifests by day, from the day before the period to the day after. */
  manifests: Map<string, StoredObject>;
  /** The state machine's finished executions that stopped in the period. */
  finishedRuns: { executionArn: string; status: string; stopDate: Date }[];
  publicKey: KeyObject;
}

/** Checks a signed object: its bytes hash to the SHA-256 its metadata names, and the signature verifies over them. */
function signatureFindings(object: StoredObject, publicKey: KeyObject, what: string): Finding[] {
  const subject = `${what} ${object.key}`;
  const sha256 = sha256Hex(object.body);
  if (object.metadata.sha256 !== sha256)
    return [{ subject, problem: `its SHA-256 is ${sha256}, its metadata says ${object.metadata.sha256 ?? 'nothing'}` }];
  const signature = Buffer.from(object.metadata.signature ?? '', 'base64');
  if (!verify('sha256', Buffer.from(object.body, 'utf8'), publicKey, signature))
    return [{ subject, problem: 'its signature does not verify with the signing key' }];
  return [];
}

/** Every check of `plangate evidence verify`, over what was read from the bucket and Step Functions. */
export function checkEvidence(snapshot: EvidenceSnapshot): Finding[] {
  const { from, to, now, bundles, manifests, finishedRuns, publicKey } = snapshot;
  const findings: Finding[] = [];
  const bundleByKey = new Map(bundles.map((b) => [b.key, b]));
  const runs = new Set<string>();
  for (const bundle of bundles) {
    findings.push(...signatureFindings(bundle, publicKey, 'bundle'));
    try {
      const parsed = JSON.parse(bundle.body) as EvidenceBundle;
      if (canonicalJson(parsed) !== bundle.body) findings.push({ subject: `bundle ${bundle.key}`, problem: 'it is not canonical JSON' });
      runs.add(parsed.run.executionArn);
    } catch {
      findings.push({ subject: `bundle ${bundle.key}`, problem: 'it is not JSON' });
    }
  }
  const today = dayOf(now.toISOString());
  for (const day of daysBetween(dayOf(from.toISOString()), dayOf(new Date(to.getTime() - 1).toISOString()))) {
    const manifest = manifests.get(day);
    const dayBundles = bundles.filter((b) => dayOfKey(b.key) === day);
    const next = manifests.get(dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString()));
    const chainedToIt = next && (JSON.parse(next.body) as EvidenceManifest).previousManifest?.key === manifestKey(day);
    if (!manifest) {
      if (chainedToIt) findings.push({ subject: `manifest ${manifestKey(day)}`, problem: `it is missing, and the next day's manifest chains to it` });
      else if (day < today && dayBundles.length)
        findings.push({
          subject: `manifest ${manifestKey(day)}`,
          problem: `it is missing, and ${dayBundles.length} bundle(s) of that day are in no manifest`,
        });
      continue;
    }
    findings.push(...signatureFindings(manifest, publicKey, 'manifest'));
    const content = JSON.parse(manifest.body) as EvidenceManifest;
    const listed = new Set<string>();
    for (const entry of content.bundles) {
      listed.add(entry.key);
      const stored = bundleByKey.get(entry.key);
      if (!stored) findings.push({ subject: `bundle ${entry.key}`, problem: `listed in manifest ${manifest.key}, it is missing` });
      else if (sha256Hex(stored.body) !== entry.sha256) {
        findings.push({
          subject: `bundle ${entry.key}`,
          problem: `it changed after manifest ${manifest.key} listed it (version ${stored.versionId ?? '?'} now, ${entry.versionId ?? '?'} listed)`,
        });
      }
    }
    for (const bundle of dayBundles)
      if (!listed.has(bundle.key)) findings.push({ subject: `bundle ${bundle.key}`, problem: `it is not in manifest ${manifest.key}` });
    const previousKey = manifestKey(previousDay(day));
    const previous = manifests.get(previousDay(day));
    if (!content.previousManifest) {
      if (previous) findings.push({ subject: `manifest ${manifest.key}`, problem: `it does not chain to ${previousKey}, which exists` });
    } else if (!previous) {
      findings.push({ subject: `manifest ${content.previousManifest.key}`, problem: `it is missing, and ${manifest.key} chains to it` });
    } else if (sha256Hex(previous.body) !== content.previousManifest.sha256) {
      findings.push({ subject: `manifest ${previousKey}`, problem: `it changed after ${manifest.key} chained to it` });
    }
  }
  for (const run of finishedRuns) {
    if (!runs.has(run.executionArn)) {
      const minutes = Math.round((now.getTime() - run.stopDate.getTime()) / 60_000);
      const recent = minutes < 15 ? ` (it ended ${minutes} minute(s) ago: its closing may still be writing it)` : '';
      findings.push({
        subject: `run ${run.executionArn}`,
        problem: `it ended ${run.status} at ${run.stopDate.toISOString()} and has no evidence bundle${recent}`,
      });
    }
  }
  return findings;
}

/** Reads the period's bundles (by the day in their key, a day's margin either side) and the manifests around it. */
async function readEvidence(aws: Aws, bucket: string, from: Date, to: Date) {
  const s3 = aws.s3();
  const days = daysBetween(previousDay(dayOf(from.toISOString())), dayOf(new Date(to.getTime() + 86_400_000).toISOString()));
  const get = async (key: string): Promise<StoredObject | undefined> => {
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { key, body: (await got.Body?.transformToString('utf8')) ?? '', versionId: got.VersionId, metadata: got.Metadata ?? {} };
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  };
  const bundles: StoredObject[] = [];
  for (const day of days) {
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: bundleDayPrefix(day), ContinuationToken }));
      for (const { Key } of page.Contents ?? []) {
        const object = Key && (await get(Key));
        if (object) bundles.push(object);
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }
  const manifests = new Map<string, StoredObject>();
  for (const day of days) {
    const manifest = await get(manifestKey(day));
    if (manifest) manifests.set(day, manifest);
  }
  return { bundles, manifests };
}

/** The bundles whose run ended in [from, to). */
const endedWithin = (bundles: StoredObject[], from: Date, to: Date) =>
  bundles.filter((b) => {
    try {
      const endedAt = Date.parse((JSON.parse(b.body) as EvidenceBundle).run.endedAt);
      return endedAt >= from.getTime() && endedAt < to.getTime();
    } catch {
      return false;
    }
  });

async function finishedRuns(aws: Aws, stateMachineArn: string, from: Date, to: Date) {
  const runs: { executionArn: string; status: string; stopDate: Date }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }));
    for (const e of page.executions ?? ([] as ExecutionListItem[])) {
      if (e.stopDate && e.stopDate >= from && e.stopDate < to) runs.push({ executionArn: e.executionArn!, status: e.status!, stopDate: e.stopDate });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return runs;
}

const DEFAULT_VERIFY_DAYS = 30;

export function addEvidenceCommands(cli: Command, aws: () => Aws, out: { print(text: string): void; tell(text: string): void }) {
  const evidence = cli.command('evidence').description('export and verify the compliance evidence (signed bundles, daily manifests)');
  evidence
    .command('export')
    .description('one row per run that ended in [--from, --to), for an auditor')
    .requiredOption('--from <when>', 'from this ISO 8601 date or date-time (UTC), included', parseWhen)
    .requiredOption('--to <when>', 'to this one, excluded', parseWhen)
    .addOption(new Option('--format <format>', 'csv or jsonl').choices(['csv', 'jsonl']).default('csv'))
    .option('--out <file>', 'write here instead of standard output')
    .action(async (options: { from: Date; to: Date; format: 'csv' | 'jsonl'; out?: string }) => {
      const connection = aws();
      const { bucket } = await connection.evidence();
      const { bundles } = await readEvidence(connection, bucket, options.from, options.to);
      const rows = endedWithin(bundles, options.from, options.to)
        .map(exportRow)
        .sort((a, b) => ((a.endedAt ?? '') < (b.endedAt ?? '') ? -1 : 1));
      const text = options.format === 'csv' ? toCsv(rows) : rows.map((row) => `${JSON.stringify(row)}\n`).join('');
      if (options.out) {
        writeFileSync(options.out, text);
        out.tell(`Wrote ${rows.length} run(s) to ${options.out}`);
      } else process.stdout.write(text);
    });
  evidence
    .command('verify')
    .description('check every bundle and manifest of [--from, --to), the chain, and that every finished run has a bundle')
    .option('--from <when>', `from this ISO 8601 date or date-time (UTC); default ${DEFAULT_VERIFY_DAYS} days ago`, parseWhen)
    .option('--to <when>', 'to this one, excluded; default now', parseWhen)
    .action(async (options: { from?: Date; to?: Date }) => {
      const now = new Date();
      const to = options.to ?? now;
      const from = options.from ?? new Date(Date.parse(`${dayOf(now.toISOString())}T00:00:00Z`) - DEFAULT_VERIFY_DAYS * 86_400_000);
      const connection = aws();
      const [{ bucket, keyArn }, target] = await Promise.all([connection.evidence(), connection.target()]);
      const { PublicKey } = await connection.kms().send(new GetPublicKeyCommand({ KeyId: keyArn }));
      const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
      const { bundles, manifests } = await readEvidence(connection, bucket, from, to);
      const inPeriod = new Set(endedWithin(bundles, from, to).map((b) => b.key));
      const period = bundles.filter((b) => inPeriod.has(b.key) || dayOfKey(b.key)! >= dayOf(from.toISOString()));
      const findings = checkEvidence({
        from,
        to,
        now,
        bundles: period,
        manifests,
        finishedRuns: await finishedRuns(connection, target.stateMachineArn, from, to),
        publicKey,
      });
      for (const { subject, problem } of findings) out.print(`FAIL ${subject}: ${problem}`);
      const summary = `${period.length} bundle(s), ${[...manifests.keys()].filter((d) => d >= dayOf(from.toISOString())).length} manifest(s), ${from.toISOString()} to ${to.toISOString()}`;
      if (findings.length) {
        out.tell(`Evidence does NOT verify: ${findings.length} problem(s) in ${summary}`);
        process.exitCode = EXIT.unverified;
      } else out.print(`Evidence verifies: ${summary}`);
    });
}
