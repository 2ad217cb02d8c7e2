import type { IdentityStoreApi } from '../../lambdas/shared/adapters/clients/identity-store';
import { ID_CACHE_MS, verifiedGroups } from '../../lambdas/shared/adapters/identity-store';
import type { Groups } from '../../lambdas/shared/contracts/policies';

/**
 * Group membership when a vote is cast (issue 22): the static list, and for a group naming an IAM Identity Center
 * group, that group's membership now. The Identity Store is a fake with the SDK's shapes and error names.
 */
const GROUPS: Groups = {
  platform: { members: ['alice@example.com', 'bob@example.com'] },
  security: { members: ['carol@example.com', 'alice@example.com'], identityCenterGroup: 'Security Engineers' },
  dba: { members: ['alice@example.com'], identityCenterGroup: 'DBAs' },
};

const awsError = (name: string, fields: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, ...fields });

/** A fake identity store: users by email, groups by display name, and who is in which group now. */
function fakeStore(members: Record<string, string[]>) {
  const users = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
  const userId = (email: string) => `user-${users.indexOf(email)}`;
  const groupId = (displayName: string) => `group-${displayName}`;
  const api = {
    getUserId: jest.fn(async ({ AlternateIdentifier }: Parameters<IdentityStoreApi['getUserId']>[0]) => {
      const { AttributePath, AttributeValue } = AlternateIdentifier.UniqueAttribute;
      if (AttributePath !== 'emails.value') throw awsError('ValidationException');
      if (!users.includes(AttributeValue)) throw awsError('ResourceNotFoundException', { ResourceType: 'USER' });
      return { UserId: userId(AttributeValue) };
    }),
    getGroupId: jest.fn(async ({ AlternateIdentifier }: Parameters<IdentityStoreApi['getGroupId']>[0]) => {
      const { AttributePath, AttributeValue } = AlternateIdentifier.UniqueAttribute;
      if (AttributePath !== 'displayName') throw awsError('ValidationException');
      if (!(AttributeValue in members)) throw awsError('ResourceNotFoundException', { ResourceType: 'GROUP' });
      return { GroupId: groupId(AttributeValue) };
    }),
    isMemberInGroups: jest.fn(async ({ MemberId, GroupIds }: Parameters<IdentityStoreApi['isMemberInGroups']>[0]) => ({
      Results: GroupIds.map((id) => ({
        GroupId: id,
        MembershipExists: Object.entries(members).some(([name, emails]) => groupId(name) === id && emails.some((e) => userId(e) === MemberId.UserId)),
      })),
    })),
  };
  return { api, members };
}

// The ids a container caches are per identity store: each test uses a store of its own.
let stores = 0;
const freshStore = () => `d-${(++stores).toString(16).padStart(10, '0')}`;

afterEach(() => jest.useRealTimers());

test('someone in no group’s list is never looked up in the identity store', async () => {
  const { api } = fakeStore({ 'Security Engineers': ['bob@example.com'], DBAs: [] });
  await expect(verifiedGroups('bob@example.com', { security: GROUPS.security! }, freshStore(), api)).resolves.toEqual([]);
  expect(api.getUserId).not.toHaveBeenCalled();
  expect(api.isMemberInGroups).not.toHaveBeenCalled();
});

test('a group without an Identity Center group counts its listed members, case-insensitively, with no call', async () => {
  const { api } = fakeStore({});
  await expect(verifiedGroups('Bob@Example.COM', { platform: GROUPS.platform! }, undefined, api)).resolves.toEqual(['platform']);
  expect(api.getUserId).not.toHaveBeenCalled();
});

test('a listed member of the Identity Center groups counts for them, checked in one IsMemberInGroups call', async () => {
  const { api } = fakeStore({ 'Security Engineers': ['alice@example.com'], DBAs: ['alice@example.com'] });
  const store = freshStore();
  await expect(verifiedGroups('alice@example.com', GROUPS, store, api)).resolves.toEqual(['platform', 'security', 'dba']);
  expect(api.getUserId).toHaveBeenCalledWith({
    IdentityStoreId: store,
    AlternateIdentifier: { UniqueAttribute: { AttributePath: 'emails.value', AttributeValue: 'alice@example.com' } },
  });
  expect(api.isMemberInGroups).toHaveBeenCalledTimes(1);
  expect(api.isMemberInGroups).toHaveBeenCalledWith({
    IdentityStoreId: store,
    MemberId: { UserId: 'user-0' },
    GroupIds: ['group-Security Engineers', 'group-DBAs'],
  });
});

test('a listed member who is not in the Identity Center group does not count for it', async () => {
  const { api } = fakeStore({ 'Security Engineers': ['carol@example.com'], DBAs: ['alice@example.com'] });
  await expect(verifiedGroups('alice@example.com', GROUPS, freshStore(), api)).resolves.toEqual(['platform', 'dba']);
});

test('someone removed from the Identity Center group no longer counts at the next vote: membership is never cached', async () => {
  const { api, members } = fakeStore({ 'Security Engineers': ['carol@example.com'], DBAs: [] });
  const store = freshStore();
  await expect(verifiedGroups('carol@example.com', GROUPS, store, api)).resolves.toEqual(['security']);
  members['Security Engineers'] = [];
  await expect(verifiedGroups('carol@example.com', GROUPS, store, api)).resolves.toEqual([]);
  expect(api.isMemberInGroups).toHaveBeenCalledTimes(2);
});

test('user and group ids are looked up once per container for 15 minutes, then again', async () => {
  jest.useFakeTimers({ now: new Date('2026-12-02T10:00:00Z') });
  const { api } = fakeStore({ 'Security Engineers': ['carol@example.com'], DBAs: [] });
  const store = freshStore();
  await verifiedGroups('carol@example.com', GROUPS, store, api);
  jest.setSystemTime(Date.now() + ID_CACHE_MS - 1000);
  await verifiedGroups('CAROL@example.com', GROUPS, store, api);
  expect(api.getUserId).toHaveBeenCalledTimes(1);
  expect(api.getGroupId).toHaveBeenCalledTimes(1);
  jest.setSystemTime(Date.now() + 2000);
  await verifiedGroups('carol@example.com', GROUPS, store, api);
  expect(api.getUserId).toHaveBeenCalledTimes(2);
  expect(api.getGroupId).toHaveBeenCalledTimes(2);
  expect(api.isMemberInGroups).toHaveBeenCalledTimes(3);
});

test('a person the identity store does not know is in none of its groups, and is looked up again next time', async () => {
  const { api } = fakeStore({ 'Security Engineers': [], DBAs: [] });
  const groups: Groups = { ...GROUPS, security: { members: ['dave@example.com'], identityCenterGroup: 'Security Engineers' } };
  const store = freshStore();
  await expect(verifiedGroups('dave@example.com', groups, store, api)).resolves.toEqual([]);
  await expect(verifiedGroups('dave@example.com', groups, store, api)).resolves.toEqual([]);
  expect(api.getUserId).toHaveBeenCalledTimes(2);
  expect(api.isMemberInGroups).not.toHaveBeenCalled();
});

test.each([
  ['GetUserId is denied', 'getUserId', awsError('AccessDeniedException')],
  ['the identity store does not exist', 'getUserId', awsError('ResourceNotFoundException', { ResourceType: 'IDENTITY_STORE' })],
  ['IsMemberInGroups is throttled', 'isMemberInGroups', awsError('ThrottlingException')],
] as const)('fails closed when %s: the error is thrown, nothing counts', async (_, call, error) => {
  const { api } = fakeStore({ 'Security Engineers': ['alice@example.com'], DBAs: ['alice@example.com'] });
  api[call].mockRejectedValueOnce(error);
  await expect(verifiedGroups('alice@example.com', GROUPS, freshStore(), api)).rejects.toThrow(error);
});

test('an Identity Center group missing from the store, or no identity store configured, is an error naming it', async () => {
  const { api } = fakeStore({ 'Security Engineers': ['alice@example.com'] });
  await expect(verifiedGroups('alice@example.com', GROUPS, freshStore(), api)).rejects.toThrow(/"DBAs" is not in the identity store d-/);
  await expect(verifiedGroups('alice@example.com', GROUPS, undefined, api)).rejects.toThrow(/security, dba name Identity Center groups/);
});
