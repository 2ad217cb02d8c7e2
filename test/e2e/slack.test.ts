import { ONE_APPROVAL } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';
import { signedClick } from '../support/slack';

/**
 * Slack in local mode: the channel's webhook and the interaction's response_url land in the outbox with
 * their Block Kit payloads; button clicks arrive at POST /slack/interactions, signed as Slack signs them.
 */
let local: LocalMode;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: ONE_APPROVAL });
}, LOCAL_MODE_START_MS);
afterAll(() => local.close());

let clicks = 0;
async function click(
  userId: string,
  action: 'plangate_approve' | 'plangate_reject',
  planId: string,
  options: { secret?: string; skewSeconds?: number; replay?: RequestInit } = {},
) {
  const responsePath = `/local/slack/responses/${++clicks}`;
  if (options.replay) return { res: await fetch(`${local.baseUrl}/slack/interactions`, options.replay), responsePath, request: options.replay };
  const request = signedClick({ userId, action, planId, responseUrl: `${local.baseUrl}${responsePath}` }, options);
  return { res: await fetch(`${local.baseUrl}/slack/interactions`, request), responsePath, request };
}
const slackPosts = (recipient: string) =>
  local.outbox
    .list()
    .filter((e) => e.channel === 'slack' && e.recipient.includes(recipient))
    .map((e) => JSON.parse(e.body) as { text: string; blocks: { type: string }[]; replace_original?: boolean; response_type?: string });
const waitingFor = async (planId: string) => {
  for (let i = 0; i < 300; i++) {
    if (local.outbox.list().some((e) => e.channel === 'slack' && e.body.includes(planId))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no Slack request posted');
};
const runFor = async (planId: string) => {
  local.serviceCatalog.registerPlan(ordersServicePlan(planId));
  const execution = local.stepFunctions.startExecution({ planId, requestedBy: 'dev@example.com' });
  await waitingFor(planId);
  return execution;
};

test('a signed Approve click from an approver completes the run; the outbox shows the request, the update and the outcome', async () => {
  const execution = await runFor('plan-slackapprove01');
  const request = slackPosts('incoming webhook').find((m) => m.text.includes('plan-slackapprove01'))!;
  expect(request.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Approval needed: orders-service-prod-update (plan-slackapprove01)' } });
  expect(JSON.stringify(request.blocks)).toContain(':warning: REMOVE LegacyTopic');
  expect(JSON.stringify(request.blocks.at(-1))).toContain(`${local.baseUrl}/approvals/`);

  const { res, responsePath } = await click('U0BOB0002', 'plangate_approve', 'plan-slackapprove01');
  expect(res.status).toBe(200);
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'SUCCEEDED', approver: 'Bob Chen <bob@example.com>' });

  const [update] = slackPosts(responsePath);
  expect(update).toMatchObject({ replace_original: true });
  expect(JSON.stringify(update!.blocks)).toContain('Approved by <@U0BOB0002>');
  expect(JSON.stringify(update!.blocks)).toContain('(slack)');
  const outcome = slackPosts('incoming webhook').find((m) => m.text === 'PlanGate SUCCEEDED: orders-service-prod-update (plan-slackapprove01)');
  expect(outcome).toBeDefined();
});

test('a replayed click is not counted twice', async () => {
  const execution = await runFor('plan-slackreplay001');
  const first = await click('U0ALICE01', 'plangate_approve', 'plan-slackreplay001');
  const replay = await click('U0ALICE01', 'plangate_approve', 'plan-slackreplay001', { replay: first.request });
  expect(replay.res.status).toBe(200);
  await execution.finished;
  // The replay carries the first request's response_url: it gets the "already decided" reply there.
  const replies = slackPosts(first.responsePath);
  expect(replies.at(-1)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('was already approved by Alice Martin') });
  expect(
    local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.input.PlanId === 'plan-slackreplay001'),
  ).toHaveLength(1);
});

test.each([
  ['a wrong signature', { secret: 'not-the-secret' }, 'signature does not match'],
  ['a stale timestamp', { skewSeconds: -301 }, 'request timestamp is more than 5 minutes from now'],
  ['a timestamp from the future', { skewSeconds: 400 }, 'request timestamp is more than 5 minutes from now'],
])('%s is refused with 401 and decides nothing', async (_, options, error) => {
  const planId = `plan-slackbad${clicks}`;
  const execution = await runFor(planId);
  const { res } = await click('U0ALICE01', 'plangate_approve', planId, options);
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual({ error });
  expect(execution.status).toBe('RUNNING');
  local.stepFunctions.stopExecution(execution.executionArn);
});

test('a click from someone not on the approver list is not counted, and they are told', async () => {
  const execution = await runFor('plan-slackstranger1');
  const { res, responsePath } = await click('U0MALLORY', 'plangate_approve', 'plan-slackstranger1');
  expect(res.status).toBe(200);
  expect(slackPosts(responsePath)).toEqual([
    expect.objectContaining({ response_type: 'ephemeral', text: expect.stringContaining('not on the approver list') }),
  ]);
  expect(execution.status).toBe('RUNNING');
  local.stepFunctions.stopExecution(execution.executionArn);
});

test('a click after the decision (made on the web page) gets a clear reply', async () => {
  const execution = await runFor('plan-slacklate00001');
  const link = local.outbox.list().find((e) => e.recipient === 'carol@example.com' && e.body.includes('plan-slacklate00001'))!.urls[0]!;
  await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=reject' });
  const { responsePath } = await click('U0ALICE01', 'plangate_approve', 'plan-slacklate00001');
  expect(slackPosts(responsePath)).toEqual([
    expect.objectContaining({ response_type: 'ephemeral', text: expect.stringContaining('was already rejected by Carol Diaz') }),
  ]);
  expect((await execution.finished).output).toMatchObject({ outcome: 'REJECTED' });
});

test('the channel link shows the page but cannot decide', async () => {
  const execution = await runFor('plan-slackviewonly1');
  const request = local.outbox.list().find((e) => e.channel === 'slack' && e.body.includes('plan-slackviewonly1'))!;
  const link = request.urls.find((u) => u.includes('/approvals/'))!;
  const view = await fetch(link);
  expect(view.status).toBe(200);
  expect(await view.text()).toContain('Approvers decide with their personal email link or with the Slack buttons');
  const post = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
  expect(post.status).toBe(403);
  expect(execution.status).toBe('RUNNING');
  local.stepFunctions.stopExecution(execution.executionArn);
});
