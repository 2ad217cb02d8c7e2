import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ApprovalRecord, approvalRecordSchema } from '../contracts/approval-record';
import type { ExecuteWindow } from '../contracts/execute-window';
import { planKey } from '../contracts/table-keys';
import { MAX_RESCHEDULES, type WindowAction } from '../contracts/window-actions';
import * as z from '../contracts/zod';
import { RESCHEDULE_CUTOFF_MS, windowOf } from '../domain/window-schedule';
import { isConditionFailure } from './aws-errors';

/** A run that may still wait: its own record, approved, not closed, not executing, not cancelled. */
const WAITING_RUN =
  'executionArn = :executionArn AND #status = :approved AND attribute_not_exists(outcome) AND attribute_not_exists(execution) AND attribute_not_exists(cancelled)';

/**
 * The approval record's side of execution windows (issue 23). The wait's task token is kept in `taskToken` (as an
 * open approval's is), never logged or returned to a caller; whoever removes it with a conditional write is the one
 * who ends that wait, so two actions at once, or an action racing ExecutePlan, end it once.
 */
export class WindowStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(planId: string): Promise<ApprovalRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: planKey(planId) }, ConsistentRead: true }));
    return Item && z.parse(approvalRecordSchema, Item);
  }

  /** Keeps the token of the run's new wait, and the window it waits for (the run input's until a reschedule). */
  async arm(planId: string, executionArn: string, taskToken: string, window: ExecuteWindow): Promise<boolean> {
    return (
      (await this.update(planId, executionArn, {
        UpdateExpression: 'SET taskToken = :taskToken, executeWindow = if_not_exists(executeWindow, :window)',
        ConditionExpression: WAITING_RUN,
        ExpressionAttributeValues: { ':taskToken': taskToken, ':window': window },
      })) !== undefined
    );
  }

  /**
   * Ends the run's wait for one action, recorded with it: returns the record as it was (with the token to complete),
   * or undefined when the run is not waiting. A reschedule also sets the new window, and only while the wait is not
   * about to end (the timer may be firing) and the run has had fewer than MAX_RESCHEDULES; a cancellation also marks the
   * record `cancelled`.
   */
  async take(planId: string, executionArn: string, action: WindowAction, now: Date): Promise<ApprovalRecord | undefined> {
    const sets = ['windowActions = list_append(if_not_exists(windowActions, :empty), :action)'];
    const values: Record<string, unknown> = { ':empty': [], ':action': [action] };
    let condition = `${WAITING_RUN} AND attribute_exists(taskToken)`;
    if (action.action === 'reschedule') {
      sets.push('executeWindow = :window');
      values[':window'] = action.window;
      values[':soon'] = new Date(now.getTime() + RESCHEDULE_CUTOFF_MS).toISOString();
      // While a run waits, windowActions holds only its reschedules (a cancel or run-now ends the wait).
      values[':most'] = MAX_RESCHEDULES;
      condition += ' AND executeWindow.notBefore > :soon AND (attribute_not_exists(windowActions) OR size(windowActions) < :most)';
    }
    if (action.action === 'cancel') {
      sets.push('cancelled = :cancelled');
      values[':cancelled'] = action;
    }
    return this.update(
      planId,
      executionArn,
      { UpdateExpression: `SET ${sets.join(', ')} REMOVE taskToken`, ConditionExpression: condition, ExpressionAttributeValues: values },
      'ALL_OLD',
    );
  }

  /**
   * Puts back a wait that an action took but could not end (the run could not be reached): its token, its window, and
   * the action's entry (the last) removed, so the action can be tried again. Only while nothing else has happened since.
   */
  async untake(planId: string, executionArn: string, before: ApprovalRecord): Promise<void> {
    const count = before.windowActions?.length ?? 0;
    await this.update(planId, executionArn, {
      UpdateExpression: `SET taskToken = :taskToken, executeWindow = :window REMOVE windowActions[${count}]`,
      ConditionExpression: `${WAITING_RUN} AND attribute_not_exists(taskToken) AND size(windowActions) = :size`,
      ExpressionAttributeValues: { ':taskToken': before.taskToken, ':window': windowOf(before), ':size': count + 1 },
    });
  }

  /**
   * ExecutePlan's claim on a windowed run, before it checks anything: the wait is over (no action can take it any
   * more). Returns the cancellation that came first, if one did.
   */
  async startExecution(planId: string, executionArn: string): Promise<{ cancelled?: WindowAction }> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planKey(planId) },
          UpdateExpression: 'REMOVE taskToken',
          ConditionExpression: 'executionArn = :executionArn AND attribute_not_exists(cancelled)',
          ExpressionAttributeValues: { ':executionArn': executionArn },
        }),
      );
      return {};
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const record = await this.get(planId);
    return { cancelled: record?.executionArn === executionArn ? record.cancelled : undefined };
  }

  /** One conditional update of this run's record (every condition names the run); undefined when the condition fails. */
  private async update(
    planId: string,
    executionArn: string,
    update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> },
    returnValues: 'ALL_NEW' | 'ALL_OLD' = 'ALL_NEW',
  ): Promise<ApprovalRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: planKey(planId) },
          ...update,
          ExpressionAttributeNames: update.ConditionExpression.includes('#status') ? { '#status': 'status' } : undefined,
          ExpressionAttributeValues: {
            ...update.ExpressionAttributeValues,
            ':executionArn': executionArn,
            ...(update.ConditionExpression.includes(':approved') ? { ':approved': 'APPROVED' } : {}),
          },
          ReturnValues: returnValues,
        }),
      );
      return z.parse(approvalRecordSchema, Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
