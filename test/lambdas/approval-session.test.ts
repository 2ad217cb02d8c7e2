import { cookieValue } from '../../lambdas/shared/runtime/http';
import { decisionBy, signedInDecider } from '../../lambdas/shared/web/session';

/* The approval API's sign-in rules as plain functions (lambdas/approval-api/session.ts). */

const ALICE = { email: 'alice@example.com', name: 'Alice' };
const BOB = { email: 'Bob@Example.com', name: 'Bob' };
const session = (email: string) => ({ issuer: 'https://idp', subject: `sub-${email}`, email, csrfToken: 'token-1' });
const deps = (required: boolean) => ({
  approvers: [ALICE, BOB],
  signIn: { required, baseUrl: 'https://api/prod/', session: async () => undefined },
});

describe('without requireSignIn (plangate:signIn only)', () => {
  test('a link decides as before, signed out or signed in as someone else', () => {
    expect(decisionBy(undefined, undefined, BOB, {}, deps(false))).toEqual({ approver: BOB });
    expect(decisionBy('token-1', session('alice@example.com'), BOB, {}, deps(false))).toEqual({ approver: BOB });
  });

  test('signed in as the addressee with the form’s token, the decision keeps the verified identity', () => {
    expect(decisionBy('token-1', session('bob@example.com'), BOB, {}, deps(false))).toEqual({
      approver: BOB,
      signedIn: { issuer: 'https://idp', subject: 'sub-bob@example.com' },
    });
    // Without the token, the identity is not claimed (the form may not be this page's).
    expect(decisionBy('other', session('bob@example.com'), BOB, {}, deps(false))).toEqual({ approver: BOB });
  });
});

describe('with requireSignIn', () => {
  test('a group member decides as themself; someone in no required group is told whose link it is', () => {
    expect(signedInDecider(session('alice@example.com'), BOB, { groupMembers: { platform: ['ALICE@example.com'] } }, [ALICE, BOB])).toEqual({
      approver: ALICE,
    });
    expect(signedInDecider(session('alice@example.com'), BOB, { groupMembers: { security: ['carol@example.com'] } }, [ALICE, BOB])).toEqual({
      refused: 'This link was sent to Bob@Example.com; you are signed in as alice@example.com.',
    });
  });

  test('no session, or no token, is refused before anything else', () => {
    expect(decisionBy('token-1', undefined, BOB, {}, deps(true))).toEqual({ refused: ['Sign in first', expect.any(String)] });
    expect(decisionBy(undefined, session('bob@example.com'), BOB, {}, deps(true))).toEqual({ refused: ['Decision refused', expect.any(String)] });
  });
});

test('the session cookie is read by its exact name, among others', () => {
  const event = { headers: { Cookie: 'plangate_session_old=x; plangate_session=abc; theme=dark' } };
  expect(cookieValue(event, 'plangate_session')).toBe('abc');
  expect(cookieValue({ headers: {} }, 'plangate_session')).toBeUndefined();
});
