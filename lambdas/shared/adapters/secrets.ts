import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/** Secrets are read at run time (never put in the template or environment) and cached for five minutes. */
const MAX_AGE_SECONDS = 300;

export async function readSecret(secretId: string): Promise<string> {
  const value = await getSecret(secretId, { maxAge: MAX_AGE_SECONDS });
  if (typeof value !== 'string' || !value.trim()) throw new Error(`Secret ${secretId} has no string value`);
  return value.trim();
}
