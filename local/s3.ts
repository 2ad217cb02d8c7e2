import { createHash, randomUUID } from 'node:crypto';

/**
 * S3 for the evidence bucket, path-style (`/<bucket>/<key>`, as the SDK addresses an IP endpoint and as
 * `forcePathStyle`/`--endpoint-url` do), REST-XML as AWS answers: PutObject (If-None-Match: *), GetObject, HeadObject,
 * ListObjectsV2 (pages), DeleteObject, GetObjectRetention and PutObjectRetention. The bucket has versioning and Object
 * Lock as the template configures it, enforced as AWS does in compliance mode: a PUT over a key makes a new version, a
 * DELETE without a version id adds a delete marker, and a locked version is never deleted nor its retention shortened.
 */

export interface LocalBucket {
  name: string;
  /** The bucket's default retention in days (ObjectLockConfiguration), compliance mode. */
  retentionDays: number;
}

interface Version {
  versionId: string;
  body?: Buffer;
  deleteMarker?: true;
  contentType?: string;
  metadata: Record<string, string>;
  etag: string;
  lastModified: Date;
  retainUntil?: Date;
}

export interface S3Request {
  method: string;
  /** The path, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface S3Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An S3 error as AWS sends it: its status, and an XML body with Code and Message. */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class S3Emulator {
  private readonly buckets = new Map<string, { retentionDays: number; objects: Map<string, Version[]> }>();

  constructor(
    buckets: LocalBucket[],
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const b of buckets) this.buckets.set(b.name, { retentionDays: b.retentionDays, objects: new Map() });
  }

  /** Whether a request is for one of its buckets (path-style). */
  serves(path: string): boolean {
    const bucket = decodeURIComponent(path.split('/')[1] ?? '');
    return this.buckets.has(bucket);
  }

  handle(request: S3Request): S3Answer {
    const requestId = randomUUID();
    try {
      return this.route(request);
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      const body =
        request.method === 'HEAD'
          ? ''
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message><RequestId>${requestId}</RequestId></Error>`;
      return { status: error.status, headers: { 'Content-Type': 'application/xml', 'x-amz-request-id': requestId }, body };
    }
  }

  private route({ method, path, query, headers, body }: S3Request): S3Answer {
    const [, bucketName = '', ...rest] = path.split('/');
    const bucket = this.buckets.get(decodeURIComponent(bucketName));
    if (!bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = decodeURIComponent(rest.join('/'));
    if (!key) {
      if (method === 'GET' && query.get('list-type') === '2') return this.list(decodeURIComponent(bucketName), bucket.objects, query);
      throw new S3Error(501, 'NotImplemented', `Local mode does not emulate ${method} on a bucket (only ListObjectsV2)`);
    }
    const versions = bucket.objects.get(key) ?? [];
    if (query.has('retention')) {
      if (method === 'GET') return this.retention(this.version(versions, query.get('versionId')));
      if (method === 'PUT') return this.putRetention(this.version(versions, query.get('versionId')), body.toString('utf8'));
    }
    switch (method) {
      case 'PUT':
        return this.put(bucket, key, versions, headers, body);
      case 'GET':
      case 'HEAD':
        return this.get(this.version(versions, query.get('versionId')), method === 'HEAD');
      case 'DELETE':
        return this.delete(bucket.objects, key, versions, query.get('versionId'));
      default:
        throw new S3Error(405, 'MethodNotAllowed', `The specified method is not allowed against this resource: ${method}`);
    }
  }

  private put(
    bucket: { retentionDays: number; objects: Map<string, Version[]> },
    key: string,
    versions: Version[],
    headers: S3Request['headers'],
    body: Buffer,
  ) {
    const ifNoneMatch = headers['if-none-match'];
    if (ifNoneMatch !== undefined && ifNoneMatch !== '*') throw new S3Error(501, 'NotImplemented', 'If-None-Match takes only *');
    const current = versions.at(-1);
    if (ifNoneMatch === '*' && current && !current.deleteMarker) {
      throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    const now = this.now();
    const metadata = Object.fromEntries(
      Object.entries(headers)
        .filter(([name, value]) => name.startsWith('x-amz-meta-') && value !== undefined)
        .map(([name, value]) => [name.slice('x-amz-meta-'.length), value!]),
    );
    const version: Version = {
      versionId: randomUUID().replaceAll('-', ''),
      body,
      contentType: headers['content-type'],
      metadata,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: now,
      retainUntil: new Date(now.getTime() + bucket.retentionDays * 86_400_000),
    };
    bucket.objects.set(key, [...versions, version]);
    return { status: 200, headers: { ETag: version.etag, 'x-amz-version-id': version.versionId }, body: '' };
  }

  private version(versions: Version[], versionId: string | null): Version {
    const version = versionId ? versions.find((v) => v.versionId === versionId) : versions.at(-1);
    if (!version) throw new S3Error(404, versionId ? 'NoSuchVersion' : 'NoSuchKey', 'The specified key does not exist.');
    if (version.deleteMarker) {
      throw versionId
        ? new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.')
        : new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    }
    return version;
  }

  private get(version: Version, head: boolean): S3Answer {
    const headers: Record<string, string> = {
      'Content-Type': version.contentType ?? 'binary/octet-stream',
      'Content-Length': String(version.body!.length),
      ETag: version.etag,
      'Last-Modified': version.lastModified.toUTCString(),
      'x-amz-version-id': version.versionId,
      ...Object.fromEntries(Object.entries(version.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value])),
    };
    if (version.retainUntil) {
      headers['x-amz-object-lock-mode'] = 'COMPLIANCE';
      headers['x-amz-object-lock-retain-until-date'] = version.retainUntil.toISOString();
    }
    return { status: 200, headers, body: head ? '' : version.body! };
  }

  /** Without a version id, a delete marker (as in any versioned bucket, locked or not); a locked version, never. */
  private delete(objects: Map<string, Version[]>, key: string, versions: Version[], versionId: string | null): S3Answer {
    if (!versionId) {
      const marker: Version = { versionId: randomUUID().replaceAll('-', ''), deleteMarker: true, metadata: {}, etag: '', lastModified: this.now() };
      objects.set(key, [...versions, marker]);
      return { status: 204, headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId }, body: '' };
    }
    const version = versions.find((v) => v.versionId === versionId);
    if (!version) return { status: 204, headers: {}, body: '' };
    if (version.retainUntil && version.retainUntil > this.now())
      throw new S3Error(403, 'AccessDenied', 'Access Denied because object protected by object lock.');
    objects.set(
      key,
      versions.filter((v) => v !== version),
    );
    return { status: 204, headers: { 'x-amz-version-id': versionId, ...(version.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}) }, body: '' };
  }

  private retention(version: Version): S3Answer {
    if (!version.retainUntil)
      throw new S3Error(404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');
    return xml(`<Retention xmlns="${NS}"><Mode>COMPLIANCE</Mode><RetainUntilDate>${version.retainUntil.toISOString()}</RetainUntilDate></Retention>`);
  }

  /** Compliance mode: the mode stays, the date only moves later. */
  private putRetention(version: Version, body: string): S3Answer {
    const mode = /<Mode>([^<]*)<\/Mode>/.exec(body)?.[1];
    const until = new Date(/<RetainUntilDate>([^<]*)<\/RetainUntilDate>/.exec(body)?.[1] ?? '');
    if (mode !== 'COMPLIANCE' || Number.isNaN(until.getTime()))
      throw new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate');
    if (version.retainUntil && version.retainUntil > this.now() && until < version.retainUntil) {
      throw new S3Error(403, 'AccessDenied', 'Access Denied because object protected by object lock.');
    }
    version.retainUntil = until;
    return { status: 200, headers: {}, body: '' };
  }

  private list(name: string, objects: Map<string, Version[]>, query: URLSearchParams): S3Answer {
    const prefix = query.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Number(query.get('max-keys') ?? 1000));
    const after = query.get('continuation-token')
      ? Buffer.from(query.get('continuation-token')!, 'base64url').toString()
      : (query.get('start-after') ?? '');
    const keys = [...objects.entries()]
      .filter(([key, versions]) => key.startsWith(prefix) && key > after && !versions.at(-1)!.deleteMarker)
      .map(([key, versions]) => ({ key, version: versions.at(-1)! }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const contents = page
      .map(
        ({ key, version }) =>
          `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${version.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(version.etag)}</ETag><Size>${version.body!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('');
    const next = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!.key).toString('base64url')}</NextContinuationToken>` : '';
    const token = query.get('continuation-token') ? `<ContinuationToken>${xmlEscape(query.get('continuation-token')!)}</ContinuationToken>` : '';
    return xml(
      `<ListBucketResult xmlns="${NS}"><Name>${xmlEscape(name)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${token}${next}${contents}</ListBucketResult>`,
    );
  }
}

const xml = (body: string): S3Answer => ({
  status: 200,
  headers: { 'Content-Type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});
