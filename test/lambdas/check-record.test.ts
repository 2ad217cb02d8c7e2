import { DescribeRecordCommand, ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { mockClient } from 'aws-sdk-client-mock';
import { type CheckProgress, checkRecord, nextCheckInSeconds, nextStep, QUICK_RECHECK_SECONDS } from '../../lambdas/check-record/check-record';

const sc = mockClient(ServiceCatalogClient);
const env = { POLL_INITIAL_INTERVAL_SECONDS: 10, POLL_MAX_INTERVAL_SECONDS: 60, POLL_TIMEOUT_SECONDS: 3600 };
beforeEach(() => sc.reset());
const settings = { initialIntervalSeconds: 10, maxIntervalSeconds: 60, timeoutSeconds: 3600 };
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

test('the safety net waits twice as long each time, up to the cap', () => {
  expect([0, 1, 2, 3, 4, 50].map((n) => nextCheckInSeconds(n, settings))).toEqual([10, 20, 40, 60, 60, 60]);
});

describe('after a check that did not find the record final', () => {
  const progress = (over: Partial<CheckProgress> = {}): CheckProgress => ({
    safetyNetWaits: 0,
    quickChecks: 0,
    seenEventAt: '',
    wake: {},
    canAwait: true,
    ...over,
  });

  test('with no stack event yet, the run waits for one, at most the safety net’s growing interval', () => {
    expect(nextStep(progress(), settings)).toEqual({ next: 'await', nextCheckInSeconds: 10, safetyNetWaits: 1, quickChecks: 0, seenEventAt: '' });
    expect(nextStep(progress({ safetyNetWaits: 2, wake: { Error: 'States.Timeout' } }), settings)).toMatchObject({
      next: 'await',
      nextCheckInSeconds: 40,
      safetyNetWaits: 3,
    });
  });

  const wake = { stackStatus: 'UPDATE_COMPLETE', stackEventAt: '2026-11-22T10:00:00.000Z' };
  /** Seconds after the woken check at which the run checks again, while it keeps to the quick schedule. */
  const quickCheckTimes = (stackStatus = wake.stackStatus) => {
    const times: number[] = [];
    let step = nextStep(progress({ safetyNetWaits: 1, wake: { ...wake, stackStatus } }), settings);
    while (step.next === 'wait') {
      times.push((times.at(-1) ?? 0) + step.nextCheckInSeconds);
      step = nextStep(progress({ ...step, wake: { ...wake, stackStatus } }), settings);
    }
    return { times, after: step };
  };
  /** Seconds from a record turning final `lag` s after the woken check to the check that finds it, or undefined. */
  const noticedAfter = (lag: number) => {
    const found = [0, ...quickCheckTimes().times].find((t) => t >= lag);
    return found === undefined ? undefined : found - lag;
  };

  test('a record 0–4 s behind its stack is found within 4 s by the first quick re-checks', () => {
    for (const lag of [0, 1, 2, 3, 4]) expect(noticedAfter(lag)).toBeLessThanOrEqual(4);
  });

  test('a record 20 s or a minute behind its stack is found within 10 s, without going back to the safety net', () => {
    expect(noticedAfter(20)).toBeLessThanOrEqual(10);
    expect(noticedAfter(60)).toBeLessThanOrEqual(10);
    expect(noticedAfter(170)).toBeLessThanOrEqual(10);
  });

  test('beyond about 3 minutes the quick re-checks stop: the run waits for events and the safety net, and the count is bounded', () => {
    const { times, after } = quickCheckTimes();
    expect(times.at(-1)).toBeGreaterThanOrEqual(170);
    expect(times.at(-1)).toBeLessThanOrEqual(180);
    expect(times.length).toBe(QUICK_RECHECK_SECONDS.length);
    expect(times.length).toBeLessThanOrEqual(20);
    expect(after).toMatchObject({ next: 'await', nextCheckInSeconds: 20, safetyNetWaits: 2, seenEventAt: wake.stackEventAt });
    expect(noticedAfter(200)).toBeUndefined();
    // The same event again (a duplicate delivery) does not start another series.
    expect(nextStep(progress({ ...after, wake }), settings)).toMatchObject({ next: 'await', safetyNetWaits: 3 });
  });

  test('a newer event (the rollback finishing after a failure) starts a new series', () => {
    const { after } = quickCheckTimes();
    expect(nextStep(progress({ ...after, wake: { ...wake, stackEventAt: '2026-11-22T10:05:00.000Z' } }), settings)).toMatchObject({
      next: 'wait',
      nextCheckInSeconds: 2,
      quickChecks: 1,
    });
  });

  test('after UPDATE_FAILED, which a rollback follows, only 2, 4, 8 s: the record waits for the rollback, whose event comes next', () => {
    expect(quickCheckTimes('UPDATE_FAILED').times).toEqual([2, 6, 14]);
    expect(quickCheckTimes('UPDATE_ROLLBACK_FAILED').times.length).toBe(QUICK_RECHECK_SECONDS.length);
  });

  test('a record whose provisioned product is unknown cannot be woken: it is polled on the safety net’s schedule', () => {
    expect(nextStep(progress({ canAwait: false }), settings)).toMatchObject({ next: 'wait', nextCheckInSeconds: 10 });
  });
});

test('keeps checking a record that is IN_PROGRESS_IN_ERROR: only SUCCEEDED and FAILED are final', async () => {
  sc.on(DescribeRecordCommand).resolves({ RecordDetail: { RecordId: 'rec-1', Status: 'IN_PROGRESS_IN_ERROR', ProvisionedProductId: 'pp-1' } });
  const result = await checkRecord({ recordId: 'rec-1', acceptLanguage: 'en', executedAt: minutesAgo(1), checks: 2, safetyNetWaits: 2 }, env);
  expect(result).toMatchObject({
    status: 'IN_PROGRESS_IN_ERROR',
    checks: 3,
    next: 'await',
    nextCheckInSeconds: 40,
    provisionedProductId: 'pp-1',
    timedOut: false,
  });
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
    recordOutputs: [
      { key: 'A', value: '1' },
      { key: 'B', value: '2' },
    ],
  });
  expect(sc).toHaveReceivedNthCommandWith(2, DescribeRecordCommand, { Id: 'rec-1', AcceptLanguage: 'zh', PageSize: 20, PageToken: 'p2' });
});

test('refuses a malformed record id without calling Service Catalog', async () => {
  await expect(checkRecord({ recordId: 'rec 1', acceptLanguage: 'en', executedAt: minutesAgo(1), checks: 0 }, env)).rejects.toMatchObject({
    name: 'InvalidInputError',
  });
  expect(sc).toHaveReceivedCommandTimes(DescribeRecordCommand, 0);
});
