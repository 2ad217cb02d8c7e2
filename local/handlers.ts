import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { FUNCTIONS, type FunctionName, handlerEntry } from '../lib/functions';
import type { LambdaHandler } from './step-functions';

/** What the bundled code reads as `process.env` when loadHandlers is given an environment. */
const SCOPED_ENV = '__plangateFunctionEnvironment';

/**
 * Bundles every handler the way CDK does for Lambda (esbuild, CommonJS, the AWS SDK left to the runtime,
 * @middy/core's ESM folded in) and loads the bundles. With `environment`, the bundled code (the functions, Powertools)
 * reads the process's environment with `environment` over it as its `process.env`, a copy of its own; the AWS SDK,
 * not bundled, reads the process's (local/handler-environment.ts). Set the SDK's variables first: clients are
 * created when a bundle loads.
 */
export async function loadHandlers(environment?: Record<string, string>): Promise<Record<FunctionName, LambdaHandler>> {
  // A folder of its own each time (inside the project, so the AWS SDK resolves from node_modules): a second local
  // mode in the same process gets modules of its own, with clients bound to its own endpoints, even under jest,
  // whose module registry ignores require.cache.
  const outdir = path.join(__dirname, '..', '.local', 'handlers', randomUUID());
  mkdirSync(outdir, { recursive: true });
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  await build({
    entryPoints: Object.fromEntries(names.map((name) => [name, handlerEntry(name)])),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    external: ['@aws-sdk/*'],
    keepNames: true,
    sourcemap: 'inline',
    logLevel: 'warning',
    ...(environment && { define: { 'process.env': SCOPED_ENV }, inject: [scopedEnvironmentModule(outdir, environment)] }),
  });
  const handlers = {} as Record<FunctionName, LambdaHandler>;
  for (const name of names) handlers[name] = require(path.join(outdir, `${name}.js`)).handler;
  rmSync(outdir, { recursive: true, force: true }); // loaded, with their source maps inline
  return handlers;
}

/** The module esbuild injects where bundled code reads `process.env` (`globalThis.process.env` is not redefined). */
function scopedEnvironmentModule(outdir: string, environment: Record<string, string>): string {
  const file = path.join(outdir, 'environment.mjs');
  writeFileSync(file, `export const ${SCOPED_ENV} = Object.assign({}, globalThis.process.env, ${JSON.stringify(environment)});\n`);
  return file;
}
