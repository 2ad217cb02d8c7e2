import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { tooLargePage } from '../lambdas/approval-api/approval-api';
import { STACK_OUTPUTS } from '../lambdas/shared/contracts/stack';
import type { PlanGateConfig } from '../lib/config';
import { type SignedCaller, toApiGatewayEvent } from './api-gateway';
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
import type { ApiCall, Emulators } from './emulators';
import { awsEvent } from './event-bridge';
import { accountOf, callerOf, credentialOf, type LocalIdentity, type SignedRequest, verifySessionCall, verifySignature } from './identities';
import type { IdentityCenterEmulator } from './identity-center';
import type { KmsEmulator } from './kms';
import { answerOidc, LOCAL_OIDC_PATH, type LocalOidcProvider } from './oidc-provider';
import type { S3Emulator } from './s3';
import { AwsApiError, type ServiceCatalogEmulator } from './service-catalog';
import { HUB, isKnownLocation, type Location } from './spokes';
import type { SsmEmulator } from './ssm';
import { assumeRole, assumeRoleAnswer, StsError, stsErrorAnswer } from './sts';
import { LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_STACK_NAME, type LocalWorkflow, routeFor } from './template';

/**
 * Local mode's HTTP routes, first match wins: the AWS APIs the SDK clients call (by X-Amz-Target, or a Query
 * protocol form posted to `/`), Slack's webhooks, the approval API as API Gateway serves it, and local mode's own
 * pages under `/local/`.
 */

/** The signing secret local mode's Slack endpoint checks, unless SLACK_SIGNING_SECRET says otherwise. */
export const DEFAULT_LOCAL_SIGNING_SECRET = 'plangate-local-signing-secret';

export const MAX_BODY_BYTES = 1_000_000;

export interface LocalRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The X-Amz-Target header: an AWS JSON-protocol operation. */
  target?: string;
}

export interface Route {
  match(request: LocalRequest): boolean;
  handle(request: LocalRequest): Promise<void> | void;
}

export interface RouteContext {
  emulators: Emulators;
  workflow: LocalWorkflow;
  config: PlanGateConfig;
  /** Local mode's address, known once it listens. */
  baseUrl(): string;
  log(line: string): void;
  /** The local identity provider, when the template has sign-in (plangate:signIn). */
  oidc?(): LocalOidcProvider | undefined;
}

/** The request listener: the first route that matches answers; errors become JSON answers with their status. */
export function serveRoutes(routes: Route[]): RequestListener {
  return async (req, res) => {
    try {
      const target = req.headers['x-amz-target'];
      const url = new URL(req.url ?? '/', 'http://local');
      const request: LocalRequest = { req, res, url, target: typeof target === 'string' ? target : undefined };
      const route = routes.find((r) => r.match(request));
      if (route) return await route.handle(request);
      return send(res, { status: 404, body: { error: `Nothing at ${req.method} ${request.url.pathname}` } });
    } catch (error) {
      const status = error instanceof AwsApiError ? error.statusCode : 500;
      return send(res, { status, body: { error: (error as Error).message } });
    }
  };
}

export function localRoutes(context: RouteContext): Route[] {
  const { emulators } = context;
  const path = (pathname: string, handle: Route['handle']): Route => ({ match: ({ url }) => url.pathname === pathname, handle });
  return [
    { match: ({ target }) => target?.startsWith('DynamoDB_20120810.') ?? false, handle: ({ req, res }) => emulators.dynamo(req, res) },
    ...identityCenterRoutes(emulators.identityCenter),
    ssmRoute(emulators.ssm),
    kmsRoute(emulators.kms),
    s3Route(emulators.s3),
    {
      match: ({ req, url, target }) => req.method === 'POST' && (target !== undefined || url.pathname === '/'),
      handle: (request) => answerAwsApi(request, context),
    },
    { match: ({ url }) => url.pathname.startsWith('/local/slack/'), handle: (request) => slackPost(request, context) },
    {
      match: ({ url }) => /^\/(approvals|slack|cli|auth|history|requests)(\/|$)/.test(url.pathname),
      handle: (request) => approvalApi(request, context),
    },
    // With sign-in, GET / is the signed-in approver's inbox (the Inbox function's).
    {
      match: ({ req, url }) => url.pathname === '/' && req.method === 'GET' && context.oidc?.() !== undefined,
      handle: (r) => approvalApi(r, context),
    },
    { match: ({ url }) => url.pathname.startsWith(`${LOCAL_OIDC_PATH}/`), handle: (request) => oidcRoute(request, context) },
    path('/local/metrics', ({ req, res }) => getOnly(req, res, '/local/metrics', () => emulators.metrics.summary())),
    path('/local/outbox', ({ req, res }) => getOnly(req, res, '/local/outbox', () => emulators.outbox.list())),
    path('/local/plans', (request) => registerPlan(request, context)),
    path('/local/aws-events', (request) => putAwsEvent(request, context)),
    path('/local/calls', ({ req, res, url }) => listCalls(req, res, url, emulators)),
  ];
}

const GROUP_MEMBERS = /^\/local\/identity-center\/groups\/([^/]+)\/members$/;

/**
 * The Identity Store API (awsJson1_1), and local mode's own routes to its groups: GET /local/identity-center/groups
 * lists them, POST /local/identity-center/groups/{displayName}/members with {"add": [emails], "remove": [emails]}
 * changes one.
 */
export function identityCenterRoutes(identityCenter: IdentityCenterEmulator): Route[] {
  return [
    jsonApiRoute('AWSIdentityStore', (operation, input) => identityCenter.handle(operation, input)),
    {
      match: ({ url }) => url.pathname === '/local/identity-center/groups',
      handle: ({ req, res }) => getOnly(req, res, '/local/identity-center/groups', () => identityCenter.listGroups()),
    },
    {
      match: ({ url }) => GROUP_MEMBERS.test(url.pathname),
      handle: async ({ req, res, url }) => {
        const usage = 'Use POST /local/identity-center/groups/{displayName}/members with {"add": [emails], "remove": [emails]}';
        if (req.method !== 'POST') return send(res, { status: 405, body: { error: usage } });
        const displayName = decodeURIComponent(GROUP_MEMBERS.exec(url.pathname)![1]!);
        const body = await readBody(req); // one over the limit is refused with 413, as every route refuses it
        let change: unknown;
        try {
          change = JSON.parse(body);
        } catch {
          return send(res, { status: 400, body: { error: `The body is not valid JSON. ${usage}` } });
        }
        return send(res, { status: 200, body: identityCenter.changeMembers(displayName, change) });
      },
    },
  ];
}

/** Systems Manager's Change Calendar API (awsJson1_1): `aws ssm get-calendar-state --endpoint-url <local mode>` works. */
export const ssmRoute = (ssm: SsmEmulator): Route => jsonApiRoute('AmazonSSM', (operation, input) => ssm.handle(operation, input));

/** KMS's Sign, Verify and GetPublicKey for the evidence key (awsJson1_1): `aws kms get-public-key --endpoint-url <local mode>` works. */
export const kmsRoute = (kms: KmsEmulator): Route => jsonApiRoute('TrentService', (operation, input) => kms.handle(operation, input));

/** S3's REST-XML API for the evidence bucket, path-style: any request whose path starts with its name. */
export const s3Route = (s3: S3Emulator): Route => ({
  match: ({ target, url }) => target === undefined && s3.serves(url.pathname),
  handle: async ({ req, res, url }) => {
    const body = await readBuffer(req);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, value === undefined ? undefined : String(value)]));
    const answer = s3.handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body });
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  },
});

/** The body of an AWS JSON-protocol request: an object, `{}` when empty; not JSON is AWS's SerializationException. */
function jsonInput(body: string): Record<string, unknown> {
  try {
    return body ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {
    throw new AwsApiError('SerializationException', 'The request body is not valid JSON');
  }
}

/** One emulated awsJson1_1 service, routed by its X-Amz-Target prefix (`<prefix>.<Operation>`). */
function jsonApiRoute(prefix: string, handle: (operation: string, input: Record<string, unknown>) => unknown): Route {
  return {
    match: ({ target }) => target?.startsWith(`${prefix}.`) ?? false,
    handle: async ({ req, res, target }) => {
      const body = await readBody(req);
      return send(
        res,
        answerJson('1.1', () => handle(target!.slice(prefix.length + 1), jsonInput(body))),
      );
    },
  };
}

/** The AWS APIs, by X-Amz-Target (JSON protocols) or by the form's Action (Query protocol). */
async function answerAwsApi({ req, res, target }: LocalRequest, { emulators, workflow, config, baseUrl }: RouteContext) {
  const body = await readBody(req);
  const [service, operation = ''] = String(target ?? '').split('.');
  const signed = { method: req.method ?? 'POST', url: req.url ?? '/', headers: stringHeaders(req), body };
  const caller = callerOf(req.headers.authorization, (key) => emulators.sessions.find(key));
  // Where the call goes: the caller's account (its credentials say), the Region its signature is scoped to.
  const location: Location = { account: accountOf(caller), region: credentialOf(req.headers.authorization)?.region ?? LOCAL_REGION };
  // Without spokes, every PutEvents is the hub's, whatever Region it is signed for (as before issue 21).
  const sender = emulators.spokes ? location : HUB;
  const input = () => jsonInput(body);
  const jsonServices: Record<string, ['1.0' | '1.1', () => unknown]> = {
    AWS242ServiceCatalogService: ['1.1', () => serviceCatalogOperation(emulators.serviceCatalogAt(location), operation, input())()],
    AWSStepFunctions: ['1.0', () => stepFunctionsOperation(emulators.stepFunctions!, operation, input())()],
    AWSEvents: [
      '1.1',
      () =>
        eventBridgeOperation(emulators.eventBridge, operation, input(), { ...sender, principalArn: caller.arn }, (bus) =>
          emulators.busFor(bus, sender),
        )(),
    ],
    secretsmanager: ['1.1', () => secretValue(config, baseUrl(), operation, input())],
  };
  if (target) {
    const [version, answer] = jsonServices[service!] ?? ['1.1', () => unknownOperation(target)];
    if (service !== 'AWS242ServiceCatalogService') return send(res, answerJson(version, answer));
    const refused = await temporaryCredentialsRefusal(signed, emulators);
    const answered = refused ?? answerJson(version, answer);
    // A call refused for its credentials never reached a Service Catalog, so none is looked up (or made) for it.
    const subject = catalogSubject(operation, body, answered, refused ? undefined : emulators.serviceCatalogAt(location));
    emulators.calls.servicecatalog.push(apiCall(operation, location, caller, answered, subject));
    return send(res, answered);
  }
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  if (action === 'GetCallerIdentity') return send(res, stsGetCallerIdentity(caller));
  if (action === 'AssumeRole') return send(res, answerAssumeRole(form, caller, location, emulators));
  if (action === 'DescribeStacks') {
    return send(res, cloudFormationDescribeStacks(body, { name: LOCAL_STACK_NAME, outputs: stackOutputs(workflow, baseUrl()) }));
  }
  const fault = emulators.publishFaults.shift();
  if (fault) return send(res, { status: 400, contentType: 'text/xml', body: queryError(fault, 'Refused by failNextPublish') });
  return send(res, snsPublish(emulators.outbox, body, emulators.recipientsOf));
}

const stringHeaders = (req: IncomingMessage) => Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));

/**
 * A call signed with a temporary key (ASIA…) is refused unless local mode's STS issued it, it has not expired, and the
 * signature and session token are its own: as AWS answers in the JSON protocols, 403.
 */
async function temporaryCredentialsRefusal(request: SignedRequest, emulators: Emulators): Promise<JsonAnswer | undefined> {
  const accessKeyId = credentialOf(request.headers.authorization)?.accessKeyId;
  if (!accessKeyId?.startsWith('ASIA')) return undefined;
  if (emulators.sessions.expired(accessKeyId)) {
    return { status: 403, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: 'ExpiredTokenException', message: EXPIRED }) };
  }
  const session = emulators.sessions.find(accessKeyId);
  const error = session ? await verifySessionCall(request, session) : INVALID_TOKEN;
  if (!error) return undefined;
  const type = error === INVALID_TOKEN ? 'UnrecognizedClientException' : 'InvalidSignatureException';
  return { status: 403, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: type, message: error }) };
}

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED = 'The security token included in the request is expired';

/** A call as GET /local/calls lists it; a refused one with its error code. */
function apiCall(
  operation: string,
  location: Location,
  caller: LocalIdentity & { sourceIdentity?: string },
  answer: JsonAnswer,
  subject: Pick<ApiCall, 'planId' | 'recordId'> = {},
): ApiCall {
  const error = answer.status === 200 ? undefined : (JSON.parse(answer.body) as { __type?: string }).__type;
  return {
    operation,
    ...location,
    principal: caller.arn,
    ...(caller.sourceIdentity ? { sourceIdentity: caller.sourceIdentity } : {}),
    at: new Date().toISOString(),
    ...subject,
    ...(error ? { error } : {}),
  };
}

/** What a Service Catalog call is about: its plan, and the record DescribeRecord asks for or an execution answered. */
function catalogSubject(
  operation: string,
  body: string,
  answer: JsonAnswer,
  catalog: ServiceCatalogEmulator | undefined,
): Pick<ApiCall, 'planId' | 'recordId'> {
  const parse = (text: string) => {
    try {
      return (JSON.parse(text) ?? {}) as { PlanId?: unknown; Id?: unknown; RecordDetail?: { RecordId?: unknown } };
    } catch {
      return {};
    }
  };
  const input = parse(body);
  const answered = answer.status === 200 ? parse(answer.body).RecordDetail?.RecordId : undefined;
  const asked = operation === 'DescribeRecord' ? input.Id : undefined;
  const recordId = typeof asked === 'string' ? asked : typeof answered === 'string' ? answered : undefined;
  const planId = typeof input.PlanId === 'string' ? input.PlanId : recordId && catalog?.planOfRecord(recordId);
  return { ...(planId ? { planId } : {}), ...(recordId ? { recordId } : {}) };
}

/** STS AssumeRole: listed in the role's account (where CloudTrail records who assumed it), refused or not. */
function answerAssumeRole(form: URLSearchParams, caller: LocalIdentity, location: Location, emulators: Emulators): JsonAnswer {
  const roleAccount = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(form.get('RoleArn') ?? '')?.[1] ?? location.account;
  const call = { operation: 'AssumeRole', account: roleAccount, region: location.region, principal: caller.arn, at: new Date().toISOString() };
  const sourceIdentity = form.get('SourceIdentity') ?? undefined;
  try {
    const assumed = assumeRole(form, caller, emulators.spokes, emulators.sessions);
    emulators.calls.sts.push({ ...call, ...(sourceIdentity ? { sourceIdentity } : {}) });
    return assumeRoleAnswer(assumed);
  } catch (error) {
    if (!(error instanceof StsError)) throw error;
    emulators.calls.sts.push({ ...call, ...(sourceIdentity ? { sourceIdentity } : {}), error: error.code });
    return stsErrorAnswer(error);
  }
}

const unknownOperation = (target: string) => {
  throw new AwsApiError('UnknownOperationException', `Local mode does not serve ${target}`);
};

const queryError = (code: string, message: string) =>
  `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error></ErrorResponse>`;

/** The deployed stack's outputs, as `plangate` reads them; the approval API is served at local mode's root. */
const stackOutputs = (workflow: LocalWorkflow, baseUrl: string) => ({
  [STACK_OUTPUTS.stateMachineArn]: workflow.stateMachineArn,
  [STACK_OUTPUTS.approvalTableName]: workflow.table.name,
  [STACK_OUTPUTS.approvalApiUrl]: `${baseUrl}/`,
  ...(workflow.environment.EVIDENCE_BUCKET ? { [STACK_OUTPUTS.evidenceBucketName]: workflow.environment.EVIDENCE_BUCKET } : {}),
  ...(workflow.environment.EVIDENCE_KEY_ID ? { [STACK_OUTPUTS.evidenceSigningKeyArn]: workflow.environment.EVIDENCE_KEY_ID } : {}),
});

/** GetSecretValue for the Slack secrets the configuration names: the local webhook, and the signing secret. */
function secretValue(config: PlanGateConfig, baseUrl: string, operation: string, input: Record<string, unknown>) {
  if (operation !== 'GetSecretValue') throw new AwsApiError('UnknownOperationException', `Local mode does not serve secretsmanager.${operation}`);
  const secrets: Record<string, () => string> = {
    [config.slackWebhookSecret ?? '']: () => `${baseUrl}/local/slack/webhook`,
    [config.slackSigningSecret ?? '']: () => process.env.SLACK_SIGNING_SECRET || DEFAULT_LOCAL_SIGNING_SECRET,
  };
  const id = String(input.SecretId ?? '');
  const value = id ? secrets[id] : undefined;
  if (!value) throw new AwsApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  return { ARN: `arn:aws:secretsmanager:${LOCAL_REGION}:000000000000:secret:${id}-local`, Name: id, SecretString: value() };
}

/** The channel's incoming webhook, and the response_url Slack would give a button click. */
async function slackPost({ req, res, url }: LocalRequest, { emulators }: RouteContext) {
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
  emulators.outbox.add({ channel: 'slack', recipient, subject: message.text, body: JSON.stringify(message) });
  res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
}

/** The approval API as API Gateway serves it: the template's route, its authorization, then the function. */
async function approvalApi({ req, res, url }: LocalRequest, { emulators, workflow }: RouteContext) {
  let body: string | undefined;
  try {
    body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
  } catch (error) {
    // As API Gateway would refuse it, but with the approval pages' own headers and wording.
    if (error instanceof AwsApiError && error.statusCode === 413) return send(res, tooLargePage(MAX_BODY_BYTES));
    throw error;
  }
  const headers = stringHeaders(req);
  const route = routeFor(workflow.apiRoutes, url.pathname);
  if (!route || !emulators.handlers) return send(res, { status: 403, body: { message: 'Missing Authentication Token' } });
  let caller: SignedCaller | undefined;
  if (route.authorization === 'AWS_IAM') {
    // As API Gateway checks an AWS_IAM route's signature before the function sees anything.
    const verdict = await verifySignature({ method: req.method ?? 'GET', url: req.url ?? '/', headers, body: body ?? '' });
    if ('status' in verdict) return send(res, { status: verdict.status, body: { message: verdict.message } });
    caller = { arn: verdict.identity.arn, accessKeyId: verdict.identity.accessKeyId, userId: verdict.identity.userId };
  }
  const request = { method: req.method ?? 'GET', path: url.pathname, headers, body, query: Object.fromEntries(url.searchParams) };
  const event = toApiGatewayEvent(request, 'prod', { resource: route.path, caller });
  const context = { awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => 15_000 } as Context;
  return send(res, (await emulators.handlers[route.function](event, context)) as APIGatewayProxyResult);
}

/** The local identity provider's endpoints (local/oidc-provider.ts). */
async function oidcRoute({ req, res, url }: LocalRequest, context: RouteContext) {
  const provider = context.oidc?.();
  const body = req.method === 'POST' ? await readBody(req) : '';
  const answer = provider && (await answerOidc(provider, req.method ?? 'GET', url, body));
  if (!answer) return send(res, { status: 404, body: { error: `Nothing at ${req.method} ${url.pathname}` } });
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

function getOnly(req: IncomingMessage, res: ServerResponse, pathname: string, answer: () => unknown) {
  if (req.method !== 'GET') return send(res, { status: 405, body: { error: `Use GET ${pathname}` } });
  return send(res, { status: 200, body: answer() });
}

/**
 * Where a local route's caller says the plan or event is: `account` and `region` (each defaulting to the hub's), which
 * must be the hub or a configured spoke. Answers the location, or the error to send.
 */
function locationAsked(emulators: Emulators, given: { account?: unknown; region?: unknown }): Location | { error: string } {
  const account = given.account ?? HUB.account;
  const region = given.region ?? HUB.region;
  if (typeof account !== 'string' || typeof region !== 'string') return { error: 'account and region must be strings' };
  if (!isKnownLocation(emulators.spokes, { account, region })) {
    return {
      error: `Local mode emulates no account ${account} in ${region}: it is neither the hub (${LOCAL_ACCOUNT}, ${LOCAL_REGION}) nor a configured spoke`,
    };
  }
  return { account, region };
}

/** POST /local/plans[?account=A&region=R]: a DescribeProvisionedProductPlan response, registered as a plan there. */
async function registerPlan({ req, res, url }: LocalRequest, { emulators, log }: RouteContext) {
  if (req.method !== 'POST') {
    return send(res, { status: 405, body: { error: 'Use POST /local/plans with a DescribeProvisionedProductPlan response as the body' } });
  }
  const location = locationAsked(emulators, {
    account: url.searchParams.get('account') ?? undefined,
    region: url.searchParams.get('region') ?? undefined,
  });
  if ('error' in location) return send(res, { status: 400, body: location });
  const body = await readBody(req); // one over the limit is refused with 413, as every route refuses it
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return send(res, { status: 400, body: { error: 'The body is not valid JSON' } });
  }
  try {
    const planId = emulators.serviceCatalogAt(location).registerPlan(parsed);
    const where = location.account === HUB.account && location.region === HUB.region ? '' : ` in ${location.account}, ${location.region}`;
    log(`[plans] registered ${planId}${where}`);
    return send(res, { status: 200, body: { PlanId: planId } });
  } catch (error) {
    return send(res, { status: 400, body: { error: (error as Error).message } });
  }
}

/**
 * An event as an AWS service puts it on an account's default bus (CloudTrail's record of an API call, a stack's status
 * change): `{"account"?, "region"?, "source": "aws.…", "detailType" (or "detail-type"): "…", "detail": {…}, "resources"?: […]}`,
 * in the hub's account and Region unless it names a spoke's. PutEvents refuses `aws.` sources, as AWS does, so this
 * local-only route is how to try what AWS sends.
 */
async function putAwsEvent({ req, res }: LocalRequest, { emulators }: RouteContext) {
  const usage =
    'Use POST /local/aws-events with {"account"?: "…", "region"?: "…", "source": "aws.…", "detailType": "…", "detail": {…}, "resources"?: […]}';
  if (req.method !== 'POST') return send(res, { status: 405, body: { error: usage } });
  let event: {
    account?: unknown;
    region?: unknown;
    source?: unknown;
    detailType?: unknown;
    'detail-type'?: unknown;
    detail?: unknown;
    resources?: unknown;
  };
  try {
    event = JSON.parse(await readBody(req));
  } catch {
    return send(res, { status: 400, body: { error: 'The body is not valid JSON' } });
  }
  const { source, detail, resources = [] } = event ?? {};
  const detailType = event?.detailType ?? event?.['detail-type'];
  const valid =
    typeof source === 'string' &&
    source.startsWith('aws.') &&
    typeof detailType === 'string' &&
    detailType.length > 0 &&
    typeof detail === 'object' &&
    detail !== null &&
    !Array.isArray(detail) &&
    Array.isArray(resources) &&
    resources.every((r) => typeof r === 'string');
  if (!valid) return send(res, { status: 400, body: { error: usage } });
  const location = locationAsked(emulators, event);
  if ('error' in location) return send(res, { status: 400, body: location });
  const bus = emulators.defaultBusAt(location)!;
  return send(res, { status: 200, body: { EventId: bus.emit(awsEvent(source, detailType, resources, detail, location)) } });
}

const CALLED_SERVICES = ['servicecatalog', 'sts'] as const;

/** GET /local/calls?service=servicecatalog|sts: the emulated calls of that service, in order. */
function listCalls(req: IncomingMessage, res: ServerResponse, url: URL, emulators: Emulators) {
  const usage = `Use GET /local/calls?service=${CALLED_SERVICES.join('|')}`;
  if (req.method !== 'GET') return send(res, { status: 405, body: { error: usage } });
  const service = url.searchParams.get('service');
  if (!CALLED_SERVICES.includes(service as (typeof CALLED_SERVICES)[number])) return send(res, { status: 400, body: { error: usage } });
  return send(res, { status: 200, body: emulators.calls[service as (typeof CALLED_SERVICES)[number]] });
}

/**
 * The request body. One over the limit is read to its end without being kept, and then refused: answering before
 * the client has sent it all would reset the connection under it.
 */
async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBuffer(req)).toString('utf8');
}

async function readBuffer(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) throw new AwsApiError('RequestEntityTooLarge', `The request body is larger than ${MAX_BODY_BYTES} bytes`, 413);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, answer: JsonAnswer | APIGatewayProxyResult | { status: number; body: unknown }) {
  if ('statusCode' in answer) {
    // As API Gateway sends them: multiValueHeaders (several Set-Cookie) beside the single ones.
    res.writeHead(answer.statusCode, { ...(answer.headers as Record<string, string>), ...(answer.multiValueHeaders as Record<string, string[]>) });
    res.end(answer.body);
  } else if ('contentType' in answer) {
    res.writeHead(answer.status, { 'Content-Type': answer.contentType, 'x-amzn-RequestId': crypto.randomUUID() });
    res.end(answer.body);
  } else {
    res.writeHead(answer.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer.body, null, 2));
  }
}
