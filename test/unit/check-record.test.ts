import { DescribeRecordCommand, ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { mockClient } from 'aws-sdk-client-mock';
import { checkRecord, nextCheckInSeconds } from '../../lambdas/check-record/check-record';

const sc = mockClient(ServiceCatalogClient);
const env = { POLL_INITIAL_INTERVAL_SECONDS: 10, POLL_MAX_INTERVAL_SECONDS: 60, POLL_TIMEOUT_SECONDS: 3600 };
beforeEach(() => sc.reset());
const settings = { initialIntervalSeconds: 10, maxIntervalSeconds: 60, timeoutSeconds: 3600 };
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

test('waits twice as long after each check, up to the cap', () => {
  expect([0, 1, 2, 3, 4, 50].map((n) => nextCheckInSeconds(n, settings))).toEqual([10, 20, 40, 60, 60, 60]);
});

test('keeps polling a record that is IN_PROGRESS_IN_ERROR: only SUCCEEDED and FAILED are final', async () => {
  sc.on(DescribeRecordCommand).resolves({ RecordDetail: { RecordId: 'rec-1', Status: 'IN_PROGRESS_IN_ERROR' } });
  const result = await checkRecord({ recordId: 'rec-1', acceptLanguage: 'en', executedAt: minutesAgo(1), checks: 2 }, env);
  expect(result).toMatchObject({ status: 'IN_PROGRESS_IN_ERROR', checks: 3, nextCheckInSeconds: 40, timedOut: false });
  expect(sc).toHaveReceivedCommandWith(DescribeRecordCommand, { Id: 'rec-1', AcceptLanguage: 'en', PageSize: 20 });
});

test('says time is up when an unfinished record outlives the poll timeout', async () => {
  sc.on(DescribeRecordCommand).resolves({ RecordDetail: { RecordId: 'rec-1', Status: 'IN_PROGRESS' } });
  const result = await checkRecord({ recordId: 'rec-1', acceptLanguage: 'en', executedAt: minutesAgo(61), checks: 9 }, env);
  expect(result.timedOut).toBe(true);
});

test('a finished record is never reported as timed out, and carries all its output pages and errors', async () => {
  sc.on(DescribeRecordCommand)
    .resolvesOnce({
      RecordDetail: { RecordId: 'rec-1', Status: 'FAILED', ProvisionedProductName: 'orders', RecordErrors: [{ Code: 'E1', Description: 'boom' }] },
      RecordOutputs: [{ OutputKey: 'A', OutputValue: '1' }],
      NextPageToken: 'p2',
    })
    .resolvesOnce({ RecordDetail: { RecordId: 'rec-1', Status: 'FAILED' }, RecordOutputs: [{ OutputKey: 'B', OutputValue: '2' }] });
  const result = await checkRecord({ recordId: 'rec-1', acceptLanguage: 'zh', executedAt: minutesAgo(120), checks: 0 }, env);
  expect(result).toMatchObject({
    status: 'FAILED',
    timedOut: false,
    provisionedProductName: 'orders',
    recordErrors: [{ code: 'E1', description: 'boom' }],
    recordOutputs: [{ key: 'A', value: '1' }, { key: 'B', value: '2' }],
  });
  expect(sc).toHaveReceivedNthCommandWith(2, DescribeRecordCommand, { Id: 'rec-1', AcceptLanguage: 'zh', PageSize: 20, PageToken: 'p2' });
});

test('refuses a malformed record id without calling Service Catalog', async () => {
  await expect(checkRecord({ recordId: 'rec 1', acceptLanguage: 'en', executedAt: minutesAgo(1), checks: 0 }, env)).rejects.toMatchObject({
    name: 'InvalidInputError',
  });
  expect(sc).toHaveReceivedCommandTimes(DescribeRecordCommand, 0);
});
