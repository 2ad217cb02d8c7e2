import { randomUUID } from 'node:crypto';
import type { Groups } from '../lambdas/shared/contracts/policies';
import { AwsApiError } from './service-catalog';

/**
 * IAM Identity Center's Identity Store as the functions check group membership with it (issue 22): GetUserId,
 * GetGroupId and IsMemberInGroups over awsJson1_1 (X-Amz-Target: AWSIdentityStore.<Op>), in one identity store.
 * Its users are the approvers; its groups are those plangate:groups names in `identityCenterGroup`, each starting
 * with that group's members. POST /local/identity-center/groups/{displayName}/members changes them while runs wait,
 * so removing an approver from a group can be tried.
 */

/** The identity store local mode emulates: the functions get it in IDENTITY_STORE_ID. */
export const LOCAL_IDENTITY_STORE_ID = 'd-0000000000';

const IDENTITY_STORE_ID = /^d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The unique attributes GetUserId looks a user up by; local mode's user names are their emails. */
const USER_ATTRIBUTES = ['userName', 'emails.value'];
const MAX_GROUP_IDS = 100;

type Json = Record<string, unknown>;

export interface IdentityCenterGroup {
  displayName: string;
  members: string[];
}

const validation = (message: string) => new AwsApiError('ValidationException', message);
/** The resource types the Identity Store names in a ResourceNotFoundException. */
type ResourceType = 'IDENTITY_STORE' | 'USER' | 'GROUP';
const notFound = (resourceType: ResourceType, resourceId: string, message = `${resourceType} not found.`) =>
  new AwsApiError('ResourceNotFoundException', message, 404, { ResourceType: resourceType, ResourceId: resourceId });
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export class IdentityCenterEmulator {
  /** User id by lower-cased email, and each user's email as configured. */
  private readonly userIds = new Map<string, string>();
  private readonly emails = new Map<string, string>();
  /** Group id by display name, and each group's members (user ids). */
  private readonly groupIds = new Map<string, string>();
  private readonly members = new Map<string, Set<string>>();

  constructor(approverEmails: string[], groups: Groups = {}) {
    for (const email of [...approverEmails, ...Object.values(groups).flatMap((g) => g.members)]) {
      if (this.userIds.has(email.toLowerCase())) continue;
      const userId = randomUUID();
      this.userIds.set(email.toLowerCase(), userId);
      this.emails.set(userId, email);
    }
    for (const group of Object.values(groups)) {
      if (group.identityCenterGroup === undefined) continue;
      const groupId = this.groupIds.get(group.identityCenterGroup) ?? randomUUID();
      this.groupIds.set(group.identityCenterGroup, groupId);
      const members = this.members.get(groupId) ?? new Set();
      for (const email of group.members) members.add(this.userIds.get(email.toLowerCase())!);
      this.members.set(groupId, members);
    }
  }

  /** One Identity Store operation; throws AwsApiError as the service answers. */
  handle(operation: string, input: Json): unknown {
    if (operation === 'GetUserId') return this.getUserId(input);
    if (operation === 'GetGroupId') return this.getGroupId(input);
    if (operation === 'IsMemberInGroups') return this.isMemberInGroups(input);
    throw new AwsApiError('UnknownOperationException', `Local mode does not serve AWSIdentityStore.${operation}`);
  }

  /** The groups and their members' emails, as GET /local/identity-center/groups lists them. */
  listGroups(): IdentityCenterGroup[] {
    return [...this.groupIds].map(([displayName, groupId]) => this.groupOf(displayName, groupId));
  }

  /**
   * Adds and removes members of a group by email (`{"add": […], "remove": […]}`); answers the group. Throws AwsApiError:
   * 404 for an unknown group, 400 naming what is wrong with the change.
   */
  changeMembers(displayName: string, change: unknown): IdentityCenterGroup {
    const groupId = this.groupIds.get(displayName);
    if (!groupId) {
      throw notFound(
        'GROUP',
        displayName,
        `No Identity Center group is named ${JSON.stringify(displayName)}: GET /local/identity-center/groups lists them`,
      );
    }
    if (!isObject(change)) throw validation('The body must be {"add": [emails], "remove": [emails]}');
    const unknownKeys = Object.keys(change).filter((key) => key !== 'add' && key !== 'remove');
    if (unknownKeys.length) throw validation(`Unknown key(s) ${unknownKeys.join(', ')}: the body is {"add": [emails], "remove": [emails]}`);
    const add = this.userIdsOf(change.add, 'add');
    const remove = this.userIdsOf(change.remove, 'remove');
    if (add.length + remove.length === 0) throw validation('Nothing to change: give "add" or "remove" a list of emails');
    const both = add.filter((userId) => remove.includes(userId));
    if (both.length) throw validation(`${both.map((id) => this.emails.get(id)).join(', ')} is both added and removed`);
    const members = this.members.get(groupId)!;
    for (const userId of add) members.add(userId);
    for (const userId of remove) members.delete(userId);
    return this.groupOf(displayName, groupId);
  }

  private groupOf(displayName: string, groupId: string): IdentityCenterGroup {
    return { displayName, members: [...this.members.get(groupId)!].map((id) => this.emails.get(id)!).sort() };
  }

  private userIdsOf(emails: unknown, key: string): string[] {
    if (emails === undefined) return [];
    if (!Array.isArray(emails) || !emails.every((email) => typeof email === 'string')) throw validation(`"${key}" must be a list of emails`);
    return emails.map((email: string) => {
      const userId = this.userIds.get(email.toLowerCase());
      if (!userId) throw validation(`${email} is not a user of the identity store: local mode's users are plangate:approvers`);
      return userId;
    });
  }

  private checkStore(input: Json) {
    const id = input.IdentityStoreId;
    if (typeof id !== 'string' || !IDENTITY_STORE_ID.test(id)) {
      throw validation(
        `1 validation error detected: Value at 'identityStoreId' failed to satisfy constraint: Member must satisfy regular expression pattern`,
      );
    }
    if (id !== LOCAL_IDENTITY_STORE_ID)
      throw notFound('IDENTITY_STORE', id, `Identity store ${id} does not exist: local mode's is ${LOCAL_IDENTITY_STORE_ID}`);
  }

  /** The UniqueAttribute of an AlternateIdentifier, with one of the attribute paths the operation accepts. */
  private uniqueAttribute(input: Json, paths: string[]): string {
    const unique = isObject(input.AlternateIdentifier) ? input.AlternateIdentifier.UniqueAttribute : undefined;
    if (!isObject(unique) || typeof unique.AttributeValue !== 'string') {
      throw validation('AlternateIdentifier must be a UniqueAttribute with a string AttributeValue (local mode keeps no ExternalIds)');
    }
    if (!paths.includes(String(unique.AttributePath)))
      throw validation(`Invalid AttributePath ${String(unique.AttributePath)}: use ${paths.join(' or ')}`);
    return unique.AttributeValue;
  }

  private getUserId(input: Json) {
    this.checkStore(input);
    const value = this.uniqueAttribute(input, USER_ATTRIBUTES);
    const userId = this.userIds.get(value.toLowerCase());
    if (!userId) throw notFound('USER', value);
    return { IdentityStoreId: LOCAL_IDENTITY_STORE_ID, UserId: userId };
  }

  private getGroupId(input: Json) {
    this.checkStore(input);
    const displayName = this.uniqueAttribute(input, ['displayName']);
    const groupId = this.groupIds.get(displayName);
    if (!groupId) throw notFound('GROUP', displayName);
    return { IdentityStoreId: LOCAL_IDENTITY_STORE_ID, GroupId: groupId };
  }

  private isMemberInGroups(input: Json) {
    this.checkStore(input);
    const userId = isObject(input.MemberId) ? input.MemberId.UserId : undefined;
    if (typeof userId !== 'string') throw validation('MemberId must be {"UserId": "…"}');
    const groupIds = input.GroupIds;
    if (!Array.isArray(groupIds) || groupIds.length < 1 || groupIds.length > MAX_GROUP_IDS || !groupIds.every((id) => typeof id === 'string')) {
      throw validation(`GroupIds must list 1 to ${MAX_GROUP_IDS} group ids`);
    }
    if (!this.emails.has(userId)) throw notFound('USER', userId);
    return {
      Results: groupIds.map((groupId: string) => {
        const members = this.members.get(groupId);
        if (!members) throw notFound('GROUP', groupId);
        return { GroupId: groupId, MemberId: { UserId: userId }, MembershipExists: members.has(userId) };
      }),
    };
  }
}
