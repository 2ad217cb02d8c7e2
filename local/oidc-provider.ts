import { createHash, randomBytes } from 'node:crypto';
import escapeHtml from 'escape-html';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/**
 * Local mode's OpenID Connect provider (issue 25), standing in for the Cognito user pool: its sign-in page has one
 * button per demo user, named after them, and no password. The authorization code flow with PKCE, as Cognito serves
 * it: `/authorize` (the page, and its post), `/token` (code and verifier for an ID token, each code once), `/jwks`
 * and the discovery document, all under its issuer, `<local mode>/local/oidc`.
 */

/** The client id local mode's sign-in function is configured with. */
export const LOCAL_OIDC_CLIENT_ID = 'plangate-local';
export const LOCAL_OIDC_PATH = '/local/oidc';

export interface DemoUser {
  email: string;
  name?: string;
}

interface IssuedCode {
  user: DemoUser;
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce?: string;
  expiresAt: number;
}

export type OidcAnswer = { status: number; headers: Record<string, string>; body: string };

const json = (status: number, body: unknown): OidcAnswer => ({
  status,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  body: JSON.stringify(body),
});

export class LocalOidcProvider {
  private readonly codes = new Map<string, IssuedCode>();

  private constructor(
    readonly issuer: string,
    /** The one redirect URI registered: local mode's `/auth/callback`. */
    private readonly redirectUri: string,
    private readonly users: DemoUser[],
    private readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'],
    private readonly publicJwk: JWK,
  ) {}

  static async create(issuer: string, redirectUri: string, users: DemoUser[]): Promise<LocalOidcProvider> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    return new LocalOidcProvider(issuer, redirectUri, users, privateKey, { ...(await exportJWK(publicKey)), kid: 'local', alg: 'ES256', use: 'sig' });
  }

  discovery() {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'email', 'profile'],
    };
  }

  jwks() {
    return { keys: [this.publicJwk] };
  }

  /** The sign-in page: one button per demo user. Its form posts the request's parameters back to /authorize. */
  authorizePage(query: URLSearchParams): OidcAnswer {
    const problem = this.requestProblem(query);
    if (problem) return json(400, { error: 'invalid_request', error_description: problem });
    const hidden = ['client_id', 'redirect_uri', 'state', 'nonce', 'code_challenge']
      .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(query.get(name) ?? '')}">`)
      .join('');
    const buttons = this.users
      .map((u) => `<p><button type="submit" name="login" value="${escapeHtml(u.email)}">Sign in as ${escapeHtml(u.name ?? u.email)}</button></p>`)
      .join('\n');
    const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · Local identity provider</title></head>
<body><h1>Local identity provider</h1><p>Local mode's stand-in for your organization's sign-in. Choose a demo user:</p>
<form method="post">${hidden}
${buttons}</form></body></html>`;
    return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, body };
  }

  /** The page's post: a code for the chosen user, sent back to the client's redirect URI with the state. */
  authorize(form: URLSearchParams): OidcAnswer {
    const problem = this.requestProblem(form, false);
    if (problem) return json(400, { error: 'invalid_request', error_description: problem });
    const user = this.users.find((u) => u.email === form.get('login'));
    if (!user) return json(400, { error: 'access_denied', error_description: 'No such demo user' });
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, {
      user,
      clientId: form.get('client_id')!,
      redirectUri: form.get('redirect_uri')!,
      challenge: form.get('code_challenge')!,
      nonce: form.get('nonce') ?? undefined,
      expiresAt: Date.now() + 5 * 60_000,
    });
    const back = new URL(form.get('redirect_uri')!);
    back.searchParams.set('code', code);
    if (form.get('state')) back.searchParams.set('state', form.get('state')!);
    return { status: 303, headers: { Location: back.toString(), 'Cache-Control': 'no-store' }, body: '' };
  }

  /** The token endpoint: each code once, for its client and redirect URI, with the verifier of its challenge. */
  async token(form: URLSearchParams): Promise<OidcAnswer> {
    const code = form.get('code') ?? '';
    const issued = this.codes.get(code);
    this.codes.delete(code);
    const verifier = form.get('code_verifier') ?? '';
    if (
      form.get('grant_type') !== 'authorization_code' ||
      !issued ||
      issued.expiresAt < Date.now() ||
      issued.clientId !== form.get('client_id') ||
      issued.redirectUri !== form.get('redirect_uri') ||
      createHash('sha256').update(verifier).digest('base64url') !== issued.challenge
    ) {
      return json(400, { error: 'invalid_grant' });
    }
    const idToken = await this.idToken(issued.user, { aud: issued.clientId, nonce: issued.nonce });
    return json(200, { id_token: idToken, token_type: 'Bearer', expires_in: 300 });
  }

  /** An ID token for a demo user, signed with this provider's key; `claims` override any claim (tests forge bad ones). */
  async idToken(user: DemoUser, claims: JWTPayload & { nonce?: string } = {}, expiresInSeconds = 300): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: this.issuer,
      sub: `local-${createHash('sha256').update(user.email).digest('hex').slice(0, 16)}`,
      aud: LOCAL_OIDC_CLIENT_ID,
      email: user.email,
      email_verified: true,
      name: user.name,
      iat: now,
      exp: now + expiresInSeconds,
      ...claims,
    };
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'local' }).sign(this.privateKey);
  }

  /** Signs a token with a key that is not this provider's (a forgery). */
  static async forged(payload: JWTPayload): Promise<string> {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'local' }).sign(privateKey);
  }

  private requestProblem(params: URLSearchParams, page = true): string | undefined {
    if (page && params.get('response_type') !== 'code') return 'response_type must be code';
    if (params.get('client_id') !== LOCAL_OIDC_CLIENT_ID) return `client_id must be ${LOCAL_OIDC_CLIENT_ID}`;
    if (params.get('redirect_uri') !== this.redirectUri) return `redirect_uri must be ${this.redirectUri}`;
    if (!params.get('code_challenge') || (page && params.get('code_challenge_method') !== 'S256')) return 'PKCE with S256 is required';
    return undefined;
  }
}

/** Local mode's routes to the provider, under LOCAL_OIDC_PATH; undefined for any other path. */
export async function answerOidc(provider: LocalOidcProvider, method: string, url: URL, body: string): Promise<OidcAnswer | undefined> {
  const route = url.pathname.slice(LOCAL_OIDC_PATH.length);
  if (route === '/.well-known/openid-configuration') return json(200, provider.discovery());
  if (route === '/jwks') return json(200, provider.jwks());
  if (route === '/authorize') return method === 'POST' ? provider.authorize(new URLSearchParams(body)) : provider.authorizePage(url.searchParams);
  if (route === '/token' && method === 'POST') return provider.token(new URLSearchParams(body));
  return undefined;
}
