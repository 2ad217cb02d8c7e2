import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FUNCTIONS } from '../lib/functions';

/**
 * `cdk synth` as a user runs it: the real CLI, no credentials, local esbuild bundling (no Docker).
 * Slow (it bundles six functions), so one synth serves every assertion here.
 */
const run = promisify(execFile);
const root = path.join(__dirname, '..');
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
  expect(Object.values(template.Resources).filter((r) => (r as { Type: string }).Type === 'AWS::Lambda::Function')).toHaveLength(Object.keys(FUNCTIONS).length);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  expect(manifest.artifacts.PlanGate.environment).toBe('aws://unknown-account/unknown-region');
});

test('each bundled handler loads as Lambda loads it, and answers bad input with a named error', async () => {
  const bundles = readdirSync(out).filter((d) => d.startsWith('asset.') && readdirSync(path.join(out, d)).includes('index.js'));
  expect(bundles).toHaveLength(Object.keys(FUNCTIONS).length);
  for (const bundle of bundles) {
    const code = readFileSync(path.join(out, bundle, 'index.js'), 'utf8');
    expect(code).not.toMatch(/\bimport\s*\{|\bexport\s*\{/); // CommonJS, as the runtime loads it
  }
  // The review handler, bundled with middy 7 (ESM) into CommonJS, runs and validates its input.
  const review = bundles.map((b) => path.join(out, b, 'index.js')).find((f) => readFileSync(f, 'utf8').includes('DEFAULT_ACCEPT_LANGUAGE'))!;
  const { stdout } = await run(process.execPath, [
    '-e',
    `require(${JSON.stringify(review)}).handler({ input: { planId: 'bad id' } }, { awsRequestId: 'x', getRemainingTimeInMillis: () => 1000 })
       .then(() => console.log('resolved'), (e) => console.log('rejected', e.name, e.message))`,
    // The Lambda runtime provides the AWS SDK (CDK leaves @aws-sdk/* out of bundles); NODE_PATH stands in for it.
  ], { env: { ...env, NODE_PATH: path.join(root, 'node_modules'), POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  expect(stdout.trim()).toBe('rejected InvalidInputError Invalid input: input.planId: planId must be 1-100 characters of letters, digits, "_" or "-"');
});

test('cdk synth refuses invalid configuration, naming the key and what it allows', async () => {
  const failure = await run(cdk, ['synth', '--quiet', '--no-notices', '-c', 'plangate:defaultAcceptLanguage=fr', '--output', path.join(out, 'bad')], {
    cwd: root,
    env,
    timeout: 120_000,
  }).catch((e: { stderr: string }) => e);
  expect('stderr' in failure && failure.stderr).toContain('plangate:defaultAcceptLanguage: Invalid option: expected one of "en"|"jp"|"zh"');
});
