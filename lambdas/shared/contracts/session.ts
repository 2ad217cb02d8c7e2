/*
 * Signed-in approvers (plangate:signIn, issue 25). The sign-in function verifies the identity provider's ID token and
 * writes a session item (table-keys.ts sessionKey); the cookie holds only the session's random id. The approval API
 * reads the item by the id's hash, and never sees a token.
 */

/** The cookie holding the session id. */
export const SESSION_COOKIE = 'plangate_session';
/** The cookie holding one sign-in's state, nonce, PKCE verifier and where to go next, for the callback only. */
export const SIGN_IN_COOKIE = 'plangate_sign_in';
/** The hidden form field carrying the session's CSRF token on every form a signed-in page posts. */
export const CSRF_FIELD = 'csrf';
/** How long a session lasts: a working day. Signing in again is one click at the identity provider. */
export const SESSION_SECONDS = 8 * 60 * 60;
/**
 * The session item's TTL attribute (the table's TimeToLiveSpecification, set only with sign-in). Not `expiresAt`: an
 * approval record has that, and TTL on it would delete the audit trail.
 */
export const SESSION_TTL_ATTRIBUTE = 'sessionTtl';

/** A session's item (table-keys.ts sessionKey). */
export interface SessionRecord extends SignedInApprover {
  pk: string;
  csrfToken: string;
  createdAt: string;
  /** Epoch seconds; DynamoDB removes the item some time after. */
  sessionTtl: number;
  /** Set by sign-out: the table denies deletes (the audit trail), so a session ends by being marked. */
  signedOutAt?: string;
}

/** The verified identity a session holds; the email lowercased, as the ID token gave it once verified. */
export interface SignedInApprover {
  issuer: string;
  subject: string;
  email: string;
}
