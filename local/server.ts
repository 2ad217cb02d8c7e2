import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { InvokeStoreBase } from '@aws/lambda-invoke-store';
import dynalite from 'dynalite';
import { parseConfig } from '../lib/config';
import { tooLargePage } from '../lambdas/approval-api/approval-api';
import { type SignedCaller, toApiGatewayEvent } from './api-gateway';
import { STATES } from '../lib/workflow-definition';
import {
  answerJson,
  cloudFormationDescribeStacks,
  eventBridgeOperation,
  type JsonAnswer,
  serviceCatalogOperation,
  snsPublish,
  stepFunctionsOperation,
  stsGetCallerIdentity,
} from './aws-endpoints';
import { DEMO_PLANS } from './demo-plans';
import { awsEvent, LocalEventBridge } from './event-bridge';
import { matchesPattern } from './event-patterns';
import { FUNCTIONS, type FunctionName } from '../lib/functions';
import { loadHandlers } from './handlers';
import { callerOf, verifySignature } from './identities';
import { installInvokeStore, runInvocation } from './invoke-store';
import { LocalMetrics } from './metrics';
import { Outbox, type OutboxEntry } from './outbox';
import { AwsApiError, ServiceCatalogEmulator } from './service-catalog';
import { type Execution, type ExecutionEvent, invokeHandler, type LambdaHandler, LocalStepFunctions } from './step-functions';
import { exampleContext, synthesize } from './synth';
import { createApprovalTable, LOCAL_REGION, LOCAL_STACK_NAME, type LocalWorkflow, loadWorkflow, routeFor, withApprovalTimeout } from './template';

/**
 * Local mode: the synthesized workflow on one port, with no AWS account. The handlers are the deployed
 * code; only their SDK endpoints point here (AWS_ENDPOINT_URL_*). See the README's "Local mode".
 */

/** Local mode turns Slack on with these secrets unless the context names others; GetSecretValue answers them. */
export const LOCAL_SLACK_CONTEXT = {
  'plangate:slackWebhookSecret': 'plangate/slack-webhook-url',
  'plangate:slackSigningSecret': 'plangate/slack-signing-secret',
};
/** The signing secret local mode's Slack endpoint checks, unless SLACK_SIGNING_SECRET says otherwise. */
export const DEFAULT_LOCAL_SIGNING_SECRET = 'plangate-local-signing-secret';

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
   * Runs time at this scale: every Wait, task timeout, retry interval and simulated plan or record duration (and
   * the approval and poll deadlines the functions compute) is multiplied by it. @default - the shortened poll waits
   */
  timeScale?: number;
  /** Shortens the approval timeout below configuration's 5-minute minimum, to try expiry. @default from configuration */
  approvalTimeoutSeconds?: number;
  /** Milliseconds between runs of a scheduled rule (WatchRuns' count) without a time scale. @default 5000 */
  scheduleMs?: number;
}

export interface LocalMode {
  baseUrl: string;
  /** The approval table (the audit trail), served by DynamoDB on baseUrl. */
  approvalTable: string;
  serviceCatalog: ServiceCatalogEmulator;
  stepFunctions: LocalStepFunctions;
  /** The default event bus: the template's rules, and the events AWS services emit. */
  eventBridge: LocalEventBridge;
  outbox: Outbox;
  /** The handlers' metrics, summed up as the dashboard shows them (GET /local/metrics). */
  metrics: LocalMetrics;
  /** Makes the next SNS publish(es) fail with this error code (a 400, which the SDK does not retry), to try failures. */
  failNextPublish(code?: string, times?: number): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;

/**
 * The request body. One over the limit is read to its end without being kept, and then refused: answering before
 * the client has sent it all would reset the connection under it.
 */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) throw new AwsApiError('RequestEntityTooLarge', `The request body is larger than ${MAX_BODY_BYTES} bytes`, 413);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, answer: JsonAnswer | APIGatewayProxyResult | { status: number; body: unknown }) {
  if ('statusCode' in answer) {
    res.writeHead(answer.statusCode, answer.headers as Record<string, string>);
    res.end(answer.body);
  } else if ('contentType' in answer) {
    res.writeHead(answer.status, { 'Content-Type': answer.contentType, 'x-amzn-RequestId': crypto.randomUUID() });
    res.end(answer.body);
  } else {
    res.writeHead(answer.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer.body, null, 2));
  }
}

function progressLine(execution: Execution, event: ExecutionEvent): string | undefined {
  const run = execution.name.slice(0, 8);
  if (event.type === 'StateEntered' && event.state?.type !== 'Choice') {
    if (event.state?.name === STATES.requestApproval) return `[${run}] waiting for approval`;
    if (event.state?.name === STATES.remindApprovers) return `[${run}] reminding approvers, still waiting`;
    return `[${run}] ${event.state?.name}`;
  }
  if (event.type === 'StateExited' && event.state?.name === STATES.checkRecord) {
    return `[${run}] record ${(event.state.output as { record?: { status?: string } }).record?.status}`;
  }
  if (event.type === 'StateRetried') return `[${run}] retrying ${event.state?.name}`;
  if (event.type.startsWith('Execution') && event.type !== 'ExecutionStarted') {
    const outcome = (event.output as { outcome?: string } | undefined)?.outcome;
    return `[${run}] ${event.type.replace('Execution', 'run ').toLowerCase()}${outcome ? `: ${outcome}` : ''}`;
  }
  return undefined;
}

function printEntry(entry: OutboxEntry): string {
  const links = entry.urls.length ? `\n    ${entry.urls.join('\n    ')}` : '';
  return `[outbox] ${entry.channel} to ${entry.recipient}: ${entry.subject ?? ''}${links}`;
}

export async function startLocalMode(options: LocalModeOptions = {}): Promise<LocalMode> {
  const log = options.log ?? (() => undefined);
  const overrides = { ...LOCAL_SLACK_CONTEXT, ...options.context };
  const config = parseConfig({ ...exampleContext(), ...overrides });
  const synthesized = loadWorkflow(synthesize(overrides).json);
  const workflow = options.approvalTimeoutSeconds ? withApprovalTimeout(synthesized, options.approvalTimeoutSeconds) : synthesized;
  const timeScale = options.timeScale;

  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoListener = db.listeners('request')[0] as RequestListener;
  const outbox = new Outbox((entry) => log(printEntry(entry)));
  const metrics = new LocalMetrics(Object.keys(FUNCTIONS));
  let stepFunctions: LocalStepFunctions | undefined;
  let handlers: Awaited<ReturnType<typeof loadHandlers>> | undefined;

  const recipientsOf = (topicArn: string, attributes: Record<string, string>) => recipients(workflow, topicArn, attributes);
  const publishFaults: string[] = [];
  const eventBridge = new LocalEventBridge(
    workflow.rules,
    {
      startExecution: (arn, input) => {
        if (arn !== stepFunctions?.stateMachineArn) throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
        stepFunctions.startExecution(JSON.parse(input), undefined, input);
      },
      asyncInvocation: (arn) => {
        const fn = workflow.functionsByArn.get(arn);
        if (!fn) throw new AwsApiError('ResourceNotFoundException', `Function not found: ${arn}`);
        return workflow.asyncInvocations.get(fn)!;
      },
      invokeFunction: async (arn, event) => {
        const fn = workflow.functionsByArn.get(arn);
        if (!fn || !handlers) throw new AwsApiError('ResourceNotFoundException', `Function not found: ${arn}`);
        await invokeHandler(handlers[fn], fn, event, workflow);
      },
      publish: (arn, message) => outbox.add({ channel: 'email', recipient: recipientsOf(arn, {}), body: message }),
    },
    outbox,
    { timeScale, log },
  );
  const serviceCatalog = new ServiceCatalogEmulator({
    timeScale,
    onStackEvent: ({ stackId, status, statusReason }) =>
      eventBridge.emit(
        awsEvent('aws.cloudformation', 'CloudFormation Stack Status Change', [stackId], {
          'stack-id': stackId,
          'status-details': { status, 'status-reason': statusReason },
        }),
      ),
  });

  const secrets: Record<string, () => string> = {
    [config.slackWebhookSecret ?? '']: () => `${baseUrl}/local/slack/webhook`,
    [config.slackSigningSecret ?? '']: () => process.env.SLACK_SIGNING_SECRET || DEFAULT_LOCAL_SIGNING_SECRET,
  };
  const secretValue = (operation: string, input: Record<string, unknown>) => {
    if (operation !== 'GetSecretValue') throw new AwsApiError('UnknownOperationException', `Local mode does not serve secretsmanager.${operation}`);
    const id = String(input.SecretId ?? '');
    const value = id ? secrets[id] : undefined;
    if (!value) throw new AwsApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return { ARN: `arn:aws:secretsmanager:${LOCAL_REGION}:000000000000:secret:${id}-local`, Name: id, SecretString: value() };
  };
  let baseUrl = '';
  // The deployed stack's outputs, as `plangate` reads them; the approval API is served at local mode's root.
  const stackOutputs = () => ({ StateMachineArn: workflow.stateMachineArn, ApprovalTableName: workflow.table.name, ApprovalApiUrl: `${baseUrl}/` });

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string' && target.startsWith('DynamoDB_20120810.')) return dynamoListener(req, res);
      if (req.method === 'POST' && (target || url.pathname === '/')) {
        const body = await readBody(req);
        const [service, operation = ''] = String(target ?? '').split('.');
        const input = () => {
          try {
            return body ? (JSON.parse(body) as Record<string, unknown>) : {};
          } catch {
            throw new AwsApiError('SerializationException', 'The request body is not valid JSON');
          }
        };
        if (service === 'AWS242ServiceCatalogService') return send(res, answerJson('1.1', () => serviceCatalogOperation(serviceCatalog, operation, input())()));
        if (service === 'AWSStepFunctions') return send(res, answerJson('1.0', () => stepFunctionsOperation(stepFunctions!, operation, input())()));
        if (service === 'AWSEvents') return send(res, answerJson('1.1', () => eventBridgeOperation(eventBridge, operation, input())()));
        if (service === 'secretsmanager') return send(res, answerJson('1.1', () => secretValue(operation, input())));
        const action = target ? undefined : new URLSearchParams(body).get('Action');
        if (action === 'GetCallerIdentity') return send(res, stsGetCallerIdentity(callerOf(req.headers.authorization)));
        if (action === 'DescribeStacks') return send(res, cloudFormationDescribeStacks(body, { name: LOCAL_STACK_NAME, outputs: stackOutputs() }));
        if (!target) {
          const fault = publishFaults.shift();
          if (fault) return send(res, { status: 400, contentType: 'text/xml', body: `<ErrorResponse><Error><Type>Sender</Type><Code>${fault}</Code><Message>Refused by failNextPublish</Message></Error></ErrorResponse>` });
          return send(res, snsPublish(outbox, body, recipientsOf));
        }
        return send(res, answerJson('1.1', () => {
          throw new AwsApiError('UnknownOperationException', `Local mode does not serve ${target}`);
        }));
      }
      if (url.pathname.startsWith('/local/slack/')) {
        // The channel's incoming webhook, and the response_url Slack would give a button click.
        if (req.method !== 'POST') return send(res, { status: 405, body: { error: 'Slack posts are POSTs' } });
        const body = await readBody(req);
        let message: { text?: string };
        try {
          message = JSON.parse(body);
        } catch {
          res.writeHead(400).end('invalid_payload');
          return;
        }
        const recipient = url.pathname === '/local/slack/webhook' ? '#plangate (incoming webhook)' : `response_url ${url.pathname}`;
        outbox.add({ channel: 'slack', recipient, subject: message.text, body: JSON.stringify(message) });
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      }
      if (/^\/(approvals|slack|cli)(\/|$)/.test(url.pathname)) {
        let body: string | undefined;
        try {
          body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
        } catch (error) {
          // As API Gateway would refuse it, but with the approval pages' own headers and wording.
          if (error instanceof AwsApiError && error.statusCode === 413) return send(res, tooLargePage(MAX_BODY_BYTES));
          throw error;
        }
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const route = routeFor(workflow.apiRoutes, url.pathname);
        if (!route || !handlers) return send(res, { status: 403, body: { message: 'Missing Authentication Token' } });
        let caller: SignedCaller | undefined;
        if (route.authorization === 'AWS_IAM') {
          // As API Gateway checks an AWS_IAM route's signature before the function sees anything.
          const verdict = await verifySignature({ method: req.method ?? 'GET', url: req.url ?? '/', headers, body: body ?? '' });
          if ('status' in verdict) return send(res, { status: verdict.status, body: { message: verdict.message } });
          caller = { arn: verdict.identity.arn, accessKeyId: verdict.identity.accessKeyId, userId: verdict.identity.userId };
        }
        const event = toApiGatewayEvent({ method: req.method ?? 'GET', path: url.pathname, headers, body, query: Object.fromEntries(url.searchParams) }, 'prod', {
          resource: route.path,
          caller,
        });
        const context = { awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => 15_000 } as Context;
        return send(res, (await handlers[route.function](event, context)) as APIGatewayProxyResult);
      }
      if (url.pathname === '/local/metrics') {
        if (req.method !== 'GET') return send(res, { status: 405, body: { error: 'Use GET /local/metrics' } });
        return send(res, { status: 200, body: metrics.summary() });
      }
      if (url.pathname === '/local/outbox') {
        if (req.method !== 'GET') return send(res, { status: 405, body: { error: 'Use GET /local/outbox' } });
        return send(res, { status: 200, body: outbox.list() });
      }
      if (url.pathname === '/local/plans') {
        if (req.method !== 'POST') return send(res, { status: 405, body: { error: 'Use POST /local/plans with a DescribeProvisionedProductPlan response as the body' } });
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readBody(req));
        } catch {
          return send(res, { status: 400, body: { error: 'The body is not valid JSON' } });
        }
        try {
          const planId = serviceCatalog.registerPlan(parsed);
          log(`[plans] registered ${planId}`);
          return send(res, { status: 200, body: { PlanId: planId } });
        } catch (error) {
          return send(res, { status: 400, body: { error: (error as Error).message } });
        }
      }
      return send(res, { status: 404, body: { error: `Nothing at ${req.method} ${url.pathname}` } });
    } catch (error) {
      const status = error instanceof AwsApiError ? error.statusCode : 500;
      return send(res, { status, body: { error: (error as Error).message } });
    }
  });
  // The SDK keeps idle connections open without a limit of its own; Node's 5-second default would close them under
  // a client that reuses one at that moment ("socket hang up"). AWS's endpoints keep them for about a minute.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  }).catch((error: unknown) => {
    metrics.close(); // gives stdout back
    throw error;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  // The handlers read these exactly as in Lambda; only the endpoints differ (and, with a time scale, the deadlines).
  Object.assign(process.env, workflow.environment, scaledDeadlines(workflow, timeScale), {
    APPROVAL_BASE_URL: `${baseUrl}/`,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SERVICE_CATALOG: baseUrl,
    AWS_ENDPOINT_URL_SFN: baseUrl,
    AWS_ENDPOINT_URL_DYNAMODB: baseUrl,
    AWS_ENDPOINT_URL_SNS: baseUrl,
    AWS_ENDPOINT_URL_EVENTBRIDGE: baseUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: baseUrl,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    // Metrics are written (and taken off stdout by LocalMetrics); there is no X-Ray here.
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });
  const invokeStore = await installInvokeStore();
  const ddb = new DynamoDBClient({ endpoint: baseUrl });
  await createApprovalTable(ddb, workflow);
  ddb.destroy();

  // Loaded in a scope of their own too: Powertools sets up its stores as each bundle loads.
  handlers = asLambda(await runInvocation(invokeStore, 'init', loadHandlers), invokeStore, metrics);
  const pollWaitMs = options.pollWaitMs ?? 1000;
  const sfn = new LocalStepFunctions(workflow, handlers, {
    timeScale,
    waitTimeOverrides: { [STATES.waitForPlan]: pollWaitMs, [STATES.waitForRecord]: pollWaitMs, [STATES.awaitRecordEvent]: pollWaitMs },
    onEvent: (execution, event) => {
      const line = progressLine(execution, event);
      if (line) log(line);
    },
    onStatusChange: (execution) =>
      eventBridge.emit(awsEvent('aws.states', 'Step Functions Execution Status Change', [execution.executionArn], statusChangeDetail(execution, sfn.stateMachineArn))),
  });
  stepFunctions = sfn;
  if (options.demoPlans ?? true) for (const plan of DEMO_PLANS) serviceCatalog.registerPlan(plan);
  const stopSchedules = eventBridge.startSchedules(workflow.schedules, (rateSeconds) =>
    timeScale === undefined ? (options.scheduleMs ?? 5000) : Math.max(1, rateSeconds * 1000 * timeScale),
  );

  return {
    baseUrl,
    approvalTable: workflow.table.name,
    serviceCatalog,
    stepFunctions: sfn,
    eventBridge,
    outbox,
    metrics,
    failNextPublish(code = 'InvalidParameter', times = 1) {
      publishFaults.push(...Array<string>(times).fill(code));
    },
    async close() {
      stopSchedules();
      // Runs still open are stopped, as local state is in memory; their endings go through the bus like any other.
      for (const execution of sfn.listExecutions()) sfn.stopExecution(execution.executionArn, 'LocalModeStopped', 'Local mode shut down');
      // Their endings are closed like any other, but a stuck one must not keep local mode from stopping.
      const settled = Promise.all(sfn.listExecutions().map((e) => e.finished)).then(() => eventBridge.idle());
      await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      serviceCatalog.close();
      metrics.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
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

/** Who receives a publish to a topic: its email subscriptions whose filter policy matches the message attributes. */
function recipients(workflow: LocalWorkflow, topicArn: string, attributes: Record<string, string>): string {
  const subscriptions = workflow.subscriptions.get(topicArn) ?? [];
  const reached = subscriptions.filter((s) => !s.filterPolicy || matchesPattern(s.filterPolicy, attributes)).map((s) => s.endpoint);
  return reached.join(', ') || `${topicArn.split(':').pop()} (no subscriber's filter matched)`;
}

/** A Step Functions "Execution Status Change" event's detail (times in epoch milliseconds, as AWS sends them). */
function statusChangeDetail(execution: Execution, stateMachineArn: string) {
  const ended = execution.status !== 'RUNNING';
  return {
    executionArn: execution.executionArn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    stopDate: execution.stopDate?.getTime() ?? null,
    input: execution.inputText,
    inputDetails: { included: true },
    output: ended && execution.output !== undefined ? JSON.stringify(execution.output) : null,
    outputDetails: ended && execution.output !== undefined ? { included: true } : null,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
  };
}

/** With a time scale, the deadlines the functions compute themselves (approval expiry, poll timeout) shrink with it. */
function scaledDeadlines(workflow: LocalWorkflow, timeScale: number | undefined): Record<string, string> {
  if (timeScale === undefined) return {};
  const scaled: Record<string, string> = {};
  for (const name of ['APPROVAL_TIMEOUT_SECONDS', 'POLL_TIMEOUT_SECONDS']) {
    const seconds = Number(workflow.environment[name]);
    if (seconds) scaled[name] = String(Math.max(1, Math.ceil(seconds * timeScale)));
  }
  return scaled;
}
