import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectRetentionCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { KmsEmulator } from '../../local/kms';
import { kmsRoute, s3Route, serveRoutes } from '../../local/routes';
import { S3Emulator } from '../../local/s3';

/** Local mode's evidence bucket and signing key, through the real SDK clients: Object Lock as AWS enforces it, real ECDSA. */
const KEY_ARN = 'arn:aws:kms:us-east-1:000000000000:key/EvidenceSigningKey';
const Bucket = 'EvidenceBucket';
let server: Server;
let s3: S3Client;
let kms: KMSClient;
beforeAll(async () => {
  server = createServer(serveRoutes([kmsRoute(new KmsEmulator([KEY_ARN])), s3Route(new S3Emulator([{ name: Bucket, retentionDays: 400 }]))]));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  };
  s3 = new S3Client({ ...config, forcePathStyle: true });
  kms = new KMSClient(config);
});
afterAll(async () => {
  s3.destroy();
  kms.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const put = (Key: string, Body: string, extra: { IfNoneMatch?: string } = {}) => s3.send(new PutObjectCommand({ Bucket, Key, Body, ...extra }));
const get = async (Key: string, VersionId?: string) => {
  const got = await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }));
  return { body: await got.Body!.transformToString(), versionId: got.VersionId, mode: got.ObjectLockMode, until: got.ObjectLockRetainUntilDate };
};

describe('S3 with Object Lock in compliance mode', () => {
  test('a locked version cannot be deleted: AccessDenied (403), and it stays', async () => {
    const { VersionId } = await put('bundles/2026/12/02/run-1.json', '{"a":1}');
    const locked = await get('bundles/2026/12/02/run-1.json');
    expect(locked).toMatchObject({ body: '{"a":1}', versionId: VersionId, mode: 'COMPLIANCE' });
    expect(locked.until!.getTime() - Date.now()).toBeGreaterThan(399 * 86_400_000);
    const refused = s3.send(new DeleteObjectCommand({ Bucket, Key: 'bundles/2026/12/02/run-1.json', VersionId }));
    await expect(refused).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect((await get('bundles/2026/12/02/run-1.json', VersionId)).body).toBe('{"a":1}');
  });

  test('an overwrite makes a new version and keeps the locked one; If-None-Match: * refuses it (412)', async () => {
    const first = await put('bundles/2026/12/02/run-2.json', 'first');
    const second = await put('bundles/2026/12/02/run-2.json', 'second');
    expect(second.VersionId).not.toBe(first.VersionId);
    expect((await get('bundles/2026/12/02/run-2.json')).body).toBe('second');
    expect((await get('bundles/2026/12/02/run-2.json', first.VersionId)).body).toBe('first');
    await expect(put('bundles/2026/12/02/run-2.json', 'third', { IfNoneMatch: '*' })).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
  });

  test('a delete without a version id only hides the object behind a delete marker', async () => {
    const { VersionId } = await put('manifests/2026/12/01.json', 'manifest');
    const marker = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'manifests/2026/12/01.json' }));
    expect(marker.DeleteMarker).toBe(true);
    await expect(get('manifests/2026/12/01.json')).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect((await get('manifests/2026/12/01.json', VersionId)).body).toBe('manifest');
  });

  test('retention can be extended, never shortened', async () => {
    const { VersionId } = await put('bundles/2026/12/02/run-3.json', 'x');
    const { Retention } = await s3.send(new GetObjectRetentionCommand({ Bucket, Key: 'bundles/2026/12/02/run-3.json', VersionId }));
    const until = Retention!.RetainUntilDate!;
    const retain = (days: number) =>
      s3.send(
        new PutObjectRetentionCommand({
          Bucket,
          Key: 'bundles/2026/12/02/run-3.json',
          VersionId,
          Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(until.getTime() + days * 86_400_000) },
        }),
      );
    await expect(retain(-1)).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await retain(30);
    const extended = await s3.send(new GetObjectRetentionCommand({ Bucket, Key: 'bundles/2026/12/02/run-3.json', VersionId }));
    expect(extended.Retention!.RetainUntilDate!.getTime()).toBe(until.getTime() + 30 * 86_400_000);
  });

  test('ListObjectsV2 pages through a prefix', async () => {
    for (const n of [1, 2, 3, 4, 5]) await put(`bundles/2026/11/30/page-${n}.json`, String(n));
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'bundles/2026/11/30/', MaxKeys: 2, ContinuationToken }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      ContinuationToken = page.NextContinuationToken;
      pages++;
    } while (ContinuationToken);
    expect({ pages, keys }).toEqual({ pages: 3, keys: [1, 2, 3, 4, 5].map((n) => `bundles/2026/11/30/page-${n}.json`) });
  });

  test('a bucket that is not there is NoSuchBucket (404)', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: 'OtherBucket', Key: 'x' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});

describe('KMS signing with the evidence key', () => {
  const body = Buffer.from('{"outcome":"SUCCEEDED","run":"run-1"}');
  const digest = createHash('sha256').update(body).digest();
  const sign = async () =>
    (await kms.send(new SignCommand({ KeyId: KEY_ARN, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }))).Signature!;

  test('Verify accepts the signature of the digest, and refuses it for another digest', async () => {
    const Signature = await sign();
    const verified = await kms.send(
      new VerifyCommand({ KeyId: KEY_ARN, Message: digest, MessageType: 'DIGEST', Signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    expect(verified.SignatureValid).toBe(true);
    const other = createHash('sha256').update('tampered').digest();
    await expect(
      kms.send(new VerifyCommand({ KeyId: KEY_ARN, Message: other, MessageType: 'DIGEST', Signature, SigningAlgorithm: 'ECDSA_SHA_256' })),
    ).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
  });

  test('a digest of the wrong length is refused, as KMS refuses it', async () => {
    await expect(
      kms.send(new SignCommand({ KeyId: KEY_ARN, Message: digest.subarray(0, 20), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  const openssl = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));
  (openssl ? test : test.skip)('the bundle verifies with openssl and the public key, as the README shows', async () => {
    const { PublicKey, KeySpec } = await kms.send(new GetPublicKeyCommand({ KeyId: KEY_ARN }));
    expect(KeySpec).toBe('ECC_NIST_P256');
    const dir = mkdtempSync(path.join(tmpdir(), 'openssl-'));
    const file = (name: string, data: string | Uint8Array) => {
      writeFileSync(path.join(dir, name), data);
      return path.join(dir, name);
    };
    // As the README: the DER public key (GetPublicKey) to PEM with openssl, the signature (base64 in metadata) to DER.
    const pem = path.join(dir, 'pub.pem');
    expect(spawnSync(openssl!, ['pkey', '-pubin', '-inform', 'DER', '-in', file('pub.der', PublicKey!), '-out', pem]).status).toBe(0);
    const signature = file('sig.der', await sign());
    const verifyWithOpenssl = (bundle: string) =>
      spawnSync(openssl!, ['dgst', '-sha256', '-verify', pem, '-signature', signature, bundle], { encoding: 'utf8' });
    expect(verifyWithOpenssl(file('bundle.json', body))).toMatchObject({ status: 0, stdout: expect.stringContaining('Verified OK') });
    const tampered = verifyWithOpenssl(file('tampered.json', body.toString().replace('SUCCEEDED', 'FAILED')));
    expect(tampered).toMatchObject({ status: 1, stdout: expect.stringContaining('Verification failure') });
  });
});
