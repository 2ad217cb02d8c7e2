import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { DecisionDeps } from '../shared/services/decision';
import { parseDecisionForm } from '../shared/web/form';
import { messagePage } from '../shared/web/page';
import { hasCsrfToken, pageSession, type SignInDeps, signedInApprover, signInUrl } from '../shared/web/session';
import { confirmRejectRequest, decideRequest, historyPage, type InboxDeps, inboxPage, requestPage } from './inbox';

/** The signed-in approver's own pages (plangate:signIn): the inbox at `/`, the history, and each request's page. */
const SIGNED_IN_PATH = /^\/(?:|history\/?|requests\/([^/]+)\/?)$/;

export interface SignedInPagesDeps extends DecisionDeps, InboxDeps {
  signIn: SignInDeps;
}

type Render = (statusCode: number, html: string, headers?: Record<string, string>) => APIGatewayProxyResult;

/**
 * GET / (what waits for me), GET /history, GET and POST /requests/{planRef}: only for a signed-in approver (signed out,
 * a GET goes to the sign-in and comes back; a POST is refused). A decision here is a web decision as a link's is,
 * recorded with the verified identity, and needs the session's CSRF token. Undefined for any other path.
 */
export async function signedInPages(
  event: APIGatewayProxyEvent,
  deps: SignedInPagesDeps,
  render: Render,
  answerDecision: (outcome: Awaited<ReturnType<typeof decideRequest>>) => APIGatewayProxyResult,
): Promise<APIGatewayProxyResult | undefined> {
  const match = SIGNED_IN_PATH.exec(event.path ?? '');
  if (!match) return undefined;
  const method = event.httpMethod.toUpperCase();
  const ref = match[1] && safeDecode(match[1]);
  const allowed = ref === undefined ? ['GET'] : ['GET', 'POST'];
  if (!allowed.includes(method) || ref === null) {
    if (ref === null) return render(404, messagePage('Request not found', 'There is no approval request at this address.'));
    return render(405, messagePage('Method not allowed', `${method} is not supported here. Use ${allowed.join(' or ')}.`), {
      Allow: allowed.join(', '),
    });
  }
  const session = await signedInApprover(event, deps.signIn);
  if (!session) {
    if (method !== 'GET') return render(403, messagePage('Sign in first', 'Sign in, open the request again, then decide.'));
    return render(303, '', { Location: signInUrl(deps.signIn, event.path) });
  }
  const shown = pageSession(session, deps.signIn);
  if (ref === undefined) {
    if (/^\/history/.test(event.path)) {
      const history = await historyPage(event.queryStringParameters ?? {}, deps);
      return render(history.statusCode, history.html);
    }
    return render(200, await inboxPage(shown, deps));
  }
  if (method === 'GET') {
    const request = await requestPage(ref, shown, deps);
    return render(request.statusCode, request.html);
  }
  const form = parseDecisionForm(event);
  if ('error' in form) return render(form.status, messagePage('Bad request', form.error));
  if (!hasCsrfToken(form.csrf, session)) {
    return render(403, messagePage('Decision refused', 'The form’s security token is missing or old. Reload the page and decide again.'));
  }
  if (form.confirmReject) {
    const confirm = await confirmRejectRequest(ref, shown, form.comment, deps);
    return render(confirm.statusCode, confirm.html);
  }
  const decided = await decideRequest(ref, { ...shown, signedIn: { issuer: session.issuer, subject: session.subject } }, form, deps);
  return answerDecision(decided);
}

/** A path segment, decoded; null when it is not valid percent-encoding. */
function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
