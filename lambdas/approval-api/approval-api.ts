import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { LINK_ID_PATTERN } from '../shared/adapters/approval-store';
import type { Environment } from '../shared/contracts/environment';
import type { Decision } from '../shared/contracts/steps';
import { oneLine } from '../shared/domain/text';
import { addRunKeys } from '../shared/runtime/run-keys';
import { type DecisionDeps, isClosed, isExpired, recordDecision } from './decision';
import { closedPage, decidedPage, expiredPage, messagePage, pendingPage, progressPage, viewOnlyPage } from './page';
import { headerValue, rawBody } from './request';
import { handleSlackInteraction, type SlackDeps } from './slack-interactions';

export const APPROVAL_API_ENV = ['TABLE_NAME', 'APPROVERS', 'SLACK_WEBHOOK_SECRET_ID', 'SLACK_SIGNING_SECRET_ID'] as const;
export type ApprovalApiEnv = Environment<(typeof APPROVAL_API_ENV)[number]>;

const MAX_BODY_BYTES = 10_000;
const MAX_COMMENT_LENGTH = 1_000;

const SECURITY_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  // Links are capabilities: never leak them to other sites through Referer, framing or caches.
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

export const page = (statusCode: number, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { ...SECURITY_HEADERS, ...headers },
  body,
});

const notFound = () =>
  page(404, messagePage('Link not found', 'This approval link is not valid. Check that you opened the whole link from your email.'));

export interface ApprovalApiDeps extends DecisionDeps {
  slack: SlackDeps;
}

/**
 * Serves approval links: GET shows the plan and never changes anything (mail scanners fetch links);
 * POST records one decision and completes the run's waiting task. Slack's buttons arrive at /slack/interactions.
 */
export async function handleApprovalRequest(event: APIGatewayProxyEvent, deps: ApprovalApiDeps): Promise<APIGatewayProxyResult> {
  if (/^\/slack\/interactions\/?$/.test(event.path ?? '')) return handleSlackInteraction(event, deps, deps.slack);
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
  addRunKeys({ planId: record.planId, executionArn: record.executionArn });

  const now = deps.now();
  const expired = isExpired(record, now);
  if (method === 'GET') {
    if (isClosed(record)) return page(410, closedPage(record));
    if (expired) return page(410, expiredPage(record));
    if (record.status !== 'PENDING') return page(200, decidedPage(record, 'Already decided', now));
    return page(200, link.approver ? pendingPage(record, link.approver, now) : viewOnlyPage(record, now));
  }

  if (!link.approver) {
    return page(403, messagePage('This link only shows the plan', 'Decide with your personal email link or with the Slack buttons.'));
  }
  const form = parseDecisionForm(event);
  if ('error' in form) return page(form.status, messagePage('Bad request', form.error));
  const outcome = await recordDecision(deps, record, {
    decision: form.decision,
    approver: link.approver,
    comment: form.comment,
    channel: 'web',
    requestedAt: record.requestedAt,
    decidedAt: deps.now().toISOString(),
  });
  switch (outcome.result) {
    case 'decided':
      return page(200, decidedPage(outcome.record, outcome.record.status === 'APPROVED' ? 'Approved' : 'Rejected', deps.now()));
    case 'counted':
      return page(200, progressPage(outcome.record, 'Your approval is counted', deps.now()));
    case 'already-counted':
      return page(409, progressPage(outcome.record, 'You have already approved this plan', deps.now()));
    case 'self-approval':
      return page(403, messagePage('You cannot approve your own request', 'You asked for this change, so another approver must approve it. You may still reject it.'));
    case 'already-decided':
      return page(409, decidedPage(outcome.record, 'Already decided', deps.now()));
    case 'expired':
      return page(410, expiredPage(outcome.record));
    case 'closed':
      return page(410, closedPage(outcome.record));
    case 'try-again':
      return page(503, messagePage('Please try again', 'Your decision could not be delivered just now and was not recorded.'), { 'Retry-After': '5' });
  }
}

type DecisionForm = { decision: Decision; comment?: string } | { error: string; status: number };

/** Accepts the page's form post (or the same fields as JSON) and names what is wrong with anything else. */
export function parseDecisionForm(event: Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'>): DecisionForm {
  const raw = rawBody(event);
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return { status: 413, error: `The request body is larger than ${MAX_BODY_BYTES} bytes.` };
  const contentType = headerValue(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  let fields: Record<string, unknown>;
  if (contentType === 'application/x-www-form-urlencoded') {
    const params = new URLSearchParams(raw);
    // A field given twice (decision=approve&decision=reject) is ambiguous: refuse it rather than pick one.
    const repeated = [...new Set(params.keys())].find((key) => params.getAll(key).length > 1);
    if (repeated) return { status: 400, error: `The field "${oneLine(repeated).slice(0, 40)}" is given more than once.` };
    fields = Object.fromEntries(params);
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
  // Stored and forwarded on one line, without control or bidi characters, as every plain-text channel shows it.
  return { decision, comment: oneLine(comment).trim() || undefined };
}

/** The answer to a body over the size limit, with the same security headers as every page. */
export function tooLargePage(maxBytes: number): APIGatewayProxyResult {
  return page(413, messagePage('Bad request', `The request body is larger than ${maxBytes} bytes.`));
}
