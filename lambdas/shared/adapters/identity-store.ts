import type { Groups } from '../contracts/policies';

/**
 * PLACEHOLDER until the identity helper's adapter lands: the groups of `groups` whose static members include the
 * approver. (Identity Center membership is checked there.)
 */
export async function verifiedGroups(email: string, groups: Groups, _identityStoreId: string | undefined): Promise<string[]> {
  const who = email.toLowerCase();
  return Object.entries(groups)
    .filter(([, group]) => group.members.some((m) => m.toLowerCase() === who))
    .map(([name]) => name);
}
