/** Secrets are read at run time (never put in the template or environment) and cached for five minutes. */
const MAX_AGE_SECONDS = 300;

export async function readSecret(secretId: string): Promise<string> {
  // Loaded on the first read: only Slack's secrets are read, so a function without Slack never loads the client.
  const { secretString } = await import('./clients/secrets-manager');
  const value = await secretString(secretId, MAX_AGE_SECONDS);
  if (typeof value !== 'string' || !value.trim()) throw new Error(`Secret ${secretId} has no string value`);
  return value.trim();
}
