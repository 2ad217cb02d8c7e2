import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ApprovalRecord, approvalRecordSchema } from '../contracts/approval-record';
import { type OpenReview, openReviewSchema } from '../contracts/break-glass';
import { breakGlassIndexKey, breakGlassUsesKey, planKey } from '../contracts/table-keys';
import * as z from '../contracts/zod';
import { takeUse } from '../domain/break-glass';
import { isConditionFailure } from './aws-errors';

/** Conditional writes that lose to another writer are retried on what that writer wrote, this often. */
const ATTEMPTS = 5;

/** An open review's entry in the index: one per run. */
const indexEntry = (planRef: string, executionArn: string) => `${planRef} ${executionArn}`;

/** Break-glass's items: each person's uses (the rate limit), the decision with its review, and the open reviews' index. */
export class BreakGlassStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes one of a person's uses, or answers when the next is allowed. A conditional write on the version read, so two
   * uses at once cannot both pass: the loser reads the winner's write and counts again.
   */
  async takeUse(who: string, now: Date, max: number): Promise<{ taken: true } | { taken: false; nextAt: Date }> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: breakGlassUsesKey(who) }, ConsistentRead: true }),
      );
      const version = typeof Item?.version === 'number' ? Item.version : 0;
      const taken = takeUse(Array.isArray(Item?.uses) ? (Item.uses as number[]) : [], now, max);
      if ('nextAt' in taken) return { taken: false, nextAt: taken.nextAt };
      if (await this.setUses(who, taken.uses, version)) return { taken: true };
    }
    throw new Error(`The break-glass uses of ${who} kept changing`);
  }

  /** Gives a use back when the approval it was taken for did not happen. */
  async giveBack(who: string, at: Date): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: breakGlassUsesKey(who) }, ConsistentRead: true }),
      );
      const uses = Array.isArray(Item?.uses) ? (Item.uses as number[]) : [];
      if (!Item || !uses.includes(at.getTime())) return;
      if (
        await this.setUses(
          who,
          uses.filter((u) => u !== at.getTime()),
          Item.version as number,
        )
      )
        return;
    }
  }

  private async setUses(who: string, uses: number[], version: number): Promise<boolean> {
    return this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: breakGlassUsesKey(who) },
        UpdateExpression: 'SET uses = :uses, version = :next',
        ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
        ExpressionAttributeValues: { ':uses': uses, ':next': version + 1, ...(version === 0 ? {} : { ':version': version }) },
      }),
    );
  }

  /** Removes the review of a break-glass decision that was undone (its task could not be completed). */
  async dropReview(planRef: string, executionArn: string, openedAt: string): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planRef) },
        UpdateExpression: 'REMOVE breakGlassReview',
        ConditionExpression: 'executionArn = :executionArn AND breakGlassReview.openedAt = :openedAt AND attribute_not_exists(decision)',
        ExpressionAttributeValues: { ':executionArn': executionArn, ':openedAt': openedAt },
      }),
    );
  }

  /**
   * Closes a run's open review, by an approver other than its break-glass user; the record may be the plan's or its
   * archive (`pk`). Returns the record as closed, or undefined when it was not open or the closer is that user.
   */
  async closeReview(pk: string, executionArn: string, closedBy: { email: string; principal: string }, at: string, comment?: string) {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression:
            'SET breakGlassReview.#status = :closed, breakGlassReview.closedBy = :by, breakGlassReview.closedAt = :at' +
            (comment ? ', breakGlassReview.#comment = :comment' : ''),
          ConditionExpression: 'executionArn = :executionArn AND breakGlassReview.#status = :open AND breakGlassReview.#user <> :email',
          ExpressionAttributeNames: { '#status': 'status', '#user': 'user', ...(comment ? { '#comment': 'comment' } : {}) },
          ExpressionAttributeValues: {
            ':closed': 'CLOSED',
            ':open': 'OPEN',
            ':by': closedBy,
            ':at': at,
            ':email': closedBy.email.toLowerCase(),
            ':executionArn': executionArn,
            ...(comment ? { ':comment': comment } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return z.parse(approvalRecordSchema, Attributes) as ApprovalRecord;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Adds a run's review to the open reviews' index (before the decision, so no review is ever missing from it). */
  async indexReview(entry: OpenReview): Promise<void> {
    const Key = { pk: breakGlassIndexKey };
    // A map's entry can be set only once the map exists.
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key,
        UpdateExpression: 'SET #open = if_not_exists(#open, :empty)',
        ExpressionAttributeNames: { '#open': 'open' },
        ExpressionAttributeValues: { ':empty': {} },
      }),
    );
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key,
        UpdateExpression: 'SET #open.#entry = :entry',
        ExpressionAttributeNames: { '#open': 'open', '#entry': indexEntry(entry.planRef, entry.executionArn) },
        ExpressionAttributeValues: { ':entry': entry },
      }),
    );
  }

  /** Takes a run's review off the index (closed, or its decision never happened). */
  async unindexReview(planRef: string, executionArn: string): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: breakGlassIndexKey },
        UpdateExpression: 'REMOVE #open.#entry',
        ConditionExpression: 'attribute_exists(#open)',
        ExpressionAttributeNames: { '#open': 'open', '#entry': indexEntry(planRef, executionArn) },
      }),
    );
  }

  /** The index's entries: reviews that may be open (each is checked against its record). */
  async indexedReviews(): Promise<OpenReview[]> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: breakGlassIndexKey } }));
    const open = (Item?.open ?? {}) as Record<string, unknown>;
    return Object.values(open).flatMap((entry) => {
      const parsed = z.safeParse(openReviewSchema, entry);
      return parsed.success ? [parsed.data] : [];
    });
  }

  private async conditionally(command: UpdateCommand): Promise<boolean> {
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
