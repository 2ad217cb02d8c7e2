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
/** plangate:breakGlass's routes: IAM lets every local identity call them, and the approval API checks who is listed. */
const BREAK_GLASS = ['POST/cli/plans/*/break-glass', 'POST/cli/plans/*/review'];
/** A run waiting for its execution window: an approver's reschedule and cancel, an operator's run-now. */
const RESCHEDULE_OR_CANCEL = ['POST/cli/plans/*/reschedule', 'POST/cli/plans/*/cancel'];
const RUN_NOW = 'POST/cli/plans/*/run-now';

const assumed = (name: string, accessKeyId: string): LocalIdentity => ({
  accessKeyId,
  secretAccessKey: `plangate-local-${name}-secret`,
  arn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/PlanGateApprover/${name}`,
  userId: `AROALOCALAPPROVER:${name}`,
  // run-now too, so that the approval API's own check (not in plangate:windowOperators) is what refuses an approver.
  mayInvoke: [DECIDE, RUN_NOW, ...RESCHEDULE_OR_CANCEL, ...BREAK_GLASS],
});

export const ALICE = assumed('alice', 'AKIALOCALALICE000001');
export const BOB = assumed('bob', 'AKIALOCALBOB00000002');
export const CAROL = assumed('carol', 'AKIALOCALCAROL000003');
/**
 * An operator who is not an approver: may start and release runs (and, named in plangate:windowOperators, run a
 * waiting run now), not decide. IAM lets it call the decision, reschedule and cancel routes too, so that the approval
 * API's own check (no approver's iamPrincipals match) is what refuses it.
 */
export const OPERATOR: LocalIdentity = {
  accessKeyId: 'AKIALOCALOPERATOR004',
  secretAccessKey: 'plangate-local-operator-secret',
  arn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/operator`,
  userId: 'AIDALOCALOPERATOR004',
  mayInvoke: [DECIDE, RELEASE, RUN_NOW, ...RESCHEDULE_OR_CANCEL, ...BREAK_GLASS],
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

/**
 * The principal behind a request's SigV4 Authorization header, for endpoints that do not check signatures: a local
 * identity, a session `sessionOf` knows (an assumed role's temporary key), or anyone.
 */
export function callerOf(
  authorization: string | undefined,
  sessionOf: (accessKeyId: string) => LocalIdentity | undefined = () => undefined,
): LocalIdentity {
  const accessKeyId = authorization && CREDENTIAL.exec(authorization)?.[1];
  if (!accessKeyId) return ANONYMOUS;
  return LOCAL_IDENTITIES.find((i) => i.accessKeyId === accessKeyId) ?? sessionOf(accessKeyId) ?? ANONYMOUS;
}

/** The access key and the Region of a request's SigV4 credential scope, if it is signed. */
export function credentialOf(authorization: string | undefined): { accessKeyId: string; region: string } | undefined {
  const credential = authorization ? CREDENTIAL.exec(authorization) : null;
  return credential ? { accessKeyId: credential[1]!, region: credential[3]! } : undefined;
}

/** The account a principal's ARN names. */
export const accountOf = (identity: Pick<LocalIdentity, 'arn'>) => identity.arn.split(':')[4]!;

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
const INVALID_TOKEN = 'The security token included in the request is invalid.';
const MISMATCH = 'The request signature we calculated does not match the signature you provided.';

/**
 * Checks a request's SigV4 signature as API Gateway does for AWS_IAM routes: a known access key, a date within 5
 * minutes, and a signature that matches the one computed with the key's secret over the same signed headers and
 * the body; then whether the identity's policy allows the route.
 */
export async function verifySignature(request: SignedRequest, now = new Date()): Promise<Verdict> {
  const parsed = parseAuthorization(request);
  if ('status' in parsed) return parsed;
  const identity = LOCAL_IDENTITIES.find((i) => i.accessKeyId === parsed.accessKeyId);
  // Local identities are long-term keys: a session token is one nobody issued.
  if (!identity || request.headers['x-amz-security-token'] !== undefined) return { status: 403, message: INVALID_TOKEN };
  const scopeError = credentialScopeError(parsed.scope, parsed.amzDate);
  if (scopeError) return { status: 403, message: scopeError };
  const mismatch = await signatureError(request, parsed, identity, now);
  if (mismatch) return { status: 403, message: mismatch };
  const resource = `${request.method}${new URL(request.url, 'http://local').pathname}`;
  if (!identity.mayInvoke.some((pattern) => globMatches(pattern, resource))) {
    return { status: 403, message: `User: ${identity.arn} is not authorized to perform: execute-api:Invoke on resource: ${resource}` };
  }
  return { identity };
}

/**
 * Checks a call signed with temporary credentials (an assumed role's, from local mode's STS): the session token it
 * was issued with, a date within 5 minutes and a matching signature. Its scope's Region is where the call goes.
 */
export async function verifySessionCall(request: SignedRequest, session: LocalIdentity & { sessionToken: string }, now = new Date()) {
  const parsed = parseAuthorization(request);
  if ('status' in parsed) return parsed.message;
  if (request.headers['x-amz-security-token'] !== session.sessionToken) return INVALID_TOKEN;
  if (parsed.scope.date !== parsed.amzDate.slice(0, 8)) return `Credential should be scoped to a valid date: '${parsed.amzDate.slice(0, 8)}'.`;
  return signatureError(request, parsed, session, now);
}

interface ParsedAuthorization {
  accessKeyId: string;
  scope: { date: string; region: string; service: string };
  signedHeaders: string[];
  signature: string;
  amzDate: string;
}

function parseAuthorization(request: SignedRequest): ParsedAuthorization | { status: 403; message: string } {
  const authorization = request.headers.authorization;
  if (!authorization) return { status: 403, message: 'Missing Authentication Token' };
  const credential = CREDENTIAL.exec(authorization);
  const signedHeaders = /SignedHeaders=([^,\s]+)/.exec(authorization)?.[1]?.split(';');
  const signature = /Signature=([0-9a-f]{64})/.exec(authorization)?.[1];
  const amzDate = request.headers['x-amz-date'];
  if (!authorization.startsWith('AWS4-HMAC-SHA256 ') || !credential || !signedHeaders || !signature || !amzDate) {
    return { status: 403, message: "Authorization header requires 'Credential', 'Signature', 'SignedHeaders' and an X-Amz-Date header." };
  }
  const [, accessKeyId, date, region, service] = credential;
  return { accessKeyId: accessKeyId!, scope: { date: date!, region: region!, service: service! }, signedHeaders, signature, amzDate };
}

/** Why the signature is not the one the key's secret gives over the same headers and body (undefined: it is). */
async function signatureError(
  request: SignedRequest,
  { scope, signedHeaders, signature, amzDate }: ParsedAuthorization,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  now: Date,
): Promise<string | undefined> {
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(signedAt) || Math.abs(now.getTime() - signedAt) > MAX_SKEW_MS) {
    return 'Signature expired: the request was signed more than 5 minutes from now.';
  }
  const url = new URL(request.url, 'http://local');
  // The body's own hash, not the x-amz-content-sha256 header's claim, is what the signature must cover.
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  if (request.headers['x-amz-content-sha256'] !== undefined && request.headers['x-amz-content-sha256'] !== bodyHash) return MISMATCH;
  const signer = new SignatureV4({
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
    region: scope.region,
    service: scope.service,
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
  if (computed.length !== signature.length || !timingSafeEqual(Buffer.from(computed), Buffer.from(signature))) return MISMATCH;
  return undefined;
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
