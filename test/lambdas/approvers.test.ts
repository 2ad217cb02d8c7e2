import { approverWhoRequested } from '../../lambdas/shared/domain/approvers';

const approvers = [
  { email: 'alice@example.com', iamPrincipals: ['arn:aws:sts::*:assumed-role/PlatformAdmin/alice*', 'arn:aws:iam::111122223333:user/alice'] },
  { email: 'bob@example.com' },
];

test.each([
  ['alice@example.com', 'alice@example.com'],
  ['BOB@Example.com', 'bob@example.com'],
  ['arn:aws:sts::111122223333:assumed-role/PlatformAdmin/alice@corp.example', 'alice@example.com'],
  ['arn:aws:iam::111122223333:user/alice', 'alice@example.com'],
  ['arn:aws:iam::111122223333:user/alicia', undefined],
  ['arn:aws:sts::111122223333:assumed-role/PlatformAdmin/mallory', undefined],
  ['arn:aws:sts::111122223333:assumed-role/PlatformAdminX/alice', undefined],
  [undefined, undefined],
])('%s is approver %s', (requestedBy, email) => {
  expect(approverWhoRequested(requestedBy, approvers)?.email).toBe(email);
});

test('a pattern matches only what it says: dots and other characters are literal', () => {
  expect(
    approverWhoRequested('arn:aws:iam::111122223333Xuser/alice', [{ email: 'a@x', iamPrincipals: ['arn:aws:iam::111122223333:user/alice'] }]),
  ).toBeUndefined();
});
