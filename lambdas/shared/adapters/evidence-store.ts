import { canonicalJson, SIGNING_ALGORITHM, type SignatureMetadata, sha256Hex } from '../domain/evidence';
import { kms, s3 } from './clients/evidence';

/** Where evidence goes: the Object Lock bucket and the asymmetric key that signs it. */
export interface EvidenceTarget {
  bucket: string;
  keyId: string;
}

/**
 * Writes one signed evidence object, once: canonical JSON, its SHA-256 signed by KMS (ECDSA_SHA_256 over the digest,
 * MessageType DIGEST: Sign takes at most 4 KB of raw message), the hash and signature in its metadata. The PUT is
 * conditional (If-None-Match: *), so a second closing of the same run, or the manifest job run twice for a day, finds
 * it there and writes nothing; Object Lock would have kept both versions otherwise. Returns whether this call wrote it.
 */
export async function putSigned(
  target: EvidenceTarget,
  key: string,
  value: unknown,
): Promise<{ written: boolean; sha256: string; versionId?: string }> {
  const body = canonicalJson(value);
  const sha256 = sha256Hex(body);
  const metadata = await sign(target.keyId, sha256);
  const { sdk, client } = s3();
  try {
    const put = await client.send(
      new sdk.PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: Buffer.from(body, 'utf8'),
        ContentType: 'application/json',
        IfNoneMatch: '*',
        Metadata: { ...metadata },
      }),
    );
    return { written: true, sha256, versionId: put.VersionId };
  } catch (error) {
    // 412: it is there already. 409: another writer's PUT of the same key is in flight; it holds the same bytes.
    if (['PreconditionFailed', 'ConditionalRequestConflict'].includes((error as Error).name)) return { written: false, sha256 };
    throw error;
  }
}

async function sign(keyId: string, sha256: string): Promise<SignatureMetadata> {
  const { sdk, client } = kms();
  const { Signature, KeyId } = await client.send(
    new sdk.SignCommand({ KeyId: keyId, Message: Buffer.from(sha256, 'hex'), MessageType: 'DIGEST', SigningAlgorithm: SIGNING_ALGORITHM }),
  );
  if (!Signature) throw new Error('KMS Sign returned no signature');
  return {
    sha256,
    signature: Buffer.from(Signature).toString('base64'),
    'signing-key': KeyId ?? keyId,
    'signing-algorithm': SIGNING_ALGORITHM,
  };
}

/** The keys under a prefix (ListObjectsV2, every page). */
export async function listKeys(bucket: string, prefix: string): Promise<{ key: string }[]> {
  const { sdk, client } = s3();
  const keys: { key: string }[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push({ key: object.Key });
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

/** An object's bytes, version and metadata; undefined when there is none. */
export async function getObject(
  bucket: string,
  key: string,
): Promise<{ body: string; versionId?: string; metadata: Record<string, string> } | undefined> {
  const { sdk, client } = s3();
  try {
    const got = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: (await got.Body?.transformToString('utf8')) ?? '', versionId: got.VersionId, metadata: got.Metadata ?? {} };
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}
