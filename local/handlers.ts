import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { FUNCTIONS, type FunctionName, handlerEntry } from '../lib/functions';
import type { LambdaHandler } from './step-functions';

/**
 * Bundles every handler into `outdir` the way CDK does for Lambda (esbuild, CommonJS, the AWS SDK left to the runtime,
 * @middy/core's ESM folded in), one `<FunctionName>.js` each.
 */
export async function bundleHandlers(outdir: string): Promise<void> {
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
  });
}

/**
 * Loads the handler bundles: built now, or copied from `prebuilt` (a folder bundleHandlers wrote, as the tests build
 * once per run). Set the environment first: SDK clients are created, and read their endpoints, when a bundle loads.
 */
export async function loadHandlers(prebuilt?: string): Promise<Record<FunctionName, LambdaHandler>> {
  // A folder of its own each time (inside the project, so the AWS SDK resolves from node_modules): a second local
  // mode in the same process gets modules of its own, with clients bound to its own endpoints, even under jest,
  // whose module registry ignores require.cache.
  const outdir = path.join(__dirname, '..', '.local', 'handlers', randomUUID());
  mkdirSync(outdir, { recursive: true });
  if (prebuilt) cpSync(prebuilt, outdir, { recursive: true });
  else await bundleHandlers(outdir);
  const handlers = {} as Record<FunctionName, LambdaHandler>;
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) handlers[name] = require(path.join(outdir, `${name}.js`)).handler;
  rmSync(outdir, { recursive: true, force: true }); // loaded, with their source maps inline
  return handlers;
}
