/**
 * zod for the functions: zod/mini, a fraction of zod's size in every bundle, with the English messages that
 * mini leaves out, so a bad input is answered with what was expected and what was received.
 *
 * Every module-level schema under lambdas/shared is built inside `/* @__PURE__ *\/ (() => …)()`. zod/mini's `.check()`
 * is a method call, which esbuild must keep as a possible side effect, so without the annotation a bundle would build
 * every schema of every module it imports at each cold start, read or not (WindowWait built every other function's
 * environment variables). With it, esbuild drops the ones a function never reads, and builds the
 * rest at load as before. test/local/bundle-loading.test.ts checks it.
 */

import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
