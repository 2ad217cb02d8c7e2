import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvokeStoreBase } from '@aws/lambda-invoke-store';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseConfig } from '../lib/config';
import type { FunctionName } from '../lib/functions';
import { DEMO_PLANS } from './demo-plans';
import { createEmulators, type Emulators, startStepFunctions } from './emulators';
import type { LocalEventBridge } from './event-bridge';
import { handlerEnvironment, pointAwsSdkAt } from './handler-environment';
import { loadHandlers } from './handlers';
import { IdentityCenterEmulator } from './identity-center';
import { installInvokeStore, runInvocation } from './invoke-store';
import type { LocalMetrics } from './metrics';
import { LOCAL_OIDC_PATH, LocalOidcProvider } from './oidc-provider';
import type { Outbox } from './outbox';
import { localRoutes, serveRoutes } from './routes';
import type { ServiceCatalogEmulator } from './service-catalog';
import { invokeHandler, type LambdaHandler, type LocalStepFunctions } from './step-functions';
import { exampleContext, synthesize } from './synth';
import { type CfnTemplate, createApprovalTable, loadWorkflow, withApprovalTimeout } from './template';

/**
 * Local mode: the synthesized workflow on one port, with no AWS account. The handlers are the deployed
 * code; only their SDK endpoints point here (AWS_ENDPOINT_URL_*). See the README's "Local mode".
 */

/** Local mode turns Slack on with these secrets unless the context names others; GetSecretValue answers them. */
export const LOCAL_SLACK_CONTEXT = {
  'plangate:slackWebhookSecret': 'plangate/slack-webhook-url',
  'plangate:slackSigningSecret': 'plangate/slack-signing-secret',
};
export { DEFAULT_LOCAL_SIGNING_SECRET } from './routes';

export interface LocalModeOptions {
  host?: string;
  port?: number;
  /** Context overrides, as `cdk -c key=value` gives them. */
  context?: Record<string, unknown>;
  /** Load the demo plans at start. @default true */
  demoPlans?: boolean;
  /** Where progress lines go. @default nowhere */
  log?: (line: string) => void;
  /** Milliseconds the poll Wait states really wait (the template's are minutes), without a time scale. @default 1000 */
  pollWaitMs?: number;
  /**
   * Runs time at this scale: every Wait, task timeout (a function task's no lower than TASK_TIMEOUT_FLOOR_SECONDS),
   * retry interval and simulated plan or record duration (and the approval and poll deadlines the functions compute)
   * is multiplied by it. @default - the shortened poll waits
   */
  timeScale?: number;
  /** Requests per second each Service Catalog API answers (per account and Region) before ThrottlingException. @default no limit */
  serviceCatalogTps?: number;
  /** Shortens the approval timeout below configuration's 5-minute minimum, to try expiry. @default from configuration */
  approvalTimeoutSeconds?: number;
  /** Milliseconds between runs of a scheduled rule (WatchRuns' count) without a time scale. @default 5000 */
  scheduleMs?: number;
  /**
   * Built beforehand (the tests build once per run): the template synthesized with this context (LOCAL_SLACK_CONTEXT
   * included), and a folder of handler bundles written by bundleHandlers. @default synthesized and bundled at start
   */
  prebuilt?: { template: CfnTemplate; handlers: string; spokeTemplate?: CfnTemplate };
}

export interface LocalMode {
  baseUrl: string;
  /** The approval table (the audit trail), served by DynamoDB on baseUrl. */
  approvalTable: string;
  /** The functions' environment variables, as the deployed stack sets them (with a time scale, its deadlines scaled). */
  functionEnvironment: Readonly<Record<string, string>>;
  serviceCatalog: ServiceCatalogEmulator;
  stepFunctions: LocalStepFunctions;
  /** The default event bus: the template's rules, and the events AWS services emit. */
  eventBridge: LocalEventBridge;
  /** Several accounts (issue 21): each account and Region's Service Catalog and default bus, the hub bus, the calls made. */
  accounts: Pick<Emulators, 'serviceCatalogAt' | 'defaultBusAt' | 'hubBus' | 'calls' | 'spokes'>;
  outbox: Outbox;
  /** IAM Identity Center's identity store: plangate:groups' Identity Center groups, whose members may change while runs wait. */
  identityCenter: IdentityCenterEmulator;
  /** With plangate:signIn: the identity provider the demo users sign in at (`<baseUrl>/local/oidc`). */
  oidc?: LocalOidcProvider;
  /** The handlers' metrics, summed up as the dashboard shows them (GET /local/metrics). */
  metrics: LocalMetrics;
  /** Makes the next SNS publish(es) fail with this error code (a 400, which the SDK does not retry), to try failures. */
  failNextPublish(code?: string, times?: number): void;
  /** Invokes a function as Lambda would (the manifest job, or CloseRun, out of their schedule or rule). */
  invoke(fn: FunctionName, event: unknown): Promise<unknown>;
  /** Stops local mode; a second call waits for the first. */
  close(): Promise<void>;
}

export async function startLocalMode(options: LocalModeOptions = {}): Promise<LocalMode> {
  const log = options.log ?? (() => undefined);
  const overrides = { ...LOCAL_SLACK_CONTEXT, ...options.context };
  const config = parseConfig({ ...exampleContext(), ...overrides });
  const synthesis = options.prebuilt ? undefined : synthesize(overrides);
  const synthesized = loadWorkflow(options.prebuilt?.template ?? synthesis!.json);
  const workflow = options.approvalTimeoutSeconds ? withApprovalTimeout(synthesized, options.approvalTimeoutSeconds) : synthesized;
  const { timeScale } = options;

  const spokeTemplate = options.prebuilt ? options.prebuilt.spokeTemplate : synthesis!.spokeJson;
  const identityCenter = new IdentityCenterEmulator(
    config.approvers.map((approver) => approver.email),
    config.groups,
  );
  const emulators = createEmulators(workflow, { timeScale, log, spokeTemplate, serviceCatalogTps: options.serviceCatalogTps, identityCenter });
  let baseUrl = '';
  let oidc: LocalOidcProvider | undefined;
  const server = createServer(serveRoutes(localRoutes({ emulators, workflow, config, baseUrl: () => baseUrl, log, oidc: () => oidc })));
  baseUrl = await listen(server, options).catch((error: unknown) => {
    emulators.metrics.close(); // gives stdout back
    throw error;
  });
  // With sign-in, the demo approvers sign in at local mode's own identity provider.
  if (workflow.environment.SIGN_IN_ISSUER) {
    oidc = await LocalOidcProvider.create(`${baseUrl}${LOCAL_OIDC_PATH}`, `${baseUrl}/auth/callback`, config.approvers);
  }

  const restoreSdkEnvironment = pointAwsSdkAt(baseUrl);
  const invokeStore = await installInvokeStore();
  const ddb = new DynamoDBClient({ endpoint: baseUrl });
  await createApprovalTable(ddb, workflow);
  ddb.destroy();
  // Loaded in a scope of their own too: Powertools sets up its stores as each bundle loads.
  const functionEnvironment = handlerEnvironment(workflow, baseUrl, timeScale);
  const loaded = await runInvocation(invokeStore, 'init', () =>
    loadHandlers({ environment: functionEnvironment, prebuilt: options.prebuilt?.handlers, only: new Set(workflow.functionsByArn.values()) }),
  );
  const handlers = asLambda(loaded, invokeStore, emulators.metrics);
  const sfn = startStepFunctions(emulators, workflow, handlers, { timeScale, log, pollWaitMs: options.pollWaitMs ?? 1000 });
  if (options.demoPlans ?? true) for (const plan of DEMO_PLANS) emulators.serviceCatalog.registerPlan(plan);
  const stopSchedules = emulators.eventBridge.startSchedules(workflow.schedules, (rateSeconds) =>
    timeScale === undefined ? (options.scheduleMs ?? 5000) : Math.max(1, rateSeconds * 1000 * timeScale),
  );

  const { serviceCatalog, eventBridge, outbox, metrics } = emulators;
  let closed: Promise<void> | undefined;
  const shutDown = async () => {
    stopSchedules();
    await stopRuns(emulators, sfn);
    emulators.close();
    metrics.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    restoreSdkEnvironment();
  };
  return {
    baseUrl,
    approvalTable: workflow.table.name,
    functionEnvironment,
    serviceCatalog,
    stepFunctions: sfn,
    eventBridge,
    accounts: emulators,
    outbox,
    identityCenter,
    oidc,
    metrics,
    invoke: (fn, event) => invokeHandler(handlers[fn], fn, event, workflow),
    failNextPublish(code = 'InvalidParameter', times = 1) {
      emulators.publishFaults.push(...Array<string>(times).fill(code));
    },
    close() {
      closed ??= shutDown();
      return closed;
    },
  };
}

/** Listens as asked, and answers local mode's base URL. */
async function listen(server: Server, options: LocalModeOptions): Promise<string> {
  // The SDK keeps idle connections open without a limit of its own; Node's 5-second default would close them under
  // a client that reuses one at that moment ("socket hang up"). AWS's endpoints keep them for about a minute.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Runs still open are stopped, as local state is in memory; their endings go through the bus like any other and are
 * closed like any other, but a stuck one must not keep local mode from stopping.
 */
async function stopRuns(emulators: Emulators, sfn: LocalStepFunctions): Promise<void> {
  for (const execution of sfn.listExecutions()) sfn.stopExecution(execution.executionArn, 'LocalModeStopped', 'Local mode shut down');
  const settled = Promise.all(sfn.listExecutions().map((e) => e.finished)).then(() => emulators.eventBridge.idle());
  await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
}

/**
 * Each handler as the Lambda runtime invokes it: in an invocation scope of its own (so concurrent invocations do not
 * share log keys or metrics), counting the invocations that throw, as Lambda's Errors metric does.
 */
function asLambda(handlers: Record<FunctionName, LambdaHandler>, store: InvokeStoreBase, metrics: LocalMetrics): Record<FunctionName, LambdaHandler> {
  const invoked = {} as Record<FunctionName, LambdaHandler>;
  for (const [name, handler] of Object.entries(handlers) as [FunctionName, LambdaHandler][]) {
    invoked[name] = (event, context) =>
      runInvocation(store, context.awsRequestId, async () => {
        try {
          return await handler(event, context);
        } catch (error) {
          metrics.functionError(name);
          throw error;
        }
      });
  }
  return invoked;
}
