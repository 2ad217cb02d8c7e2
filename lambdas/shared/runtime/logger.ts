import type { Context } from 'aws-lambda';
import { SERVICE_NAME } from './service';

/**
 * One structured JSON logger for every function: a line per entry on stdout, in the shape Powertools Logger writes
 * (`level`, `message`, `timestamp`, `service`, the Lambda context's keys, `xray_trace_id`, then the invocation's keys
 * and the entry's own), so log queries and metric filters read both alike. PlanGate's own, in a few lines: Powertools
 * Logger with its commons was about 24 KB of every bundle (README, "Bundles"). Events are never logged: they can carry
 * task tokens.
 */

const LEVELS = { DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, SILENT: 28 } as const;
type Level = Exclude<keyof typeof LEVELS, 'SILENT'>;

/** POWERTOOLS_LOG_LEVEL (as before), else Lambda's application log level, else INFO. */
function threshold(): number {
  const name = (process.env.POWERTOOLS_LOG_LEVEL || process.env.AWS_LAMBDA_LOG_LEVEL || 'INFO').toUpperCase();
  return LEVELS[name as keyof typeof LEVELS] ?? LEVELS.INFO;
}

/** An error as Powertools formats one: name, where it was thrown, message, stack (and its cause, the same way). */
function formatError(error: Error): Record<string, unknown> {
  const { name, message, stack, cause } = error;
  const location = /\(([^)]+)\)/.exec(stack?.split('\n')[1] ?? '')?.[1] ?? '';
  return { name, location, message, stack, ...(cause instanceof Error ? { cause: formatError(cause) } : cause ? { cause } : {}) };
}

const withErrors = (extra: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(extra).map(([key, value]) => [key, value instanceof Error ? formatError(value) : value]));

class Logger {
  private context: Record<string, unknown> = {};
  private keys: Record<string, unknown> = {};
  private coldStart = true;

  debug = (message: string, extra: Record<string, unknown> = {}) => this.write('DEBUG', message, extra);
  info = (message: string, extra: Record<string, unknown> = {}) => this.write('INFO', message, extra);
  warn = (message: string, extra: Record<string, unknown> = {}) => this.write('WARN', message, extra);
  error = (message: string, extra: Record<string, unknown> = {}) => this.write('ERROR', message, extra);

  /** Keys on every later line of this invocation (the run's: runtime/run-keys.ts); an invocation starts without them. */
  appendKeys(keys: Record<string, unknown>) {
    Object.assign(this.keys, keys);
  }

  /** At the start of each invocation (runtime/handler.ts): the Lambda context's keys, and none of the last one's. */
  startInvocation(context: Context | undefined) {
    this.keys = {};
    this.context = context?.awsRequestId
      ? {
          cold_start: this.coldStart,
          function_arn: context.invokedFunctionArn,
          function_memory_size: Number(context.memoryLimitInMB),
          function_name: context.functionName,
          function_request_id: context.awsRequestId,
        }
      : {};
    this.coldStart = false;
  }

  private write(level: Level, message: string, extra: Record<string, unknown>) {
    if (LEVELS[level] < threshold()) return;
    const trace = /Root=([^;]+)/.exec(process.env._X_AMZN_TRACE_ID ?? '')?.[1];
    const entry = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: SERVICE_NAME,
      ...this.context,
      ...(trace ? { xray_trace_id: trace } : {}),
      ...this.keys,
      ...withErrors(extra),
    };
    process.stdout.write(`${JSON.stringify(entry, safeValues())}\n`);
  }
}

/** Logging never throws: a value seen before on the same line (a cycle) and a bigint are written as text. */
function safeValues() {
  const seen = new WeakSet<object>();
  return (_key: string, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    return value;
  };
}

export const logger = new Logger();
