import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { WindowStore } from '../../lambdas/shared/adapters/window-store';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import { MAX_RESCHEDULES, type WindowAction } from '../../lambdas/shared/contracts/window-actions';
import { historyTable } from '../support/history-table';
import { review } from './fixtures';

/** The window store's one conditional write per action, against dynalite (DynamoDB's conditions for real). */
const RUN = 'arn:aws:states:us-east-1:000000000000:execution:sm:run-1';
const ALICE = 'arn:aws:sts::000000000000:assumed-role/PlanGateApprover/alice';
let table: Awaited<ReturnType<typeof historyTable>>;
let TableName: string;

beforeAll(async () => {
  table = await historyTable();
  TableName = await table.create();
});
afterAll(() => table.close());

const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

test(`a run's window is rescheduled at most ${MAX_RESCHEDULES} times, whoever asks and however fast; cancel still takes the wait`, async () => {
  const store = new WindowStore(table.documents, TableName);
  const waiting: ApprovalRecord = {
    pk: 'PLAN#plan-1',
    planId: 'plan-1',
    executionArn: RUN,
    status: 'APPROVED',
    requestedAt: new Date().toISOString(),
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    approvers: [{ email: 'alice@example.com', iamPrincipals: [ALICE] }],
    review: review(),
  };
  await table.documents.send(new PutCommand({ TableName, Item: waiting }));
  const window = { notBefore: inHours(2), notAfter: inHours(3) };
  const reschedule: WindowAction = { action: 'reschedule', by: 'alice@example.com', principal: ALICE, at: new Date().toISOString(), window };

  // Each reschedule takes the wait; the run arms a new one (a new token) before the next can be taken.
  let taken = 0;
  for (let i = 0; i < MAX_RESCHEDULES + 3; i++) {
    expect(await store.arm('plan-1', RUN, `token-${i}`, window)).toBe(true);
    if (await store.take('plan-1', RUN, reschedule, new Date())) taken++;
  }

  expect(taken).toBe(MAX_RESCHEDULES);
  const record = await store.get('plan-1');
  expect(record?.windowActions).toHaveLength(MAX_RESCHEDULES);
  expect(record?.taskToken).toBe(`token-${MAX_RESCHEDULES + 2}`);
  const cancelled = await store.take('plan-1', RUN, { ...reschedule, action: 'cancel', window: undefined }, new Date());
  expect(cancelled?.taskToken).toBe(`token-${MAX_RESCHEDULES + 2}`);
  expect((await store.get('plan-1'))?.cancelled).toMatchObject({ action: 'cancel' });
});
