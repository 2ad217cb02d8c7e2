/**
 * Import rules, checked by `npm run deps` (part of `npm test`): no cycles anywhere, and the layers of
 * lambdas/shared stay layered. Type-only imports count too: a type-level cycle is still a cycle.
 */
const shared = '^lambdas/shared/';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Modules must not import each other in a cycle.', from: {}, to: { circular: true } },
    {
      name: 'contracts-stand-alone',
      severity: 'error',
      comment: 'Contracts (schemas, errors, the environment) depend on nothing but zod and each other.',
      from: { path: `${shared}contracts/` },
      to: { pathNot: [`${shared}contracts/`, 'node_modules/zod/'] },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'Domain logic has no logger, no environment and no AWS: only contracts, itself and Node built-ins (type-only SDK shapes allowed).',
      from: { path: `${shared}domain/` },
      to: { pathNot: [`${shared}(contracts|domain)/`, '^crypto$', '^node:'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'runtime-below-adapters',
      severity: 'error',
      comment: 'The runtime (logger, middleware, error classification) does not reach into adapters or domain.',
      from: { path: `${shared}runtime/` },
      to: { path: `${shared}(adapters|domain|services)/` },
    },
    {
      name: 'services-on-top',
      severity: 'error',
      comment: 'Services (use cases several functions share, such as closing a run) are used by functions, not by the layers below.',
      from: { path: `${shared}(contracts|domain|adapters|runtime)/` },
      to: { path: `${shared}services/` },
    },
    {
      name: 'functions-stay-in-lambdas',
      severity: 'error',
      comment: 'Bundled function code must not pull in the CDK app or local mode.',
      from: { path: '^lambdas/' },
      to: { path: '^(lib|local|bin|test)/' },
    },
    {
      name: 'infrastructure-uses-contracts-only',
      severity: 'error',
      comment: 'The CDK app shares contracts and pure domain with the functions, never their AWS adapters or runtime.',
      from: { path: '^(lib|bin)/' },
      to: { path: `${shared}(adapters|runtime|services)/` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|cdk\\.out|\\.local)/' },
  },
};
