import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Secrets are read at run time (never put in the template or environment) and kept for five minutes. */
const client = new SecretsManagerClient({});
const MAX_AGE_MS = 5 * 60_000;
const cache = new Map<string, { value: string; readAt: number }>();

export async function getSecret(secretId: string): Promise<string> {
  const cached = cache.get(secretId);
  if (cached && Date.now() - cached.readAt < MAX_AGE_MS) return cached.value;
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new Error(`Secret ${secretId} has no string value`);
  cache.set(secretId, { value: SecretString.trim(), readAt: Date.now() });
  return SecretString.trim();
}
