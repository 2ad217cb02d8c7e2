import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type ApprovalRecord, ApprovalStore, LINK_ID_PATTERN } from '../shared/approval-store';
import { dynamo, stepFunctions } from '../shared/clients';
import type { ApprovalDecision, Decision } from '../shared/run';
import { lambdaHandler, logger, requireEnv } from '../shared/runtime';
import { decidedPage, expiredPage, messagePage, pendingPage } from './page';

const MAX_BODY_BYTES = 10_000;
const MAX_COMMENT_LENGTH = 1_000;

/** Step Functions' answers for a token whose task has ended or never existed. */
const ENDED_TASK_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

const SECURITY_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  // Links are capabilities: never leak them to other sites through Referer, framing or caches.
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

const page = (statusCode: number, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { ...SECURITY_HEADERS, ...headers },
  body,
});

const notFound = () =>
  page(404, messagePage('Link not found', 'This approval link is not valid. Check that you opened the whole link from your email.'));

export interface ApprovalApiDeps {
  store: ApprovalStore;
  completeTask: (taskToken: string, output: ApprovalDecision) => Promise<void>;
  now: () => Date;
}

/**
 * Serves approval links: GET shows the plan and never changes anything (mail scanners fetch links);
 * POST records one decision and completes the run's waiting task.
 */
export async function handleApprovalRequest(event: APIGatewayProxyEvent, deps: ApprovalApiDeps): Promise<APIGatewayProxyResult> {
  const match = /^\/approvals\/([^/]+)\/?$/.exec(event.path ?? '');
  if (!match) return notFound();
  const method = event.httpMethod.toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    return page(405, messagePage('Method not allowed', `${method} is not supported here. Use GET to view, POST to decide.`), {
      Allow: 'GET, POST',
    });
  }
  const linkId = match[1]!;
  const link = LINK_ID_PATTERN.test(linkId) ? await deps.store.getLink(linkId) : undefined;
  const record = link && (await deps.store.get(link.planId));
  if (!link || !record) return notFound();

  const expired = record.status === 'EXPIRED' || (record.status === 'PENDING' && record.expiresAt * 1000 <= deps.now().getTime());
  if (method === 'GET') {
    if (expired) return page(410, expiredPage(record));
    if (record.status !== 'PENDING') return page(200, decidedPage(record, 'Already decided'));
    return page(200, pendingPage(record, link.approver));
  }

  const form = parseDecisionForm(event);
  if ('error' in form) return page(form.status, messagePage('Bad request', form.error));
  if (expired) return page(410, expiredPage(record));
  if (record.status !== 'PENDING') return page(409, decidedPage(record, 'Already decided'));

  const decision: ApprovalDecision = {
    decision: form.decision,
    approver: link.approver,
    comment: form.comment,
    channel: 'web',
    requestedAt: record.requestedAt,
    decidedAt: deps.now().toISOString(),
  };
  const taskToken = await deps.store.decide(record.planId, decision, Math.floor(deps.now().getTime() / 1000));
  if (!taskToken) return afterLostRace(deps.store, record.planId);

  try {
    await deps.completeTask(taskToken, decision);
  } catch (error) {
    const name = (error as Error).name;
    if (ENDED_TASK_ERRORS.has(name)) {
      logger.warn('Approval task had already ended', { planId: record.planId, error: name });
      await deps.store.expire(record.planId, record.executionArn);
      return page(410, expiredPage(record));
    }
    // A passing failure: take the decision back so the approver can simply try again.
    await deps.store.undoDecision(record.planId, decision.decidedAt);
    logger.error('Could not complete approval task', { planId: record.planId, error: name });
    return page(503, messagePage('Please try again', 'Your decision could not be delivered just now and was not recorded.'), {
      'Retry-After': '5',
    });
  }
  await deps.store.forgetTaskToken(record.planId);
  logger.info('Approval decided', { planId: record.planId, decision: decision.decision, approver: link.approver.email });
  const decided: ApprovalRecord = { ...record, status: decision.decision, decision };
  return page(200, decidedPage(decided, decision.decision === 'APPROVED' ? 'Approved' : 'Rejected'));
}

/** Another click won the conditional write: show what it decided (or that time ran out). */
async function afterLostRace(store: ApprovalStore, planId: string): Promise<APIGatewayProxyResult> {
  const current = await store.get(planId);
  if (!current) return notFound();
  if (current.status === 'PENDING' || current.status === 'EXPIRED') return page(410, expiredPage(current));
  return page(409, decidedPage(current, 'Already decided'));
}

type DecisionForm = { decision: Decision; comment?: string } | { error: string; status: number };

/** Accepts the page's form post (or the same fields as JSON) and names what is wrong with anything else. */
export function parseDecisionForm(event: Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'>): DecisionForm {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return { status: 413, error: `The request body is larger than ${MAX_BODY_BYTES} bytes.` };
  const contentType = headerValue(event.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  let fields: Record<string, unknown>;
  if (contentType === 'application/x-www-form-urlencoded') {
    fields = Object.fromEntries(new URLSearchParams(raw));
  } else if (contentType === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      fields = parsed as Record<string, unknown>;
    } catch {
      return { status: 400, error: 'The request body is not a JSON object.' };
    }
  } else {
    return { status: 415, error: 'Send the decision as application/x-www-form-urlencoded or application/json.' };
  }
  const decision = fields.decision === 'approve' ? 'APPROVED' : fields.decision === 'reject' ? 'REJECTED' : undefined;
  if (!decision) return { status: 400, error: 'The decision must be "approve" or "reject".' };
  const comment = fields.comment === undefined ? '' : fields.comment;
  if (typeof comment !== 'string') return { status: 400, error: 'The comment must be text.' };
  if (comment.length > MAX_COMMENT_LENGTH) {
    return { status: 400, error: `The comment is longer than ${MAX_COMMENT_LENGTH} characters.` };
  }
  return { decision, comment: comment.trim() || undefined };
}

function headerValue(headers: APIGatewayProxyEvent['headers'] | null | undefined, name: string): string | undefined {
  const entry = Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return entry?.[1] ?? undefined;
}

function defaultDeps(): ApprovalApiDeps {
  return {
    store: new ApprovalStore(dynamo, requireEnv('TABLE_NAME')),
    completeTask: async (taskToken, output) => {
      await stepFunctions.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    },
    now: () => new Date(),
  };
}

export const handler = lambdaHandler(async (event: APIGatewayProxyEvent) => {
  try {
    return await handleApprovalRequest(event, defaultDeps());
  } catch (error) {
    logger.error('Approval request failed', { error: error as Error });
    return page(500, messagePage('Something went wrong', 'Nothing was recorded. Please try again in a minute.'));
  }
});
