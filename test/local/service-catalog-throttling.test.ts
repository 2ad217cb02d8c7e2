import { AwsApiError, ServiceCatalogEmulator } from '../../local/service-catalog';
import { ordersServicePlan } from '../fixtures/plans';

/**
 * `--service-catalog-tps N`: each operation answers N requests a second (one second's worth at once), then refuses with
 * ThrottlingException before doing anything, as AWS rate-limits each API. Seconds of the emulator's clock (scaled with
 * the workflow's waits), kept here by fake timers.
 */
beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-01T10:00:00Z') }));
afterEach(() => jest.useRealTimers());

const errorOf = (call: () => unknown) => {
  try {
    call();
  } catch (error) {
    return error as AwsApiError;
  }
  return undefined;
};

test('each operation has its own bucket: a burst over the rate is throttled, and the bucket refills at the rate', () => {
  const catalog = new ServiceCatalogEmulator({ requestsPerSecond: 5 });
  const planId = catalog.registerPlan(ordersServicePlan('plan-throttled0001'));
  const describe = () => catalog.handle('DescribeProvisionedProductPlan', { PlanId: planId });

  for (let i = 0; i < 5; i++) expect(errorOf(describe)).toBeUndefined();
  const throttled = errorOf(describe);
  expect(throttled).toBeInstanceOf(AwsApiError);
  expect(throttled).toMatchObject({ type: 'ThrottlingException', statusCode: 400, message: 'Rate exceeded' });
  // Another API of the same account is not held up by this one's burst.
  expect(errorOf(() => catalog.handle('ListProvisionedProductPlans', {}))).toBeUndefined();

  jest.advanceTimersByTime(199);
  expect(errorOf(describe)?.type).toBe('ThrottlingException');
  jest.advanceTimersByTime(1);
  expect(errorOf(describe)).toBeUndefined(); // 200 ms at 5 a second is one more
  jest.advanceTimersByTime(60_000);
  for (let i = 0; i < 5; i++) expect(errorOf(describe)).toBeUndefined(); // a full bucket holds one second's worth, no more
  expect(errorOf(describe)?.type).toBe('ThrottlingException');
  // Every call is on the list, throttled or not.
  expect(catalog.calls.filter((c) => c.operation === 'DescribeProvisionedProductPlan')).toHaveLength(14);
});

test('a throttled execution creates no record; the retry with the same token creates the one record', () => {
  const catalog = new ServiceCatalogEmulator({ requestsPerSecond: 1 });
  const planId = catalog.registerPlan(ordersServicePlan('plan-throttled0002'));
  const other = catalog.registerPlan(ordersServicePlan('plan-throttled0003'));
  catalog.handle('ExecuteProvisionedProductPlan', { PlanId: other, IdempotencyToken: 'token-other' });
  const execute = () => catalog.handle('ExecuteProvisionedProductPlan', { PlanId: planId, IdempotencyToken: 'token-1' });

  expect(errorOf(execute)?.type).toBe('ThrottlingException');
  expect(catalog.recordCount).toBe(1);
  jest.advanceTimersByTime(1000);
  const { RecordDetail } = execute() as { RecordDetail: { RecordId: string } };
  expect(catalog.recordCount).toBe(2);
  expect(catalog.planOfRecord(RecordDetail.RecordId)).toBe(planId);
});

test('under a time scale the rate is per scaled second, as the waits and retries between calls are', () => {
  const catalog = new ServiceCatalogEmulator({ requestsPerSecond: 5, timeScale: 0.1 });
  const list = () => catalog.handle('ListProvisionedProductPlans', {});
  for (let i = 0; i < 5; i++) expect(errorOf(list)).toBeUndefined();
  expect(errorOf(list)?.type).toBe('ThrottlingException');
  jest.advanceTimersByTime(20); // 200 ms of AWS time at 0.1
  expect(errorOf(list)).toBeUndefined();
  expect(errorOf(list)?.type).toBe('ThrottlingException');
});

test('without a rate nothing is throttled', () => {
  const catalog = new ServiceCatalogEmulator();
  for (let i = 0; i < 500; i++) expect(errorOf(() => catalog.handle('ListProvisionedProductPlans', {}))).toBeUndefined();
});
