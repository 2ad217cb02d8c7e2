import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

/**
 * `cdk synth` of the spoke stack as a user runs it (`npx cdk synth PlanGateSpoke`), with spokes configured on the
 * command line: no credentials, and no bundling (the CLI bundles only the stacks it is asked for).
 */
const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none', CDK_DISABLE_VERSION_CHECK: '1' };
const spokes = {
  'plangate:approvers': '[{"email":"a@example.com","iamPrincipals":["arn:aws:sts::111111111111:assumed-role/PlanGateApprover/a"]}]',
  'plangate:requiredApprovals': '{"LOW":1,"MEDIUM":1,"HIGH":1}',
  'plangate:organizationId': 'o-abcdef1234',
  'plangate:spokeAccounts': '[{"accountId":"222222222222","regions":["eu-west-1"]}]',
};
const contextArgs = (context: Record<string, string>) => Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]);

let out: string;
beforeAll(() => {
  out = mkdtempSync(path.join(tmpdir(), 'plangate-spoke-synth-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

test('with spokes configured, cdk synth writes the PlanGateSpoke template beside the hub’s, environment-agnostic', async () => {
  await run(cdk, ['synth', 'PlanGateSpoke', '--exclusively', '--quiet', '--no-notices', ...contextArgs(spokes), '--output', out], {
    cwd: root,
    env,
    timeout: 240_000,
  });
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  expect(manifest.artifacts.PlanGateSpoke.environment).toBe('aws://unknown-account/unknown-region');
  const template = JSON.parse(readFileSync(path.join(out, 'PlanGateSpoke.template.json'), 'utf8'));
  expect(Object.keys(template.Parameters).sort()).toEqual(['HubAccountId', 'HubRegion']);
  const hub = JSON.parse(readFileSync(path.join(out, 'PlanGate.template.json'), 'utf8'));
  expect(Object.values(hub.Resources)).toContainEqual(
    expect.objectContaining({ Type: 'AWS::Events::EventBus', Properties: { Name: 'plangate-hub', Description: expect.any(String) } }),
  );
}, 240_000);

test('cdk synth refuses an approver principal matching any account once spokes are configured, naming the key', async () => {
  const withAnyAccount = {
    ...spokes,
    'plangate:approvers': '[{"email":"a@example.com","iamPrincipals":["arn:aws:sts::*:assumed-role/PlanGateApprover/a"]}]',
  };
  const failure = await run(cdk, ['synth', '--quiet', '--no-notices', ...contextArgs(withAnyAccount), '--output', path.join(out, 'bad')], {
    cwd: root,
    env,
    timeout: 120_000,
  }).catch((e: { stderr: string }) => e);
  expect('stderr' in failure && failure.stderr).toContain(
    'plangate:approvers.0.iamPrincipals.0: arn:aws:sts::*:assumed-role/PlanGateApprover/a has "*"',
  );
}, 120_000);
