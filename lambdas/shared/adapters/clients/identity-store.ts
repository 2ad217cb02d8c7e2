import { tracer } from '../../runtime/tracer';

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
 * The SDK's client, loaded and created on the first live check and traced as the other clients: only votes for a group
 * naming an identityCenterGroup need it, so no cold start pays for it otherwise.
 */
type Sdk = typeof import('@aws-sdk/client-identitystore');
let client: { sdk: Sdk; send: (command: unknown) => Promise<never> } | undefined;
function store() {
  if (!client) {
    // Required on first use, not at load (a static import would be loaded by every cold start of the approval API).
    const sdk: Sdk = require('@aws-sdk/client-identitystore');
    const created = tracer.captureAWSv3Client(new sdk.IdentitystoreClient({}));
    client = { sdk, send: (command) => created.send(command as never) as Promise<never> };
  }
  return client;
}

export const identityStoreApi: IdentityStoreApi = {
  getUserId: async (input) => {
    const { sdk, send } = store();
    return send(new sdk.GetUserIdCommand(input));
  },
  getGroupId: async (input) => {
    const { sdk, send } = store();
    return send(new sdk.GetGroupIdCommand(input));
  },
  isMemberInGroups: async (input) => {
    const { sdk, send } = store();
    return send(new sdk.IsMemberInGroupsCommand(input));
  },
};
