import * as sfn from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { OPERATOR } from '../../local/identities';
import { AwsApiError } from '../../local/service-catalog';
import { ONE_APPROVAL } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { approvalRecord, LOCAL_MODE_START_MS, type LocalMode, startWithClients, until } from '../support/local-mode';

/**
 * What locks a plan and what releases it, through local mode and the real SDK clients: a link or button belongs to
 * one run's request, a release never re-opens a rejected or executed plan, a plan whose run Step Functions no longer
 * keeps can still be released, a plan Service Catalog refused to execute is released, and a new run shows the earlier
 * run's outcome to its approvers.
 */
let local: LocalMode;
let client: sfn.SFNClient;
let documents: DynamoDBDocumentClient;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ local, client, documents, close } = await startWithClients({ pollWaitMs: 50, context: ONE_APPROVAL }));
}, LOCAL_MODE_START_MS);
afterAll(() => close?.());

const register = (planId: string) => fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(ordersServicePlan(planId)) });
const start = async (planId: string) =>
  (await client.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: JSON.stringify({ planId }) })))
    .executionArn!;
const recordOf = (planId: string, suffix = '') => approvalRecord(documents, local, planId, suffix);
const requests = (planId: string, approver = 'alice@example.com') =>
  local.outbox.list().filter((e) => e.recipient === approver && e.subject?.includes('Approval needed') && e.body.includes(planId));
const nthRequest = (planId: string, n: number) => until(() => requests(planId).length >= n && requests(planId)[n - 1], `request ${n} for ${planId}`);
const decide = (link: string, body: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
const ended = (executionArn: string) =>
  until(async () => {
    const run = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
    return run.status !== 'RUNNING' && (JSON.parse(run.output ?? '{}') as { outcome?: string });
  }, `the end of ${executionArn}`);

/** `plangate release`, as the operator signs it. */
async function release(planId: string): Promise<{ status: number; body: { error?: string; released?: boolean; status?: string } }> {
  const url = new URL(`/cli/plans/${planId}/release`, local.baseUrl);
  const signer = new SignatureV4({ credentials: OPERATOR, region: 'us-east-1', service: 'execute-api', sha256: Hash.bind(null, 'sha256') });
  const body = JSON.stringify({ reason: 'tried again' });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
  return { status: response.status, body: (await response.json()) as { error?: string; released?: boolean; status?: string } };
}

test('a link from a closed request never decides a later run’s request, which shows how the earlier one ended', async () => {
  const planId = 'plan-lockoldlink1';
  await register(planId);
  const first = await start(planId);
  const oldLink = (await nthRequest(planId, 1)).urls[0]!;
  await client.send(new sfn.StopExecutionCommand({ executionArn: first, error: 'Operator.Stop', cause: 'Wrong window' }));
  await until(async () => (await recordOf(planId))?.released, 'the released record');

  const second = await start(planId);
  const email = await nthRequest(planId, 2);
  expect(email.body).toContain('An earlier request for this plan ended ABORTED');
  expect(email.body).toContain('Wrong window');

  const view = await fetch(oldLink);
  expect(view.status).toBe(410);
  expect(await view.text()).toContain('This approval request was closed');
  const click = await decide(oldLink, 'decision=approve');
  expect(click.status).toBe(410);
  const record = await recordOf(planId);
  expect(record).toMatchObject({ executionArn: second, status: 'PENDING' });
  expect(record?.approvals ?? []).toEqual([]);

  // The new request's own link works, and its page tells the earlier outcome.
  const newLink = email.urls[0]!;
  const page = await (await fetch(newLink)).text();
  expect(page).toContain('id="previous-run"');
  expect(page).toContain('An earlier request for this plan ended ABORTED');
  expect((await decide(newLink, 'decision=reject')).status).toBe(200);
  expect(await ended(second)).toMatchObject({ outcome: 'REJECTED' });
}, 60_000);

test('release refuses a rejected plan and an executed one, saying why; neither is asked about again', async () => {
  const rejected = 'plan-lockrejectd1';
  await register(rejected);
  const run = await start(rejected);
  await decide((await nthRequest(rejected, 1)).urls[0]!, 'decision=reject&comment=Not+during+the+sale');
  await ended(run);
  const refused = await release(rejected);
  expect(refused.status).toBe(409);
  expect(refused.body.error).toMatch(/^Plan plan-lockrejectd1 was rejected by .*Alice.*; a rejected plan stays locked/);
  expect(await recordOf(rejected)).toMatchObject({ status: 'REJECTED', released: false });
  expect(await ended(await start(rejected))).toMatchObject({ outcome: 'DUPLICATE' });

  const executed = 'plan-lockexecutd1';
  await register(executed);
  const executedRun = await start(executed);
  await decide((await nthRequest(executed, 1)).urls[0]!, 'decision=approve');
  expect(await ended(executedRun)).toMatchObject({ outcome: 'SUCCEEDED' });
  const again = await release(executed);
  expect(again.status).toBe(409);
  expect(again.body.error).toMatch(/^Plan plan-lockexecutd1 was executed \(IdempotencyToken [0-9a-f]{64}\); an executed plan stays locked\.$/);
  expect(await recordOf(executed)).toMatchObject({ released: false });
}, 60_000);

test('a plan whose run Step Functions no longer keeps can be released', async () => {
  const planId = 'plan-lockgonerun1';
  // A request its run never closed, from an execution that is gone (Step Functions keeps them 90 days).
  const gone = `arn:aws:states:us-east-1:000000000000:execution:${local.stepFunctions.stateMachineArn.split(':').pop()}:long-gone`;
  const opened = (await recordOf('plan-lockrejectd1'))!;
  await documents.send(
    new PutCommand({
      TableName: local.approvalTable,
      Item: {
        ...opened,
        pk: `PLAN#${planId}`,
        planId,
        executionArn: gone,
        status: 'PENDING',
        decision: undefined,
        outcome: undefined,
        released: undefined,
      },
    }),
  );
  const answer = await release(planId);
  expect(answer).toMatchObject({ status: 200, body: { released: true, status: 'CLOSED' } });
  expect(await recordOf(planId)).toMatchObject({ status: 'CLOSED', released: true, outcome: { outcome: 'RELEASED' } });
}, 60_000);

test('a plan Service Catalog refused to execute is released: nothing ran, and a new run may ask again', async () => {
  const planId = 'plan-lockrefused1';
  await register(planId);
  local.serviceCatalog.failNext(
    'ExecuteProvisionedProductPlan',
    new AwsApiError('InvalidStateException', `Plan ${planId} is not in a valid state for execution`),
  );
  const run = await start(planId);
  await decide((await nthRequest(planId, 1)).urls[0]!, 'decision=approve');
  expect(await ended(run)).toMatchObject({ outcome: 'PLAN_NOT_READY' });
  expect(await recordOf(planId)).toMatchObject({ status: 'APPROVED', released: true, execution: { refused: { error: 'InvalidStateException' } } });

  const next = await start(planId);
  await decide((await nthRequest(planId, 2)).urls[0]!, 'decision=approve');
  expect(await ended(next)).toMatchObject({ outcome: 'SUCCEEDED' });
}, 60_000);
