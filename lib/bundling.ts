/**
 * How every function is bundled with esbuild, for Lambda (lib/workflow-function.ts) and local mode (local/handlers.ts)
 * alike, so the bundles the tests load are the ones deployed, within a few bytes (bench/bundles.ts reports them):
 * minified for Node.js 24, CommonJS, the AWS SDK left to the runtime. Names are kept: logs, traces and the state
 * machine's error matching read them. Source maps carry the mappings without the sources (the package stays a fifth
 * of the size); with `--enable-source-maps`, stack traces still name the TypeScript file, line and function.
 */
export const BUNDLING = {
  target: 'node24',
  minify: true,
  keepNames: true,
  sourcesContent: false,
  external: ['@aws-sdk/*'],
} as const;

/** A bundle's limit in bytes, source map excluded (test/local/bundle-size.test.ts, bench/bundles.ts). */
export const BUNDLE_LIMIT_BYTES = 150 * 1024;
