import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { ALICE as alice, OPERATOR as operator } from '../../local/identities';
import { ordersServicePlan } from '../fixtures/plans';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode, until } from '../support/local-mode';

/**
 * `plangate start` takes a hub plan named by the hub's own account and Region (`<accountId>:<region>:<planId>`) and
 * runs it as the hub plan it is; status, approve, reject and release must find it by that name too, not answer that
 * it has no approval request.
 */
const BIN = path.join(__dirname, '..', '..', 'cli', 'bin.cjs');
const HUB = '000000000000:us-east-1';
let local: LocalMode;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50 });
}, LOCAL_MODE_START_MS);
afterAll(() => local?.close());

function plangate(
  who: { accessKeyId: string; secretAccessKey: string },
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
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
    execFile(process.execPath, [BIN, '--endpoint', local.baseUrl, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('a hub plan named with the hub’s account and Region is found by status and decided by approve', async () => {
  const planId = 'plan-clihubscope1';
  expect((await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(ordersServicePlan(planId)) })).status).toBe(200);
  expect((await plangate(operator, 'start', `${HUB}:${planId}`)).code).toBe(0);
  await until(() => local.outbox.list().some((e) => e.subject?.includes('Approval needed') && e.body.includes(planId)), 'the approval request');

  const status = await plangate(operator, 'status', `${HUB}:${planId}`, '--json');
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ planId, approval: { status: 'PENDING' } });
  const approved = await plangate(alice, 'approve', `${HUB}:${planId}`, '--json');
  expect(approved).toMatchObject({ code: 0 });
  expect(JSON.parse(approved.stdout)).toMatchObject({ planId });
}, 60_000);
