const { readdirSync } = require('node:fs');
const path = require('node:path');

/**
 * One jest project per layer, in folders that mirror the source: run one with `npx jest --selectProjects lambdas`.
 * Tests run through @swc/jest (fast, no type-checking; `npm run typecheck` does that).
 * @middy/core and jose are ESM-only, so they are transformed too: tests import the same handler modules CDK bundles.
 */
const LAYERS = ['lib', 'lambdas', 'local', 'cli', 'e2e', 'bin'];

/** @type {import('jest').Config} */
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // Local mode's handler bundles (.local/) are CommonJS for this Node.js already.
  transformIgnorePatterns: ['/node_modules/(?!@middy/|jose/)', '/\\.local/'],
  // @middy packages' exports offer only the `import` condition; point jest at its entry file.
  moduleNameMapper: { '^@middy/([a-z-]+)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  setupFiles: ['<rootDir>/test/setup/environment.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
};

/** Bundles the handlers and synthesizes local mode's templates once per run, for the layers that start local mode. */
const buildOnce = { globalSetup: '<rootDir>/test/setup/build-once.ts', globalTeardown: '<rootDir>/test/setup/remove-build.ts' };

const project = (layer) => ({
  ...shared,
  ...(['local', 'cli', 'e2e'].includes(layer) ? buildOnce : {}),
  displayName: layer,
  testMatch: [`<rootDir>/test/${layer}/**/*.test.ts`],
});

// A test file in no layer's folder would silently never run.
const stray = readdirSync(path.join(__dirname, 'test'), { recursive: true }).filter(
  (file) => file.endsWith('.test.ts') && !LAYERS.includes(file.split(path.sep)[0]),
);
if (stray.length) throw new Error(`Test files in no jest project (put each under test/<layer>/: ${LAYERS.join(', ')}): ${stray.join(', ')}`);

/** @type {import('jest').Config} */
module.exports = {
  projects: LAYERS.map(project),
  testTimeout: 30000,
  // A test that fails half-way can leave a local mode serving; the run must still end and report, in CI above all.
  // (`npx jest --detectOpenHandles` finds what stayed open.)
  forceExit: true,
};
