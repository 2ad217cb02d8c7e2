import {
  aws_cognito as cognito,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_iam as iam,
  RemovalPolicy,
  SecretValue,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { sessionKey } from '../lambdas/shared/contracts/table-keys';
import type { WorkflowFunction } from './workflow-function';

/** plangate:signIn: the organization's identity provider, federated by a Cognito user pool the stack creates. */
export interface SignInProps {
  readonly identityProvider:
    | { readonly type: 'SAML'; readonly metadataUrl: string }
    | { readonly type: 'OIDC'; readonly issuer: string; readonly clientId: string; readonly clientSecretName: string };
  /** Only verified addresses of these domains may sign in. */
  readonly allowedEmailDomains: string[];
  /** The Cognito hosted domain's prefix: `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly domainPrefix: string;
  /** plangate:requireSignIn: a link decides only for its signed-in addressee. @default false */
  readonly required?: boolean;
}

/** The identity provider's name in the user pool (the app client offers it alone). */
export const IDENTITY_PROVIDER_NAME = 'Organization';

/**
 * The user pool approvers sign in through: no passwords or sign-up of its own, only the organization's provider
 * (SAML or OIDC), an app client for the authorization code flow with PKCE, and the hosted domain. Cognito because it
 * is AWS-managed, federates both SAML and OIDC, and gives the sign-in function one issuer to trust whatever the
 * organization uses.
 */
export class ApproverSignIn extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  /** The ID tokens' issuer. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: SignInProps & { callbackUrl: string }) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      // Users come from the identity provider on their first sign-in; recreating the pool loses nothing.
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      accountRecovery: cognito.AccountRecovery.NONE,
    });
    const provider = this.identityProvider(props.identityProvider);
    this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    this.client = this.userPool.addClient('WebClient', {
      // A public client with PKCE: no secret to keep; the code is bound to the sign-in function's verifier.
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [props.callbackUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.custom(IDENTITY_PROVIDER_NAME)],
      preventUserExistenceErrors: true,
      // The ID token is read once, at the callback; the session lives in the table.
      idTokenValidity: Duration.minutes(5),
      accessTokenValidity: Duration.minutes(5),
      refreshTokenValidity: Duration.minutes(60),
    });
    this.client.node.addDependency(provider);
    this.issuer = this.userPool.userPoolProviderUrl;
    const ack = (rule: string, reason: string) => Validations.of(this.userPool).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
    ack('COG1', 'No one signs in with a password here: the app client offers only the federated identity provider.');
    ack('COG2', "MFA is the organization's identity provider's job: users only ever sign in there.");
    ack('COG3', "Threat protection (the Plus plan) would watch passwords nobody has; the identity provider's risk checks apply.");
    ack('COG8', "The Plus plan's threat protection is for pools with their own sign-in; this pool only federates the organization's.");
  }

  private identityProvider(idp: SignInProps['identityProvider']): cognito.IUserPoolIdentityProvider {
    const attributeMapping = {
      email: cognito.ProviderAttribute.other('email'),
      emailVerified: cognito.ProviderAttribute.other('email_verified'),
    };
    if (idp.type === 'SAML') {
      return new cognito.UserPoolIdentityProviderSaml(this, 'IdentityProvider', {
        userPool: this.userPool,
        name: IDENTITY_PROVIDER_NAME,
        metadata: cognito.UserPoolIdentityProviderSamlMetadata.url(idp.metadataUrl),
        attributeMapping,
      });
    }
    return new cognito.UserPoolIdentityProviderOidc(this, 'IdentityProvider', {
      userPool: this.userPool,
      name: IDENTITY_PROVIDER_NAME,
      issuerUrl: idp.issuer,
      clientId: idp.clientId,
      // A dynamic reference: CloudFormation reads the secret at deploy time; its value never reaches the template.
      clientSecret: SecretValue.secretsManager(idp.clientSecretName).unsafeUnwrap(),
      scopes: ['openid', 'email', 'profile'],
      attributeRequestMethod: cognito.OidcAttributeRequestMethod.GET,
      attributeMapping,
    });
  }
}

/**
 * The sign-in function's table access: its sessions only (SESSION#…, by dynamodb:LeadingKeys), to create and end them;
 * never an approval record or a link.
 */
export function grantSessions(fn: WorkflowFunction, table: dynamodb.ITable): void {
  fn.setEnvironment({ TABLE_NAME: table.tableName });
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [sessionKey('*')] } },
    }),
  );
  table.encryptionKey?.grantEncryptDecrypt(fn);
}
