import type { Groups } from '../contracts/policies';
import { type IdentityStoreApi, identityStoreApi } from './clients/identity-store';

/**
 * Which approver groups a person belongs to when their vote is cast (issue 22). A group's `members` list is the
 * static check; a group naming an IAM Identity Center group must also have them in it now, so someone removed from
 * it there can no longer approve. User and group ids are stable, so each container keeps them for a while; the
 * membership answer is never kept. Fails closed: any error from the Identity Store is thrown (the vote counts nothing
 * and the voter is asked to try again); a person the store does not know is simply not a member.
 */

/** How long a container keeps a user's or group's id. */
export const ID_CACHE_MS = 15 * 60 * 1000;
/** The most groups one IsMemberInGroups call takes. */
const MAX_GROUP_IDS = 100;

const ids = new Map<string, { id: string; expiresAt: number }>();

/** A looked-up id, from the container's cache while fresh; an id that was not found is looked up again next time. */
async function cachedId(key: string, lookUp: () => Promise<string | undefined>): Promise<string | undefined> {
  const cached = ids.get(key);
  if (cached && cached.expiresAt > Date.now()) return cached.id;
  const id = await lookUp();
  if (id !== undefined) ids.set(key, { id, expiresAt: Date.now() + ID_CACHE_MS });
  return id;
}

const byAttribute = (identityStoreId: string, path: string, value: string) => ({
  IdentityStoreId: identityStoreId,
  AlternateIdentifier: { UniqueAttribute: { AttributePath: path, AttributeValue: value } },
});

/** An unknown user (not an unknown identity store, which is a configuration error to report). */
const isUnknownUser = (error: unknown) =>
  (error as Error).name === 'ResourceNotFoundException' && (error as { ResourceType?: string }).ResourceType !== 'IDENTITY_STORE';

/** The user whose email this is (the `emails.value` attribute), or undefined when the store has none. */
async function userIdOf(api: IdentityStoreApi, identityStoreId: string, email: string): Promise<string | undefined> {
  try {
    return (await api.getUserId(byAttribute(identityStoreId, 'emails.value', email))).UserId;
  } catch (error) {
    if (isUnknownUser(error)) return undefined;
    throw error;
  }
}

async function groupIdOf(api: IdentityStoreApi, identityStoreId: string, displayName: string): Promise<string> {
  let groupId: string | undefined;
  try {
    groupId = (await api.getGroupId(byAttribute(identityStoreId, 'displayName', displayName))).GroupId;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  if (!groupId) throw new Error(`The Identity Center group ${JSON.stringify(displayName)} is not in the identity store ${identityStoreId}`);
  return groupId;
}

/** The ids of those groups the user is a member of now. */
async function memberships(api: IdentityStoreApi, identityStoreId: string, userId: string, groupIds: string[]): Promise<Set<string>> {
  const members = new Set<string>();
  for (let start = 0; start < groupIds.length; start += MAX_GROUP_IDS) {
    const { Results = [] } = await api.isMemberInGroups({
      IdentityStoreId: identityStoreId,
      MemberId: { UserId: userId },
      GroupIds: groupIds.slice(start, start + MAX_GROUP_IDS),
    });
    for (const result of Results) if (result.MembershipExists && result.GroupId) members.add(result.GroupId);
  }
  return members;
}

/**
 * The names of the given groups `email` belongs to: listed in `members` (case-insensitively) and, for a group naming
 * an Identity Center group, a member of it in the identity store now. One IsMemberInGroups call checks them all.
 */
export async function verifiedGroups(
  email: string,
  groups: Groups,
  identityStoreId: string | undefined,
  api: IdentityStoreApi = identityStoreApi,
): Promise<string[]> {
  const person = email.toLowerCase();
  const listed = Object.entries(groups).filter(([, group]) => group.members.some((member) => member.toLowerCase() === person));
  const toCheck = listed.filter(([, group]) => group.identityCenterGroup !== undefined);
  const verified = new Set(listed.filter(([, group]) => group.identityCenterGroup === undefined).map(([name]) => name));
  if (toCheck.length) {
    if (!identityStoreId) {
      throw new Error(`The groups ${toCheck.map(([name]) => name).join(', ')} name Identity Center groups, but no identity store is configured`);
    }
    const userId = await cachedId(`${identityStoreId}/user/${person}`, () => userIdOf(api, identityStoreId, email));
    if (userId !== undefined) {
      const displayNames = [...new Set(toCheck.map(([, group]) => group.identityCenterGroup!))];
      const groupIds = new Map(
        await Promise.all(
          displayNames.map(
            async (displayName) =>
              [
                displayName,
                (await cachedId(`${identityStoreId}/group/${displayName}`, () => groupIdOf(api, identityStoreId, displayName)))!,
              ] as const,
          ),
        ),
      );
      const member = await memberships(api, identityStoreId, userId, [...groupIds.values()]);
      for (const [name, group] of toCheck) if (member.has(groupIds.get(group.identityCenterGroup!)!)) verified.add(name);
    }
  }
  return Object.keys(groups).filter((name) => verified.has(name));
}
