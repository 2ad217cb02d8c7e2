import { createHash, randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SessionRecord, SignedInApprover } from '../contracts/session';
import { sessionKey } from '../contracts/table-keys';

/** A session's item: by its id's hash only, so read access to the table does not hand out working sessions. */
export const sessionItemKey = (sessionId: string) => sessionKey(createHash('sha256').update(sessionId).digest('hex'));

/** 256 random bits, URL-safe: session ids and CSRF tokens. */
export const randomToken = () => randomBytes(32).toString('base64url');

/** A session that is still good: its verified identity and CSRF token. */
export type ActiveSession = SignedInApprover & { csrfToken: string };

/**
 * The session a cookie's id names, if it is still good: found, not signed out, not expired (DynamoDB's TTL removes
 * items late, so expiry is checked here). The approval API reads sessions with this alone; the sign-in function writes them.
 */
export async function activeSession(
  client: DynamoDBDocumentClient,
  tableName: string,
  sessionId: string,
  now: Date,
): Promise<ActiveSession | undefined> {
  if (!/^[\w-]{43}$/.test(sessionId)) return undefined;
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { pk: sessionItemKey(sessionId) }, ConsistentRead: true }));
  const session = Item as SessionRecord | undefined;
  if (!session || session.signedOutAt || session.sessionTtl * 1000 <= now.getTime()) return undefined;
  return { issuer: session.issuer, subject: session.subject, email: session.email, csrfToken: session.csrfToken };
}
