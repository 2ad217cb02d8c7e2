import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import { HISTORY_INDEX } from '../../lambdas/shared/contracts/table-keys';
import { tableActive } from '../../local/template';
import { review } from '../lambdas/fixtures';

/** dynalite with an approval table keyed as lib/storage.ts keys it, history index included. */
export async function historyTable() {
  const db = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', resolve));
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(db.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  let tables = 0;
  return {
    documents,
    /** A new, empty table; returns its name. */
    async create() {
      const TableName = `approvals-${++tables}`;
      await documents.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'historyMonth', AttributeType: 'S' },
            { AttributeName: 'historyAt', AttributeType: 'S' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: HISTORY_INDEX,
              KeySchema: [
                { AttributeName: 'historyMonth', KeyType: 'HASH' },
                { AttributeName: 'historyAt', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      await tableActive(documents, TableName);
      return TableName;
    },
    async close() {
      documents.destroy();
      db.closeAllConnections?.();
      await new Promise((resolve) => db.close(resolve));
    },
  };
}

/** An open request for `planId`, requested at `requestedAt` (expiring a day later), asking Alice and Bob. */
export function openRequest(planId: string, requestedAt: string, over: Partial<ApprovalRecord> = {}): Omit<ApprovalRecord, 'pk' | 'previousRun'> {
  return {
    planId,
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:sm:${planId}`,
    status: 'PENDING',
    taskToken: `token-${planId}`,
    requestedAt,
    expiresAt: Math.floor(Date.parse(requestedAt) / 1000) + 86_400,
    requestedBy: 'dev@example.com',
    approvers: [
      { email: 'alice@example.com', name: 'Alice' },
      { email: 'bob@example.com', name: 'Bob' },
    ],
    review: { ...review(), planId, plan: { ...review().plan!, planId } },
    requiredApprovals: 2,
    approvals: [],
    approverEmails: [],
    ...over,
  };
}
