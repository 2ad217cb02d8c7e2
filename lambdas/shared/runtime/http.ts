import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** A JSON answer through API Gateway's proxy integration; never cached, as it names a plan and who decided it. */
export const jsonResponse = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

/** The caller API Gateway authenticated with SigV4 (AWS_IAM authorization); absent on any other route. */
export const signedCaller = (event: Pick<APIGatewayProxyEvent, 'requestContext'>): string | undefined =>
  event.requestContext?.identity?.userArn ?? undefined;

/** Every HTML page's headers: never cached, never framed, no Referer, no script (the pages have none). */
export const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  // Links are capabilities: never leak them to other sites through Referer, framing or caches.
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

/** A cookie the browser sent, by name (the first, if it sent several); undefined when absent. */
export function cookieValue(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const header = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === 'cookie')?.[1];
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** A Set-Cookie value only this site's pages get: HTTPS only, out of reach of scripts, sent on top-level navigations. */
export const setCookie = (name: string, value: string, maxAgeSeconds: number) =>
  `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; Secure; HttpOnly; SameSite=Lax`;
