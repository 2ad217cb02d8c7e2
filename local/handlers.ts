import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { FUNCTIONS, type FunctionName, handlerEntry } from '../lib/functions';
import type { LambdaHandler } from './step-functions';

/**
 * Bundles every handler the way CDK does for Lambda (esbuild, CommonJS, the AWS SDK left to the runtime,
 * @middy/core's ESM folded in) and loads the bundles. Set the environment first: SDK clients are created,
 * and read their endpoints, when a bundle loads.
 */
export async function loadHandlers(outdir = path.join(__dirname, '..', '.local', 'handlers')): Promise<Record<FunctionName, LambdaHandler>> {
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
  });
  const handlers = {} as Record<FunctionName, LambdaHandler>;
  for (const name of names) {
    const file = path.join(outdir, `${name}.js`);
    delete require.cache[file];
    handlers[name] = require(file).handler;
  }
  return handlers;
}
