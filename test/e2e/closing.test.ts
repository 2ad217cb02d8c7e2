import * as sfn from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AwsApiError } from '../../local/service-catalog';
import { ONE_APPROVAL } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { approvalRecord, LOCAL_MODE_START_MS, type LocalMode, startWithClients, until } from '../support/local-mode';

/** How a run is closed and reported when it ends on an error, through local mode and the real SDK clients. */
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
const linkFor = (planId: string) =>
  until(
    () =>
      local.outbox.list().find((e) => e.recipient === 'alice@example.com' && e.subject?.includes('Approval needed') && e.body.includes(planId))
        ?.urls[0],
    `the approval link for ${planId}`,
  );
const outcomeEmails = (planId: string) =>
  local.outbox.list().filter((e) => e.channel === 'email' && e.recipient === 'platform-team@example.com' && e.body.includes(planId));
const decide = (link: string, body: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
const ended = (executionArn: string) =>
  until(async () => {
    const run = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
    return run.status !== 'RUNNING' && run;
  }, `the end of ${executionArn}`);

test('a first record check that fails ends the run INTERNAL_ERROR with its error named, not as a failed notification', async () => {
  const planId = 'plan-firstcheck01';
  await register(planId);
  local.serviceCatalog.failNext('DescribeRecord', new AwsApiError('AccessDeniedException', 'Not allowed to describe records in this account', 400));
  const executionArn = await start(planId);
  expect((await decide(await linkFor(planId), 'decision=approve')).status).toBe(200);

  const run = await ended(executionArn);
  expect(run.status).toBe('SUCCEEDED');
  expect(JSON.parse(run.output ?? '{}')).toMatchObject({
    outcome: 'INTERNAL_ERROR',
    reason: expect.stringContaining('Not allowed to describe records in this account'),
  });
  // The plan was executed, so it stays locked; the record says how the run ended.
  expect(await recordOf(planId)).toMatchObject({
    status: 'APPROVED',
    released: false,
    outcome: { outcome: 'INTERNAL_ERROR', reason: expect.stringContaining('Not allowed') },
  });
  const emails = outcomeEmails(planId);
  expect(emails.map((e) => e.subject)).toEqual([`[PlanGate] INTERNAL_ERROR: orders-service-prod-update (${planId})`]);
  expect(emails[0]?.body).toContain('Not allowed to describe records in this account');
}, 60_000);
