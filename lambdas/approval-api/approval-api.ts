import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { LINK_ID_PATTERN, linkBelongsTo } from '../shared/adapters/approval-store';
import { refOf } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import { SIGN_IN_MODE, SLACK_SIGNING_SECRET_ID } from '../shared/contracts/environment';
import { addRunKeys } from '../shared/runtime/run-keys';
import { type DecisionDeps, isClosed, isExpired, recordDecision } from '../shared/services/decision';
import { DECISION_ENV } from '../shared/services/decision-deps';
import { decisionAnswer, page } from '../shared/web/answers';
import { parseDecisionForm } from '../shared/web/form';
import { closedPage, confirmRejectPage, decidedPage, expiredPage, messagePage, pendingPage, viewOnlyPage } from '../shared/web/page';
import { decisionBy, pageSession, type SignInDeps, signedInApprover, signedInDecider, signInUrl } from '../shared/web/session';
import { handleSlackInteraction, type SlackDeps } from './slack-interactions';

export const APPROVAL_API_ENV = { ...DECISION_ENV, SLACK_SIGNING_SECRET_ID, SIGN_IN_MODE };

const notFound = () =>
  page(404, messagePage('Link not found', 'This approval link is not valid. Check that you opened the whole link from your email.'));

export interface ApprovalApiDeps extends DecisionDeps {
  slack: SlackDeps;
  approvers: Approver[];
  /** With plangate:signIn: sessions, and whether links need them. */
  signIn?: SignInDeps;
}

/**
 * Serves approval links: GET shows the plan and never changes anything (mail scanners fetch links);
 * POST records one decision and completes the run's waiting task. Slack's buttons arrive at /slack/interactions.
 * (The command line's routes are RunActions', the signed-in approver's own pages the Inbox's.)
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
  const record = link && (await deps.store.get(refOf(link)));
  if (!link || !record) return notFound();
  addRunKeys({ planId: record.planId, executionArn: record.executionArn });
  // A link decides only the request it was sent for, never a later run's request for the same plan.
  if (!linkBelongsTo(link, record)) {
    const itsRun = link.executionArn && (await deps.store.getRun(refOf(link), link.executionArn));
    return page(
      410,
      itsRun
        ? closedPage(itsRun)
        : messagePage('Approval request closed', 'This link was sent for an earlier request for this plan, which is closed.'),
    );
  }

  const now = deps.now();
  const expired = isExpired(record, now);
  const session = deps.signIn && (await signedInApprover(event, deps.signIn));
  if (method === 'GET') {
    if (deps.signIn?.required && !session) return page(303, '', { Location: signInUrl(deps.signIn, `/approvals/${linkId}`) });
    if (isClosed(record)) return page(410, closedPage(record));
    if (expired) return page(410, expiredPage(record));
    if (record.status !== 'PENDING') return page(200, decidedPage(record, 'Already decided', now));
    const shown = session && deps.signIn && pageSession(session, deps.signIn);
    if (!link.approver) return page(200, viewOnlyPage(record, now));
    // Signed in as someone else: say so before they try, rather than offer buttons that will not count.
    const decider = deps.signIn?.required && session ? signedInDecider(session, link.approver, record, deps.approvers) : { approver: link.approver };
    if ('refused' in decider) return page(403, messagePage('This link is not yours', decider.refused, shown));
    return page(200, pendingPage(record, decider.approver, now, shown));
  }

  if (!link.approver) {
    return page(403, messagePage('This link only shows the plan', 'Decide with your personal email link or with the Slack buttons.'));
  }
  const form = parseDecisionForm(event);
  if ('error' in form) return page(form.status, messagePage('Bad request', form.error));
  const by = decisionBy(form.csrf, session, link.approver, record, deps);
  if ('refused' in by) return page(403, messagePage(...by.refused));
  // The page's Reject button asks once more before deciding (a GET must not decide, so the question is a POST's answer).
  if (form.confirmReject) return page(200, confirmRejectPage(record, form.comment, session && deps.signIn && pageSession(session, deps.signIn)));
  const outcome = await recordDecision(deps, record, {
    decision: form.decision,
    approver: by.approver,
    signedIn: by.signedIn,
    comment: form.comment,
    channel: 'web',
    requestedAt: record.requestedAt,
    decidedAt: deps.now().toISOString(),
  });
  return decisionAnswer(outcome, by.approver, deps.now());
}

/** The answer to a body over the size limit, with the same security headers as every page. */
export function tooLargePage(maxBytes: number): APIGatewayProxyResult {
  return page(413, messagePage('Bad request', `The request body is larger than ${maxBytes} bytes.`));
}
