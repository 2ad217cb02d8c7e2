import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ALICE as alice, BOB as bob, CAROL as carol, type LocalIdentity } from '../../local/identities';
import { approvalRecord, clientConfig, LOCAL_MODE_START_MS, type LocalMode, startLocalMode, until } from '../support/local-mode';

/**
 * `plangate break-glass` and `plangate review` (issue 23 item 5), run as a user runs them against local mode, signed
 * with each local identity's key: Alice may break glass (two uses a day), Bob may not, Carol reviews.
 */
const BIN = path.join(__dirname, '..', '..', 'cli', 'bin.cjs');
let local: LocalMode;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  local = await startLocalMode({
    pollWaitMs: 50,
    context: { 'plangate:breakGlass': { requesters: ['arn:aws:sts::*:assumed-role/PlanGateApprover/alice'], maxUsesPerDay: 2 } },
  });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(local)));
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

/** Runs plangate as `who`, with `input` on stdin (then closed), and nothing else from this machine's AWS setup. */
function plangate(who: LocalIdentity, input: string, ...args: string[]): Promise<Result> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: who.accessKeyId,
    AWS_SECRET_ACCESS_KEY: who.secretAccessKey,
  };
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, '--endpoint', local.baseUrl, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

/** A plan whose run waits for approval. */
async function pendingPlan(planId: string) {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: planId, PlanName: 'hotfix', ProvisionProductName: 'payments' },
    ResourceChanges: [
      { Action: 'MODIFY', LogicalResourceId: 'Jobs', ResourceType: 'AWS::SQS::Queue', PhysicalResourceId: 'p', Replacement: 'FALSE' },
    ],
    simulation: { recordSeconds: 0.2 },
  });
  local.stepFunctions.startExecution({ planId, requestedBy: alice.arn });
  await until(async () => (await approvalRecord(documents, local, planId))?.status === 'PENDING', `${planId} waiting for approval`);
}

test('break-glass asks to type the plan id; a wrong one approves nothing (exit 2), the right one approves and says so', async () => {
  await pendingPlan('plan-clibreak0001');
  const wrong = await plangate(alice, 'plan-other\n', 'break-glass', 'plan-clibreak0001', '--reason', 'Payments are down');
  expect(wrong).toMatchObject({ code: 2, stderr: expect.stringContaining('Not confirmed: nothing was approved') });
  expect(wrong.stderr).toContain('Type the plan id to confirm');
  expect(await approvalRecord(documents, local, 'plan-clibreak0001')).toMatchObject({ status: 'PENDING' });

  const done = await plangate(alice, 'plan-clibreak0001\n', 'break-glass', 'plan-clibreak0001', '--reason', 'Payments are down', '--ticket', 'INC-9');
  expect(done.code).toBe(0);
  expect(done.stdout).toContain('Plan plan-clibreak0001 is approved by break-glass');
  expect(done.stdout).toMatch(/Approved: BREAK-GLASS by Alice .*\(reason: Payments are down; ticket INC-9; valid until /);
  expect(done.stdout).toContain('another approver closes it with plangate review plan-clibreak0001');
  expect(await approvalRecord(documents, local, 'plan-clibreak0001')).toMatchObject({
    status: 'APPROVED',
    decision: { breakGlass: { reason: 'Payments are down', ticket: 'INC-9' } },
  });

  // The review: the same person is refused (exit 4), another approver closes it.
  const own = await plangate(alice, '', 'review', 'plan-clibreak0001');
  expect(own).toMatchObject({ code: 4, stderr: 'plangate: You broke glass on plan plan-clibreak0001, so a different approver must review it\n' });
  const reviewed = await plangate(carol, '', 'review', 'plan-clibreak0001', '--comment', 'Justified', '--json');
  expect(reviewed.code).toBe(0);
  expect(JSON.parse(reviewed.stdout)).toMatchObject({ result: 'reviewed', review: { status: 'CLOSED', comment: 'Justified' } });
}, 90_000);

test('--yes skips the confirmation; the uses of the day run out (exit 7, saying when the next is allowed)', async () => {
  await pendingPlan('plan-clibreak0002');
  await pendingPlan('plan-clibreak0003');
  const yes = await plangate(alice, '', 'break-glass', 'plan-clibreak0002', '--reason', 'Outage', '--yes', '--json');
  expect(yes.code).toBe(0);
  expect(JSON.parse(yes.stdout)).toMatchObject({ result: 'decided', breakGlass: { reason: 'Outage' } });
  const used = await plangate(alice, '', 'break-glass', 'plan-clibreak0003', '--reason', 'Outage again', '--yes');
  expect(used.code).toBe(7);
  expect(used.stderr).toMatch(/used break-glass 2 time\(s\) in the last 24 hours .*the next use is allowed at \d{4}-/);
}, 90_000);

test('an unlisted approver is refused (exit 4), and a missing reason is a usage error (exit 2)', async () => {
  await pendingPlan('plan-clibreak0004');
  const refused = await plangate(bob, '', 'break-glass', 'plan-clibreak0004', '--reason', 'Please', '--yes');
  expect(refused).toMatchObject({ code: 4, stderr: `plangate: ${bob.arn} is not a break-glass requester (plangate:breakGlass.requesters)\n` });
  expect((await plangate(alice, '', 'break-glass', 'plan-clibreak0004', '--yes')).code).toBe(2);
  expect(await approvalRecord(documents, local, 'plan-clibreak0004')).toMatchObject({ status: 'PENDING' });
}, 90_000);
