/** A unique attribute of a user or group: GetUserId and GetGroupId look ids up by one. */
interface UniqueAttributeLookup {
  IdentityStoreId: string;
  AlternateIdentifier: { UniqueAttribute: { AttributePath: string; AttributeValue: string } };
}

/**
 * The three Identity Store calls the membership check makes, as @aws-sdk/client-identitystore's GetUserIdCommand,
 * GetGroupIdCommand and IsMemberInGroupsCommand take and answer them. Errors are the SDK's (`name` the error code).
 */
export interface IdentityStoreApi {
  getUserId(input: UniqueAttributeLookup): Promise<{ UserId?: string }>;
  getGroupId(input: UniqueAttributeLookup): Promise<{ GroupId?: string }>;
  isMemberInGroups(input: {
    IdentityStoreId: string;
    MemberId: { UserId: string };
    GroupIds: string[];
  }): Promise<{ Results?: { GroupId?: string; MembershipExists?: boolean }[] }>;
}

/**
 * Until @aws-sdk/client-identitystore is a dependency, every call fails: a vote that needs a live check counts
 * nothing and the voter is asked to try again (fail closed). With it, each method sends its command with a client
 * created on first use and traced (tracer.captureAWSv3Client), as the other clients here.
 */
const unavailable = async (): Promise<never> => {
  throw new Error('The Identity Store client is not installed (@aws-sdk/client-identitystore): group membership cannot be checked');
};
export const identityStoreApi: IdentityStoreApi = { getUserId: unavailable, getGroupId: unavailable, isMemberInGroups: unavailable };
