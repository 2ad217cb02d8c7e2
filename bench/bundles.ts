import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_LIMIT_BYTES, BUNDLING } from '../lib/bundling';
import { type CfnTemplate, functionNameOf, resolve } from '../local/template';
import { table } from './table';

const root = path.join(__dirname, '..');
/**
 * Fresh processes per bundle: this many rounds (anchor, bundle, its clients alone), the order rotating; medians count.
 * 21, not 11: on a shared 2-core machine, 11 rounds left the same bundle 0.3× apart from one run to the next.
 */
const ROUNDS = 21;
/** The goal for a bundle's require time, as a multiple of the anchor's. */
const RATIO_GOAL = 1.2;
/** The function whose first error the source-map cost is measured on: it rejects an invalid plan id at once. */
const FIRST_ERROR_FUNCTION = 'ReviewPlan';

/**
 * The deployed bundles, as `cdk synth` builds them: their size (minified, the AWS SDK left to the runtime) and how
 * long Node.js takes to require each, against an anchor bundle built the same way that loads one SDK client, and
 * against a file that only loads and creates the SDK clients requiring the bundle loads (so the second ratio is the
 * bundle's own code). The clients a bundle loads only on first use are not in its require time: the last column names
 * them, with what each takes to load and create right after the bundle (what that first call adds). Each round of fresh processes runs the three one right after the other (the order rotating), with the
 * function's environment from the template (so NODE_OPTIONS too); a ratio is the median of the rounds' ratios, so
 * load on the machine weighs on each alike. The runtime's SDK is stood in for by node_modules (NODE_PATH).
 * Also the cost of `--enable-source-maps` on a container's first error. Sets a failing exit code when a bundle is
 * over the limit.
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

    const anchorEntry = path.join(out, 'anchor.ts');
    writeFileSync(anchorEntry, "import { SFNClient } from '@aws-sdk/client-sfn';\nexport const client = new SFNClient({});\n");
    const anchor = path.join(out, 'anchor.js');
    await build({
      ...BUNDLING,
      external: [...BUNDLING.external],
      entryPoints: [anchorEntry],
      outfile: anchor,
      bundle: true,
      platform: 'node',
      format: 'cjs',
    });
    const baseEnv = { ...process.env, NODE_PATH: path.join(root, 'node_modules'), POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'us-east-1' };

    const rows: string[][] = [];
    const over: string[] = [];
    const slow: string[] = [];
    const anchorMs: number[] = [];
    let firstError: { without: number; with: number } | undefined;
    for (const [id, resource] of Object.entries(template.Resources)) {
      const name = resource.Type === 'AWS::Lambda::Function' && functionNameOf(id, resource);
      if (!name) continue;
      const props = resource.Properties as { Code: { S3Key: string }; Environment?: { Variables: Record<string, unknown> } };
      const file = path.join(out, `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
      const bytes = statSync(file).size;
      const mapBytes = statSync(`${file}.map`).size;
      if (bytes > BUNDLE_LIMIT_BYTES) over.push(name);
      const env = { ...baseEnv, ...(resolve(props.Environment?.Variables ?? {}, template) as Record<string, string>) };
      const packages = [...new Set(readFileSync(file, 'utf8').match(/@aws-sdk\/[a-z0-9-]+/g) ?? [])];
      const atLoad = loadedAtRequire(file, env, packages);
      const onFirstUse = packages.filter((p) => !atLoad.includes(p));
      const timing = interleaved(anchor, file, clientsAloneFile(out, name, atLoad), onFirstUse, env);
      anchorMs.push(timing.anchorMs);
      if (timing.ratio > RATIO_GOAL) slow.push(name);
      if (name === FIRST_ERROR_FUNCTION) firstError = firstErrorMs(file, env);
      rows.push([
        name,
        `${(bytes / 1024).toFixed(0)} KB`,
        `${(mapBytes / 1024).toFixed(0)} KB`,
        `${timing.bundleMs.toFixed(0)} ms`,
        `${timing.ratio.toFixed(2)}×`,
        `${timing.clientsRatio.toFixed(2)}×`,
        clientNames(atLoad).join(', ') || '–',
        clientNames(onFirstUse)
          .map((client, i) => `${client} (${timing.onFirstUseMs[i]!.toFixed(0)} ms)`)
          .join(', ') || '–',
      ]);
    }
    rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
    console.log(
      `Bundles (minified, AWS SDK excluded; limit ${BUNDLE_LIMIT_BYTES / 1024} KB). Require time: ${ROUNDS} interleaved rounds of fresh processes, ` +
        `Node ${process.versions.node}; the anchor (one SDK client) took ${median(anchorMs).toFixed(0)} ms (median over functions)`,
    );
    table(
      ['function', 'size', 'source map', 'require time', '× anchor (goal ≤ 1.2)', '× its clients alone', 'SDK clients loaded', 'first call loads'],
      rows,
    );
    if (firstError) {
      console.log(
        `\nA container's first error (${FIRST_ERROR_FUNCTION} rejecting an invalid plan id, median of ${ROUNDS} interleaved pairs): ` +
          `${firstError.without.toFixed(1)} ms without --enable-source-maps, ${firstError.with.toFixed(1)} ms with it ` +
          `(+${(firstError.with - firstError.without).toFixed(1)} ms, once per container: later errors reuse the parsed map)`,
      );
    }
    if (slow.length) console.log(`\nOver ${RATIO_GOAL}× the anchor: ${slow.join(', ')}`);
    if (over.length) {
      console.log(`\n${over.length} bundle(s) over ${BUNDLE_LIMIT_BYTES / 1024} KB: ${over.join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const clientNames = (packages: string[]) => packages.filter((p) => p.startsWith('@aws-sdk/client-')).map((c) => c.replace('@aws-sdk/client-', ''));

/** Loads an SDK package and creates its client, as a function's clients module does. */
const createClient = (pkg: string) =>
  `{ const m = require(${JSON.stringify(pkg)}); const key = Object.keys(m).find((k) => /^[A-Z]\\w*Client$/.test(k) && k !== 'DynamoDBDocumentClient'); if (key) new m[key]({}); }`;

/**
 * Milliseconds to require a file in a fresh Node.js process (the cold start's module loading); then, for a bundle,
 * the milliseconds each SDK client it loads only on first use takes to load and create after it (what that first
 * call adds).
 */
function requireMs(file: string, env: NodeJS.ProcessEnv, onFirstUse: string[] = []): number[] {
  const lap = (code: string) => `t = performance.now(); ${code}; ms.push(performance.now() - t);`;
  const script = `let t; const ms = []; ${lap(`require(${JSON.stringify(file)})`)} ${onFirstUse.map((pkg) => lap(createClient(pkg))).join(' ')}
    process.stdout.write(JSON.stringify(ms));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' })) as number[];
}

/** Which of a bundle's SDK packages requiring it loads (the others wait for the code path that needs them). */
function loadedAtRequire(bundle: string, env: NodeJS.ProcessEnv, packages: string[]): string[] {
  const script = `require(${JSON.stringify(bundle)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' })) as string[];
  return packages.filter((pkg) => loaded.some((file) => file.includes(`/node_modules/${pkg}/`)));
}

/**
 * The anchor, the bundle and its clients alone, required in fresh processes one right after the other (the order
 * rotating), ROUNDS times.
 */
function interleaved(anchor: string, bundle: string, clientsAlone: string, onFirstUse: string[], env: NodeJS.ProcessEnv) {
  const files = [anchor, bundle, clientsAlone];
  const firstUse: number[][] = [];
  const rounds = Array.from({ length: ROUNDS }, (_, i) => {
    const ms: number[] = [];
    for (let k = 0; k < files.length; k++) {
      const index = (i + k) % files.length;
      const [required, ...lazy] = requireMs(files[index]!, env, index === 1 ? onFirstUse : []);
      ms[index] = required!;
      if (index === 1) firstUse.push(lazy);
    }
    return ms as [number, number, number];
  });
  return {
    anchorMs: median(rounds.map(([a]) => a)),
    bundleMs: median(rounds.map(([, b]) => b)),
    ratio: median(rounds.map(([a, b]) => b / a)),
    clientsRatio: median(rounds.map(([, b, c]) => b / c)),
    onFirstUseMs: onFirstUse.map((_, i) => median(firstUse.map((lazy) => lazy[i]!))),
  };
}

/** A file that loads and creates the SDK clients a bundle loads, and nothing else: what the bundle cannot go below. */
function clientsAloneFile(dir: string, name: string, packages: string[]): string {
  const file = path.join(dir, `${name}-clients.js`);
  writeFileSync(file, `${packages.map(createClient).join('\n')}\n`);
  return file;
}

/**
 * Milliseconds from invoking a freshly loaded handler with an invalid input until it rejects (its stack read by the
 * shared middleware), without and with `--enable-source-maps`, in alternating fresh processes.
 */
function firstErrorMs(bundle: string, env: NodeJS.ProcessEnv) {
  const script = `const { handler } = require(${JSON.stringify(bundle)}); const t = performance.now();
    handler({ input: { planId: 'bad id' } }, { awsRequestId: 'x', getRemainingTimeInMillis: () => 1000 })
      .catch((error) => error.stack).then(() => process.stdout.write('\\n' + String(performance.now() - t)));`;
  const run = (options: string) => {
    const stdout = execFileSync(process.execPath, ['-e', script], { env: { ...env, NODE_OPTIONS: options }, encoding: 'utf8' });
    return Number(stdout.trim().split('\n').at(-1));
  };
  const pairs = Array.from({ length: ROUNDS }, (_, i) =>
    i % 2 ? { with: run('--enable-source-maps'), without: run('') } : { without: run(''), with: run('--enable-source-maps') },
  );
  return { without: median(pairs.map((p) => p.without)), with: median(pairs.map((p) => p.with)) };
}

if (require.main === module) void bundleReport();
