import { createHash, randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../contracts/zod';
import { type ApprovalRecord, approvalRecordSchema, type LinkRecord, linkRecordSchema } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import { DuplicateRunError } from '../contracts/errors';
import type { Approval, HumanDecision } from '../contracts/steps';

/** The approval table's items; their shapes are in contracts/approval-record.ts. */
const planKey = (planId: string) => `PLAN#${planId}`;
const linkKey = (linkId: string) => `LINK#${createHash('sha256').update(linkId).digest('hex')}`;

const isConditionFailure = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

/** 256 random bits, URL-safe: 43 characters of base64url. */
export function newLinkId(): string {
  return randomBytes(32).toString('base64url');
}

/** What a run that finds its plan's approval owned by another run ends with (EventBridge delivers at least once). */
export function duplicateRunError(planId: string, owner: ApprovalRecord | undefined): DuplicateRunError {
  return new DuplicateRunError(
    `Plan ${planId} already has an approval (${owner?.status ?? 'unknown status'}) ` +
      `opened by run ${owner?.executionArn ?? 'unknown'} at ${owner?.requestedAt ?? 'an unknown time'}`,
  );
}

export const LINK_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class ApprovalStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Creates the approval for a run: PENDING for a human decision, APPROVED when a rule decided. The same
   * run may write it again (a retried task; a pending one gets a new token). Returns the record that holds
   * the plan when another run owns it.
   */
  async claim(record: Omit<ApprovalRecord, 'pk'>): Promise<{ claimed: true } | { claimed: false; owner?: ApprovalRecord }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...record, pk: planKey(record.planId) },
          ConditionExpression: 'attribute_not_exists(pk) OR (executionArn = :executionArn AND #status = :status)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':executionArn': record.executionArn, ':status': record.status },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { claimed: false, owner: await this.get(record.planId) };
    }
  }

  async putLink(linkId: string, planId: string, approver: Approver | undefined, createdAt: string): Promise<void> {
    const item: LinkRecord = { pk: linkKey(linkId), planId, approver, createdAt };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async getLink(linkId: string): Promise<LinkRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: linkKey(linkId) } }));
    return Item && z.parse(linkRecordSchema, Item);
  }

  async get(planId: string): Promise<ApprovalRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: planKey(planId) }, ConsistentRead: true }),
    );
    return Item && z.parse(approvalRecordSchema, Item);
  }

  /**
   * Records a decision once: only a pending, unexpired approval accepts one. Returns the task token
   * to complete, or undefined when the approval was already decided or has expired.
   */
  async decide(planId: string, decision: HumanDecision, nowSeconds: number): Promise<string | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planKey(planId) },
          UpdateExpression: 'SET #status = :status, decision = :decision',
          ConditionExpression: '#status = :pending AND expiresAt > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': decision.decision,
            ':decision': decision,
            ':pending': 'PENDING',
            ':now': nowSeconds,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return z.parse(approvalRecordSchema, Attributes).taskToken;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Counts one approval towards the quorum: only while pending and unexpired, and once per approver.
   * Returns the record with the approval added, or undefined when it could not be counted.
   */
  async addApproval(planId: string, decision: HumanDecision, nowSeconds: number): Promise<ApprovalRecord | undefined> {
    const email = decision.approver.email.toLowerCase();
    const approval: Approval = { approver: decision.approver, channel: decision.channel, decidedAt: decision.decidedAt, comment: decision.comment };
    return this.updated(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression:
          'SET approvals = list_append(if_not_exists(approvals, :empty), :approval), approverEmails = list_append(if_not_exists(approverEmails, :empty), :email)',
        ConditionExpression: '#status = :pending AND expiresAt > :now AND NOT contains(approverEmails, :emailValue)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':empty': [],
          ':approval': [approval],
          ':email': [email],
          ':emailValue': email,
          ':pending': 'PENDING',
          ':now': nowSeconds,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
  }

  /**
   * Undoes a decision whose task could not be completed, so it can be made again. Does nothing once the
   * decision is gone or the approval has expired.
   */
  async undoDecision(planId: string, decidedAt: string): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET #status = :pending REMOVE decision',
        ConditionExpression: 'decision.decidedAt = :decidedAt AND #status IN (:approved, :rejected)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'PENDING', ':decidedAt': decidedAt, ':approved': 'APPROVED', ':rejected': 'REJECTED' },
      }),
    );
  }

  /**
   * Hands the approval the token of the run's next approval task (the one after the reminder). Returns the
   * record, or undefined when this run does not own it or it has expired.
   */
  async rearm(planId: string, executionArn: string, taskToken: string, remindedAt: string): Promise<ApprovalRecord | undefined> {
    return this.updated(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET taskToken = :taskToken, remindedAt = :remindedAt',
        ConditionExpression: 'executionArn = :executionArn AND #status <> :expired',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':taskToken': taskToken, ':remindedAt': remindedAt, ':executionArn': executionArn, ':expired': 'EXPIRED' },
        ReturnValues: 'ALL_NEW',
      }),
    );
  }

  /** Records the IdempotencyToken of this run's execution, before executing; only on an approval this run owns. */
  async recordExecution(planId: string, executionArn: string, execution: NonNullable<ApprovalRecord['execution']>): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET execution = if_not_exists(execution, :execution)',
        ConditionExpression: 'executionArn = :executionArn AND #status = :approved',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':execution': execution, ':executionArn': executionArn, ':approved': 'APPROVED' },
      }),
    );
  }

  /** Drops the task token once the task is completed or can no longer be. */
  async forgetTaskToken(planId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: { pk: planKey(planId) }, UpdateExpression: 'REMOVE taskToken' }),
    );
  }

  /**
   * Marks this run's approval expired once its approval tasks have timed out. Unconditionally for the run's
   * own record: a decision still in flight can no longer reach the run, so it must not stand.
   * Returns the record as expired, or undefined when this run does not own it.
   */
  async expire(planId: string, executionArn: string, expiredAt: string): Promise<ApprovalRecord | undefined> {
    return this.updated(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET #status = :expired, expiredAt = :expiredAt REMOVE taskToken, decision',
        ConditionExpression: 'executionArn = :executionArn',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':expired': 'EXPIRED', ':expiredAt': expiredAt, ':executionArn': executionArn },
        ReturnValues: 'ALL_NEW',
      }),
    );
  }

  /** Writes how the run ended onto the approval record it owns; does nothing for a record it does not own. */
  async recordOutcome(planId: string, executionArn: string, outcome: NonNullable<ApprovalRecord['outcome']>): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET outcome = :outcome REMOVE taskToken',
        ConditionExpression: 'executionArn = :executionArn',
        ExpressionAttributeValues: { ':outcome': outcome, ':executionArn': executionArn },
      }),
    );
  }

  /** Runs an update that answers the record as it now is (ALL_NEW), or undefined when its condition is not met. */
  private async updated(command: UpdateCommand): Promise<ApprovalRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(command);
      return z.parse(approvalRecordSchema, Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  private async conditionally(command: UpdateCommand): Promise<void> {
    try {
      await this.client.send(command);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
