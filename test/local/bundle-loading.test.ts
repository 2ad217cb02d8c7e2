import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FunctionName } from '../../lib/functions';
import { LOCAL_SLACK_CONTEXT } from '../../local/server';
import { functionNameOf, resolve } from '../../local/template';
import { handlerBundles, synthesizedTemplate } from '../support/prebuilt';

/**
 * The SDK clients a function needs only on some paths (spoke runs, Slack, a setting that is off by default, a rare
 * case), which its bundle holds but loads on first use: a cold start's init does not wait for them.
 */
const ON_FIRST_USE: Partial<Record<FunctionName, string[]>> = {
  ApprovalApi: ['sfn', 'secrets-manager'],
  CheckRecord: ['sts'],
  CloseRun: ['sfn', 'secrets-manager'],
  ExecutePlan: ['sts'],
  ExpireApproval: ['service-catalog', 'sts'],
  Notify: ['secrets-manager'],
  PlanCreated: ['sns'],
  RequestApproval: ['secrets-manager'],
  ReviewPlan: ['sts'],
};

/** The SDK clients requiring a bundle loads, in a fresh Node.js process with the function's environment from the template. */
function clientsLoadedAtRequire(bundle: string, env: Record<string, string>): string[] {
  const script = `require(${JSON.stringify(bundle)});
    const names = Object.keys(require.cache).map((file) => /node_modules\\/@aws-sdk\\/client-([a-z-]+)\\//.exec(file)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' })) as string[];
}

test.each(Object.entries(ON_FIRST_USE))('requiring %s loads none of %p, which its bundle holds for first use', async (name, clients) => {
  const template = await synthesizedTemplate(LOCAL_SLACK_CONTEXT);
  const [, resource] = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && functionNameOf(id, r) === name)!;
  const variables = (resource.Properties as { Environment?: { Variables: Record<string, unknown> } }).Environment?.Variables ?? {};
  const bundle = path.join(handlerBundles(), `${name}.js`);

  const loaded = clientsLoadedAtRequire(bundle, resolve(variables, template) as Record<string, string>);

  expect(loaded.length).toBeGreaterThan(0);
  for (const client of clients) {
    expect(loaded).not.toContain(client);
    expect(readFileSync(bundle, 'utf8')).toContain(`require("@aws-sdk/client-${client}")`);
  }
});

/**
 * Module-level schemas are built inside a PURE-annotated arrow call (contracts/zod.ts says why): a bundle keeps only
 * those its function reads, so a cold start builds no other. WindowWait reads TABLE_NAME and the approval
 * record; these messages belong to schemas it never reads.
 */
test.each(['must be an identity store id', 'must be an ARN', 'must be a whole number of seconds'])(
  "WindowWait's bundle holds no schema it never reads (%s)",
  (message) => {
    expect(readFileSync(path.join(handlerBundles(), 'WindowWait.js'), 'utf8')).not.toContain(message);
  },
);
