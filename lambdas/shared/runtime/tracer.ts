import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { SERVICE_NAME } from './service';
import { isThrottlingError } from './transient';

/**
 * X-Ray, in a few KB instead of Powertools Tracer and the X-Ray SDK (about 125 KB of every bundle, and a quarter of
 * its require time): Lambda's active tracing records the function and its invocation; this adds a subsegment for the
 * handler (annotated ColdStart, Service and planId) and one for every AWS SDK call (adapters/clients), sent to the
 * X-Ray daemon as the X-Ray SDK sends them. Neither the event, the response nor an SDK call's parameters are recorded,
 * and plain HTTP(S) requests are not captured: their URLs are Slack's webhook (a secret) and the click's response_url.
 * Outside Lambda (tests, local mode) and with POWERTOOLS_TRACE_ENABLED=false, it does nothing.
 */

interface Subsegment {
  id: string;
  name: string;
  trace_id: string;
  parent_id: string;
  type: 'subsegment';
  start_time: number;
  end_time?: number;
  namespace?: 'aws';
  annotations?: Record<string, string | number | boolean>;
  aws?: { operation: string; region?: string; request_id?: string; retries?: number };
  http?: { response: { status: number } };
  error?: true;
  fault?: true;
  throttle?: true;
  cause?: { exceptions: { id: string; type: string; message: string; remote?: true }[] };
}

/** The handler's subsegment of the invocation being handled, and the sends of its SDK calls' subsegments. */
const invocation = new AsyncLocalStorage<{ segment: Subsegment; sends: Promise<void>[] }>();

let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';

const newId = () => randomBytes(8).toString('hex');
const now = () => Date.now() / 1000;

/** The invocation's trace header: the runtime's per-invocation store (several invocations at once), else the variable. */
function traceHeader(): Record<string, string> {
  const lambda = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } } }).awslambda;
  const header = lambda?.InvokeStore?.getXRayTraceId() ?? process.env._X_AMZN_TRACE_ID ?? '';
  return Object.fromEntries(header.split(';').map((field) => field.split('=', 2)));
}

export function isTracingEnabled(): boolean {
  return (
    process.env.POWERTOOLS_TRACE_ENABLED !== 'false' &&
    !!process.env.AWS_EXECUTION_ENV?.startsWith('AWS_Lambda_') &&
    !!process.env.AWS_XRAY_DAEMON_ADDRESS
  );
}

let socket: Socket | undefined;

/** One subsegment to the daemon (UDP, as the X-Ray SDK sends); a lost one never fails the invocation. */
function send(segment: Subsegment): Promise<void> {
  const address = process.env.AWS_XRAY_DAEMON_ADDRESS ?? '';
  // "host:port", or "udp:host:port tcp:host:port".
  const udp =
    address
      .split(' ')
      .find((part) => part.startsWith('udp:'))
      ?.slice(4) ?? address;
  const colon = udp.lastIndexOf(':');
  socket ??= createSocket('udp4').unref();
  const message = `{"format":"json","version":1}\n${JSON.stringify(segment)}`;
  return new Promise((resolve) => socket!.send(message, Number(udp.slice(colon + 1)), udp.slice(0, colon), () => resolve()));
}

const exceptionOf = (error: unknown, remote?: true) => ({
  id: newId(),
  type: (error as Error)?.name ?? typeof error,
  message: String((error as Error)?.message ?? error).slice(0, 1000),
  ...(remote ? { remote } : {}),
});

/**
 * Runs one invocation in a handler subsegment (named `## <_HANDLER>`, as Powertools named it) when the invocation is
 * sampled; a failure marks it a fault, with the error's name and message (no stack: it points into minified code).
 */
async function captureInvocation<T>(handle: () => Promise<T>): Promise<T> {
  const cold = coldStart;
  coldStart = false;
  const trace = isTracingEnabled() ? traceHeader() : {};
  if (trace.Sampled !== '1' || !trace.Root || !trace.Parent) return handle();
  const segment: Subsegment = {
    id: newId(),
    name: `## ${process.env._HANDLER ?? 'handler'}`,
    trace_id: trace.Root,
    parent_id: trace.Parent,
    type: 'subsegment',
    start_time: now(),
    annotations: { ColdStart: cold, Service: SERVICE_NAME },
  };
  const sends: Promise<void>[] = [];
  try {
    return await invocation.run({ segment, sends }, handle);
  } catch (error) {
    Object.assign(segment, { fault: true, cause: { exceptions: [exceptionOf(error)] } });
    throw error;
  } finally {
    segment.end_time = now();
    // Sent before the invocation ends: Lambda may freeze the container right after.
    await Promise.all([...sends, send(segment)]);
  }
}

/** Annotates the handler's subsegment (searchable in X-Ray: `annotation.planId = "plan-abc"`). */
function putAnnotation(key: string, value: string | number | boolean): void {
  const current = invocation.getStore();
  if (current) current.segment.annotations = { ...current.segment.annotations, [key]: value };
}

interface SdkClient {
  config: { region?: unknown };
  middlewareStack: { add(middleware: unknown, options: { name: string; step: 'build' }): void; remove(name: string): boolean };
}
interface SdkArgs {
  request?: { headers?: Record<string, string> };
}
interface SdkResult {
  output?: { $metadata?: SdkMetadata };
}
interface SdkMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts?: number;
}

export const SDK_MIDDLEWARE_NAME = 'XRayTracing';

/**
 * A subsegment for each call the client makes during a traced invocation: the service and operation, Region, request
 * id, retries, HTTP status, and error, fault and throttle flags with the error's name and message. The call carries
 * the trace header, so services that continue traces (SNS, EventBridge, Step Functions) link to it.
 */
function captureAWSv3Client<T extends SdkClient>(client: T): T {
  const middleware =
    (next: (args: SdkArgs) => Promise<SdkResult>, context: { clientName?: string; commandName?: string }) => async (args: SdkArgs) => {
      const current = invocation.getStore();
      if (!current) return next(args);
      const segment: Subsegment = {
        id: newId(),
        name: (context.clientName ?? 'AWS').replace(/Client$/, ''),
        namespace: 'aws',
        trace_id: current.segment.trace_id,
        parent_id: current.segment.id,
        type: 'subsegment',
        start_time: now(),
      };
      if (args.request?.headers) args.request.headers['X-Amzn-Trace-Id'] = `Root=${segment.trace_id};Parent=${segment.id};Sampled=1`;
      const region = typeof client.config.region === 'function' ? await client.config.region() : client.config.region;
      const close = (metadata: SdkMetadata | undefined, error?: unknown) => {
        segment.end_time = now();
        const status = metadata?.httpStatusCode;
        segment.aws = {
          operation: (context.commandName ?? '').replace(/Command$/, ''),
          region: typeof region === 'string' ? region : undefined,
          request_id: metadata?.requestId,
          retries: metadata?.attempts === undefined ? undefined : metadata.attempts - 1,
        };
        if (status) segment.http = { response: { status } };
        if (status === 429 || (error instanceof Error && isThrottlingError(error))) segment.throttle = true;
        if (error !== undefined || (status ?? 0) >= 400) {
          if (!status || status >= 500) segment.fault = true;
          else segment.error = true;
        }
        if (error !== undefined) segment.cause = { exceptions: [exceptionOf(error, true)] };
        current.sends.push(send(segment));
      };
      try {
        const result = await next(args);
        close(result?.output?.$metadata);
        return result;
      } catch (error) {
        close((error as { $metadata?: SdkMetadata }).$metadata, error);
        throw error;
      }
    };
  client.middlewareStack.remove(SDK_MIDDLEWARE_NAME);
  client.middlewareStack.add(middleware, { name: SDK_MIDDLEWARE_NAME, step: 'build' });
  return client;
}

export const tracer = { isTracingEnabled, captureInvocation, putAnnotation, captureAWSv3Client };
