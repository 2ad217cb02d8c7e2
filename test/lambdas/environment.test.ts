import { APPROVERS, ENVIRONMENT, encodeEnvironment, parseEnvironment, TABLE_NAME } from '../../lambdas/shared/contracts/environment';

test('what the construct encodes, a handler decodes to the same values', () => {
  const values = {
    TABLE_NAME: 'approvals',
    APPROVERS: [{ email: 'alice@example.com', name: 'Alice', slackUserId: 'U0ALICE01' }],
    APPROVAL_RULES: { autoApproveUpTo: 'LOW' as const, requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 2 } },
    APPROVAL_TIMEOUT_SECONDS: 86_400,
    DELETE_EXPIRED_PLANS: false,
    SLACK_WEBHOOK_SECRET_ID: undefined,
  };
  const variables = encodeEnvironment(values);
  expect(variables).toEqual({
    TABLE_NAME: 'approvals',
    APPROVERS: '[{"email":"alice@example.com","name":"Alice","slackUserId":"U0ALICE01"}]',
    APPROVAL_RULES: '{"autoApproveUpTo":"LOW","requiredApprovals":{"LOW":1,"MEDIUM":1,"HIGH":2}}',
    APPROVAL_TIMEOUT_SECONDS: '86400',
    DELETE_EXPIRED_PLANS: 'false',
  });
  const { APPROVAL_RULES, APPROVAL_TIMEOUT_SECONDS, DELETE_EXPIRED_PLANS, SLACK_WEBHOOK_SECRET_ID } = ENVIRONMENT;
  const schemas = { TABLE_NAME, APPROVERS, APPROVAL_RULES, APPROVAL_TIMEOUT_SECONDS, DELETE_EXPIRED_PLANS, SLACK_WEBHOOK_SECRET_ID };
  expect(parseEnvironment(schemas, variables)).toEqual(values);
});

test('strings pass unchanged, so the construct can set values that are CDK tokens until deploy', () => {
  expect(encodeEnvironment({ APPROVAL_BASE_URL: 'https://${Token[TOKEN.1]}.execute-api.${Token[AWS.Region.2]}/prod/' })).toEqual({
    APPROVAL_BASE_URL: 'https://${Token[TOKEN.1]}.execute-api.${Token[AWS.Region.2]}/prod/',
  });
});

test('the construct cannot encode a value its handler would refuse', () => {
  expect(() => encodeEnvironment({ APPROVAL_TIMEOUT_SECONDS: 1.5 })).toThrow();
  expect(() => encodeEnvironment({ APPROVERS: [] })).toThrow();
});

test.each([
  [{}, 'Environment variable TABLE_NAME is not set. Environment variable APPROVERS is not set'],
  [{ TABLE_NAME: 't', APPROVERS: '[{"email":"alice"}]' }, 'Environment variable APPROVERS is invalid: 0.email: Invalid email address'],
  [{ TABLE_NAME: 't', APPROVERS: 'alice@example.com' }, 'Environment variable APPROVERS is invalid: is not JSON'],
  [{ TABLE_NAME: '', APPROVERS: '[{"email":"alice@example.com"}]' }, 'Environment variable TABLE_NAME is not set'],
])('a missing or bad variable fails start-up, naming it: %j', (source, message) => {
  expect(() => parseEnvironment({ TABLE_NAME, APPROVERS }, source)).toThrow(message);
});

test.each([
  ['APPROVAL_TIMEOUT_SECONDS', '15m', 'must be a whole number of seconds'],
  ['DELETE_EXPIRED_PLANS', 'yes', 'must be "true" or "false"'],
  ['APPROVAL_BASE_URL', 'not a url', 'Invalid URL'],
  ['APPROVAL_TOPIC_ARN', 'approvals', 'must be an ARN'],
] as const)('%s=%s is refused: %s', (name, value, message) => {
  expect(() => parseEnvironment({ [name]: ENVIRONMENT[name] }, { [name]: value })).toThrow(`Environment variable ${name} is invalid: ${message}`);
});
