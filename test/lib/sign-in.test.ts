import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { exampleContext, synthesize } from '../../local/synth';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it.
process.env.CDK_VALIDATION = 'false';

const SAML = {
  identityProvider: { type: 'SAML', metadataUrl: 'https://portal.sso.eu-west-1.amazonaws.com/saml/metadata/abc' },
  allowedEmailDomains: ['example.com'],
  domainPrefix: 'plangate-example',
};

/* synthesize() runs cdk-nag's AwsSolutions checks, which fail the synth on any unacknowledged finding. */
const withSignIn = synthesize({ 'plangate:signIn': SAML, 'plangate:requireSignIn': true });
const template = withSignIn.template;
const resources = (json: { Resources: Record<string, { Type: string }> }) => Object.entries(json.Resources).map(([id, r]) => `${id} ${r.Type}`);

describe('plangate:signIn', () => {
  test('creates a user pool without passwords or sign-up of its own, federated to the SAML provider', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Organization',
      ProviderType: 'SAML',
      ProviderDetails: { MetadataURL: SAML.identityProvider.metadataUrl },
      AttributeMapping: { email: 'email', email_verified: 'email_verified' },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'plangate-example' });
    // The README's setup names the pool by this output (the SAML audience is urn:amazon:cognito:sp:<id>).
    template.hasOutput('SignInUserPoolId', {});
  });

  test('has an app client for the code flow with PKCE, offering only that provider, calling back to the API', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['Organization'],
      CallbackURLs: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/prod/auth/callback$')])] })],
    });
  });

  test('an OIDC provider (Okta, Entra ID) is federated with its client secret read from Secrets Manager at deploy', () => {
    const oidc = synthesize({
      'plangate:signIn': {
        ...SAML,
        identityProvider: { type: 'OIDC', issuer: 'https://example.okta.com', clientId: 'okta-client', clientSecretName: 'plangate/okta' },
      },
    }).template;
    oidc.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderType: 'OIDC',
      ProviderDetails: Match.objectLike({
        client_id: 'okta-client',
        oidc_issuer: 'https://example.okta.com',
        client_secret: Match.stringLikeRegexp('^\\{\\{resolve:secretsmanager:plangate/okta:SecretString'),
      }),
    });
  });

  test('the sign-in function serves /auth/… and may touch sessions only', () => {
    const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
    const fn = Object.entries(json.Resources).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r).includes('"plangate:function":"SignIn"'),
    );
    expect(fn).toBeDefined();
    const env = (fn![1].Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(env).toMatchObject({ SIGN_IN_EMAIL_DOMAINS: '["example.com"]', SIGN_IN_IDENTITY_PROVIDER: 'Organization' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'auth' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SESSION#*'] } },
          }),
        ]),
      },
    });
    // Expired sessions go by TTL, on their own attribute: never an approval record's expiresAt.
    template.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'sessionTtl', Enabled: true } });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ResourcePath: '/~1auth~1{proxy+}', ThrottlingRateLimit: 2 })]),
    });
  });

  test('the Inbox serves /, /history and /requests/{planRef}, and is the only function that queries: the history index only', () => {
    const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
    const inboxId = Object.entries(json.Resources).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r).includes('"plangate:function":"Inbox"'),
    )?.[0];
    expect(inboxId).toBeDefined();
    const methods = Object.values(json.Resources).filter((r) => r.Type === 'AWS::ApiGateway::Method' && JSON.stringify(r).includes(inboxId!));
    expect(methods).toHaveLength(3);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'history' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{planRef}' });
    const queries = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r).includes('dynamodb:Query'));
    expect(queries.map(([id]) => id)).toEqual([expect.stringMatching(/^WorkflowInboxRoleDefaultPolicy/)]);
    expect(JSON.stringify(queries)).toContain('/index/History');
  });

  test('the approval API is told to require sessions', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).toContain('"SIGN_IN_MODE":"required"');
  });

  test('without it the template is exactly as before: no user pool, no sign-in function, no TTL', () => {
    const without = synthesize({}).json;
    expect(resources(without).filter((r) => /Cognito|SignIn/.test(r))).toEqual([]);
    expect(JSON.stringify(without)).not.toMatch(/SIGN_IN|TimeToLiveSpecification|auth/);
  });
});

describe('plangate:signIn is checked at synth, each problem under its key and index', () => {
  const problems = (context: Record<string, unknown>) => {
    try {
      parseConfig({ ...exampleContext(), ...context });
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  };

  test('requireSignIn needs signIn', () => {
    expect(problems({ 'plangate:requireSignIn': true })).toContain('plangate:requireSignIn: needs plangate:signIn');
  });

  test('URLs must be https, domains real and unrepeated, the prefix one Cognito accepts', () => {
    const message = problems({
      'plangate:signIn': {
        identityProvider: { type: 'SAML', metadataUrl: 'http://idp.example.com/metadata' },
        allowedEmailDomains: ['example.com', 'Example.COM', 'example.com'],
        domainPrefix: 'my-cognito-login',
      },
    });
    expect(message).toContain('plangate:signIn.identityProvider.metadataUrl: must be an https URL');
    expect(message).toContain('plangate:signIn.allowedEmailDomains.1: must be a lowercase email domain');
    expect(message).toContain('plangate:signIn.allowedEmailDomains.2: lists example.com more than once');
    expect(message).toContain('plangate:signIn.domainPrefix: must be 1-63 lowercase letters');
  });

  test('an OIDC provider needs its client and secret; an empty domain list lets nobody in', () => {
    const message = problems({
      'plangate:signIn': {
        identityProvider: { type: 'OIDC', issuer: 'https://example.okta.com' },
        allowedEmailDomains: [],
        domainPrefix: 'plangate',
      },
    });
    expect(message).toContain('plangate:signIn.identityProvider.clientId');
    expect(message).toContain('plangate:signIn.identityProvider.clientSecretName');
    expect(problems({ 'plangate:signIn': { ...SAML, allowedEmailDomains: [] } })).toContain(
      'plangate:signIn.allowedEmailDomains: must name at least one email domain',
    );
  });

  test('a valid one passes, with requireSignIn', () => {
    expect(problems({ 'plangate:signIn': SAML, 'plangate:requireSignIn': true })).toBe('');
  });
});
