import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../lambdas/shared/adapters/aws-errors';
import { historyKeys } from '../lambdas/shared/contracts/table-keys';
import type { Aws, Target } from './aws';

/**
 * After an upgrade: writes the history index's keys (contracts/table-keys.ts) on every approval record written before the
 * index, current (`PLAN#<ref>`) and archived (`PLAN#<ref>#RUN#<executionArn>`) alike. A record that has them is left
 * alone (the condition), so running it twice, or while runs go on, writes each once. Returns how many it wrote.
 */
export async function backfillHistory(aws: Aws, target: Target): Promise<{ scanned: number; written: number }> {
  let scanned = 0;
  let written = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await aws.documents.send(
      new ScanCommand({
        TableName: target.tableName,
        FilterExpression: 'begins_with(pk, :plan) AND attribute_exists(requestedAt) AND attribute_not_exists(historyMonth)',
        ProjectionExpression: 'pk, planId, planRef, requestedAt',
        ExpressionAttributeValues: { ':plan': 'PLAN#' },
        ExclusiveStartKey: start,
      }),
    );
    scanned += page.ScannedCount ?? 0;
    for (const item of page.Items ?? []) {
      const { pk, planId, planRef, requestedAt } = item as { pk: string; planId: string; planRef?: string; requestedAt: string };
      const keys = historyKeys(requestedAt, planRef ?? planId);
      try {
        await aws.documents.send(
          new UpdateCommand({
            TableName: target.tableName,
            Key: { pk },
            UpdateExpression: 'SET historyMonth = :historyMonth, historyAt = :historyAt',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(historyMonth)',
            ExpressionAttributeValues: { ':historyMonth': keys.historyMonth, ':historyAt': keys.historyAt },
          }),
        );
        written++;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { scanned, written };
}
