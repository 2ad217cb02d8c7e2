import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template';

/**
 * Local mode's stand-in for IAM: each access key is a principal. Requests to the approval API's IAM routes must be
 * signed (SigV4) with a key below, and are checked as API Gateway checks them; other local endpoints only read who is
 * calling (STS GetCallerIdentity answers it). The example configuration lets Alice, Bob and Carol in by these ARNs.
 */
export interface LocalIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  arn: string;
  userId: string;
  /** What its IAM policy allows of `execute-api:Invoke`: `<METHOD><path>` below the stage, `*` matching anything. */
  mayInvoke: string[];
}

const DECIDE = 'POST/cli/plans/*/decision';
const RELEASE = 'POST/cli/plans/*/release';

const assumed = (name: string, accessKeyId: string): LocalIdentity => ({
  accessKeyId,
  secretAccessKey: `plangate-local-${name}-secret`,
  arn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/PlanGateApprover/${name}`,
  userId: `AROALOCALAPPROVER:${name}`,
  mayInvoke: [DECIDE],
});

export const ALICE = assumed('alice', 'AKIALOCALALICE000001');
export const BOB = assumed('bob', 'AKIALOCALBOB00000002');
export const CAROL = assumed('carol', 'AKIALOCALCAROL000003');
/**
 * An operator who is not an approver: may start and release runs, not decide. IAM lets it call the decision route
 * too, so that the approval API's own check (no approver's iamPrincipals match) is what refuses it.
 */
export const OPERATOR: LocalIdentity = {
  accessKeyId: 'AKIALOCALOPERATOR004',
  secretAccessKey: 'plangate-local-operator-secret',
  arn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/operator`,
  userId: 'AIDALOCALOPERATOR004',
  mayInvoke: [DECIDE, RELEASE],
};
export const LOCAL_IDENTITIES: LocalIdentity[] = [ALICE, BOB, CAROL, OPERATOR];

/** Whoever signs with a key local mode does not know (the README's `local`/`local`): anyone, for the non-IAM endpoints. */
const ANONYMOUS: LocalIdentity = {
  accessKeyId: '',
  secretAccessKey: '',
  arn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/local`,
  userId: 'AIDALOCAL',
  mayInvoke: [],
};

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

/** The principal behind a request's SigV4 Authorization header, for endpoints that do not check signatures. */
export function callerOf(authorization: string | undefined): LocalIdentity {
  const accessKeyId = authorization && CREDENTIAL.exec(authorization)?.[1];
  return LOCAL_IDENTITIES.find((i) => i.accessKeyId === accessKeyId) ?? ANONYMOUS;
}

export interface SignedRequest {
  method: string;
  /** The path and query as sent. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** API Gateway's answers when IAM authentication or authorization fails: always 403, with these messages. */
export type Verdict = { identity: LocalIdentity } | { status: 403; message: string };

const MAX_SKEW_MS = 5 * 60_000;

/**
 * Checks a request's SigV4 signature as API Gateway does for AWS_IAM routes: a known access key, a date within 5
 * minutes, and a signature that matches the one computed with the key's secret over the same signed headers and
 * the body; then whether the identity's policy allows the route.
 */
export async function verifySignature(request: SignedRequest, now = new Date()): Promise<Verdict> {
  const authorization = request.headers.authorization;
  if (!authorization) return { status: 403, message: 'Missing Authentication Token' };
  const credential = CREDENTIAL.exec(authorization);
  const signedHeaders = /SignedHeaders=([^,\s]+)/.exec(authorization)?.[1]?.split(';');
  const signature = /Signature=([0-9a-f]{64})/.exec(authorization)?.[1];
  const amzDate = request.headers['x-amz-date'];
  if (!authorization.startsWith('AWS4-HMAC-SHA256 ') || !credential || !signedHeaders || !signature || !amzDate) {
    return { status: 403, message: "Authorization header requires 'Credential', 'Signature', 'SignedHeaders' and an X-Amz-Date header." };
  }
  const [, accessKeyId, scopeDate, region, service] = credential;
  const identity = LOCAL_IDENTITIES.find((i) => i.accessKeyId === accessKeyId);
  // Local identities are long-term keys: a session token is one nobody issued.
  if (!identity || request.headers['x-amz-security-token'] !== undefined) {
    return { status: 403, message: 'The security token included in the request is invalid.' };
  }
  const scopeError = credentialScopeError({ date: scopeDate!, region: region!, service: service! }, amzDate);
  if (scopeError) return { status: 403, message: scopeError };
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(signedAt) || Math.abs(now.getTime() - signedAt) > MAX_SKEW_MS) {
    return { status: 403, message: 'Signature expired: the request was signed more than 5 minutes from now.' };
  }
  const url = new URL(request.url, 'http://local');
  // The body's own hash, not the x-amz-content-sha256 header's claim, is what the signature must cover.
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  if (request.headers['x-amz-content-sha256'] !== undefined && request.headers['x-amz-content-sha256'] !== bodyHash) {
    return { status: 403, message: 'The request signature we calculated does not match the signature you provided.' };
  }
  const signer = new SignatureV4({
    credentials: identity,
    region: region!,
    service: service!,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: (request.headers.host ?? '').replace(/:\d+$/, ''),
      port: Number(/:(\d+)$/.exec(request.headers.host ?? '')?.[1]) || undefined,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...Object.fromEntries(signedHeaders.map((h) => [h, request.headers[h] ?? ''])), 'x-amz-content-sha256': bodyHash },
      body: request.body,
    },
    { signingDate: new Date(signedAt), unsignableHeaders: new Set(), signableHeaders: new Set(signedHeaders) },
  );
  const computed = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? '';
  if (computed.length !== signature.length || !timingSafeEqual(Buffer.from(computed), Buffer.from(signature))) {
    return { status: 403, message: 'The request signature we calculated does not match the signature you provided.' };
  }
  const resource = `${request.method}${url.pathname}`;
  if (!identity.mayInvoke.some((pattern) => globMatches(pattern, resource))) {
    return { status: 403, message: `User: ${identity.arn} is not authorized to perform: execute-api:Invoke on resource: ${resource}` };
  }
  return { identity };
}

/** IAM's resource wildcard: `*` matches any characters, `/` included. */
const globMatches = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(value);

/** API Gateway's refusal of a credential scoped to another day, Region or service than the request's. */
function credentialScopeError(scope: { date: string; region: string; service: string }, amzDate: string): string | undefined {
  if (scope.date !== amzDate.slice(0, 8)) return `Credential should be scoped to a valid date: '${amzDate.slice(0, 8)}'.`;
  if (scope.region !== LOCAL_REGION) return `Credential should be scoped to a valid region, not '${scope.region}'.`;
  if (scope.service !== 'execute-api') return "Credential should be scoped to correct service: 'execute-api'.";
  return undefined;
}
