import { AsyncLocalStorage } from 'node:async_hooks';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';

type InvocationContext = Record<string | symbol, unknown>;

/**
 * The Lambda runtime's invocation store, as local mode's runtime: local mode runs every function's invocations in this
 * one process, overlapping, as a Lambda that serves several invocations at once does. With AWS_LAMBDA_MAX_CONCURRENCY
 * set, Powertools keeps each invocation's log keys, Lambda context and metrics in this store, so concurrent runs do
 * not put one plan's keys on another's log lines. (The package's own multi-invocation store is created through a
 * dynamic import, which jest cannot load; this is the same store on AsyncLocalStorage.)
 */
class LocalInvokeStore extends InvokeStoreBase {
  private readonly storage = new AsyncLocalStorage<InvocationContext>();

  getContext() {
    return this.storage.getStore();
  }

  hasContext() {
    return this.storage.getStore() !== undefined;
  }

  get<T = unknown>(key: string | symbol): T | undefined {
    return this.storage.getStore()?.[key] as T | undefined;
  }

  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const store = this.storage.getStore();
    if (!store) throw new Error('No invocation context: run the handler with runInvocation()');
    store[key] = value;
  }

  run<T>(context: InvocationContext, fn: () => T): T {
    return this.storage.run(context, fn);
  }
}

/**
 * Installs the store where Powertools looks for it (once per realm), and turns Powertools' use of it on. The AWS SDK
 * asks the package for the store on every request (for the X-Ray trace id), and the package would create its own,
 * through that dynamic import, once AWS_LAMBDA_MAX_CONCURRENCY is set: so the package is asked first, while it is
 * not, and it answers with the installed one from then on (or with the simple store it made for an earlier request,
 * which only the SDK keeps).
 */
export async function installInvokeStore(): Promise<InvokeStoreBase> {
  const global = globalThis as { awslambda?: { InvokeStore?: InvokeStoreBase } };
  global.awslambda ??= {};
  const lambda = global.awslambda;
  if (!(lambda.InvokeStore instanceof LocalInvokeStore)) {
    const store = new LocalInvokeStore();
    lambda.InvokeStore = store;
    const concurrency = process.env.AWS_LAMBDA_MAX_CONCURRENCY;
    delete process.env.AWS_LAMBDA_MAX_CONCURRENCY;
    await InvokeStore.getInstanceAsync();
    lambda.InvokeStore = store;
    if (concurrency !== undefined) process.env.AWS_LAMBDA_MAX_CONCURRENCY = concurrency;
  }
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
  return lambda.InvokeStore;
}

/** Runs `fn` as one invocation (or a function's module loading) of its own. */
export function runInvocation<T>(store: InvokeStoreBase, requestId: string, fn: () => T): T {
  return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, fn);
}
