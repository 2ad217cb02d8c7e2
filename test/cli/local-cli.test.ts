import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import * as path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

/** `npm run local` and `npm run demo` as a user starts them: what they print, how they answer, how they stop. */
const root = path.join(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

/** Children still running when the file ends (a failed assertion) are stopped, so jest can exit. */
const running = new Set<ChildProcessWithoutNullStreams>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** A child process whose output can be awaited: a script run by tsx, or (`npm`) an npm command. */
function start(script: string, args: string[], command: 'tsx' | 'npm' = 'tsx') {
  const [file, argv] = command === 'npm' ? ['npm', [script, ...args]] : [tsx, [script, ...args]];
  const child = spawn(file, argv, { cwd: root, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (output.stdout += chunk));
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output.stdout);
        if (!match) return;
        child.stdout.off('data', check);
        resolve(match);
      };
      child.stdout.on('data', check);
      check();
      void exited.then((code) => reject(new Error(`exited ${code} before printing ${pattern}:\n${output.stdout}\n${output.stderr}`)));
    });
  return { child, output, exited, waitFor };
}

const stop = async (child: ChildProcessWithoutNullStreams, exited: Promise<number | null>) => {
  child.kill('SIGTERM');
  return exited;
};

test('`npm run local` prints one ready line with its base URL and serves; stopped by its PID (SIGTERM to npm, as a process manager sends it), it exits 0 and frees its port', async () => {
  const local = start('run', ['local', '--', '--port', '0'], 'npm');
  const [, baseUrl] = await local.waitFor(/PlanGate local mode ready at (http:\/\/127\.0\.0\.1:\d+)/);
  await local.waitFor(/Start a run: .*\n/);
  expect(local.output.stdout.match(/ready at/g)).toHaveLength(1);
  // The CLI commands it prints carry the dummy credentials and region the AWS CLI insists on.
  expect(local.output.stdout).toContain(
    `Read a run's audit record: AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 aws dynamodb get-item --endpoint-url ${baseUrl}`,
  );
  expect((await fetch(`${baseUrl}/local/outbox`)).status).toBe(200);
  // npm's script shell hands the signal on only because the script `exec`s tsx (package.json).
  expect(await stop(local.child, local.exited)).toBe(0);
  await expect(fetch(`${baseUrl}/local/outbox`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
}, 90_000);

test.each([
  ['local/cli.ts', 'local'],
  ['local/demo.ts', 'demo'],
])(
  '%s --help prints the usage with every option and exits 0',
  async (script, command) => {
    const run = start(script, ['--help']);
    expect(await run.exited).toBe(0);
    expect(run.output.stdout).toMatch(new RegExp(`^Usage: npm run ${command} -- \\[options\\]`));
    for (const option of ['--port N', '--host H', '-c, --context K=V', '--time-scale F', '--service-catalog-tps N', '-h, --help'])
      expect(run.output.stdout).toContain(option);
    expect(run.output.stdout.includes('--exit-when-done')).toBe(command === 'demo');
    expect(run.output.stderr).toBe('');
  },
  30_000,
);

test('refuses an unknown option, naming it and the options there are', async () => {
  const run = start('local/cli.ts', ['--prot', '80']);
  expect(await run.exited).toBe(1);
  expect(run.output.stderr).toContain(
    'Unknown option --prot. Options: --port N, --host H, --context key=value, --time-scale F, --service-catalog-tps N, --help',
  );
}, 30_000);

describe('a busy port', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => taken.close(resolve)));

  const timed = async (script: string, args: string[]) => {
    const started = Date.now();
    const run = start(script, args);
    return { run, code: await run.exited, ms: Date.now() - started };
  };

  test.each(['local/cli.ts', 'local/demo.ts'])(
    '%s fails at once, naming the port and suggesting --port',
    async (script) => {
      // As fast as --help, which stops before loading the stack: it used to fail only once the stack had
      // synthesized, seconds later (measured against --help, so a loaded machine does not make it flaky).
      const help = await timed(script, ['--help']);
      const { run, code, ms } = await timed(script, ['--port', String(port)]);
      expect(code).toBe(1);
      expect(ms).toBeLessThan(help.ms + 1_000);
      expect(run.output.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(run.output.stderr).toContain(`--port ${port + 1}, or --port 0 for any free one`);
    },
    30_000,
  );
});

// The demos run at once (test.concurrent), each its own process on a port of its own; as they share the machine, each
// has the time the three took one after the other.
const DEMO_MS = 180_000;
const decide = (link: string, body: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
const links = async (demo: ReturnType<typeof start>) => {
  const [, alice, bob] = await demo.waitFor(/Alice: (\S+)\n\s+Bob: +(\S+)/);
  return { alice: alice!, bob: bob! };
};

test.concurrent(
  'the demo: each approval as it counts, a rejection said as one, each plan with its own notification, and it keeps serving with the audit command',
  async () => {
    const demo = start('local/demo.ts', ['--port', '0']);
    const { alice, bob } = await links(demo);
    await decide(alice, 'decision=approve&comment=fine+by+me');
    await demo.waitFor(/Alice Martin approved the HIGH-risk orders plan: 1 of 2 approvals \(web: "fine by me"\)\. Waiting for 1 more\./);
    await decide(bob, 'decision=reject&comment=not+on+a+Friday');
    await demo.waitFor(/Bob Chen rejected the HIGH-risk orders plan \(web: "not on a Friday"\)\. The plan will not run\./);
    const [, command] = await demo.waitFor(/The orders plan's audit record: +(.+)\n/);

    const out = demo.output.stdout;
    const rejected = /HIGH-risk orders plan: run SUCCEEDED; outcome REJECTED: .*\n/.exec(out)![0];
    expect(rejected).toMatch(
      /^HIGH-risk orders plan: run SUCCEEDED; outcome REJECTED: Rejected by Bob Chen <bob@example.com> at \S+: "not on a Friday"\n$/,
    );
    expect(out).toMatch(
      /LOW-risk dashboard plan: run SUCCEEDED; outcome SUCCEEDED: .*\(approved by rule: LOW risk is within plangate:autoApproveUpTo \(LOW\)\)/,
    );
    // Each outcome is followed by that plan's own notification.
    expect(out).toMatch(
      /outcome REJECTED: [^\n]*\n\nIts notification, to platform-team@example.com: \[PlanGate\] REJECTED: orders-service-prod-update \(plan-demoorders0001\)/,
    );
    expect(out).toMatch(
      /outcome SUCCEEDED: [^\n]*\n\nIts notification, to platform-team@example.com: \[PlanGate\] SUCCEEDED: add-monitoring-dashboard \(plan-demodashbrd001\)/,
    );

    // Still serving: the outbox and the audit record answer after both runs ended.
    const [, baseUrl] = /PlanGate local mode ready at (\S+)/.exec(out)!;
    expect((await fetch(`${baseUrl}/local/outbox`)).status).toBe(200);
    expect(command).toMatch(/^AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 aws dynamodb get-item /);
    const [, endpoint, table, key] = /--endpoint-url (\S+) --table-name (\S+) --key '(.+)'$/.exec(command!)!;
    const dynamo = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: JSON.parse(key!) }));
    dynamo.destroy();
    expect(Item?.status?.S).toBe('REJECTED');
    expect(Item?.outcome?.M?.outcome?.S).toBe('REJECTED');
    expect(await stop(demo.child, demo.exited)).toBe(0);
  },
  DEMO_MS,
);

test.concurrent(
  'the demo whose orders plan never asks for approval (it is denied) does not point to links it never printed',
  async () => {
    const demo = start('local/demo.ts', ['--port', '0', '--context', 'plangate:deniedResourceTypes=["AWS::SNS::Topic"]']);
    await demo.waitFor(/The orders plan's audit record: +(.+)\n/);
    expect(demo.output.stdout).not.toMatch(/Alice: |links above/);
    expect(demo.output.stdout).toContain('The approval pages: no approval links were printed, as no plan waited for an approver.');
    expect(await stop(demo.child, demo.exited)).toBe(0);
  },
  DEMO_MS,
);

test.concurrent(
  'the demo with --exit-when-done stops once both runs have ended, 0 when both approvals carried the plan',
  async () => {
    const demo = start('local/demo.ts', ['--port', '0', '--exit-when-done']);
    const { alice, bob } = await links(demo);
    await decide(alice, 'decision=approve');
    await demo.waitFor(/Alice Martin approved the HIGH-risk orders plan: 1 of 2 approvals \(web\)\. Waiting for 1 more\./);
    await decide(bob, 'decision=approve');
    expect(await demo.exited).toBe(0);
    expect(demo.output.stdout).toContain('Bob Chen approved the HIGH-risk orders plan: 2 of 2 approvals (web). The plan runs now.');
    expect(demo.output.stdout).toMatch(
      /HIGH-risk orders plan: run SUCCEEDED; outcome SUCCEEDED: .* \(approved by Alice Martin <alice@example.com>, Bob Chen <bob@example.com>\)/,
    );
    expect(demo.output.stdout).toContain('Both runs have ended; stopping (--exit-when-done).');
  },
  DEMO_MS,
);
