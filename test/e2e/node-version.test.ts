import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

/**
 * An unsupported Node.js is refused at once, with what is needed and how to get it: `npm ci` through .npmrc's
 * engine-strict, every `npm run` script through its pre-script. (On Node.js 20 the demo used to fail inside its runs.)
 */
const root = path.join(__dirname, '..', '..');
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};
const CHECK = 'node bin/check-node.cjs';

/** The check script as a Node.js of `version` runs it. */
const check = (version?: string) => {
  const fake = version
    ? ['--import', `data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"${version}"}})`]
    : [];
  return promisify(execFile)(process.execPath, [...fake, path.join(root, 'bin', 'check-node.cjs')]).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
};

test('npm ci refuses a Node.js outside package.json engines, and every npm script checks first', () => {
  expect(readFileSync(path.join(root, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
  for (const name of Object.keys(packageJson.scripts).filter((n) => !n.startsWith('pre')))
    expect([name, packageJson.scripts[`pre${name}`]]).toEqual([name, CHECK]);
});

test.each(['20.20.2', '22.12.0'])('Node.js %s is refused, saying which version is needed and how to get it', async (version) => {
  expect(await check(version)).toEqual({
    code: 1,
    stderr:
      `PlanGate needs Node.js 22.13 or later (24, as in .nvmrc, is what it runs and is tested on); this is Node.js ${version}.\n` +
      'Get it with nvm (`nvm install` in this folder reads .nvmrc) or from https://nodejs.org/, then run `npm ci` again.\n',
  });
});

test('Node.js 22.13, 24 and this one pass quietly', async () => {
  for (const version of ['22.13.0', '24.0.0', undefined]) expect(await check(version)).toEqual({ code: 0, stderr: '' });
  expect(packageJson.engines.node).toBe('>=22.13'); // the check reads it; dev dependencies need 22.13 (watskeburt)
});
