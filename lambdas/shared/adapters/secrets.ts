import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { secretsManager } from './clients/secrets-manager';

/** Secrets are read at run time (never put in the template or environment) and cached for five minutes. */
const MAX_AGE_SECONDS = 300;

const provider = new SecretsProvider({ awsSdkV3Client: secretsManager });

export async function readSecret(secretId: string): Promise<string> {
  const value = await provider.get(secretId, { maxAge: MAX_AGE_SECONDS });
  if (typeof value !== 'string' || !value.trim()) throw new Error(`Secret ${secretId} has no string value`);
  return value.trim();
}
