import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { BUNDLING } from '../lib/bundling';
import { FUNCTIONS, type FunctionName, handlerEntry } from '../lib/functions';
import type { LambdaHandler } from './step-functions';

/** What the bundled code reads as `process.env`: the process's, with the environment loadHandlers is given over it. */
const SCOPED_ENV = '__plangateFunctionEnvironment';
/** Where loadHandlers leaves that environment while the bundles load (each takes its copy as it is evaluated). */
const LOADING_ENV = '__plangateLoadingEnvironment';

/**
 * Bundles every handler into `outdir` with the options CDK bundles them with for Lambda (lib/bundling.ts; @middy/core's
 * ESM folded in), one `<FunctionName>.js` each, its source map inline. The bundled code (the functions, Powertools) reads a
 * `process.env` of its own, taken when the bundle loads; the AWS SDK, not bundled, reads the process's
 * (local/handler-environment.ts). So one build serves local modes with different environments (the tests build once).
 */
export async function bundleHandlers(outdir: string): Promise<void> {
  mkdirSync(outdir, { recursive: true });
  const inject = path.join(outdir, 'scoped-environment.mjs');
  writeFileSync(inject, `export const ${SCOPED_ENV} = Object.assign({}, globalThis.process.env, globalThis.${LOADING_ENV});\n`);
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  await build({
    entryPoints: Object.fromEntries(names.map((name) => [name, handlerEntry(name)])),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    ...BUNDLING,
    external: [...BUNDLING.external],
    sourcemap: 'inline',
    logLevel: 'warning',
    define: { 'process.env': SCOPED_ENV },
    inject: [inject],
  });
}

/**
 * Loads the handler bundles, built now or copied from `prebuilt` (a folder bundleHandlers wrote), each with
 * `environment` over the process's as its own `process.env`; with `only`, just those functions. Set the SDK's variables
 * first: clients are created when a bundle loads.
 */
export async function loadHandlers(
  options: { environment?: Record<string, string>; prebuilt?: string; only?: ReadonlySet<FunctionName> } = {},
): Promise<Record<FunctionName, LambdaHandler>> {
  // A folder of its own each time (inside the project, so the AWS SDK resolves from node_modules): a second local
  // mode in the same process gets modules of its own, with clients bound to its own endpoints, even under jest,
  // whose module registry ignores require.cache.
  const outdir = path.join(__dirname, '..', '.local', 'handlers', randomUUID());
  if (options.prebuilt) cpSync(options.prebuilt, outdir, { recursive: true });
  else await bundleHandlers(outdir);
  const handlers = {} as Record<FunctionName, LambdaHandler>;
  const global = globalThis as Record<string, unknown>;
  // Loading is synchronous, so no other local mode's bundles load in between.
  global[LOADING_ENV] = options.environment ?? {};
  try {
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      // A function the template does not have (SignIn without plangate:signIn) is not loaded: its environment is not set.
      handlers[name] =
        !options.only || options.only.has(name)
          ? require(path.join(outdir, `${name}.js`)).handler
          : async () => {
              throw new Error(`${name} is not in this template`);
            };
    }
  } finally {
    delete global[LOADING_ENV];
  }
  rmSync(outdir, { recursive: true, force: true }); // loaded, with their source maps inline
  return handlers;
}
