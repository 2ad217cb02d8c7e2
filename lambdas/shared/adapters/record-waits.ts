import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { recordKey } from '../contracts/table-keys';
import * as z from '../contracts/zod';
import { isConditionFailure } from './aws-errors';

/*
 * One item per provisioned product (recordKey): the run waiting for that provisioned product's record, and the newest status change
 * of the CloudFormation stack behind it. ExecutePlan writes it before executing, so a stack event that comes before
 * the run waits still counts; events for other products find no item and are ignored.
 */
const recordWaitSchema = /* @__PURE__ */ (() =>
  z.object({
    pk: z.string(),
    executionArn: z.string(),
    /** Present while the run waits: the task token of its waiting task. */
    taskToken: z.optional(z.string()),
    waitingSince: z.optional(z.string()),
    stackStatus: z.optional(z.string()),
    /** When the newest stack event arrived (ISO time, to the millisecond). */
    stackEventAt: z.optional(z.string()),
  }))();
export type RecordWait = z.infer<typeof recordWaitSchema>;

const key = (provisionedProductId: string) => ({ pk: recordKey(provisionedProductId) });

export class RecordWaits {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Before executing: this run will wait for this product's record. Whatever an earlier run left (its token, its
   * stack's last event) is forgotten, so every event on the item from now on is this run's. A retry of the same run
   * changes nothing: an event that came meanwhile is kept.
   */
  async expect(provisionedProductId: string, executionArn: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(provisionedProductId),
          UpdateExpression: 'SET executionArn = :executionArn REMOVE taskToken, waitingSince, stackStatus, stackEventAt',
          ConditionExpression: 'attribute_not_exists(executionArn) OR executionArn <> :executionArn',
          ExpressionAttributeValues: { ':executionArn': executionArn },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * The run waits: its task token is stored for the next stack event. Returns the item as it now is, with the newest
   * stack event so far, which the caller compares with the one it has acted on.
   */
  async register(provisionedProductId: string, executionArn: string, taskToken: string, at: string): Promise<RecordWait> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(provisionedProductId),
        UpdateExpression: 'SET taskToken = :taskToken, executionArn = :executionArn, waitingSince = :at',
        ExpressionAttributeValues: { ':taskToken': taskToken, ':executionArn': executionArn, ':at': at },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return z.parse(recordWaitSchema, Attributes);
  }

  /**
   * A stack status change: kept on the product's item, if a run expects this product. Returns the item as it now is
   * (with the waiting run's token, if one waits), or undefined when no run ever expected the product.
   */
  async signal(provisionedProductId: string, stackStatus: string, at: string): Promise<RecordWait | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(provisionedProductId),
          UpdateExpression: 'SET stackStatus = :status, stackEventAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':status': stackStatus, ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return z.parse(recordWaitSchema, Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** The token is used (or stale): removed, unless a newer wait has replaced it meanwhile. */
  async release(provisionedProductId: string, taskToken: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(provisionedProductId),
          UpdateExpression: 'REMOVE taskToken',
          ConditionExpression: 'taskToken = :taskToken',
          ExpressionAttributeValues: { ':taskToken': taskToken },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
