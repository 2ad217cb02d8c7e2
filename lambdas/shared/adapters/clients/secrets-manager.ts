import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from '../../runtime/tracer';

/** Created once per container, traced; X-Ray records neither the request's parameters nor the secret's value. */
export const secretsManager = tracer.captureAWSv3Client(new SecretsManagerClient({}));

const cache = new Map<string, { value: string | undefined; readAt: number }>();

/**
 * A secret's string value, kept for `maxAgeSeconds` per container. (Powertools' SecretsProvider did this too, at
 * 6 KB of every bundle that reads a secret; a cache of a few lines does what PlanGate needs of it.)
 */
export async function secretString(secretId: string, maxAgeSeconds: number): Promise<string | undefined> {
  const cached = cache.get(secretId);
  if (cached && Date.now() - cached.readAt < maxAgeSeconds * 1000) return cached.value;
  const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
  cache.set(secretId, { value: SecretString, readAt: Date.now() });
  return SecretString;
}
