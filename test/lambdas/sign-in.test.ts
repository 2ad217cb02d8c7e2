import type { APIGatewayProxyResult } from 'aws-lambda';
import { createLocalJWKSet } from 'jose';
import type { ActiveSession } from '../../lambdas/shared/adapters/sessions';
import type { SignedInApprover } from '../../lambdas/shared/contracts/session';
import { authorizationUrl, decodeAttempt, newAttempt, safeNext, verifyIdToken } from '../../lambdas/sign-in/oidc';
import { handleSignIn, type SignInDeps } from '../../lambdas/sign-in/sign-in';
import { toApiGatewayEvent } from '../../local/api-gateway';
import { LOCAL_OIDC_CLIENT_ID, LocalOidcProvider } from '../../local/oidc-provider';

const BASE = 'https://api.example.com/prod/';
const ISSUER = 'https://idp.example.com/local/oidc';
const ALICE = { email: 'alice@example.com', name: 'Alice Martin' };
let provider: LocalOidcProvider;
let sessions: Map<string, ActiveSession & { signedOut?: boolean }>;
/** What the token endpoint answers instead of the provider's, to try forged and wrong tokens. */
let tokenOverride: ((nonce: string) => Promise<string>) | undefined;

beforeAll(async () => {
  provider = await LocalOidcProvider.create(ISSUER, `${BASE}auth/callback`, [ALICE, { email: 'mallory@elsewhere.org' }]);
});
beforeEach(() => {
  sessions = new Map();
  tokenOverride = undefined;
});

const deps = (): SignInDeps => ({
  config: { clientId: LOCAL_OIDC_CLIENT_ID, redirectUri: `${BASE}auth/callback`, allowedEmailDomains: ['example.com'] },
  baseUrl: BASE,
  discovery: async () => provider.discovery(),
  exchangeCode: async (_discovery, code, verifier) => {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: LOCAL_OIDC_CLIENT_ID,
      redirect_uri: `${BASE}auth/callback`,
    });
    const answer = await provider.token(form);
    if (answer.status !== 200) return undefined;
    const idToken = (JSON.parse(answer.body) as { id_token: string }).id_token;
    if (!tokenOverride) return idToken;
    const nonce = JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()).nonce as string;
    return tokenOverride(nonce);
  },
  verifyIdToken: (_discovery, idToken, nonce) =>
    verifyIdToken(idToken, createLocalJWKSet(provider.jwks()), { issuer: ISSUER, clientId: LOCAL_OIDC_CLIENT_ID, nonce }),
  sessions: {
    create: async (identity: SignedInApprover) => {
      const id = `S${'x'.repeat(41)}${sessions.size}`;
      sessions.set(id, { ...identity, csrfToken: `csrf-${sessions.size}` });
      return id;
    },
    get: async (id: string) => {
      const s = sessions.get(id);
      return s && !s.signedOut ? s : undefined;
    },
    signOut: async (id: string) => {
      const s = sessions.get(id);
      if (s) s.signedOut = true;
      return Boolean(s);
    },
  },
  now: () => new Date(),
});

const request = (method: string, path: string, options: { query?: Record<string, string>; cookie?: string; body?: string } = {}) =>
  handleSignIn(
    toApiGatewayEvent({
      method,
      path,
      query: options.query,
      body: options.body,
      headers: {
        ...(options.cookie ? { cookie: options.cookie } : {}),
        ...(options.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    }),
    deps(),
  );
const cookiesOf = (answer: APIGatewayProxyResult) => (answer.multiValueHeaders?.['Set-Cookie'] ?? []).map(String);
const cookiePair = (setCookie: string) => setCookie.split(';')[0]!;

/** Starts a sign-in for `next`, and signs in at the provider as `email`: the callback's query and the attempt's cookie. */
async function signInAt(next: string, email = ALICE.email) {
  const started = await request('GET', '/auth/sign-in', { query: { next } });
  const location = new URL(String(started.headers?.Location));
  const form = new URLSearchParams(location.searchParams);
  form.set('login', email);
  const back = new URL(String(provider.authorize(form).headers.Location));
  return { query: Object.fromEntries(back.searchParams), cookie: cookiePair(cookiesOf(started)[0]!), started, location };
}

describe('GET /auth/sign-in', () => {
  test('sends the browser to the provider with PKCE (S256), a state and a nonce, kept in a short-lived HTTP-only cookie', async () => {
    const { started, location } = await signInAt('/approvals/abc');
    expect(started.statusCode).toBe(303);
    expect(`${location.origin}${location.pathname}`).toBe(`${ISSUER}/authorize`);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: LOCAL_OIDC_CLIENT_ID,
      redirect_uri: `${BASE}auth/callback`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    const [cookie] = cookiesOf(started);
    expect(cookie).toMatch(/^plangate_sign_in=[^;]+; Path=\/; Max-Age=600; Secure; HttpOnly; SameSite=Lax$/);
    const attempt = decodeAttempt(cookiePair(cookie!).split('=')[1]);
    expect(attempt).toMatchObject({ state: location.searchParams.get('state'), nonce: location.searchParams.get('nonce'), next: '/approvals/abc' });
    // The verifier stays in the cookie: only its hash travels.
    expect(location.search).not.toContain(attempt!.verifier);
  });

  test('with Cognito, the request names the federated provider, so the browser goes straight to it', () => {
    const config = { ...deps().config, identityProvider: 'Organization' };
    const url = new URL(authorizationUrl(provider.discovery(), config, newAttempt('/')));
    expect(url.searchParams.get('identity_provider')).toBe('Organization');
  });

  test.each(['https://evil.example', '//evil.example', '/\\evil.example', '/%2f%2fevil.example', 'javascript:alert(1)', '/approvals//x'])(
    'next=%s is not followed: the approver lands on the API’s own root',
    (next) => {
      expect(safeNext(next)).toBe('/');
    },
  );
});

describe('GET /auth/callback', () => {
  test('verifies the ID token and starts a server-side session: the cookie holds only its id; back to next', async () => {
    const { query, cookie } = await signInAt('/approvals/abc');
    const answer = await request('GET', '/auth/callback', { query, cookie });
    expect(answer.statusCode).toBe(303);
    expect(answer.headers?.Location).toBe(`${BASE}approvals/abc`);
    const [cleared, session] = cookiesOf(answer);
    expect(cleared).toMatch(/^plangate_sign_in=; Path=\/; Max-Age=0/);
    expect(session).toMatch(/^plangate_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=28800; Secure; HttpOnly; SameSite=Lax$/);
    expect([...sessions.values()]).toEqual([expect.objectContaining({ issuer: ISSUER, email: 'alice@example.com', subject: expect.any(String) })]);
    expect(answer.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });
  });

  test('a tampered state is refused, and no session starts', async () => {
    const { query, cookie } = await signInAt('/');
    const answer = await request('GET', '/auth/callback', { query: { ...query, state: `${query.state}x` }, cookie });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain('This sign-in was not started here');
    expect(sessions.size).toBe(0);
  });

  test('a callback without the attempt’s cookie (another browser’s code) is refused', async () => {
    const { query } = await signInAt('/');
    expect((await request('GET', '/auth/callback', { query })).statusCode).toBe(400);
  });

  test('a replayed code is refused: the provider takes each code once', async () => {
    const { query, cookie } = await signInAt('/');
    expect((await request('GET', '/auth/callback', { query, cookie })).statusCode).toBe(303);
    const replay = await request('GET', '/auth/callback', { query, cookie });
    expect(replay.statusCode).toBe(401);
    expect(replay.body).toContain('refused the sign-in code');
    expect(sessions.size).toBe(1);
  });

  const refusedToken = async (forge: (nonce: string) => Promise<string>) => {
    tokenOverride = forge;
    const { query, cookie } = await signInAt('/');
    const answer = await request('GET', '/auth/callback', { query, cookie });
    expect(sessions.size).toBe(0);
    return answer;
  };

  test('an ID token with another sign-in’s nonce is refused', async () => {
    expect((await refusedToken(() => provider.idToken(ALICE, { nonce: 'another-sign-in' }))).statusCode).toBe(401);
  });

  test('an ID token for another client (audience) is refused', async () => {
    expect((await refusedToken((nonce) => provider.idToken(ALICE, { nonce, aud: 'some-other-app' }))).statusCode).toBe(401);
  });

  test('an expired ID token is refused', async () => {
    expect((await refusedToken((nonce) => provider.idToken(ALICE, { nonce, iat: 1_000, exp: 2_000 }))).statusCode).toBe(401);
  });

  test('an ID token from another issuer, or signed with another key, is refused', async () => {
    expect((await refusedToken((nonce) => provider.idToken(ALICE, { nonce, iss: 'https://evil.example' }))).statusCode).toBe(401);
    const claims = { iss: ISSUER, aud: LOCAL_OIDC_CLIENT_ID, sub: 'x', email: ALICE.email, email_verified: true };
    const forged = (nonce: string) =>
      LocalOidcProvider.forged({ ...claims, nonce, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 });
    expect((await refusedToken(forged)).statusCode).toBe(401);
  });

  test('an unverified email is refused', async () => {
    const answer = await refusedToken((nonce) => provider.idToken(ALICE, { nonce, email_verified: false }));
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toContain('has not verified your email address');
  });

  test('an email outside the allowed domains is refused', async () => {
    const { query, cookie } = await signInAt('/', 'mallory@elsewhere.org');
    const answer = await request('GET', '/auth/callback', { query, cookie });
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toContain('Addresses at elsewhere.org may not sign in');
    expect(sessions.size).toBe(0);
  });

  test('the provider’s error (the user cancelled) is refused without a token exchange', async () => {
    const { query, cookie } = await signInAt('/');
    const answer = await request('GET', '/auth/callback', { query: { state: query.state!, error: 'access_denied' }, cookie });
    expect(answer.statusCode).toBe(401);
  });
});

describe('POST /auth/sign-out', () => {
  const signedIn = async () => {
    const { query, cookie } = await signInAt('/');
    const answer = await request('GET', '/auth/callback', { query, cookie });
    return cookiePair(cookiesOf(answer)[1]!);
  };

  test('without the session’s CSRF token, nothing happens', async () => {
    const cookie = await signedIn();
    const answer = await request('POST', '/auth/sign-out', { cookie, body: 'csrf=wrong' });
    expect(answer.statusCode).toBe(403);
    expect([...sessions.values()][0]!.signedOut).toBeUndefined();
  });

  test('with it, the session ends and the cookie is cleared', async () => {
    const cookie = await signedIn();
    const answer = await request('POST', '/auth/sign-out', { cookie, body: 'csrf=csrf-0' });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('You are signed out');
    expect(cookiesOf(answer)).toEqual(['plangate_session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax']);
    expect([...sessions.values()][0]!.signedOut).toBe(true);
  });

  test('GET does not sign out (a link or an image cannot)', async () => {
    expect((await request('GET', '/auth/sign-out', { cookie: await signedIn() })).statusCode).toBe(405);
  });
});
