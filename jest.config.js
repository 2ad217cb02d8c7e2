/**
 * Tests run through @swc/jest (fast, no type-checking; `npm run typecheck` does that).
 * @middy/core is ESM-only, so it is transformed too: tests import the same handler modules CDK bundles.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  // @middy packages' exports offer only the `import` condition; point jest at its entry file.
  moduleNameMapper: { '^@middy/([a-z-]+)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  setupFiles: ['<rootDir>/test/setup/environment.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  testTimeout: 30000,
  // A test that fails half-way can leave a local mode serving; the run must still end and report, in CI above all.
  // (`npx jest --detectOpenHandles` finds what stayed open.)
  forceExit: true,
};
