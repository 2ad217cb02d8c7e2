import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createRemoteJWKSet } from 'jose';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import {
  APPROVAL_BASE_URL,
  parseEnvironment,
  SIGN_IN_CLIENT_ID,
  SIGN_IN_EMAIL_DOMAINS,
  SIGN_IN_IDENTITY_PROVIDER,
  SIGN_IN_ISSUER,
  TABLE_NAME,
} from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { PAGE_HEADERS } from '../shared/runtime/http';
import { logger } from '../shared/runtime/logger';
import { messagePage } from '../shared/web/page';
import { type Discovery, verifyIdToken } from './oidc';
import { SessionStore } from './sessions';
import { handleSignIn, type SignInDeps } from './sign-in';

export const SIGN_IN_ENV = { TABLE_NAME, APPROVAL_BASE_URL, SIGN_IN_ISSUER, SIGN_IN_CLIENT_ID, SIGN_IN_EMAIL_DOMAINS, SIGN_IN_IDENTITY_PROVIDER };
/** The identity provider answers within this, or the sign-in fails with a page saying to try again. */
const PROVIDER_TIMEOUT_MS = 5_000;
const env = parseEnvironment(SIGN_IN_ENV, process.env);
const issuer = env.SIGN_IN_ISSUER.replace(/\/$/, '');
const clientId = env.SIGN_IN_CLIENT_ID;

/** The issuer's discovery document, read once per container (and again after a failure). */
let discovered: Promise<Discovery> | undefined;
const discovery = () => {
  discovered ??= fetchJson(`${issuer}/.well-known/openid-configuration`).then((d) => d as unknown as Discovery);
  discovered.catch(() => {
    discovered = undefined;
  });
  return discovered;
};
/** The issuer's signing keys, fetched when a token names one not seen yet (jose caches them). */
let keys: ReturnType<typeof createRemoteJWKSet> | undefined;

const deps: SignInDeps = {
  config: {
    clientId,
    redirectUri: new URL('auth/callback', env.APPROVAL_BASE_URL).toString(),
    allowedEmailDomains: env.SIGN_IN_EMAIL_DOMAINS,
  },
  baseUrl: env.APPROVAL_BASE_URL,
  discovery,
  exchangeCode: async (endpoints, code, verifier) => {
    const response = await fetch(endpoints.token_endpoint, {
      method: 'POST',
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        code_verifier: verifier,
        redirect_uri: new URL('auth/callback', env.APPROVAL_BASE_URL).toString(),
      }),
    });
    // Only the status: the body may hold tokens.
    if (!response.ok) {
      logger.warn('The token endpoint refused the code', { status: response.status });
      return undefined;
    }
    const tokens = (await response.json()) as { id_token?: unknown };
    return typeof tokens.id_token === 'string' ? tokens.id_token : undefined;
  },
  verifyIdToken: (endpoints, idToken, nonce) => {
    keys ??= createRemoteJWKSet(new URL(endpoints.jwks_uri));
    return verifyIdToken(idToken, keys, { issuer, clientId, nonce });
  },
  sessions: new SessionStore(dynamo, env.TABLE_NAME),
  now: () => new Date(),
};

export const handler = lambdaHandler(async (event: APIGatewayProxyEvent) => {
  try {
    return await handleSignIn(event, deps);
  } catch (error) {
    // The error's name only: a message could quote a token.
    logger.error('Sign-in failed', { error: (error as Error).name });
    return { statusCode: 502, headers: PAGE_HEADERS, body: messagePage('Sign-in is not available', 'Please try again in a minute.') };
  }
});

async function fetchJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}
