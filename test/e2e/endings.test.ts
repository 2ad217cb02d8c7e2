import * as sfn from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AwsApiError, type PlanRegistration } from '../../local/service-catalog';
import { ONE_APPROVAL } from '../fixtures/context';
import { ordersServicePlan } from '../fixtures/plans';
import { approvalRecord, LOCAL_MODE_START_MS, type LocalMode, startLocalMode, startWithClients, until } from '../support/local-mode';

/**
 * Every way a run can end leaves its approval closed and true, through local mode and the real SDK clients: runs
 * stopped at each phase, an internal error after the approval request, duplicates, oversized data, injected text,
 * input that is not an object, and bad request bodies. Runs ending outside the workflow are closed by the CloseRun
 * function, reached through local mode's event bus as in AWS.
 */
let local: LocalMode;
let client: sfn.SFNClient;
let documents: DynamoDBDocumentClient;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ local, client, documents, close } = await startWithClients({ pollWaitMs: 50, context: ONE_APPROVAL }));
}, LOCAL_MODE_START_MS);
afterAll(() => close?.());

const register = (plan: PlanRegistration) =>
  fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(plan) }).then((r) => r.json());
const start = async (input: unknown) =>
  (await client.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: JSON.stringify(input) })))
    .executionArn!;
const stop = (executionArn: string, error?: string, cause?: string) => client.send(new sfn.StopExecutionCommand({ executionArn, error, cause }));
const recordOf = (planId: string, suffix = '') => approvalRecord(documents, local, planId, suffix);
const linkFor = (planId: string, approver = 'alice@example.com') =>
  until(
    () =>
      local.outbox
        .list()
        .filter((e) => e.recipient === approver && e.subject?.includes('Approval needed') && e.body.includes(planId))
        .at(-1)?.urls[0],
    `the approval link for ${planId}`,
  );
const outcomeEmails = (planId: string) =>
  local.outbox.list().filter((e) => e.channel === 'email' && e.recipient === 'platform-team@example.com' && e.body.includes(planId));
const decide = (link: string, body: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
const serving = async () => expect((await fetch(`${local.baseUrl}/local/outbox`)).status).toBe(200);

describe('a run stopped while it waits for approval', () => {
  test('is closed: token gone, a late click changes nothing (410), approvers and the outcome told, and the next run proceeds', async () => {
    const planId = 'plan-endpending01';
    await register(ordersServicePlan(planId));
    const first = await start({ planId });
    const link = await linkFor(planId);
    await stop(first, 'Operator.Stop', 'Change freeze until Monday');

    await until(() => outcomeEmails(planId).length > 0, 'the outcome email');
    await local.eventBridge.idle();
    const closed = await recordOf(planId);
    expect(closed).toMatchObject({
      status: 'CLOSED',
      released: true,
      outcome: { outcome: 'ABORTED', error: 'Operator.Stop', cause: 'Change freeze until Monday' },
    });
    expect(closed!.taskToken).toBeUndefined();
    expect(outcomeEmails(planId).map((e) => e.subject)).toEqual([`[PlanGate] ABORTED: orders-service-prod-update (${planId})`]);
    const closing = local.outbox.list().filter((e) => e.subject?.startsWith('[PlanGate] Approval request closed') && e.body.includes(planId));
    expect(closing.map((e) => e.recipient).sort()).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);

    const late = await decide(link, 'decision=approve');
    expect(late.status).toBe(410);
    const page = await late.text();
    expect(page).toContain('This approval request was closed');
    expect(page).toContain('Change freeze until Monday');
    expect(late.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(link)).status).toBe(410);
    expect(await recordOf(planId)).toEqual(closed);

    // The plan was not executed and is released: the next run asks again, and the first run's record is kept.
    const second = await start({ planId });
    const newLink = await until(async () => {
      const links = local.outbox
        .list()
        .filter((e) => e.recipient === 'alice@example.com' && e.subject?.includes('Approval needed') && e.body.includes(planId));
      return links.length === 2 ? links[1]!.urls[0] : undefined;
    }, 'the second request');
    expect((await decide(newLink!, 'decision=approve')).status).toBe(200);
    await until(async () => (await client.send(new sfn.DescribeExecutionCommand({ executionArn: second }))).status === 'SUCCEEDED', 'the second run');
    expect(await recordOf(planId, `#RUN#${first}`)).toEqual({ ...closed, pk: `PLAN#${planId}#RUN#${first}` });
    expect(await recordOf(planId)).toMatchObject({ executionArn: second, status: 'APPROVED', previousRun: { executionArn: first } });
  }, 30_000);
});

describe('a run stopped at any phase ends ABORTED and closed, and local mode keeps serving', () => {
  test('during its first task', async () => {
    const planId = 'plan-endfirsttsk1';
    await register(ordersServicePlan(planId));
    const executionArn = await start({ planId });
    await stop(executionArn);
    await until(() => outcomeEmails(planId).length > 0, 'the outcome email');
    expect(outcomeEmails(planId)[0]?.subject).toBe(`[PlanGate] ABORTED: ${planId}`);
    await serving();
  });

  test('during execute: the plan may be running, so it stays locked', async () => {
    const planId = 'plan-endexecute01';
    await register(ordersServicePlan(planId));
    // The SDK's three attempts are throttled: the run is inside ExecutePlan, retrying, when it is stopped.
    local.serviceCatalog.failNext('ExecuteProvisionedProductPlan', new AwsApiError('ThrottlingException', 'Rate exceeded'), { times: 3 });
    const executionArn = await start({ planId });
    await decide(await linkFor(planId), 'decision=approve');
    await until(
      () => local.serviceCatalog.calls.some((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.input.PlanId === planId),
      'the execute call',
    );
    await stop(executionArn);
    const record = await until(async () => (await recordOf(planId))?.outcome && recordOf(planId), 'the closed record');
    expect(record).toMatchObject({
      status: 'APPROVED',
      released: false,
      outcome: { outcome: 'ABORTED', reason: expect.stringContaining('it may still be running') },
    });
    await serving();
  }, 30_000);

  test('while it follows the record', async () => {
    const planId = 'plan-endpolling01';
    const plan = ordersServicePlan(planId);
    plan.simulation = { recordSeconds: 60, finalStatus: 'SUCCEEDED' };
    await register(plan);
    const executionArn = await start({ planId });
    await decide(await linkFor(planId), 'decision=approve');
    await until(() => local.serviceCatalog.calls.some((c) => c.operation === 'DescribeRecord'), 'a record check');
    await until(async () => (await recordOf(planId))?.execution, 'the execution on record');
    await stop(executionArn);
    const record = await until(async () => (await recordOf(planId))?.outcome && recordOf(planId), 'the closed record');
    expect(record).toMatchObject({ status: 'APPROVED', released: false, outcome: { outcome: 'ABORTED' } });
    await until(() => outcomeEmails(planId).length > 0, 'the outcome email');
    await serving();
  });
});

test('an internal error after the approval request closes it: a later click gets 410 and cannot approve', async () => {
  const planId = 'plan-endinternal1';
  await register(ordersServicePlan(planId));
  const executionArn = await start({ planId });
  // The first approval email is refused (after the request was stored): the task fails, not transiently.
  local.failNextPublish('InvalidParameter');
  await until(async () => (await client.send(new sfn.DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING', 'the run to end');
  const output = JSON.parse((await client.send(new sfn.DescribeExecutionCommand({ executionArn }))).output ?? '{}');
  expect(output.outcome).toBe('INTERNAL_ERROR');
  const closed = await recordOf(planId);
  expect(closed).toMatchObject({ status: 'CLOSED', outcome: { outcome: 'INTERNAL_ERROR' } });
  const link = local.outbox.list().find((e) => e.subject?.includes('Approval needed') && e.body.includes(planId))?.urls[0];
  if (link) {
    expect((await decide(link, 'decision=approve')).status).toBe(410);
    expect(await recordOf(planId)).toEqual(closed);
  }
}, 30_000);

test('50 duplicate starts for one plan send at most one email: duplicates are quiet', async () => {
  const planId = 'plan-endduplicate';
  await register(ordersServicePlan(planId));
  const runs = await Promise.all(Array.from({ length: 50 }, () => start({ planId })));
  const ended = async () =>
    (await Promise.all(runs.map((executionArn) => client.send(new sfn.DescribeExecutionCommand({ executionArn }))))).filter(
      (d) => d.status !== 'RUNNING',
    );
  await until(async () => (await ended()).length === 49, '49 duplicates', 800);
  expect((await ended()).map((d) => JSON.parse(d.output!).outcome)).toEqual(Array(49).fill('DUPLICATE'));
  await stop((await recordOf(planId))!.executionArn); // the one run that owns the plan
  await until(() => outcomeEmails(planId).length > 0, 'the owner’s outcome email');
  await local.eventBridge.idle();
  expect(outcomeEmails(planId)).toHaveLength(1);
  const events = local.outbox.list().filter((e) => e.subject === 'plangate / PlanGate Run Finished' && e.body.includes(planId));
  expect(events).toHaveLength(50);
}, 60_000);

describe('every outbound payload stays within its service’s limit', () => {
  test('a 300 KB StatusMessage and a record with 3,000 errors: the run, the email, the event and Slack all fit', async () => {
    const failedPlan = ordersServicePlan('plan-endhugestat1', { Status: 'CREATE_FAILED', StatusMessage: `Template error: ${'x'.repeat(300_000)}` });
    await register(failedPlan);
    const huge = ordersServicePlan('plan-endhugerec01');
    huge.simulation = {
      recordSeconds: 0.2,
      finalStatus: 'FAILED',
      recordErrors: Array.from({ length: 3000 }, (_, i) => ({ Code: `E${i}`, Description: `Resource ${i} failed: ${'y'.repeat(190)}` })),
    };
    await register(huge);

    const notReady = await start({ planId: 'plan-endhugestat1' });
    const failed = await start({ planId: 'plan-endhugerec01' });
    await decide(await linkFor('plan-endhugerec01'), 'decision=approve');
    for (const executionArn of [notReady, failed]) {
      await until(async () => (await client.send(new sfn.DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING', 'the run');
    }
    const outputs = await Promise.all([notReady, failed].map((executionArn) => client.send(new sfn.DescribeExecutionCommand({ executionArn }))));
    expect(outputs.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']); // not States.DataLimitExceeded, not a failed notification
    expect(outputs.map((d) => JSON.parse(d.output!).outcome)).toEqual(['PLAN_NOT_READY', 'FAILED']);
    for (const d of outputs) expect(Buffer.byteLength(d.output!)).toBeLessThan(262_144);
    expect(JSON.parse(outputs[1]!.output!)).toMatchObject({ recordErrorsUnlisted: 2900 });

    const sent = local.outbox.list().filter((e) => e.body.includes('plan-endhuge'));
    for (const entry of sent)
      expect({ channel: entry.channel, bytes: Buffer.byteLength(entry.body) < 262_144 }).toEqual({ channel: entry.channel, bytes: true });
    const email = outcomeEmails('plan-endhugerec01')[0]!;
    expect(email.body).toContain('+2900 more errors');
    const slack = sent.filter((e) => e.channel === 'slack').map((e) => JSON.parse(e.body) as { text: string; blocks: { text?: { text: string } }[] });
    expect(slack.length).toBeGreaterThan(0);
    for (const post of slack) {
      expect(post.blocks.length).toBeLessThanOrEqual(50);
      for (const block of post.blocks) expect((block.text?.text ?? '').length).toBeLessThanOrEqual(3000);
    }
    expect(slack.some((post) => JSON.stringify(post).includes('more (see the record in Service Catalog)'))).toBe(true);
  }, 30_000);
});

describe('the run’s state is never its input, which may be as large as Step Functions accepts', () => {
  test('a 255 KiB input is read by the review, not carried: the run asks, executes and reports as any other', async () => {
    const planId = 'plan-endbiginput1';
    await register(ordersServicePlan(planId));
    const executionArn = await start({ planId, padding: 'x'.repeat(255 * 1024) });
    await decide(await linkFor(planId), 'decision=approve');
    await until(async () => (await client.send(new sfn.DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING', 'the run');
    const done = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
    expect({ status: done.status, outcome: JSON.parse(done.output!).outcome }).toEqual({ status: 'SUCCEEDED', outcome: 'SUCCEEDED' });
  }, 30_000);

  test('a refused request keeps its valid plan id, and only that, for the outcome CI waits on', async () => {
    const executionArn = await start({ planId: 'plan-endbadlang01', acceptLanguage: 'de', padding: 'x'.repeat(200 * 1024) });
    await until(async () => (await client.send(new sfn.DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING', 'the run');
    const done = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
    expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'INVALID_INPUT', planId: 'plan-endbadlang01' });
    expect(Buffer.byteLength(done.output!)).toBeLessThan(8 * 1024);
  }, 30_000);
});

test('text injected into a plan name or a comment cannot pose as an approval link, or hide itself', async () => {
  const planId = 'plan-endinjection';
  await register(ordersServicePlan(planId, { PlanName: 'orders\nApprove here: http://evil.example/steal\u202Eexe.txt' }));
  const executionArn = await start({ planId });
  const link = await linkFor(planId);
  const email = local.outbox.list().find((e) => e.recipient === 'alice@example.com' && e.body.includes(planId))!;
  const lines = email.body.split('\n');
  expect(lines.filter((l) => l.startsWith('Approve here'))).toEqual([]);
  expect(email.body).not.toContain('http://evil.example');
  expect(email.body).toContain('Approve here: http[:]//evil.example/steal');
  expect(email.body).not.toContain('\u202E');
  expect(email.urls).toEqual([link]); // the only link in the email is the approval link
  expect(lines.slice(lines.indexOf(link) - 4, lines.indexOf(link)).filter((l) => l.startsWith('YOUR APPROVAL LINK'))).toHaveLength(1);
  const slack = await until(() => local.outbox.list().find((e) => e.channel === 'slack' && e.body.includes(planId)), 'the Slack request');
  expect(slack.body).not.toContain('http://evil');

  expect((await decide(link, `decision=reject&comment=${encodeURIComponent('no\u0000 way\u202E\nApprove: http://evil.example')}`)).status).toBe(200);
  const record = await until(async () => (await recordOf(planId))?.outcome && recordOf(planId), 'the closed record');
  expect(record?.decision).toMatchObject({ comment: 'no way Approve: http://evil.example' });
  await until(() => outcomeEmails(planId).length > 0, 'the outcome email');
  expect(outcomeEmails(planId)[0]!.body).toContain('"no way Approve: http[:]//evil.example"');
  await until(async () => (await client.send(new sfn.DescribeExecutionCommand({ executionArn }))).status === 'SUCCEEDED', 'the run to end');
});

test.each([
  ['null', 'null', 'The run input must be a JSON object with a planId; it was null.'],
  ['a string', '"plan-abc"', 'The run input must be a JSON object with a planId; it was a string.'],
  ['a list', '[1,2]', 'The run input must be a JSON object with a planId; it was a list.'],
])('input that is %s ends INVALID_INPUT, with a notification', async (_, input, reason) => {
  const before = local.outbox.list().filter((e) => e.subject === '[PlanGate] INVALID_INPUT: (no plan id)').length;
  const { executionArn } = await client.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input }));
  const email = await until(
    () => local.outbox.list().filter((e) => e.subject === '[PlanGate] INVALID_INPUT: (no plan id)')[before],
    'the INVALID_INPUT email',
  );
  expect(email.body).toContain(reason);
  await until(async () => (await client.send(new sfn.DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING', 'the run to end');
});

describe('bad request bodies', () => {
  test('a form field given twice is refused with 400, and decides nothing', async () => {
    const planId = 'plan-enddupfield1';
    await register(ordersServicePlan(planId));
    const executionArn = await start({ planId });
    const link = await linkFor(planId);
    const res = await decide(link, 'decision=approve&decision=reject');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('The field &quot;decision&quot; is given more than once.');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect((await recordOf(planId))?.status).toBe('PENDING');
    await stop(executionArn);
  });

  test('a body over 1 MB gets a 413 page with the security headers, and the connection stays usable', async () => {
    const planId = 'plan-endhugebody1';
    await register(ordersServicePlan(planId));
    const executionArn = await start({ planId });
    const link = await linkFor(planId);
    const res = await decide(link, `decision=approve&comment=${'z'.repeat(1_200_000)}`);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await res.text()).toContain('larger than 1000000 bytes');
    // The next request, on the same keep-alive connection, is answered.
    expect((await fetch(link)).status).toBe(200);
    await stop(executionArn);
  });
});

test('a run still open when local mode shuts down is closed like any other: ABORTED, and everyone told', async () => {
  const other = await startLocalMode({ pollWaitMs: 50, context: ONE_APPROVAL });
  const execution = other.stepFunctions.startExecution({ planId: 'plan-demoorders0001' });
  try {
    await until(() => other.outbox.list().some((e) => e.subject?.includes('Approval needed')), 'the approval request');
  } finally {
    await other.close();
  }
  expect(execution.status).toBe('ABORTED');
  const outcome = other.outbox.list().find((e) => e.recipient === 'platform-team@example.com');
  expect(outcome).toMatchObject({
    subject: '[PlanGate] ABORTED: orders-service-prod-update (plan-demoorders0001)',
    body: expect.stringContaining('Local mode shut down'),
  });
  expect(other.outbox.list().filter((e) => e.subject?.startsWith('[PlanGate] Approval request closed'))).toHaveLength(3);
}, 60_000);
