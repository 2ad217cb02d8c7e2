import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's request signing (v0): HMAC-SHA256 over `v0:{timestamp}:{raw body}`, at most 5 minutes old. */
export function verifySlackSignature(input: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  nowSeconds: number;
}): 'valid' | 'missing' | 'stale' | 'invalid' {
  const { signingSecret, timestamp, signature, rawBody, nowSeconds } = input;
  if (!timestamp || !signature) return 'missing';
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > 300) return 'stale';
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}
