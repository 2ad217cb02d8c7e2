import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as sfn from '@aws-sdk/client-sfn';
import { dayOf, manifestKey, previousDay, sha256Hex } from '../../lambdas/shared/domain/evidence';
import { ONE_APPROVAL } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import {
  approvalLinkFor,
  clientConfig,
  decideOnPage,
  LOCAL_MODE_START_MS,
  type LocalMode,
  runEnded,
  startWithClients,
  until,
} from '../support/local-mode';

/**
 * Compliance evidence through local mode (issue 24): runs ending SUCCEEDED, REJECTED, EXPIRED, ABORTED and DENIED each
 * leave exactly one signed bundle in the Object Lock bucket; the manifest job chains the days; `plangate evidence
 * verify` passes, and fails naming what was changed, deleted or is missing; `plangate evidence export` lists the runs.
 */
const BIN = path.join(__dirname, '..', '..', 'cli', 'bin.cjs');
let local: LocalMode;
let client: sfn.SFNClient;
let s3: S3Client;
let close: () => Promise<void>;
let bucket: string;
const runs: Record<string, string> = {};

beforeAll(async () => {
  ({ local, client, close } = await startWithClients({
    pollWaitMs: 50,
    // The manifest job runs when the test says, not on local mode's 5-second schedule (it would rewrite a deleted manifest).
    scheduleMs: 3_600_000,
    approvalTimeoutSeconds: 4,
    context: { ...ONE_APPROVAL, 'plangate:deniedResourceTypes': ['AWS::IAM::User'] },
  }));
  s3 = new S3Client({ ...clientConfig(local), forcePathStyle: true });
  bucket = local.functionEnvironment.EVIDENCE_BUCKET!;
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  s3?.destroy();
  await close?.();
});

const register = (planId: string, changes?: { Action: string; LogicalResourceId: string; ResourceType: string }[]) =>
  fetch(`${local.baseUrl}/local/plans`, {
    method: 'POST',
    body: JSON.stringify({ ...ordersServicePlan(planId), ...(changes ? { ResourceChanges: changes } : {}) }),
  });
const start = async (planId: string) =>
  (await client.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: JSON.stringify({ planId }) })))
    .executionArn!;
const bundleKeys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'bundles/' }))).Contents ?? []).map((o) => o.Key!);
const bundleOf = async (executionArn: string) => (await bundleKeys()).find((key) => key.endsWith(`/${executionArn.split(':').pop()}.json`));
const read = async (key: string) => {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: await got.Body!.transformToString(), metadata: got.Metadata ?? {}, versionId: got.VersionId };
};

function plangate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--endpoint', local.baseUrl, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
const writeManifest = (day: string) => local.invoke('EvidenceManifest', { day });

test('each ending leaves exactly one signed bundle, and a second closing writes none', async () => {
  await register('plan-evidsucceed01');
  runs.SUCCEEDED = await start('plan-evidsucceed01');
  await decideOnPage(await approvalLinkFor(local, 'alice@example.com', 'plan-evidsucceed01'), 'approve');

  await register('plan-evidreject001');
  runs.REJECTED = await start('plan-evidreject001');
  await decideOnPage(await approvalLinkFor(local, 'alice@example.com', 'plan-evidreject001'), 'reject');

  await register('plan-evidexpire001');
  runs.EXPIRED = await start('plan-evidexpire001');

  await register('plan-evidabort0001');
  runs.ABORTED = await start('plan-evidabort0001');
  await approvalLinkFor(local, 'alice@example.com', 'plan-evidabort0001');
  await client.send(new sfn.StopExecutionCommand({ executionArn: runs.ABORTED, error: 'Operator.Stop', cause: 'Wrong plan' }));

  await register('plan-evidenied0001', [{ Action: 'ADD', LogicalResourceId: 'BreakGlass', ResourceType: 'AWS::IAM::User' }]);
  runs.DENIED = await start('plan-evidenied0001');

  for (const [outcome, executionArn] of Object.entries(runs)) {
    await runEnded(client, executionArn);
    const key = await until(() => bundleOf(executionArn), `the bundle of the ${outcome} run`);
    expect(key).toMatch(new RegExp(`^bundles/\\d{4}/\\d{2}/\\d{2}/${executionArn.split(':').pop()}\\.json$`));
    const { body, metadata } = await read(key);
    const bundle = JSON.parse(body);
    expect(bundle).toMatchObject({ schema: 'plangate.evidence/v1', run: { executionArn }, outcome: { outcome } });
    // Canonical: sorted keys, no whitespace; hashed and signed as stored.
    expect(body).not.toMatch(/\n| {2}/);
    expect(metadata.sha256).toBe(sha256Hex(body));
    const { PublicKey } = await new KMSClient(clientConfig(local)).send(
      new GetPublicKeyCommand({ KeyId: local.functionEnvironment.EVIDENCE_KEY_ID }),
    );
    const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', Buffer.from(body), publicKey, Buffer.from(metadata.signature!, 'base64'))).toBe(true);
    expect(JSON.stringify(bundle)).not.toContain('taskToken');
  }
  const succeeded = JSON.parse((await read((await bundleOf(runs.SUCCEEDED!))!)).body);
  expect(succeeded).toMatchObject({
    approvals: [{ approver: { email: 'alice@example.com' }, channel: 'web', decidedAt: expect.any(String) }],
    execution: { recordId: expect.any(String), idempotencyToken: expect.any(String) },
    plan: { planId: 'plan-evidsucceed01', changesDigestSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
  });
  expect(JSON.parse((await read((await bundleOf(runs.ABORTED!))!)).body).outcome).toMatchObject({ error: 'Operator.Stop', cause: 'Wrong plan' });

  // Closing again (the rule's event delivered twice) writes nothing more.
  const before = await bundleKeys();
  await local.invoke('CloseRun', {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: { executionArn: runs.ABORTED, status: 'ABORTED', startDate: Date.now(), input: JSON.stringify({ planId: 'plan-evidabort0001' }) },
  });
  expect(await bundleKeys()).toEqual(before);
  expect(before).toHaveLength(5);
}, 60_000);

test('a locked bundle cannot be deleted through the S3 API', async () => {
  const key = (await bundleOf(runs.SUCCEEDED!))!;
  const { versionId } = await read(key);
  await expect(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).rejects.toMatchObject({
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
  });
  expect((await read(key)).versionId).toBe(versionId);
});

test('verify passes, export lists the five runs; a changed bundle, a deleted manifest and a run without a bundle fail, named', async () => {
  const today = dayOf(new Date().toISOString());
  const yesterday = previousDay(today);
  // The job writes a day's manifest once it is over; asked for a day, it writes that one now.
  await writeManifest(yesterday);
  await writeManifest(today);
  const todays = JSON.parse((await read(manifestKey(today))).body);
  expect(todays.bundles).toHaveLength(5);
  expect(todays.previousManifest).toMatchObject({ key: manifestKey(yesterday), sha256: sha256Hex((await read(manifestKey(yesterday))).body) });
  expect(await writeManifest(today)).toEqual({ written: [] });

  const ok = await plangate('evidence', 'verify', '--from', yesterday);
  expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining('Evidence verifies: 5 bundle(s), 2 manifest(s)') });

  const out = path.join(mkdtempSync(path.join(tmpdir(), 'evidence-')), 'period.csv');
  const exported = await plangate('evidence', 'export', '--from', today, '--to', `${today}T23:59:59Z`, '--format', 'csv', '--out', out);
  expect(exported.code).toBe(0);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
  expect(lines[0]).toMatch(/^endedAt,outcome,reason,account,region,planId/);
  expect(
    lines
      .slice(1)
      .map((line) => line.split(',')[1])
      .sort(),
  ).toEqual(['ABORTED', 'DENIED', 'EXPIRED', 'REJECTED', 'SUCCEEDED']);

  // Overwriting makes a new version (the locked one stays): verify reads what an auditor would, and names it.
  const tampered = (await bundleOf(runs.REJECTED!))!;
  const original = await read(tampered);
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: tampered, Body: original.body.replace('REJECTED', 'SUCCEEDED'), Metadata: original.metadata }),
  );
  // A delete marker is what a DeleteObject without a version id leaves, Object Lock or not.
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: manifestKey(yesterday) }));
  const missing = (await bundleOf(runs.DENIED!))!;
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: missing }));

  const failed = await plangate('evidence', 'verify', '--from', yesterday);
  expect(failed.code).toBe(8);
  expect(failed.stdout).toContain(`FAIL bundle ${tampered}: its SHA-256 is`);
  expect(failed.stdout).toContain(`FAIL bundle ${tampered}: it changed after manifest ${manifestKey(today)} listed it`);
  expect(failed.stdout).toContain(`FAIL manifest ${manifestKey(yesterday)}: it is missing, and ${manifestKey(today)} chains to it`);
  expect(failed.stdout).toContain(`FAIL bundle ${missing}: listed in manifest ${manifestKey(today)}, it is missing`);
  expect(failed.stdout).toContain(`FAIL run ${runs.DENIED}: it ended SUCCEEDED at`);
  expect(failed.stderr).toContain('Evidence does NOT verify');
}, 60_000);

test('the manifest job writes the bundle a run is missing, from its output, before it lists the day', async () => {
  const missing = `bundles/${dayOf(new Date().toISOString()).replaceAll('-', '/')}/${runs.DENIED!.split(':').pop()}.json`;
  await expect(read(missing)).rejects.toMatchObject({ name: 'NoSuchKey' });
  // Today's manifest is written already: the job leaves it, but still fills the gap.
  expect(await writeManifest(dayOf(new Date().toISOString()))).toEqual({ written: [] });
  const backFilled = JSON.parse((await read(missing)).body);
  expect(backFilled).toMatchObject({
    run: { executionArn: runs.DENIED },
    outcome: { outcome: 'DENIED' },
    plan: { planId: 'plan-evidenied0001' },
    producer: { closer: 'EvidenceManifest' },
  });
  const verified = await plangate('evidence', 'verify', '--from', dayOf(new Date().toISOString()));
  expect(verified.stdout).not.toContain(`FAIL run ${runs.DENIED}`);
}, 60_000);
