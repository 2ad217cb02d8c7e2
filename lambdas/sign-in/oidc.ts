import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { SignedInApprover } from '../shared/contracts/session';

/*
 * The OpenID Connect authorization code flow with PKCE (RFC 7636), state and nonce, as plain functions: what goes to
 * the identity provider, what comes back, and what of the ID token's claims makes an approver.
 */

/** What the sign-in function knows of its identity provider. */
export interface SignInConfig {
  clientId: string;
  /** Where the provider sends the browser back: `<approval API>/auth/callback`. */
  redirectUri: string;
  allowedEmailDomains: string[];
  /** Cognito's name for the federated provider: the authorize request goes straight to it, past Cognito's own page. */
  identityProvider?: string;
}

/** The provider's endpoints, from its discovery document. */
export interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** One sign-in in progress: kept in a short-lived HTTP-only cookie until the callback. */
export interface SignInAttempt {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
}

const random = () => randomBytes(32).toString('base64url');

export function newAttempt(next: string): SignInAttempt {
  return { state: random(), nonce: random(), verifier: random(), next };
}

/** The PKCE challenge of a verifier (S256). */
const codeChallenge = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** Where the browser goes to sign in. */
export function authorizationUrl(discovery: Discovery, config: SignInConfig, attempt: SignInAttempt): string {
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid email profile',
    state: attempt.state,
    nonce: attempt.nonce,
    code_challenge: codeChallenge(attempt.verifier),
    code_challenge_method: 'S256',
    ...(config.identityProvider ? { identity_provider: config.identityProvider } : {}),
  }).toString();
  return url.toString();
}

export const encodeAttempt = (attempt: SignInAttempt) => Buffer.from(JSON.stringify(attempt)).toString('base64url');

/** The attempt the cookie holds, or undefined when it is missing or not one. */
export function decodeAttempt(cookie: string | undefined): SignInAttempt | undefined {
  if (!cookie) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cookie, 'base64url').toString('utf8')) as Record<string, unknown>;
    const fields = ['state', 'nonce', 'verifier', 'next'] as const;
    if (!fields.every((f) => typeof value[f] === 'string' && value[f])) return undefined;
    const attempt = value as unknown as SignInAttempt;
    return safeNext(attempt.next) === attempt.next ? attempt : undefined;
  } catch {
    return undefined;
  }
}

/** Compares secrets in constant time. */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Where to go after signing in: a path of this API only (`/approvals/…`, `/`), never another site. Anything else
 * (`https://evil`, `//evil`, `/\evil`, a scheme, an encoded slash) is `/`.
 */
export function safeNext(next: string | undefined | null): string {
  if (!next || next.length > 512) return '/';
  // Path characters, and a query of plain ones: no backslash, no "//", no "%2f" that a server might decode into one.
  if (!/^\/(?![/\\])[A-Za-z0-9._~\-/]*(\?[A-Za-z0-9._~\-=&+]*)?$/.test(next) || next.includes('//')) return '/';
  return next;
}

/** The API's page for a same-origin path from safeNext: `/approvals/x` under the API's base URL (with its stage). */
export const pageUrl = (baseUrl: string, next: string) => new URL(safeNext(next).slice(1), baseUrl).toString();

export type ClaimsVerdict = { approver: SignedInApprover } | { refused: string };

/**
 * The approver an ID token's verified claims name: a verified email of an allowed domain. `email_verified` may come as
 * the string "true" (Cognito does so for federated users whose provider maps it).
 */
export function approverOfClaims(claims: Record<string, unknown>, config: Pick<SignInConfig, 'allowedEmailDomains'>): ClaimsVerdict {
  const { iss, sub, email } = claims;
  if (typeof iss !== 'string' || typeof sub !== 'string' || !sub) return { refused: 'The identity provider did not name you.' };
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) return { refused: 'The identity provider did not give your email address.' };
  const verified = claims.email_verified === true || claims.email_verified === 'true';
  if (!verified) return { refused: 'The identity provider has not verified your email address.' };
  const domain = email.split('@')[1]!.toLowerCase();
  if (!config.allowedEmailDomains.some((allowed) => allowed.toLowerCase() === domain)) {
    return { refused: `Addresses at ${domain} may not sign in to PlanGate.` };
  }
  return { approver: { issuer: iss, subject: sub, email: email.toLowerCase() } };
}

/**
 * An ID token's claims once verified: signed by one of the issuer's keys (RS256 or ES256), by this issuer, for this
 * client, unexpired (a minute's clock skew), and carrying this sign-in's nonce. Throws otherwise.
 */
export async function verifyIdToken(
  idToken: string,
  keys: JWTVerifyGetKey,
  expected: { issuer: string; clientId: string; nonce: string; now?: Date },
): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(idToken, keys, {
    issuer: expected.issuer,
    audience: expected.clientId,
    algorithms: ['RS256', 'ES256'],
    requiredClaims: ['exp', 'iat', 'sub'],
    clockTolerance: 60,
    ...(expected.now ? { currentDate: expected.now } : {}),
  });
  if (!sameSecret(typeof payload.nonce === 'string' ? payload.nonce : undefined, expected.nonce)) {
    throw new Error('The ID token is not this sign-in’s (nonce)');
  }
  return payload;
}
