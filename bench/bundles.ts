import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { type CfnTemplate, functionNameOf, resolve } from '../local/template';
import { table } from './table';

const root = path.join(__dirname, '..');
/** Each require is timed in a fresh process, this many times; the median counts. */
const SAMPLES = 15;
const LIMIT_BYTES = 300 * 1024;

/**
 * The deployed bundles, as `cdk synth` builds them: their size (minified, the AWS SDK left to the runtime), and how
 * long Node.js takes to require each, as a ratio to an anchor bundle built the same way that loads one SDK client.
 * The runtime's SDK is stood in for by node_modules (NODE_PATH).
 */
export async function bundleReport() {
  const out = mkdtempSync(path.join(tmpdir(), 'plangate-bench-'));
  try {
    const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
    execFileSync(cdk, ['synth', '--quiet', '--no-notices', '--output', out], {
      cwd: root,
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none', CDK_DISABLE_VERSION_CHECK: '1' },
      stdio: 'pipe', // its bundling lines; a failure still reports them
    });
    const template = JSON.parse(readFileSync(path.join(out, 'PlanGate.template.json'), 'utf8')) as CfnTemplate;

    // The anchor: one SDK client, bundled with the options CDK uses for ours (lib/workflow-function.ts).
    const anchorEntry = path.join(out, 'anchor.ts');
    writeFileSync(anchorEntry, "import { SFNClient } from '@aws-sdk/client-sfn';\nexport const client = new SFNClient({});\n");
    const anchor = path.join(out, 'anchor.js');
    await build({
      entryPoints: [anchorEntry],
      outfile: anchor,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node24',
      minify: true,
      keepNames: true,
      external: ['@aws-sdk/*'],
      logLevel: 'warning',
    });
    const env = { ...process.env, NODE_PATH: path.join(root, 'node_modules'), POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'us-east-1' };
    const anchorMs = requireMs(anchor, env);

    const rows: string[][] = [];
    let over = 0;
    for (const [id, resource] of Object.entries(template.Resources)) {
      const name = resource.Type === 'AWS::Lambda::Function' && functionNameOf(id, resource);
      if (!name) continue;
      const props = resource.Properties as { Code: { S3Key: string }; Environment?: { Variables: Record<string, unknown> } };
      const file = path.join(out, `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
      const bytes = statSync(file).size;
      if (bytes > LIMIT_BYTES) over++;
      const variables = resolve(props.Environment?.Variables ?? {}, template) as Record<string, string>;
      const ms = requireMs(file, { ...env, ...variables });
      const clients = [...new Set(readFileSync(file, 'utf8').match(/@aws-sdk\/client-[a-z-]+/g) ?? [])].map((c) => c.replace('@aws-sdk/client-', ''));
      rows.push([name, `${(bytes / 1024).toFixed(0)} KB`, `${ms.toFixed(0)} ms (${(ms / anchorMs).toFixed(2)}×)`, clients.join(', ') || '–']);
    }
    rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
    console.log(
      `Bundles (minified, AWS SDK excluded; limit ${LIMIT_BYTES / 1024} KB). Require time: median of ${SAMPLES} fresh processes, Node ${process.versions.node}; anchor (one SDK client) ${anchorMs.toFixed(0)} ms`,
    );
    table(['function', 'size', 'require time (× anchor)', 'SDK clients loaded'], rows);
    if (over) console.log(`\n${over} bundle(s) over the limit`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Median milliseconds to require a file in a fresh Node.js process (the cold start's module loading). */
function requireMs(file: string, env: NodeJS.ProcessEnv): number {
  const script = `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const samples = Array.from({ length: SAMPLES }, () => Number(execFileSync(process.execPath, ['-e', script], { env })));
  return samples.sort((a, b) => a - b)[Math.floor(SAMPLES / 2)]!;
}
