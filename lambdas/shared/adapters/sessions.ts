import { createHash, randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SESSION_SECONDS, type SessionRecord, type SignedInApprover, sessionRecordSchema } from '../contracts/session';
import { sessionKey } from '../contracts/table-keys';
import * as z from '../contracts/zod';
import { isConditionFailure } from './aws-errors';

/** A session's item: by its id's hash only, so read access to the table does not hand out working sessions. */
const sessionItemKey = (sessionId: string) => sessionKey(createHash('sha256').update(sessionId).digest('hex'));

/** 256 random bits, URL-safe: session ids and CSRF tokens. */
export const randomToken = () => randomBytes(32).toString('base64url');

export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A session that is still good: found, not signed out, not expired (TTL removes items late, so expiry is checked here). */
export type ActiveSession = SignedInApprover & { csrfToken: string };

/** Signed-in approvers' sessions in the approval table (contracts/session.ts). */
export class SessionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Starts a session for a verified identity; returns the id for the cookie (the table keeps only its hash). */
  async create(identity: SignedInApprover, now: Date): Promise<string> {
    const sessionId = randomToken();
    const item: SessionRecord = {
      pk: sessionItemKey(sessionId),
      ...identity,
      csrfToken: randomToken(),
      createdAt: now.toISOString(),
      sessionTtl: Math.floor(now.getTime() / 1000) + SESSION_SECONDS,
    };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    return sessionId;
  }

  async get(sessionId: string, now: Date): Promise<ActiveSession | undefined> {
    if (!SESSION_ID_PATTERN.test(sessionId)) return undefined;
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: sessionItemKey(sessionId) }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const session = z.parse(sessionRecordSchema, Item);
    if (session.signedOutAt || session.sessionTtl * 1000 <= now.getTime()) return undefined;
    return { issuer: session.issuer, subject: session.subject, email: session.email, csrfToken: session.csrfToken };
  }

  /** Ends a session: marked, since the table denies deletes; answers whether there was one to end. */
  async signOut(sessionId: string, now: Date): Promise<boolean> {
    if (!SESSION_ID_PATTERN.test(sessionId)) return false;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: sessionItemKey(sessionId) },
          UpdateExpression: 'SET signedOutAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(signedOutAt)',
          ExpressionAttributeValues: { ':now': now.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
