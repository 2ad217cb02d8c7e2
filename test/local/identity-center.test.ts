import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IdentityStoreApi } from '../../lambdas/shared/adapters/clients/identity-store';
import { verifiedGroups } from '../../lambdas/shared/adapters/identity-store';
import type { Groups } from '../../lambdas/shared/contracts/policies';
import { IdentityCenterEmulator, LOCAL_IDENTITY_STORE_ID } from '../../local/identity-center';
import { identityCenterRoutes, serveRoutes } from '../../local/routes';
import { POLICIES_CONTEXT } from '../fixtures/context';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * Local mode's IAM Identity Center (issue 22): the Identity Store API the functions call when a vote is cast, and the
 * local routes that change a group's members while runs wait. Its users are the approvers; its groups start with
 * the members of the plangate:groups that name them.
 */
const GROUPS: Groups = {
  platform: { members: ['alice@example.com', 'bob@example.com'] },
  security: { members: ['carol@example.com'], identityCenterGroup: 'Security Engineers' },
};
const APPROVERS = ['alice@example.com', 'bob@example.com', 'carol@example.com'];

let server: Server;
let baseUrl: string;

beforeEach(async () => {
  server = createServer(serveRoutes(identityCenterRoutes(new IdentityCenterEmulator(APPROVERS, GROUPS))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** One Identity Store call as the SDK sends it (awsJson1_1); the status and the answer. */
async function identityStore(operation: string, input: unknown) {
  const response = await fetch(baseUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSIdentityStore.${operation}` },
    body: JSON.stringify(input),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The membership check over HTTP, with the SDK's error shape: `name` is the answer's __type, its other members set on it. */
const api: IdentityStoreApi = {
  getUserId: (input) => succeeded(identityStore('GetUserId', input)),
  getGroupId: (input) => succeeded(identityStore('GetGroupId', input)),
  isMemberInGroups: (input) => succeeded(identityStore('IsMemberInGroups', input)),
};
async function succeeded(call: ReturnType<typeof identityStore>) {
  const { status, body } = await call;
  if (status !== 200) throw Object.assign(new Error(String(body.message)), body, { name: body.__type });
  return body;
}

const byEmail = (email: string, path = 'emails.value') => ({
  IdentityStoreId: LOCAL_IDENTITY_STORE_ID,
  AlternateIdentifier: { UniqueAttribute: { AttributePath: path, AttributeValue: email } },
});
const byDisplayName = (displayName: string) => ({
  IdentityStoreId: LOCAL_IDENTITY_STORE_ID,
  AlternateIdentifier: { UniqueAttribute: { AttributePath: 'displayName', AttributeValue: displayName } },
});

const changeMembers = (displayName: string, body: unknown) =>
  fetch(`${baseUrl}/local/identity-center/groups/${encodeURIComponent(displayName)}/members`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('GetUserId, GetGroupId and IsMemberInGroups answer as the Identity Store does', async () => {
  const carol = await identityStore('GetUserId', byEmail('carol@example.com'));
  expect(carol).toEqual({ status: 200, body: { IdentityStoreId: LOCAL_IDENTITY_STORE_ID, UserId: expect.any(String) } });
  // A user name is its email here, as the functions' lookup may use either.
  expect((await identityStore('GetUserId', byEmail('Carol@Example.com', 'userName'))).body.UserId).toBe(carol.body.UserId);
  const alice = await identityStore('GetUserId', byEmail('alice@example.com'));
  const group = await identityStore('GetGroupId', byDisplayName('Security Engineers'));
  expect(group).toEqual({ status: 200, body: { IdentityStoreId: LOCAL_IDENTITY_STORE_ID, GroupId: expect.any(String) } });
  const check = (userId: unknown) =>
    identityStore('IsMemberInGroups', { IdentityStoreId: LOCAL_IDENTITY_STORE_ID, MemberId: { UserId: userId }, GroupIds: [group.body.GroupId] });
  expect((await check(carol.body.UserId)).body).toEqual({
    Results: [{ GroupId: group.body.GroupId, MemberId: { UserId: carol.body.UserId }, MembershipExists: true }],
  });
  expect((await check(alice.body.UserId)).body.Results).toEqual([expect.objectContaining({ MembershipExists: false })]);
});

test.each([
  ['an unknown user', 'GetUserId', byEmail('mallory@example.com'), { __type: 'ResourceNotFoundException', ResourceType: 'USER' }],
  ['an unknown group', 'GetGroupId', byDisplayName('platform'), { __type: 'ResourceNotFoundException', ResourceType: 'GROUP' }],
  [
    'another identity store',
    'GetUserId',
    { ...byEmail('alice@example.com'), IdentityStoreId: 'd-1234567890' },
    { __type: 'ResourceNotFoundException', ResourceType: 'IDENTITY_STORE' },
  ],
  ['a malformed identity store id', 'GetUserId', { ...byEmail('alice@example.com'), IdentityStoreId: 'store' }, { __type: 'ValidationException' }],
  ['an attribute that is not unique', 'GetUserId', byEmail('alice@example.com', 'name.givenName'), { __type: 'ValidationException' }],
  [
    'no group ids',
    'IsMemberInGroups',
    { IdentityStoreId: LOCAL_IDENTITY_STORE_ID, MemberId: { UserId: 'u' }, GroupIds: [] },
    { __type: 'ValidationException' },
  ],
])('%s is refused as AWS refuses it', async (_, operation, input, error) => {
  const { status, body } = await identityStore(operation, input);
  expect(status).toBe(error.__type === 'ValidationException' ? 400 : 404);
  expect(body).toMatchObject(error);
});

test('the membership check fails closed against another identity store, and counts nobody unknown to this one', async () => {
  await expect(verifiedGroups('carol@example.com', GROUPS, 'd-1234567890', api)).rejects.toThrow(/Identity store d-1234567890 does not exist/);
  const groups: Groups = { security: { members: ['mallory@example.com'], identityCenterGroup: 'Security Engineers' } };
  await expect(verifiedGroups('mallory@example.com', groups, LOCAL_IDENTITY_STORE_ID, api)).resolves.toEqual([]);
});

test('the groups are listed with their members; only the plangate groups naming an Identity Center group are there', async () => {
  const response = await fetch(`${baseUrl}/local/identity-center/groups`);
  expect(await response.json()).toEqual([{ displayName: 'Security Engineers', members: ['carol@example.com'] }]);
});

test('a member removed while a run waits no longer counts at the next vote; added back, they count again', async () => {
  await expect(verifiedGroups('carol@example.com', GROUPS, LOCAL_IDENTITY_STORE_ID, api)).resolves.toEqual(['security']);
  const removed = await changeMembers('Security Engineers', { remove: ['carol@example.com'], add: ['alice@example.com'] });
  expect(removed.status).toBe(200);
  expect(await removed.json()).toEqual({ displayName: 'Security Engineers', members: ['alice@example.com'] });
  await expect(verifiedGroups('carol@example.com', GROUPS, LOCAL_IDENTITY_STORE_ID, api)).resolves.toEqual([]);
  // Alice is in the Identity Center group but not in the plangate group's list: she does not count either.
  await expect(verifiedGroups('alice@example.com', GROUPS, LOCAL_IDENTITY_STORE_ID, api)).resolves.toEqual(['platform']);
  await changeMembers('Security Engineers', { add: ['carol@example.com'] });
  await expect(verifiedGroups('carol@example.com', GROUPS, LOCAL_IDENTITY_STORE_ID, api)).resolves.toEqual(['security']);
});

test.each([
  ['not JSON', '{"add": [', 400, /not valid JSON/],
  ['not an object', '["carol@example.com"]', 400, /must be \{"add": \[emails\], "remove": \[emails\]\}/],
  ['an unknown key', { delete: ['carol@example.com'] }, 400, /Unknown key\(s\) delete/],
  ['a list that is not of emails', { add: 'carol@example.com' }, 400, /"add" must be a list of emails/],
  ['nothing to change', { add: [] }, 400, /Nothing to change/],
  ['someone who is not a user', { add: ['mallory@example.com'] }, 400, /mallory@example\.com is not a user of the identity store/],
  ['the same person added and removed', { add: ['bob@example.com'], remove: ['bob@example.com'] }, 400, /bob@example\.com is both added and removed/],
])('a change with %s is refused with a 400 naming the problem', async (_, body, status, error) => {
  const response = await changeMembers('Security Engineers', body);
  expect(response.status).toBe(status);
  expect(((await response.json()) as { error: string }).error).toMatch(error);
  const listed = await (await fetch(`${baseUrl}/local/identity-center/groups`)).json();
  expect(listed).toEqual([{ displayName: 'Security Engineers', members: ['carol@example.com'] }]);
});

test('a change to an unknown group is a 404 naming it; the members route takes only POST', async () => {
  const unknown = await changeMembers('platform', { add: ['alice@example.com'] });
  expect(unknown.status).toBe(404);
  expect(((await unknown.json()) as { error: string }).error).toMatch(/No Identity Center group is named "platform"/);
  const get = await fetch(`${baseUrl}/local/identity-center/groups/Security%20Engineers/members`);
  expect(get.status).toBe(405);
});

describe('in local mode', () => {
  let local: LocalMode;
  beforeAll(async () => {
    // The end-to-end tests' configuration, whose template the test run has built already.
    local = await startLocalMode({ context: POLICIES_CONTEXT });
  }, LOCAL_MODE_START_MS);
  afterAll(() => local.close());

  test('plangate:groups’ Identity Center groups are served on local mode’s port, where the functions’ SDK points', async () => {
    expect(local.functionEnvironment.IDENTITY_STORE_ID).toBe(LOCAL_IDENTITY_STORE_ID);
    expect(process.env.AWS_ENDPOINT_URL_IDENTITYSTORE).toBe(local.baseUrl);
    const changed = await fetch(`${local.baseUrl}/local/identity-center/groups/Security%20Engineers/members`, {
      method: 'POST',
      body: JSON.stringify({ add: ['alice@example.com'] }),
    });
    expect(changed.status).toBe(200);
    expect(await (await fetch(`${local.baseUrl}/local/identity-center/groups`)).json()).toEqual([
      { displayName: 'Security Engineers', members: ['alice@example.com', 'carol@example.com'] },
    ]);
    const response = await fetch(local.baseUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AWSIdentityStore.GetGroupId' },
      body: JSON.stringify(byDisplayName('Security Engineers')),
    });
    expect(await response.json()).toEqual({ IdentityStoreId: LOCAL_IDENTITY_STORE_ID, GroupId: expect.any(String) });
  });
});
