import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../shared/adapters/aws-errors';
import { type ActiveSession, activeSession, randomToken, sessionItemKey } from '../shared/adapters/sessions';
import { SESSION_SECONDS, type SessionRecord, type SignedInApprover } from '../shared/contracts/session';

/** Signed-in approvers' sessions in the approval table (contracts/session.ts), as the sign-in function makes and ends them. */
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

  get(sessionId: string, now: Date): Promise<ActiveSession | undefined> {
    return activeSession(this.client, this.tableName, sessionId, now);
  }

  /** Ends a session: marked, since the table denies deletes; answers whether there was one to end. */
  async signOut(sessionId: string, now: Date): Promise<boolean> {
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
