import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ActiveSession } from '../adapters/sessions';
import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import { SESSION_COOKIE } from '../contracts/session';
import type { SignedIn } from '../contracts/steps';
import { cookieValue } from '../runtime/http';
import type { PageSession } from './page';

/*
 * The approval API's side of sign-in (plangate:signIn): it only looks sessions up by their cookie. The sign-in function
 * (lambdas/sign-in) verifies ID tokens and writes the sessions; nothing here sees a token.
 */

export interface SignInDeps {
  /** plangate:requireSignIn: links open the sign-in first, and decide only for their signed-in addressee. */
  required: boolean;
  /** The API's base URL (with its stage): where the sign-in page is. */
  baseUrl: string;
  /** The still-good session a cookie's id names (adapters/sessions.ts activeSession). */
  session: (sessionId: string) => Promise<ActiveSession | undefined>;
}

/** The signed-in approver of the request's session cookie (their verified identity, and the session's CSRF token), if any. */
export async function signedInApprover(event: Pick<APIGatewayProxyEvent, 'headers'>, deps: SignInDeps): Promise<ActiveSession | undefined> {
  const sessionId = cookieValue(event, SESSION_COOKIE);
  return sessionId ? deps.session(sessionId) : undefined;
}

/** Whether a posted form's CSRF token is the session's (compared in constant time). */
export const hasCsrfToken = (given: string | undefined, session: ActiveSession) =>
  given?.length === session.csrfToken.length && timingSafeEqual(Buffer.from(given), Buffer.from(session.csrfToken));

/** The sign-in page, coming back to `next` (a path of this API) afterwards. */
export const signInUrl = (deps: Pick<SignInDeps, 'baseUrl'>, next: string) => `${deps.baseUrl}auth/sign-in?next=${encodeURIComponent(next)}`;

/** What a page shows of the session: who, the forms' CSRF token, and the sign-out's address. */
export const pageSession = (session: ActiveSession, deps: Pick<SignInDeps, 'baseUrl'>): PageSession => ({
  email: session.email,
  csrfToken: session.csrfToken,
  signOutUrl: `${deps.baseUrl}auth/sign-out`,
});

/**
 * Who a decision on a link counts for when signed in: the link's addressee when they are the one signed in; with
 * approval groups, a member of a group the request requires, deciding as themself. Anyone else is refused, saying who is who.
 */
export function signedInDecider(
  session: ActiveSession,
  addressee: Approver,
  record: Pick<ApprovalRecord, 'groupMembers'>,
  approvers: Approver[],
): { approver: Approver } | { refused: string } {
  const email = session.email;
  if (addressee.email.toLowerCase() === email) return { approver: addressee };
  const member = Object.values(record.groupMembers ?? {}).some((members) => members.some((m) => m.toLowerCase() === email));
  const approver = member && approvers.find((a) => a.email.toLowerCase() === email);
  return approver ? { approver } : { refused: `This link was sent to ${addressee.email}; you are signed in as ${session.email}.` };
}

/**
 * Who a decision posted on a link counts for. With plangate:requireSignIn: only a signed-in approver whose form carries
 * the session's CSRF token, as signedInDecider says. Without it the link decides as before, and a decision made while
 * signed in as its addressee (with the token) keeps the verified identity.
 */
export function decisionBy(
  csrf: string | undefined,
  session: ActiveSession | undefined,
  addressee: Approver,
  record: Pick<ApprovalRecord, 'groupMembers'>,
  deps: { signIn?: SignInDeps; approvers: Approver[] },
): { approver: Approver; signedIn?: SignedIn } | { refused: [title: string, text: string] } {
  const verified = session && hasCsrfToken(csrf, session) ? session : undefined;
  const signedIn = verified && { issuer: verified.issuer, subject: verified.subject };
  if (!deps.signIn?.required)
    return signedIn && verified.email === addressee.email.toLowerCase() ? { approver: addressee, signedIn } : { approver: addressee };
  if (!session) return { refused: ['Sign in first', 'Open your approval link again to sign in, then decide.'] };
  if (!verified) return { refused: ['Decision refused', 'The form’s security token is missing or old. Reload the page and decide again.'] };
  const decider = signedInDecider(verified, addressee, record, deps.approvers);
  return 'refused' in decider ? { refused: ['This link is not yours', decider.refused] } : { approver: decider.approver, signedIn };
}
