import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * Reminders and expiry in local mode: the approval timeout is shortened to 8 seconds, so the reminder comes
 * 6 seconds in (a quarter before expiry, as the construct's default) and expiry 2 seconds later; plangate:deleteExpiredPlans is on.
 * The tests run at once (each on a plan of its own), so the file waits out one timeout, not one per test.
 */
let local: LocalMode;
let audit: DynamoDBDocumentClient;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, approvalTimeoutSeconds: 8, context: { 'plangate:deleteExpiredPlans': true } });
  audit = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: local.baseUrl }));
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  audit.destroy();
  await local.close();
});

const emailsAbout = (planId: string, subject: string) =>
  local.outbox.list().filter((e) => e.channel === 'email' && e.subject?.startsWith(subject) && e.body.includes(planId));
const until = async <T>(what: string, find: () => T | undefined): Promise<T> => {
  for (let i = 0; i < 400; i++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never saw ${what}`);
};
const post = (link: string, decision: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `decision=${decision}` });

test.concurrent('reminds only those who have not approved, then expires, reports the progress, deletes the plan and keeps the record', async () => {
  const planId = 'plan-demoorders0001'; // HIGH: two approvals needed
  const run = local.stepFunctions.startExecution({ planId, requestedBy: 'carol@example.com' });
  const alice = await until(
    'Alice’s link',
    () => emailsAbout(planId, '[PlanGate] Approval needed').find((e) => e.recipient === 'alice@example.com')?.urls[0],
  );
  expect((await post(alice, 'approve')).status).toBe(200);

  const reminders = await until('the reminder', () => {
    const sent = emailsAbout(planId, '[PlanGate] Reminder: approval needed');
    return sent.length ? sent : undefined;
  });
  // Alice has approved and Carol asked for the run: only Bob is reminded, with a fresh personal link.
  expect(reminders.map((e) => e.recipient)).toEqual(['bob@example.com']);
  expect(reminders[0]!.body).toContain('Reminder: Still waiting: 1 of 2 approvals, by Alice Martin. Not yet approved by Bob Chen.');
  // Slack gets the reminder right after the emails.
  const slackPosts = () =>
    local.outbox
      .list()
      .filter((e) => e.channel === 'slack' && e.body.includes(planId))
      .map((e) => JSON.parse(e.body) as { text: string });
  // ... and the channel was told of Alice's approval in between (issue 25).
  const slack = await until('the Slack reminder', () => (slackPosts().length === 3 ? slackPosts() : undefined));
  expect(slack.map((m) => m.text)).toEqual([
    'Approval needed: orders-service-prod-update (plan-demoorders0001)',
    expect.stringContaining('<@U0ALICE01> approved orders-service-prod-update (plan-demoorders0001) (web); 1 of 2 approvals'),
    'Reminder: approval needed: orders-service-prod-update (plan-demoorders0001)',
  ]);
  expect(await fetch(reminders[0]!.urls[0]!).then((r) => r.text())).toContain('1 of 2 approvals, by Alice Martin');
  expect(run.status).toBe('RUNNING');

  const done = await run.finished;
  expect(done.output).toMatchObject({
    outcome: 'EXPIRED',
    reason:
      'Nobody completed the approval before the request expired. The plan was not executed. Progress: 1 of 2 approvals, by Alice Martin. ' +
      'Not approved by: Bob Chen. The plan was deleted (plangate:deleteExpiredPlans).',
  });
  const callsAbout = (operation: string) => local.serviceCatalog.calls.filter((c) => c.operation === operation && c.input.PlanId === planId);
  expect(callsAbout('ExecuteProvisionedProductPlan')).toEqual([]);
  expect(callsAbout('DeleteProvisionedProductPlan').map((c) => c.input)).toEqual([{ PlanId: planId, AcceptLanguage: 'en' }]);
  expect(() => local.serviceCatalog.handle('DescribeProvisionedProductPlan', { PlanId: planId })).toThrow(
    expect.objectContaining({ type: 'ResourceNotFoundException' }),
  );
  expect(local.outbox.list().some((e) => e.subject === '[PlanGate] EXPIRED: orders-service-prod-update (plan-demoorders0001)')).toBe(true);
  // Everyone who was asked hears that the request is closed.
  const closed = emailsAbout(planId, '[PlanGate] Approval expired');
  expect(closed.map((e) => e.recipient)).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
  expect(closed[0]!.body).toContain('The plan was not executed and is being deleted (plangate:deleteExpiredPlans).');

  // The record stays, closed: the approval counted, no token, the outcome; late links answer 410.
  const { Item } = await audit.send(new GetCommand({ TableName: local.approvalTable, Key: { pk: `PLAN#${planId}` } }));
  expect(Item).toMatchObject({
    status: 'EXPIRED',
    selfApprover: 'carol@example.com',
    approvals: [{ approver: { email: 'alice@example.com' } }],
    outcome: { outcome: 'EXPIRED' },
  });
  expect(Item?.taskToken).toBeUndefined();
  expect(Item?.remindedAt).toEqual(expect.any(String));
  expect((await post(reminders[0]!.urls[0]!, 'approve')).status).toBe(410);
});

test.concurrent('an approval after the reminder, even with the first email’s link, reaches the run’s second task and the plan runs', async () => {
  const planId = 'plan-demodashbrd001'; // LOW: one approval
  const run = local.stepFunctions.startExecution({ planId });
  const first = await until(
    'Alice’s link',
    () => emailsAbout(planId, '[PlanGate] Approval needed').find((e) => e.recipient === 'alice@example.com')?.urls[0],
  );
  await until('the reminder', () => (emailsAbout(planId, '[PlanGate] Reminder').length === 3 ? true : undefined));
  const res = await post(first, 'approve');
  expect(res.status).toBe(200);
  expect((await run.finished).output).toMatchObject({ outcome: 'SUCCEEDED', approver: 'Alice Martin <alice@example.com>' });
  const executions = local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan' && c.input.PlanId === planId);
  expect(executions).toHaveLength(1);
});
