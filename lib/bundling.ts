/**
 * How every function is bundled with esbuild, for Lambda (lib/workflow-function.ts) and local mode (local/handlers.ts)
 * alike, so the bundles the tests load are the ones deployed, within a few bytes (bench/bundles.ts reports them):
 * minified for Node.js 24, CommonJS, the AWS SDK left to the runtime. Names are not kept (esbuild's keepNames cost
 * 8 KB of each bundle): the errors the state machine matches and the logs show spell their names out
 * (contracts/errors.ts), and nothing reads a function's or class's own name. Source maps carry the mappings without the
 * sources (the package stays a fifth of the size); with `--enable-source-maps`, stack traces still name the TypeScript
 * file and line.
 */
export const BUNDLING = {
  target: 'node24',
  minify: true,
  keepNames: false,
  sourcesContent: false,
  external: ['@aws-sdk/*'],
} as const;

/**
 * A bundle's limit in bytes, source map excluded (test/local/bundle-size.test.ts, bench/bundles.ts). 160 KB since the
 * approval page shows parameters and asks before a rejection, and the approval API tells decisions (issue 25): the
 * ApprovalApi bundle was at 149.3 KB before them.
 */
export const BUNDLE_LIMIT_BYTES = 160 * 1024;
