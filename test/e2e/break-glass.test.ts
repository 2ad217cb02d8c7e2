import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { ALICE, BOB, CAROL, type LocalIdentity } from '../../local/identities';
import { approvalRecord, clientConfig, LOCAL_MODE_START_MS, type LocalMode, startLocalMode, until } from '../support/local-mode';

/**
 * Break-glass (issue 23 item 5) in local mode: Alice's role may break glass, Bob's may not; two approvals are needed as
 * usual (HIGH risk), and Carol, another approver, reviews the use afterwards. Calls are signed as `plangate` signs them.
 */
const BREAK_GLASS_CONTEXT = {
  'plangate:breakGlass': { requesters: ['arn:aws:sts::*:assumed-role/PlanGateApprover/alice'], validityMinutes: 15, maxUsesPerDay: 1 },
};

let local: LocalMode;
let documents: DynamoDBDocumentClient;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: BREAK_GLASS_CONTEXT });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(local)));
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  documents.destroy();
  await local.close();
});

const executions = (planId: string) =>
  local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && JSON.stringify(c.input).includes(planId));

function registerPlan(planId: string) {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: planId, PlanName: 'hotfix', ProvisionProductName: 'payments' },
    ResourceChanges: [{ Action: 'REMOVE', LogicalResourceId: 'Jobs', ResourceType: 'AWS::SQS::Queue', PhysicalResourceId: 'p' }],
    simulation: { recordSeconds: 0.2 },
  });
}

/** A run for the plan, asked for by Alice herself, once it waits for approval. */
async function pendingRun(planId: string) {
  registerPlan(planId);
  const execution = local.stepFunctions.startExecution({ planId, requestedBy: ALICE.arn });
  await until(async () => (await approvalRecord(documents, local, planId))?.status === 'PENDING', `${planId} waiting for approval`);
  return execution;
}

/** A POST to the approval API's command-line routes, signed by `who` (unsigned without). */
async function post(who: LocalIdentity | undefined, path: string, payload: unknown) {
  const url = new URL(path, local.baseUrl);
  const body = JSON.stringify(payload);
  let headers: Record<string, string> = { host: url.host, 'content-type': 'application/json' };
  if (who) {
    const signer = new SignatureV4({ credentials: who, region: 'us-east-1', service: 'execute-api', sha256: Hash.bind(null, 'sha256') });
    const request = {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers,
      body,
    };
    headers = (await signer.sign(request)).headers;
  }
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const emails = (subject: string, planId: string) => local.outbox.list().filter((e) => e.subject?.includes(subject) && e.body.includes(planId));

test('a listed requester breaks glass with a reason: the plan executes, every approver is told, and the use is marked everywhere', async () => {
  const planId = 'plan-breakglass001';
  const execution = await pendingRun(planId);
  const reason = 'Payments are down: roll back the queue';

  // Bob is an approver, not a break-glass requester; nobody may break glass unsigned or without a reason.
  expect(await post(BOB, `/cli/plans/${planId}/break-glass`, { reason })).toMatchObject({
    status: 403,
    body: { error: `${BOB.arn} is not a break-glass requester (plangate:breakGlass.requesters)` },
  });
  expect((await post(undefined, `/cli/plans/${planId}/break-glass`, { reason })).status).toBe(403);
  expect(await post(ALICE, `/cli/plans/${planId}/break-glass`, { reason: '  ' })).toMatchObject({
    status: 400,
    body: { error: 'reason is required: say why (1 to 1000 characters)' },
  });
  expect(executions(planId)).toHaveLength(0);

  const broken = await post(ALICE, `/cli/plans/${planId}/break-glass`, { reason, ticket: 'INC-4711' });
  expect(broken).toMatchObject({
    status: 200,
    body: { result: 'decided', status: 'APPROVED', breakGlass: { reason, ticket: 'INC-4711' }, review: { status: 'OPEN' } },
  });
  expect((broken.body.decision as { by: string }).by).toMatch(
    /^BREAK-GLASS by Alice .* \(reason: Payments are down: roll back the queue; ticket INC-4711; /,
  );
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'SUCCEEDED' });
  expect(executions(planId)).toHaveLength(1);

  // Every approver at once, by email (no link in it), and the Slack channel.
  for (const recipient of ['alice@example.com', 'bob@example.com', 'carol@example.com']) {
    const notice = emails('BREAK-GLASS approval', planId).find((e) => e.recipient === recipient);
    expect(notice?.body).toContain(`Reason: ${reason}`);
    expect(notice?.body).toContain(`Signed by: ${ALICE.arn}`);
    expect(notice?.urls).toEqual([]);
  }
  expect(local.outbox.list().some((m) => m.channel === 'slack' && m.subject?.includes('BREAK-GLASS') && m.body.includes(planId))).toBe(true);
  // The record, the final notification and the approval page all say it was break-glass.
  const record = await approvalRecord(documents, local, planId);
  expect(record).toMatchObject({
    status: 'APPROVED',
    decision: { channel: 'cli', principal: ALICE.arn, breakGlass: { reason, ticket: 'INC-4711' } },
    breakGlassReview: { status: 'OPEN', user: 'alice@example.com' },
  });
  await until(() => emails('SUCCEEDED', planId).some((e) => e.body.includes('BREAK-GLASS by Alice')), 'the outcome naming break-glass');
  const link = local.outbox
    .list()
    .find((e) => e.recipient === 'bob@example.com' && e.subject?.includes('Approval needed') && e.body.includes(planId))!;
  expect(await (await fetch(link.urls[0]!)).text()).toContain('BREAK-GLASS by Alice');

  // The review outlives the run: Alice may not close it, Carol may, once.
  expect(await post(ALICE, `/cli/plans/${planId}/review`, {})).toMatchObject({
    status: 403,
    body: { error: `You broke glass on plan ${planId}, so a different approver must review it` },
  });
  expect(await post(CAROL, `/cli/plans/${planId}/review`, { comment: 'Rollback was right; follow-up in INC-4711' })).toMatchObject({
    status: 200,
    body: { result: 'reviewed', review: { status: 'CLOSED', closedBy: { email: 'carol@example.com', principal: CAROL.arn } } },
  });
  expect((await approvalRecord(documents, local, planId))?.breakGlassReview).toMatchObject({
    status: 'CLOSED',
    closedBy: { email: 'carol@example.com' },
    comment: 'Rollback was right; follow-up in INC-4711',
    closedAt: expect.any(String),
  });
  expect((await post(BOB, `/cli/plans/${planId}/review`, {})).status).toBe(409);
}, 120_000);

test('a second use within 24 hours is refused (429, naming when the next is allowed) and the request stays open', async () => {
  const planId = 'plan-breakglass002';
  await pendingRun(planId);
  const refused = await post(ALICE, `/cli/plans/${planId}/break-glass`, { reason: 'again' });
  expect(refused).toMatchObject({ status: 429, body: { nextAllowedAt: expect.any(String) } });
  expect(refused.body.error).toContain('plangate:breakGlass.maxUsesPerDay');
  expect(Date.parse(refused.body.nextAllowedAt as string)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  expect(await approvalRecord(documents, local, planId)).toMatchObject({ status: 'PENDING' });
  expect(executions(planId)).toHaveLength(0);
  expect(await post(ALICE, '/cli/plans/plan-breakglass404/break-glass', { reason: 'x' })).toMatchObject({
    status: 404,
    body: { error: 'Plan plan-breakglass404 has no approval request' },
  });
}, 60_000);
