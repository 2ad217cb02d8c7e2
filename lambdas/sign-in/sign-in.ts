import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CSRF_FIELD, SESSION_COOKIE, SESSION_SECONDS, SIGN_IN_COOKIE } from '../shared/contracts/session';
import { cookieValue, PAGE_HEADERS, setCookie } from '../shared/runtime/http';
import { rawBody } from '../shared/web/form';
import { messagePage } from '../shared/web/page';
import {
  approverOfClaims,
  authorizationUrl,
  type Discovery,
  decodeAttempt,
  encodeAttempt,
  newAttempt,
  pageUrl,
  type SignInConfig,
  safeNext,
  sameSecret,
} from './oidc';
import type { SessionStore } from './sessions';

/** How long a sign-in may take at the identity provider before the callback is refused. */
const ATTEMPT_SECONDS = 10 * 60;

export interface SignInDeps {
  config: SignInConfig;
  /** The approval API's base URL (with its stage), where `next` paths are. */
  baseUrl: string;
  discovery: () => Promise<Discovery>;
  /** Exchanges the code at the token endpoint (with the PKCE verifier); the ID token, or undefined when refused. */
  exchangeCode: (discovery: Discovery, code: string, verifier: string) => Promise<string | undefined>;
  /** The ID token's claims once its signature, issuer, audience, expiry and nonce are verified; throws otherwise. */
  verifyIdToken: (discovery: Discovery, idToken: string, nonce: string) => Promise<Record<string, unknown>>;
  sessions: Pick<SessionStore, 'create' | 'get' | 'signOut'>;
  now: () => Date;
}

const html = (statusCode: number, body: string, headers: Record<string, string> = {}, cookies: string[] = []): APIGatewayProxyResult => ({
  statusCode,
  headers: { ...PAGE_HEADERS, ...headers },
  ...(cookies.length ? { multiValueHeaders: { 'Set-Cookie': cookies } } : {}),
  body,
});

const redirect = (location: string, cookies: string[] = []) => html(303, '', { Location: location }, cookies);

const refused = (status: number, reason: string, cookies: string[] = []) =>
  html(status, messagePage('Sign-in failed', `${reason} Open your approval link again to start over.`), {}, cookies);

const clearAttempt = setCookie(SIGN_IN_COOKIE, '', 0);

/**
 * GET /auth/sign-in?next=/approvals/…: to the identity provider. GET /auth/callback: back from it, with a session.
 * POST /auth/sign-out: ends the session (with its CSRF token). Never logs a code, state or token.
 */
export async function handleSignIn(event: APIGatewayProxyEvent, deps: SignInDeps): Promise<APIGatewayProxyResult> {
  const method = event.httpMethod.toUpperCase();
  const route = /^\/auth\/(sign-in|callback|sign-out)\/?$/.exec(event.path ?? '')?.[1];
  const allowed = route === 'sign-out' ? 'POST' : 'GET';
  if (!route) return html(404, messagePage('Not found', 'There is no page here.'));
  if (method !== allowed) return html(405, messagePage('Method not allowed', `Use ${allowed} here.`), { Allow: allowed });
  if (route === 'sign-in') return signIn(event, deps);
  if (route === 'callback') return callback(event, deps);
  return signOut(event, deps);
}

async function signIn(event: APIGatewayProxyEvent, deps: SignInDeps) {
  const attempt = newAttempt(safeNext(event.queryStringParameters?.next));
  const discovery = await deps.discovery();
  return redirect(authorizationUrl(discovery, deps.config, attempt), [setCookie(SIGN_IN_COOKIE, encodeAttempt(attempt), ATTEMPT_SECONDS)]);
}

async function callback(event: APIGatewayProxyEvent, deps: SignInDeps) {
  const query = event.queryStringParameters ?? {};
  const attempt = decodeAttempt(cookieValue(event, SIGN_IN_COOKIE));
  // The state must be the one this browser was sent off with: no one else's code signs this browser in.
  if (!attempt || !sameSecret(query.state, attempt.state))
    return refused(400, 'This sign-in was not started here, or took too long.', [clearAttempt]);
  if (query.error || !query.code) return refused(401, 'The identity provider did not sign you in.', [clearAttempt]);
  const discovery = await deps.discovery();
  const idToken = await deps.exchangeCode(discovery, query.code, attempt.verifier);
  if (!idToken) return refused(401, 'The identity provider refused the sign-in code (it is used once, and only for a short time).', [clearAttempt]);
  let claims: Record<string, unknown>;
  try {
    claims = await deps.verifyIdToken(discovery, idToken, attempt.nonce);
  } catch {
    return refused(401, 'The identity provider’s answer could not be verified.', [clearAttempt]);
  }
  const verdict = approverOfClaims(claims, deps.config);
  if ('refused' in verdict) return refused(403, verdict.refused, [clearAttempt]);
  const sessionId = await deps.sessions.create(verdict.approver, deps.now());
  return redirect(pageUrl(deps.baseUrl, attempt.next), [clearAttempt, setCookie(SESSION_COOKIE, sessionId, SESSION_SECONDS)]);
}

async function signOut(event: APIGatewayProxyEvent, deps: SignInDeps) {
  const sessionId = cookieValue(event, SESSION_COOKIE);
  const session = sessionId ? await deps.sessions.get(sessionId, deps.now()) : undefined;
  const form = new URLSearchParams(rawBody(event));
  if (session && !sameSecret(form.get(CSRF_FIELD) ?? undefined, session.csrfToken)) {
    return html(403, messagePage('Sign-out refused', 'The form was not this page’s. Reload the page and try again.'));
  }
  if (session && sessionId) await deps.sessions.signOut(sessionId, deps.now());
  return html(200, messagePage('Signed out', 'You are signed out of PlanGate. Your approval links ask you to sign in again.'), {}, [
    setCookie(SESSION_COOKIE, '', 0),
  ]);
}
