import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import { historyKeys } from '../../lambdas/shared/contracts/table-keys';
import { ALICE as alice, BOB as bob, CAROL as carol, OPERATOR as operator } from '../../local/identities';
import type { PlanRegistration } from '../../local/service-catalog';
import { ordersServicePlan } from '../fixtures/plans';
import { openRequest } from '../support/history-table';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * `plangate`, run as a user runs it (node cli/bin.cjs, a process of its own) against local mode: the stack's outputs
 * from DescribeStacks, the caller from STS, decisions signed with SigV4 and checked as API Gateway checks them. Each
 * local identity is an access key: Alice, Bob and Carol are approvers (by iamPrincipals), the operator is not.
 * Each test has plans of its own, so neighbouring tests run at once (test.concurrent) while their processes start and wait.
 */
const BIN = path.join(__dirname, '..', '..', 'cli', 'bin.cjs');
let local: LocalMode;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: { 'plangate:autoApproveUpTo': 'LOW' } });
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: local.baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  );
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  documents.destroy();
  await local.close();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs plangate as `who`, with nothing else from this machine's AWS setup. */
function plangate(who: { accessKeyId: string; secretAccessKey: string } | undefined, ...args: string[]): Promise<Result> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    PLANGATE_POLL_MS: '100',
    ...(who ? { AWS_ACCESS_KEY_ID: who.accessKeyId, AWS_SECRET_ACCESS_KEY: who.secretAccessKey } : {}),
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--endpoint', local.baseUrl, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const registerPlan = async (planId: string, low: boolean, simulation?: PlanRegistration['simulation']) => {
  const plan = ordersServicePlan(planId, { ProvisionProductId: `pp-${planId.slice(5)}` });
  if (low) plan.ResourceChanges = [{ Action: 'ADD', LogicalResourceId: 'Dashboard', ResourceType: 'AWS::CloudWatch::Dashboard' }];
  plan.simulation = simulation;
  expect((await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(plan) })).status).toBe(200);
};
const record = async (planId: string) =>
  (await documents.send(new GetCommand({ TableName: local.approvalTable, Key: { pk: `PLAN#${planId}` } }))).Item as ApprovalRecord;
/** Until the plan's run waits for approval: its approval record (what `plangate status` reads) is PENDING. */
const pending = async (planId: string) => {
  for (const deadline = Date.now() + 50_000; Date.now() < deadline; ) {
    const found = await record(planId);
    if (found?.status === 'PENDING') return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${planId} never waited for approval`);
};
const noStackTrace = (result: Result) => expect(result.stderr).not.toMatch(/\n\s+at /);

test('start --not-before --not-after: the run waits for the window, then executes the plan', async () => {
  await registerPlan('plan-cliwindow001', true);
  const notBefore = new Date(Date.now() + 5_000).toISOString();
  const notAfter = new Date(Date.now() + 600_000).toISOString();
  const result = await plangate(operator, 'start', 'plan-cliwindow001', '--not-before', notBefore, '--not-after', notAfter, '--wait');
  expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('SUCCEEDED') });
  const executed = local.serviceCatalog.calls.filter(
    (c) => c.operation === 'ExecuteProvisionedProductPlan' && JSON.stringify(c.input).includes('plan-cliwindow001'),
  );
  expect(executed.map((c) => Date.parse(c.at) >= Date.parse(notBefore))).toEqual([true]);
});

describe('start --wait exits with the run’s outcome, so CI can act on it', () => {
  test.concurrent('0 for a plan that is executed and succeeds, with progress on stderr', async () => {
    await registerPlan('plan-cliok0000001', true, { recordSeconds: 0.5 });
    const result = await plangate(operator, 'start', 'plan-cliok0000001', '--wait');
    expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^SUCCEEDED: /) });
    expect(result.stderr).toContain(`Started arn:aws:states:us-east-1:000000000000:execution:`);
    expect(result.stderr).toContain(`as ${operator.arn}`);
  }, 60_000);

  test.concurrent('13 for a plan whose record fails', async () => {
    await registerPlan('plan-clifail00001', true, {
      recordSeconds: 0.5,
      finalStatus: 'FAILED',
      recordErrors: [{ Code: 'UPDATE_FAILED', Description: 'Bucket exists' }],
    });
    const result = await plangate(operator, 'start', 'plan-clifail00001', '--wait', '--json');
    expect(result.code).toBe(13);
    expect(JSON.parse(result.stdout)).toMatchObject({ planId: 'plan-clifail00001', outcome: 'FAILED', status: 'SUCCEEDED' });
  }, 60_000);

  test.concurrent('text output shows untrusted text without the terminal control sequences in it', async () => {
    const hostile = 'Bucket exists\u001b]0;pwned\u0007\u001b[2J\nSUCCEEDED: all good\u202e';
    await registerPlan('plan-clihostile01', true, {
      recordSeconds: 0.5,
      finalStatus: 'FAILED',
      recordErrors: [{ Code: 'UPDATE_FAILED', Description: hostile }],
    });
    const waited = await plangate(operator, 'start', 'plan-clihostile01', '--wait');
    const status = await plangate(operator, 'status', 'plan-clihostile01');
    expect(waited.code).toBe(13);
    for (const text of [waited.stdout, status.stdout]) {
      expect(text).toContain('Bucket exists');
      expect(text).not.toMatch(/[\u0007\u001b\u202e]/);
    }
    expect(waited.stdout.trimEnd().split('\n')).toHaveLength(1); // the newline cannot fake a second outcome line
    // The outcome's reason is one line as the run reports it (control characters removed, so it fits the run's
    // state: lambdas/shared/domain/state-budget.ts); the rest of the text is kept.
    const json = await plangate(operator, 'status', 'plan-clihostile01', '--json');
    expect(JSON.parse(json.stdout).reason).toContain('Bucket exists]0;pwned');
  }, 60_000);

  test.concurrent('10 for a plan an approver rejects with plangate reject', async () => {
    await registerPlan('plan-clireject001', false);
    const waiting = plangate(operator, 'start', 'plan-clireject001', '--wait');
    await pending('plan-clireject001');
    const rejected = await plangate(bob, 'reject', 'plan-clireject001', '--comment', 'not during the freeze');
    expect(rejected).toMatchObject({ code: 0, stdout: 'Plan plan-clireject001 is decided.\n' });
    const result = await waiting;
    expect(result.code).toBe(10);
    expect(result.stdout).toMatch(/^REJECTED: /);
    expect(result.stderr).toContain('waiting for approval: 0 of 2 approvals');
  }, 60_000);

  test.concurrent('3 when --timeout runs out first: the run goes on', async () => {
    await registerPlan('plan-clitimeout01', false);
    const result = await plangate(operator, 'start', 'plan-clitimeout01', '--wait', '--timeout', '1s');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Still running after the --timeout; the run goes on');
    await pending('plan-clitimeout01');
    const status = await plangate(operator, 'status', 'plan-clitimeout01', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'RUNNING', approval: { status: 'PENDING' } });
  }, 60_000);
});

test.concurrent('approvals by IAM identity count towards the quorum, once each, and the audit record names the principal and channel', async () => {
  await registerPlan('plan-cliquorum001', false);
  await plangate(operator, 'start', 'plan-cliquorum001');
  await pending('plan-cliquorum001');
  const first = await plangate(alice, 'approve', 'plan-cliquorum001', '--comment', 'reviewed the table replacement');
  expect(first).toMatchObject({
    code: 0,
    stdout: expect.stringContaining('is counted; more approvals are needed. 1 of 2 approvals, by Alice Martin.'),
  });
  expect(await plangate(alice, 'approve', 'plan-cliquorum001')).toMatchObject({
    code: 5,
    stderr: 'plangate: You have already approved plan plan-cliquorum001.\n',
  });
  const listed = await plangate(operator, 'list', '--pending', '--json');
  expect(JSON.parse(listed.stdout)).toContainEqual(
    expect.objectContaining({ planId: 'plan-cliquorum001', approval: expect.objectContaining({ approvals: ['Alice Martin'], required: 2 }) }),
  );
  expect(await plangate(carol, 'approve', 'plan-cliquorum001', '--json')).toMatchObject({
    code: 0,
    stdout: expect.stringContaining('"result": "decided"'),
  });
  const audit = await record('plan-cliquorum001');
  expect(audit.approvals).toEqual([
    expect.objectContaining({
      approver: expect.objectContaining({ email: 'alice@example.com' }),
      channel: 'cli',
      principal: alice.arn,
      comment: 'reviewed the table replacement',
    }),
    expect.objectContaining({ approver: expect.objectContaining({ email: 'carol@example.com' }), channel: 'cli', principal: carol.arn }),
  ]);
  expect(audit).toMatchObject({ status: 'APPROVED', decision: { decision: 'APPROVED', channel: 'cli', principal: carol.arn } });
  expect(audit.taskToken).toBeUndefined();
}, 60_000);

test.concurrent('a principal that is not an approver gets 403, and so does a request that is unsigned or signed with the wrong secret', async () => {
  await registerPlan('plan-clinotappr01', false);
  await plangate(operator, 'start', 'plan-clinotappr01');
  await pending('plan-clinotappr01');
  const refused = await plangate(operator, 'approve', 'plan-clinotappr01');
  expect(refused).toMatchObject({ code: 4, stderr: `plangate: ${operator.arn} is not an approver: no approver's iamPrincipals match it\n` });
  const forged = await plangate({ accessKeyId: bob.accessKeyId, secretAccessKey: 'guessed' }, 'approve', 'plan-clinotappr01');
  expect(forged).toMatchObject({
    code: 4,
    stderr: expect.stringContaining('Not allowed by IAM: The request signature we calculated does not match'),
  });
  const unsigned = await fetch(`${local.baseUrl}/cli/plans/plan-clinotappr01/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"decision":"approve"}',
  });
  expect(unsigned.status).toBe(403);
  expect(await unsigned.json()).toEqual({ message: 'Missing Authentication Token' });
  expect((await record('plan-clinotappr01')).approvals ?? []).toEqual([]);
}, 60_000);

test.concurrent('self-approval is refused: the requester may reject, not approve', async () => {
  await registerPlan('plan-cliself00001', false);
  const started = await plangate(alice, 'start', 'plan-cliself00001');
  expect(started.code).toBe(0);
  await pending('plan-cliself00001');
  const approved = await plangate(alice, 'approve', 'plan-cliself00001');
  expect(approved).toMatchObject({
    code: 4,
    stderr: expect.stringContaining('You asked for plan plan-cliself00001, so another approver must approve it'),
  });
  expect((await record('plan-cliself00001')).approvals ?? []).toEqual([]);
}, 60_000);

describe('errors are one clear line and a documented exit code, never a stack trace', () => {
  // The arguments alone are checked in-process (test/cli/usage.test.ts); this one only once the stack is found.
  test.concurrent('plangate status with an ARN that is no execution’s → exit 2', async () => {
    const result = await plangate(operator, 'status', 'arn:aws:states:us-east-1:0:stateMachine:x');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not an execution ARN');
    noStackTrace(result);
  });

  test.concurrent('missing credentials, an unknown stack, plan or run, and a release refused', async () => {
    const noCredentials = await plangate(undefined, 'list');
    expect(noCredentials).toMatchObject({ code: 1, stderr: expect.stringContaining('No AWS credentials found') });
    const noStack = await plangate(operator, '--stack', 'NotPlanGate', 'list');
    expect(noStack).toMatchObject({ code: 1, stderr: expect.stringContaining('Stack NotPlanGate was not found') });
    expect(await plangate(operator, 'status', 'plan-clinothing01')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('No run found for plan plan-clinothing01'),
    });
    expect(await plangate(bob, 'approve', 'plan-clinothing01')).toMatchObject({
      code: 1,
      stderr: 'plangate: Plan plan-clinothing01 has no approval request\n',
    });
    expect(await plangate(operator, 'release', 'plan-clinothing01')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('has no approval record'),
    });
    await registerPlan('plan-clirelease01', false);
    await plangate(operator, 'start', 'plan-clirelease01');
    await pending('plan-clirelease01');
    expect(await plangate(operator, 'release', 'plan-clirelease01')).toMatchObject({ code: 5, stderr: expect.stringContaining('is still running') });
    for (const result of [noCredentials, noStack]) noStackTrace(result);
  }, 60_000);
});

test('status shows a run by plan or ARN, as a table or JSON, without the task token', async () => {
  await registerPlan('plan-clistatus001', false);
  const started = await plangate(operator, 'start', 'plan-clistatus001', '--json');
  const { executionArn } = JSON.parse(started.stdout) as { executionArn: string };
  await pending('plan-clistatus001');
  const byArn = await plangate(operator, 'status', executionArn, '--json');
  expect(JSON.parse(byArn.stdout)).toMatchObject({
    planId: 'plan-clistatus001',
    executionArn,
    status: 'RUNNING',
    phase: 'waiting for approval',
    approval: { status: 'PENDING', approvals: [], required: 2 },
  });
  expect(byArn.stdout).not.toMatch(/taskToken/i);
  const table = await plangate(operator, 'status', 'plan-clistatus001');
  expect(table.stdout).toMatch(/│ Phase\s+│ waiting for approval: 0 of 2 approvals/);
  expect(table.stdout).not.toContain('\u001b['); // no colour codes when piped
});

test.concurrent('list reads the approval table: a run older than Step Functions keeps (a record, no execution) is listed from its record', async () => {
  const requestedAt = new Date(Date.now() - 200 * 86_400_000).toISOString();
  const old = {
    ...openRequest('plan-cliancient01', requestedAt, { status: 'APPROVED' }),
    outcome: { outcome: 'SUCCEEDED', reason: 'The plan was executed', finishedAt: requestedAt },
    pk: 'PLAN#plan-cliancient01',
    ...historyKeys(requestedAt, 'plan-cliancient01'),
  };
  await documents.send(new PutCommand({ TableName: local.approvalTable, Item: old }));
  const listed = await plangate(operator, 'list', '--since', '300d', '--outcome', 'SUCCEEDED', '--json');
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout)).toContainEqual(
    expect.objectContaining({
      planId: 'plan-cliancient01',
      status: 'ENDED',
      startedAt: requestedAt,
      outcome: 'SUCCEEDED',
      approval: expect.objectContaining({ status: 'APPROVED', required: 2 }),
    }),
  );
  const table = await plangate(operator, 'list', '--since', '300d');
  expect(table.stdout).toMatch(/plan-cliancient01.*ENDED.*0 of 2.*SUCCEEDED/);
  expect((await plangate(operator, 'list', '--json')).stdout).not.toContain('plan-cliancient01');
}, 60_000);

test.concurrent('backfill-history gives a record written before the index its keys, once: then list shows it', async () => {
  const requestedAt = new Date(Date.now() - 120 * 86_400_000).toISOString();
  const before = {
    ...openRequest('plan-clibackfill01', requestedAt, { status: 'REJECTED' }),
    outcome: { outcome: 'REJECTED', reason: 'Rejected by Bob', finishedAt: requestedAt },
    pk: 'PLAN#plan-clibackfill01',
  };
  await documents.send(new PutCommand({ TableName: local.approvalTable, Item: before }));
  const listed = async () => (await plangate(operator, 'list', '--since', '200d', '--outcome', 'REJECTED', '--json')).stdout;
  expect(await listed()).not.toContain('plan-clibackfill01');
  const backfilled = await plangate(operator, 'backfill-history', '--json');
  expect(backfilled.code).toBe(0);
  expect(JSON.parse(backfilled.stdout).written).toBeGreaterThanOrEqual(1);
  expect(await record('plan-clibackfill01')).toMatchObject(historyKeys(requestedAt, 'plan-clibackfill01'));
  expect(await listed()).toContain('plan-clibackfill01');
}, 60_000);
