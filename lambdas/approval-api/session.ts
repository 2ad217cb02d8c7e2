import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ActiveSession, SessionStore } from '../shared/adapters/sessions';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import { CSRF_FIELD, SESSION_COOKIE } from '../shared/contracts/session';
import type { SignedIn } from '../shared/contracts/steps';
import { cookieValue } from '../shared/runtime/http';
import type { PageSession } from './page';
import { headerValue, rawBody } from './request';

/*
 * The approval API's side of sign-in (plangate:signIn): it only looks sessions up by their cookie. The sign-in function
 * (lambdas/sign-in) verifies ID tokens and writes the sessions; nothing here sees a token.
 */

export interface SignInDeps {
  /** plangate:requireSignIn: links open the sign-in first, and decide only for their signed-in addressee. */
  required: boolean;
  /** The API's base URL (with its stage): where the sign-in page is. */
  baseUrl: string;
  sessions: Pick<SessionStore, 'get'>;
  now: () => Date;
}

/** The signed-in approver of the request's session cookie (their verified identity, and the session's CSRF token), if any. */
export async function signedInApprover(event: Pick<APIGatewayProxyEvent, 'headers'>, deps: SignInDeps): Promise<ActiveSession | undefined> {
  const sessionId = cookieValue(event, SESSION_COOKIE);
  return sessionId ? deps.sessions.get(sessionId, deps.now()) : undefined;
}

/** Whether a posted form carries the session's CSRF token (compared in constant time). */
export function hasCsrfToken(fields: Record<string, unknown>, session: ActiveSession): boolean {
  const given = fields[CSRF_FIELD];
  if (typeof given !== 'string' || given.length !== session.csrfToken.length) return false;
  let difference = 0;
  for (let i = 0; i < given.length; i++) difference |= given.charCodeAt(i) ^ session.csrfToken.charCodeAt(i);
  return difference === 0;
}

/** The sign-in page, coming back to `next` (a path of this API) afterwards. */
export const signInUrl = (deps: Pick<SignInDeps, 'baseUrl'>, next: string) =>
  `${new URL('auth/sign-in', deps.baseUrl).toString()}?${new URLSearchParams({ next }).toString()}`;

export type DeciderVerdict = { approver: Approver } | { refused: string };

/**
 * Who a signed-in decision on a link counts for: the link's addressee when they are the one signed in; with approval
 * groups, a member of a group the request requires deciding as themself. Anyone else is refused, saying who is who.
 */
export function signedInDecider(
  session: ActiveSession,
  addressee: Approver,
  record: Pick<ApprovalRecord, 'groupMembers'>,
  approvers: Approver[],
): DeciderVerdict {
  const email = session.email.toLowerCase();
  if (addressee.email.toLowerCase() === email) return { approver: addressee };
  const member = Object.values(record.groupMembers ?? {}).some((members) => members.some((m) => m.toLowerCase() === email));
  const approver = member ? approvers.find((a) => a.email.toLowerCase() === email) : undefined;
  if (approver) return { approver };
  return { refused: `This link was sent to ${addressee.email}; you are signed in as ${session.email}.` };
}

/** The CSRF token a decision's form (or JSON body) carries, if any. */
export function postedCsrfToken(event: Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'>): Record<string, unknown> {
  const raw = rawBody(event);
  if (headerValue(event, 'content-type')?.toLowerCase().startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return typeof parsed === 'object' && parsed !== null ? { [CSRF_FIELD]: (parsed as Record<string, unknown>)[CSRF_FIELD] } : {};
    } catch {
      return {};
    }
  }
  return { [CSRF_FIELD]: new URLSearchParams(raw).get(CSRF_FIELD) ?? undefined };
}

/** What a page shows of the session: who, the forms' CSRF token, and the sign-out's address. */
export const pageSession = (session: ActiveSession, deps: Pick<SignInDeps, 'baseUrl'>): PageSession => ({
  email: session.email,
  csrfToken: session.csrfToken,
  signOutUrl: new URL('auth/sign-out', deps.baseUrl).toString(),
});

export type SignedInDecision = { approver: Approver; signedIn?: SignedIn } | { refused: { title: string; text: string } };

/**
 * Who a decision posted on a link counts for. With plangate:requireSignIn: only a signed-in approver whose form carries
 * the session's CSRF token, as signedInDecider says. Without it the link decides as before, and a decision made while
 * signed in as its addressee (with the token) keeps the verified identity.
 */
export function decisionBy(
  event: Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'>,
  session: ActiveSession | undefined,
  addressee: Approver,
  record: Pick<ApprovalRecord, 'groupMembers'>,
  deps: { signIn?: SignInDeps; approvers: Approver[] },
): SignedInDecision {
  const verified = session && hasCsrfToken(postedCsrfToken(event), session) ? session : undefined;
  const identity = verified && { issuer: verified.issuer, subject: verified.subject };
  if (!deps.signIn?.required) {
    return identity && verified.email === addressee.email.toLowerCase() ? { approver: addressee, signedIn: identity } : { approver: addressee };
  }
  if (!session) return { refused: { title: 'Sign in first', text: 'Decisions here need you signed in. Open your approval link again to sign in.' } };
  if (!verified) {
    return {
      refused: {
        title: 'Decision refused',
        text: 'The form was not this page’s (its security token is missing or old). Reload the page and decide again.',
      },
    };
  }
  const decider = signedInDecider(verified, addressee, record, deps.approvers);
  if ('refused' in decider) return { refused: { title: 'This link is not yours', text: decider.refused } };
  return { approver: decider.approver, signedIn: identity };
}
