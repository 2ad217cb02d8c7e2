import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Decision } from '../contracts/steps';
import { repeatedKey } from '../domain/strict-json';
import { oneLine } from '../domain/text';
import { CONFIRM_REJECT } from './page';

const MAX_BODY_BYTES = 10_000;
const MAX_COMMENT_LENGTH = 1_000;

/** The request body exactly as sent (API Gateway may hand it over base64-encoded). */
export function rawBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): string {
  return event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
}

/** A header's value, whatever case the client sent its name in. */
export function headerValue(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return entry?.[1] ?? undefined;
}

/** `confirmReject`: the page's Reject button, which asks for confirmation before deciding (page.ts confirmRejectPage). */
type DecisionForm = { decision: Decision; comment?: string; csrf?: string; confirmReject?: true } | { error: string; status: number };

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
    const repeated = repeatedKey(raw);
    if (repeated !== undefined) return { status: 400, error: `The key "${oneLine(repeated).slice(0, 40)}" is given more than once.` };
  } else {
    return { status: 415, error: 'Send the decision as application/x-www-form-urlencoded or application/json.' };
  }
  // Only the page's form asks for confirmation: a form post of decision=reject (Slack, scripts) decides at once, as before.
  const confirmReject = contentType === 'application/x-www-form-urlencoded' && fields.decision === CONFIRM_REJECT;
  const decision = fields.decision === 'approve' ? 'APPROVED' : fields.decision === 'reject' || confirmReject ? 'REJECTED' : undefined;
  if (!decision) return { status: 400, error: 'The decision must be "approve" or "reject".' };
  const comment = fields.comment === undefined ? '' : fields.comment;
  if (typeof comment !== 'string') return { status: 400, error: 'The comment must be text.' };
  if (comment.length > MAX_COMMENT_LENGTH) {
    return { status: 400, error: `The comment is longer than ${MAX_COMMENT_LENGTH} characters.` };
  }
  // Stored and forwarded on one line, without control or bidi characters, as every plain-text channel shows it.
  // The session's CSRF token, on a signed-in page's form (plangate:signIn).
  const csrf = typeof fields.csrf === 'string' ? fields.csrf : undefined;
  return { decision, comment: oneLine(comment).trim() || undefined, csrf, ...(confirmReject ? { confirmReject } : {}) };
}
