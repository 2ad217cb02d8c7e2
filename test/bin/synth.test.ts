import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { STANDARD_FUNCTIONS } from '../../lib/functions';
import { type CfnTemplate, resolve } from '../../local/template';

/**
 * `cdk synth` as a user runs it: the real CLI, no credentials, local esbuild bundling (no Docker).
 * Slow (it bundles six functions), so one synth serves every assertion here.
 */
const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none', CDK_DISABLE_VERSION_CHECK: '1' };

let out: string;
beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'plangate-synth-'));
  await run(cdk, ['synth', '--quiet', '--no-notices', '--output', out], { cwd: root, env, timeout: 240_000 });
}, 240_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

test('cdk synth writes an environment-agnostic template', () => {
  const template = JSON.parse(readFileSync(path.join(out, 'PlanGate.template.json'), 'utf8'));
  expect(Object.values(template.Resources).filter((r) => (r as { Type: string }).Type === 'AWS::Lambda::Function')).toHaveLength(
    STANDARD_FUNCTIONS.length,
  );
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  expect(manifest.artifacts.PlanGate.environment).toBe('aws://unknown-account/unknown-region');
});

/** The Lambda runtime provides the AWS SDK (CDK leaves @aws-sdk/* out of bundles); NODE_PATH stands in for it. */
const lambdaEnv = { ...env, NODE_PATH: path.join(root, 'node_modules'), POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'us-east-1' };
const inBundle = (file: string, script: string, variables: Record<string, string>) =>
  run(process.execPath, ['-e', `const { handler } = require(${JSON.stringify(file)}); ${script}`], { env: { ...lambdaEnv, ...variables } });

test('each bundled handler loads as Lambda loads it, with the environment its template gives it', async () => {
  const template = JSON.parse(readFileSync(path.join(out, 'PlanGate.template.json'), 'utf8')) as CfnTemplate;
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(functions).toHaveLength(STANDARD_FUNCTIONS.length);
  for (const fn of functions) {
    const props = fn.Properties as { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } };
    const file = path.join(out, `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
    expect(readFileSync(file, 'utf8')).not.toMatch(/\bimport\s*\{|\bexport\s*\{/); // CommonJS, as the runtime loads it
    const variables = resolve(props.Environment.Variables, template) as Record<string, string>;
    const { stdout } = await inBundle(file, `console.log(typeof handler)`, variables);
    expect(stdout.trim()).toBe('function');
  }
});

test('a bundled handler with a bad environment fails at start-up, naming the variable; with a good one it validates its input', async () => {
  const template = JSON.parse(readFileSync(path.join(out, 'PlanGate.template.json'), 'utf8')) as CfnTemplate;
  const review = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r).includes('DEFAULT_ACCEPT_LANGUAGE'),
  )!;
  const props = review.Properties as { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } };
  const file = path.join(out, `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
  const variables = resolve(props.Environment.Variables, template) as Record<string, string>;

  const broken = await inBundle(file, '', { ...variables, APPROVAL_RULES: '{"autoApproveUpTo":"ALL"}' }).catch((e: { stderr: string }) => e);
  expect('stderr' in broken && broken.stderr).toMatch(/Environment variable APPROVAL_RULES is invalid: .*autoApproveUpTo/);

  // The review handler, bundled with middy 7 (ESM) into CommonJS, runs and validates its input.
  const { stdout } = await inBundle(
    file,
    `handler({ input: { planId: 'bad id' } }, { awsRequestId: 'x', getRemainingTimeInMillis: () => 1000 })
       .then(() => console.log('resolved'), (e) => console.log('rejected', e.name, e.message))`,
    variables,
  );
  expect(stdout.trim()).toBe(
    'rejected InvalidInputError Invalid input: input.planId: planId must be 1-100 characters of letters, digits, "_" or "-"',
  );
});

test('cdk synth refuses invalid configuration, naming the key and what it allows', async () => {
  const failure = await run(cdk, ['synth', '--quiet', '--no-notices', '-c', 'plangate:defaultAcceptLanguage=fr', '--output', path.join(out, 'bad')], {
    cwd: root,
    env,
    timeout: 120_000,
  }).catch((e: { stderr: string }) => e);
  expect('stderr' in failure && failure.stderr).toContain('plangate:defaultAcceptLanguage: Invalid option: expected one of "en"|"jp"|"zh"');
});
