import type { ApiCall } from '../../local/emulators';
import { AwsApiError } from '../../local/service-catalog';
import type { Execution } from '../../local/step-functions';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * `--service-catalog-tps 10`: Service Catalog throttles each API above 10 requests a second, as AWS does. A burst of
 * auto-approved runs still ends as it would unthrottled: the SDK clients retry throttles with jitter, then the state
 * machine retries the TransientError with jitter, and the execution's idempotency token keeps each plan to one record.
 */
const RUNS = 60;
let local: LocalMode;
beforeAll(async () => {
  local = await startLocalMode({ timeScale: 0.5, serviceCatalogTps: 10, demoPlans: false, context: { 'plangate:autoApproveUpTo': 'LOW' } });
}, LOCAL_MODE_START_MS);
afterAll(() => local.close());

/** A LOW-risk plan (a dashboard added) on a provisioned product of its own, whose record takes a second. */
const lowRiskPlan = (planId: string) => ({
  ...ordersServicePlan(planId, { ProvisionProductId: `pp-${planId.slice(5)}` }),
  ResourceChanges: [{ Action: 'ADD' as const, LogicalResourceId: 'Dashboard', ResourceType: 'AWS::CloudWatch::Dashboard' }],
  simulation: { recordSeconds: 1, finalStatus: 'SUCCEEDED' as const },
});

const serviceCatalogCalls = async () => (await (await fetch(`${local.baseUrl}/local/calls?service=servicecatalog`)).json()) as ApiCall[];

test(`${RUNS} concurrent auto-approved runs under 10 requests/s per API all succeed, each plan executed once`, async () => {
  const planIds = Array.from({ length: RUNS }, (_, i) => `plan-throttle${String(i).padStart(5, '0')}`);
  for (const planId of planIds) {
    const answer = await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(lowRiskPlan(planId)) });
    expect(answer.status).toBe(200);
  }
  // Beyond the rate, more throttled executions in a row than the first ExecutePlan invocations' SDK attempts can
  // take (each makes at most 3, the third failure thrown): at least one invocation fails, and the state machine retries it.
  local.serviceCatalog.failNext('ExecuteProvisionedProductPlan', new AwsApiError('ThrottlingException', 'Rate exceeded'), {
    times: 2 * RUNS + 1,
  });

  const runs = planIds.map((planId) => local.stepFunctions.startExecution({ planId, requestedBy: 'dev@example.com' }));
  const ended: Execution[] = await Promise.all(runs.map((run) => run.finished));

  expect(ended.map((run) => [run.status, (run.output as { outcome?: string }).outcome])).toEqual(planIds.map(() => ['SUCCEEDED', 'SUCCEEDED']));
  const calls = await serviceCatalogCalls();
  // The rate itself throttled: the first look at each plan comes all at once, 60 against a bucket of 10.
  const throttled = calls.filter((c) => c.error === 'ThrottlingException');
  expect(throttled.filter((c) => c.operation === 'DescribeProvisionedProductPlan').length).toBeGreaterThan(0);
  expect(throttled.filter((c) => c.operation === 'ExecuteProvisionedProductPlan').length).toBeGreaterThan(2 * RUNS);
  // The product's names are only a decoration (these plans' products are unknown here): the plans' own calls are checked.
  const planCalls = calls.filter((c) => c.operation !== 'DescribeProductAsAdmin');
  expect(planCalls.filter((c) => c.error && c.error !== 'ThrottlingException')).toEqual([]);
  // Each call names its plan, DescribeRecord's too (through its record).
  expect(planCalls.filter((c) => !c.planId || !planIds.includes(c.planId))).toEqual([]);
  expect(calls.filter((c) => c.operation === 'DescribeRecord' && !c.recordId)).toEqual([]);

  // Executed once: one record per plan, whatever the retries.
  const recordsOf = (planId: string) =>
    new Set(calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && !c.error && c.planId === planId).map((c) => c.recordId)).size;
  expect(planIds.map((planId) => [planId, recordsOf(planId)])).toEqual(planIds.map((planId) => [planId, 1]));
  expect(local.serviceCatalog.recordCount).toBe(RUNS);
  expect(ended.map((run) => (run.output as { recordId: string }).recordId).sort()).toEqual(
    [...new Set(calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && !c.error).map((c) => c.recordId))].sort(),
  );

  // The state machine retried, and the alarms stay quiet: retried throttles are expected errors, no run ended badly.
  const retried = ended.flatMap((run) => run.events.filter((e) => e.type === 'StateRetried').map((e) => e.state?.name));
  expect(retried).toContain('ExecutePlan');
  const { dashboard } = local.metrics.summary();
  expect(dashboard.unexpectedErrorsByFunction).toEqual(Object.fromEntries(Object.keys(dashboard.unexpectedErrorsByFunction).map((fn) => [fn, 0])));
  expect(dashboard.runsByOutcome).toEqual({ SUCCEEDED: RUNS });
}, 180_000);
