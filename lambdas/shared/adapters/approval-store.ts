import { createHash, randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, type PutCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type ApprovalRecord,
  approvalRecordSchema,
  type CreatorRecord,
  creatorRecordSchema,
  type LinkRecord,
  linkRecordSchema,
  type PreviousRun,
  previousRunOf,
  refOf,
} from '../contracts/approval-record';
import type { BreakGlassReview } from '../contracts/break-glass';
import { DuplicateRunError } from '../contracts/errors';
import type { Approval, Creator, HumanDecision } from '../contracts/steps';
import { creatorKey, historyKeys, linkKey, planKey, runKey } from '../contracts/table-keys';
import * as z from '../contracts/zod';
import { isConditionFailure } from './aws-errors';

/** A personal link's item: by its hash only (contracts/table-keys.ts). */
const linkItemKey = (linkId: string) => linkKey(createHash('sha256').update(linkId).digest('hex'));

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

export type NotifyChannel = 'Email' | 'Event' | 'Slack';

/**
 * How long a closer's claim on a notification channel holds against other closers: Lambda's longest run, so a closer
 * still sending always holds it, and one that crashed without a retry leaves it to the next closer after that.
 */
export const NOTIFY_CLAIM_LEASE_MS = 15 * 60 * 1000;

export const LINK_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Whether the run may have executed the plan: it called ExecuteProvisionedProductPlan and was not refused outright. */
export const hasRun = (record: ApprovalRecord) => Boolean(record.execution && !record.execution.refused);

/**
 * Whether a link was made for the request this record holds. A link made before links named their run decides only a
 * plan's first request: once a new run has claimed the plan, it may be the earlier run's.
 */
export const linkBelongsTo = (link: LinkRecord, record: ApprovalRecord) =>
  refOf(link) === refOf(record) && (link.executionArn ? link.executionArn === record.executionArn : !record.previousRun);

/** Every `planId` a method takes is the plan's key id: a hub plan's id, a spoke's planRef (domain/plan-location.ts scopedId). */
export class ApprovalStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Creates the approval for a run: PENDING for a human decision, APPROVED when a rule decided. The same
   * run may write it again (a retried task; a pending one gets a new token). A plan whose earlier run was
   * closed and released is claimed too: that run's record is first copied, unchanged, to its archive key
   * (runKey), and the new record points to it. Returns the record that holds the
   * plan when another run owns it.
   */
  async claim(
    record: Omit<ApprovalRecord, 'pk' | 'previousRun'>,
  ): Promise<{ claimed: true; previousRun?: PreviousRun } | { claimed: false; owner?: ApprovalRecord }> {
    const key = planKey(refOf(record));
    const raw = await this.item(key);
    const owner = raw && z.parse(approvalRecordSchema, raw);
    let previousRun = owner?.executionArn === record.executionArn ? owner.previousRun : undefined;
    let condition: Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> = {
      ConditionExpression: 'attribute_not_exists(pk) OR (executionArn = :executionArn AND #status = :status)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':executionArn': record.executionArn, ':status': record.status },
    };
    if (owner && owner.executionArn !== record.executionArn) {
      if (!owner.released) return { claimed: false, owner };
      previousRun = previousRunOf(owner, runKey(refOf(record), owner.executionArn));
      // Copied as stored; a second claimer copying it too writes the same item.
      await this.conditionally(
        new PutCommand({ TableName: this.tableName, Item: { ...raw, pk: previousRun.archivedAs }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      condition = {
        ConditionExpression: 'executionArn = :owner AND released = :released',
        ExpressionAttributeValues: { ':owner': owner.executionArn, ':released': true },
      };
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...record, ...historyKeys(record.requestedAt, refOf(record)), pk: key, previousRun },
          ...condition,
        }),
      );
      return { claimed: true, previousRun };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { claimed: false, owner: await this.get(refOf(record)) };
    }
  }

  async putLink(linkId: string, link: Omit<LinkRecord, 'pk'>): Promise<void> {
    const item: LinkRecord = { ...link, pk: linkItemKey(linkId) };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async getLink(linkId: string): Promise<LinkRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: linkItemKey(linkId) } }));
    return Item && z.parse(linkRecordSchema, Item);
  }

  async get(planId: string): Promise<ApprovalRecord | undefined> {
    const item = await this.item(planKey(planId));
    return item && z.parse(approvalRecordSchema, item);
  }

  /** Keeps who created a plan, as CloudTrail recorded it; the first record stands. Returns the one that stands. */
  async recordCreator(planId: string, creator: Creator, recordedAt: string): Promise<Creator> {
    try {
      const item: CreatorRecord = { pk: creatorKey(planId), planId: planId.split(':').pop() ?? planId, creator, recordedAt };
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return creator;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await this.getCreator(planId)) ?? creator;
    }
  }

  async getCreator(planId: string): Promise<Creator | undefined> {
    const item = await this.item(creatorKey(planId));
    return item && z.parse(creatorRecordSchema, item).creator;
  }

  /**
   * Puts the plan's creator on its open approval record, once: from then on they may not approve, and an approval they
   * gave already is taken back (kept in voidedApprovals). A decided record keeps its decision; execution refuses
   * a plan whose quorum needed the creator. Returns the record as updated and the approvals taken back, or undefined
   * when there is no record to update (none, closed, or it names its creator already).
   */
  async applyCreator(planId: string, creator: Creator): Promise<{ record: ApprovalRecord; voided: Approval[] } | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.get(planId);
      if (!record || record.outcome || record.creator) return undefined;
      const approvals = record.approvals ?? [];
      const own = (a: Approval) => creator.approverEmail !== undefined && a.approver.email.toLowerCase() === creator.approverEmail.toLowerCase();
      const voided = record.status === 'PENDING' ? approvals.filter(own) : [];
      const kept = approvals.filter((a) => !voided.includes(a));
      const updated = await this.updated(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planKey(planId) },
          UpdateExpression: voided.length
            ? 'SET creator = :creator, approvals = :kept, approverEmails = :keptEmails, voidedApprovals = :voided'
            : 'SET creator = :creator',
          // Approvals only grow while the request is open: the same count is the same list.
          ConditionExpression:
            'executionArn = :executionArn AND #status = :status AND attribute_not_exists(outcome) AND attribute_not_exists(creator) AND ' +
            (approvals.length ? 'size(approvals) = :count' : 'attribute_not_exists(approvals)'),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':creator': creator,
            ':executionArn': record.executionArn,
            ':status': record.status,
            ...(approvals.length ? { ':count': approvals.length } : {}),
            ...(voided.length ? { ':kept': kept, ':keptEmails': kept.map((a) => a.approver.email.toLowerCase()), ':voided': voided } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (updated) return { record: updated, voided };
    }
    throw new Error(`The approval record of plan ${planId} kept changing while its creator was being recorded`);
  }

  /**
   * Closes an open request that nobody may approve any more (its creator, known only now, counts for nothing): CLOSED,
   * and its wait's token taken in the same write, so no decision can count after it. Returns the record as it was,
   * with the token of the wait to fail, or undefined when it is no longer open or its wait is between two tasks.
   */
  async closeUnreachable(planId: string, executionArn: string): Promise<ApprovalRecord | undefined> {
    return this.updated(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET #status = :closed REMOVE taskToken',
        ConditionExpression:
          'executionArn = :executionArn AND #status = :pending AND attribute_not_exists(outcome) AND attribute_exists(taskToken) AND attribute_exists(creator)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':closed': 'CLOSED', ':pending': 'PENDING', ':executionArn': executionArn },
        ReturnValues: 'ALL_OLD',
      }),
    );
  }

  /**
   * One run's record for a plan: the current one while that run owns the plan, otherwise the copy kept when a new
   * run claimed it.
   */
  async getRun(planId: string, executionArn: string): Promise<ApprovalRecord | undefined> {
    const current = await this.get(planId);
    if (!current || current.executionArn === executionArn) return current;
    const archived = await this.item(runKey(planId, executionArn));
    return archived && z.parse(approvalRecordSchema, archived);
  }

  private async item(pk: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }));
    return Item;
  }

  /**
   * Closes this run's approval record, once: writes how the run ended, removes the task token, marks a request
   * nobody decided CLOSED (so no late click counts), and releases the plan when the run did not execute it.
   * A decision made or another closing done in between is read again, never overwritten. Returns the record
   * and whether this call closed it, or undefined when the run owns no record.
   */
  async close(
    planId: string,
    executionArn: string,
    outcome: NonNullable<ApprovalRecord['outcome']>,
  ): Promise<{ record: ApprovalRecord; closedNow: boolean } | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.get(planId);
      if (!record || record.executionArn !== executionArn) return undefined;
      if (record.outcome) return { record, closedNow: false };
      const status = record.status === 'PENDING' ? 'CLOSED' : record.status;
      const released = status === 'CLOSED' || (status === 'APPROVED' && !hasRun(record));
      const closed = await this.updated(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planKey(planId) },
          // The history index's attributes too: a record written before the index joins it when it closes.
          UpdateExpression:
            'SET outcome = :outcome, #status = :status, released = :released, historyMonth = :historyMonth, historyAt = :historyAt REMOVE taskToken',
          ConditionExpression: 'executionArn = :executionArn AND #status = :seen AND attribute_not_exists(outcome)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':outcome': outcome,
            ':status': status,
            ':released': released,
            ':executionArn': executionArn,
            ':seen': record.status,
            ...prefixed(historyKeys(record.requestedAt, planId)),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (closed) return { record: closed, closedNow: true };
    }
    throw new Error(`The approval record of plan ${planId} kept changing while run ${executionArn} was being closed`);
  }

  /**
   * Claims one channel of this run's outcome notification for a closer (Notify, CloseRun, a release), so that two
   * closers racing (a release right after a stop, a stop during Notify) never both send it: granted while the
   * channel is unsent and no other closer holds a claim younger than NOTIFY_CLAIM_LEASE_MS. The same closer may
   * take its own claim again at once: its retry after a crash between claim and send re-sends rather than lose the
   * outcome (at least once per channel for one closer, never twice across closers).
   */
  async claimNotification(planId: string, executionArn: string, channel: NotifyChannel, closer: string, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planKey(planId) },
          UpdateExpression: 'SET #claim = :claim',
          ConditionExpression:
            'executionArn = :executionArn AND attribute_not_exists(#notified) AND (attribute_not_exists(#claim) OR #claim.#by = :by OR #claim.#at < :staleBefore)',
          ExpressionAttributeNames: { '#claim': `notify${channel}Claim`, '#notified': `notified${channel}At`, '#by': 'by', '#at': 'at' },
          ExpressionAttributeValues: {
            ':claim': { by: closer, at: now.toISOString() },
            ':by': closer,
            ':executionArn': executionArn,
            ':staleBefore': new Date(now.getTime() - NOTIFY_CLAIM_LEASE_MS).toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Gives up a closer's claim on a channel it could not send, so another closer may send it. */
  async dropNotificationClaim(planId: string, executionArn: string, channel: NotifyChannel, closer: string): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'REMOVE #claim',
        ConditionExpression: 'executionArn = :executionArn AND #claim.#by = :by',
        ExpressionAttributeNames: { '#claim': `notify${channel}Claim`, '#by': 'by' },
        ExpressionAttributeValues: { ':executionArn': executionArn, ':by': closer },
      }),
    );
  }

  /** Notes that one channel of the outcome notification went out, so closing again does not repeat it. */
  async markNotified(planId: string, executionArn: string, channel: NotifyChannel, at: string): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: `SET notified${channel}At = :at REMOVE notify${channel}Claim`,
        ConditionExpression: 'executionArn = :executionArn',
        ExpressionAttributeValues: { ':at': at, ':executionArn': executionArn },
      }),
    );
  }

  /**
   * An operator's release of a plan whose run is gone: the record is closed as RELEASED if nothing closed it, and in
   * any case released, so a new run may claim the plan. Returns the record, or undefined when there is none.
   */
  async release(planId: string, by: string, outcome: NonNullable<ApprovalRecord['outcome']>): Promise<ApprovalRecord | undefined> {
    const record = await this.get(planId);
    if (!record) return undefined;
    if (!record.outcome) await this.close(planId, record.executionArn, outcome);
    return this.updated(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET released = :released, releasedBy = :by',
        // Never a rejected plan, nor one that ran or may have: those stay locked whoever asks.
        ConditionExpression:
          'executionArn = :executionArn AND attribute_exists(outcome) AND #status <> :rejected AND (attribute_not_exists(execution) OR attribute_exists(execution.refused))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':released': true, ':by': by, ':executionArn': record.executionArn, ':rejected': 'REJECTED' },
        ReturnValues: 'ALL_NEW',
      }),
    );
  }

  /**
   * Records a decision once: only a pending, unexpired approval accepts one. Returns the task token
   * to complete, or undefined when the approval was already decided or has expired.
   */
  async decide(
    planId: string,
    executionArn: string,
    decision: HumanDecision,
    nowSeconds: number,
    // Set in the same write (a break-glass decision's review: adapters/break-glass-store.ts).
    also: { breakGlassReview?: BreakGlassReview } = {},
  ): Promise<string | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planKey(planId) },
          UpdateExpression: `SET #status = :status, decision = :decision${also.breakGlassReview ? ', breakGlassReview = :review' : ''}`,
          // The run is part of the condition: a new run may have claimed the plan since the record was read.
          ConditionExpression: 'executionArn = :executionArn AND #status = :pending AND expiresAt > :now AND attribute_not_exists(outcome)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':executionArn': executionArn,
            ':status': decision.decision,
            ':decision': decision,
            ':pending': 'PENDING',
            ':now': nowSeconds,
            ...(also.breakGlassReview ? { ':review': also.breakGlassReview } : {}),
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
  async addApproval(planId: string, executionArn: string, decision: HumanDecision, nowSeconds: number): Promise<ApprovalRecord | undefined> {
    const email = decision.approver.email.toLowerCase();
    const { approver, channel, decidedAt, comment, principal, groups, stage, signedIn } = decision;
    const approval: Approval = { approver, channel, decidedAt, comment, principal, groups, stage, signedIn };
    return this.updated(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression:
          'SET approvals = list_append(if_not_exists(approvals, :empty), :approval), approverEmails = list_append(if_not_exists(approverEmails, :empty), :email)',
        // Never the plan's creator's, even when CloudTrail's record of who created it lands in between.
        ConditionExpression:
          'executionArn = :executionArn AND #status = :pending AND expiresAt > :now AND attribute_not_exists(outcome) AND NOT contains(approverEmails, :emailValue) ' +
          'AND (attribute_not_exists(creator.approverEmail) OR creator.approverEmail <> :emailValue)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':executionArn': executionArn,
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
   * Claims one round of asking approvers (a stage that opened) for the vote that opened it, so two votes landing
   * together ask once. Only while the request is open.
   */
  async claimAskRound(planId: string, executionArn: string, round: string): Promise<boolean> {
    return (
      (await this.updated(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planKey(planId) },
          UpdateExpression: 'SET askedRounds = list_append(if_not_exists(askedRounds, :empty), :round)',
          ConditionExpression:
            'executionArn = :executionArn AND #status = :pending AND attribute_not_exists(outcome) AND NOT contains(askedRounds, :roundValue)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':empty': [], ':round': [round], ':roundValue': round, ':executionArn': executionArn, ':pending': 'PENDING' },
          ReturnValues: 'ALL_NEW',
        }),
      )) !== undefined
    );
  }

  /**
   * Undoes a decision whose task could not be completed, so it can be made again. Does nothing once the
   * decision is gone or the approval has expired.
   */
  async undoDecision(planId: string, executionArn: string, decidedAt: string): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET #status = :pending REMOVE decision',
        // Never once the run is closed: the record then says how the run ended, and stays so.
        ConditionExpression:
          'executionArn = :executionArn AND decision.decidedAt = :decidedAt AND #status IN (:approved, :rejected) AND attribute_not_exists(outcome)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':executionArn': executionArn,
          ':pending': 'PENDING',
          ':decidedAt': decidedAt,
          ':approved': 'APPROVED',
          ':rejected': 'REJECTED',
        },
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
        ConditionExpression: 'executionArn = :executionArn AND #status <> :expired AND attribute_not_exists(outcome)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':taskToken': taskToken, ':remindedAt': remindedAt, ':executionArn': executionArn, ':expired': 'EXPIRED' },
        ReturnValues: 'ALL_NEW',
      }),
    );
  }

  /**
   * Records the IdempotencyToken of this run's execution, before executing; only on an approval this run owns.
   * Returns whether this is the run's first attempt: a retry may follow an earlier call that did execute.
   */
  async recordExecution(planId: string, executionArn: string, execution: NonNullable<ApprovalRecord['execution']>): Promise<{ first: boolean }> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET execution = if_not_exists(execution, :execution)',
        ConditionExpression: 'executionArn = :executionArn AND #status = :approved',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':execution': execution, ':executionArn': executionArn, ':approved': 'APPROVED' },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return { first: Attributes?.execution === undefined };
  }

  /**
   * Notes that Service Catalog refused the run's only execute call outright, so nothing ran and closing releases the
   * plan. Only before the run is closed, and only once.
   */
  async recordExecutionRefused(planId: string, executionArn: string, refused: { error: string; at: string }): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'SET execution.refused = :refused',
        ConditionExpression: 'executionArn = :executionArn AND attribute_exists(execution) AND attribute_not_exists(outcome)',
        ExpressionAttributeValues: { ':refused': refused, ':executionArn': executionArn },
      }),
    );
  }

  /** Drops the task token once the task is completed or can no longer be (only this run's: the plan may be re-claimed). */
  async forgetTaskToken(planId: string, executionArn: string): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: planKey(planId) },
        UpdateExpression: 'REMOVE taskToken',
        ConditionExpression: 'executionArn = :executionArn',
        ExpressionAttributeValues: { ':executionArn': executionArn },
      }),
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
        ConditionExpression: 'executionArn = :executionArn AND attribute_not_exists(outcome)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':expired': 'EXPIRED', ':expiredAt': expiredAt, ':executionArn': executionArn },
        ReturnValues: 'ALL_NEW',
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

  /** Runs a write whose condition may fail, which is then not an error. */
  private async conditionally(command: UpdateCommand | PutCommand): Promise<void> {
    try {
      await (command instanceof PutCommand ? this.client.send(command) : this.client.send(command));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}

/** `{ a: 1 }` as expression values: `{ ':a': 1 }`. */
const prefixed = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [`:${k}`, v]));
