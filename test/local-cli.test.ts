import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** `npm run local` as a user starts it: one ready line, answers on its port, exits cleanly on SIGTERM. */
const root = path.join(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

test('prints one ready line with its base URL, serves the outbox, and exits 0 on SIGTERM', async () => {
  const child = spawn(tsx, ['local/cli.ts', '--port', '0'], { cwd: root, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  let output = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const ready = /PlanGate local mode ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${output}`)));
  });
  expect(output.match(/ready at/g)).toHaveLength(1);
  expect((await fetch(`${baseUrl}/local/outbox`)).status).toBe(200);
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
}, 60_000);

test('refuses an unknown option, naming it', async () => {
  const child = spawn(tsx, ['local/cli.ts', '--prot', '80'], { cwd: root });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(1);
  expect(stderr).toContain('Unknown option --prot. Options: --port N, --host H, --context key=value, --time-scale F');
}, 30_000);
