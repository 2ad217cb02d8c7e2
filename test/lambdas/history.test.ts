import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ApprovalStore } from '../../lambdas/shared/adapters/approval-store';
import { decodeCursor, HistoryIndex, InvalidCursorError, parseHistoryFilters } from '../../lambdas/shared/adapters/history';
import { planKey } from '../../lambdas/shared/contracts/table-keys';
import { historyTable, openRequest } from '../support/history-table';

/** The history index against dynalite: what the inbox, the history page and `plangate list` read. */
let local: Awaited<ReturnType<typeof historyTable>>;
let tableName: string;
let store: ApprovalStore;
let history: HistoryIndex;
const NOW = new Date('2026-12-02T12:00:00.000Z');

beforeAll(async () => {
  local = await historyTable();
});
afterAll(() => local.close());
beforeEach(async () => {
  tableName = await local.create();
  store = new ApprovalStore(local.documents, tableName);
  history = new HistoryIndex(local.documents, tableName);
});

const outcome = { outcome: 'SUCCEEDED' as const, reason: 'done', finishedAt: '2026-01-01T00:00:00.000Z' };

test('every request, newest first across months, links and creators left out; paged with a cursor', async () => {
  await store.claim(openRequest('plan-old', '2026-05-10T09:00:00.000Z'));
  await store.claim(openRequest('plan-nov', '2026-11-20T09:00:00.000Z'));
  await store.claim(openRequest('plan-dec', '2026-12-01T09:00:00.000Z'));
  await store.putLink('a'.repeat(43), { planId: 'plan-dec', createdAt: NOW.toISOString() });
  await store.recordCreator(
    'plan-dec',
    { arn: 'arn:aws:iam::0:user/dev', verifiedBy: 'cloudtrail', eventId: 'e-1', eventTime: NOW.toISOString() },
    NOW.toISOString(),
  );

  const all = await history.page({}, 10, NOW);
  expect(all.records.map((r) => r.planId)).toEqual(['plan-dec', 'plan-nov', 'plan-old']);
  expect(all.cursor).toBeUndefined();
  expect(all.records[0]).not.toHaveProperty('taskToken');

  const first = await history.page({}, 2, NOW);
  expect(first.records.map((r) => r.planId)).toEqual(['plan-dec', 'plan-nov']);
  const second = await history.page({}, 2, NOW, first.cursor);
  expect(second.records.map((r) => r.planId)).toEqual(['plan-old']);
});

test('a record older than Step Functions keeps its runs (seeded, no execution) is in the history', async () => {
  // 200 days before NOW: written directly, as a record of a run whose execution Step Functions has since forgotten.
  const old = { ...openRequest('plan-ancient', '2026-05-16T08:00:00.000Z', { status: 'APPROVED' }), outcome };
  await store.claim(old);
  const { records } = await history.page({ outcome: 'SUCCEEDED' }, 10, NOW);
  expect(records).toEqual([expect.objectContaining({ planId: 'plan-ancient', status: 'APPROVED', outcome })]);
});

test('filters: plan, status, outcome, approver, period', async () => {
  await store.claim(openRequest('plan-a', '2026-10-01T09:00:00.000Z'));
  await store.claim(openRequest('plan-b', '2026-11-01T09:00:00.000Z', { status: 'APPROVED', approverEmails: ['alice@example.com'] }));
  await store.claim({ ...openRequest('plan-c', '2026-11-15T09:00:00.000Z', { status: 'REJECTED' }), outcome: { ...outcome, outcome: 'REJECTED' } });
  const plans = async (filters: Parameters<HistoryIndex['page']>[0]) => (await history.page(filters, 10, NOW)).records.map((r) => r.planId);
  expect(await plans({ plan: 'plan-a' })).toEqual(['plan-a']);
  expect(await plans({ status: 'APPROVED' })).toEqual(['plan-b']);
  expect(await plans({ outcome: 'REJECTED' })).toEqual(['plan-c']);
  expect(await plans({ approver: 'alice@example.com' })).toEqual(['plan-b']);
  expect(await plans({ from: '2026-10-15', to: '2026-11-10' })).toEqual(['plan-b']);
  expect(await plans({ to: '2026-11-01' })).toEqual(['plan-b', 'plan-a']);
});

test('the inbox query: open requests only (not decided, expired or closed)', async () => {
  await store.claim(openRequest('plan-open', '2026-11-30T09:00:00.000Z', { expiresAt: Math.floor(NOW.getTime() / 1000) + 3600 }));
  await store.claim(openRequest('plan-expired', '2026-11-29T09:00:00.000Z', { expiresAt: Math.floor(NOW.getTime() / 1000) - 1 }));
  await store.claim(openRequest('plan-approved', '2026-12-01T09:00:00.000Z', { status: 'APPROVED', expiresAt: 2_000_000_000 }));
  expect((await history.pending(NOW)).map((r) => r.planId)).toEqual(['plan-open']);
});

test('a record written before the index joins it when its run closes', async () => {
  const before = { ...openRequest('plan-upgrade', '2026-11-01T09:00:00.000Z'), pk: planKey('plan-upgrade') };
  await local.documents.send(new PutCommand({ TableName: tableName, Item: before }));
  expect((await history.page({}, 10, NOW)).records).toEqual([]);
  await store.close('plan-upgrade', before.executionArn, outcome);
  expect((await history.page({}, 10, NOW)).records.map((r) => r.planId)).toEqual(['plan-upgrade']);
  const { Item } = await local.documents.send(new GetCommand({ TableName: tableName, Key: { pk: planKey('plan-upgrade') } }));
  expect(Item).toMatchObject({ historyMonth: 'MONTH#2026-11', historyAt: '2026-11-01T09:00:00.000Z#plan-upgrade' });
});

test('a tampered or foreign cursor is refused', async () => {
  const good = Buffer.from(JSON.stringify({ month: '2026-11' })).toString('base64url');
  expect(decodeCursor(good)).toEqual({ month: '2026-11' });
  const tampered = [
    'not a cursor!',
    Buffer.from('{"month":"2026-13"}').toString('base64url'),
    Buffer.from(JSON.stringify({ month: '2026-11', after: { pk: 'LINK#x', historyMonth: 'MONTH#2026-11', historyAt: 'x' } })).toString('base64url'),
    Buffer.from(JSON.stringify({ month: '2026-11', after: { pk: 'PLAN#x', historyMonth: 'MONTH#2026-10', historyAt: 'x' } })).toString('base64url'),
    Buffer.from(JSON.stringify({ month: '2026-11', extra: 1 })).toString('base64url'),
  ];
  for (const cursor of tampered) expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
  await expect(history.page({}, 10, NOW, tampered[1])).rejects.toThrow(InvalidCursorError);
});

test('filters from a query string: known values only', () => {
  expect(parseHistoryFilters({ plan: 'plan-a', status: 'approved', approver: 'Alice@Example.com', from: '2026-01-01' })).toEqual({
    plan: 'plan-a',
    status: 'APPROVED',
    approver: 'alice@example.com',
    from: '2026-01-01',
  });
  expect(parseHistoryFilters({ status: 'MAYBE' })).toHaveProperty('error');
  expect(parseHistoryFilters({ outcome: 'x' })).toHaveProperty('error');
  expect(parseHistoryFilters({ from: '2026-02-30x' })).toHaveProperty('error');
  expect(parseHistoryFilters({ from: '2026-03-01', to: '2026-02-01' })).toHaveProperty('error');
  expect(parseHistoryFilters({ plan: '<script>' })).toHaveProperty('error');
});
