import { ConfigError, parseConfig, reminderMinutes } from '../../lib/config';
import { exampleContext } from '../../local/synth';

const withExample = (overrides: Record<string, unknown>) => ({ ...exampleContext(), ...overrides });
const problemsOf = (context: Record<string, unknown>) => {
  try {
    parseConfig(context);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

test('the example configuration in cdk.json is valid and fills in defaults', () => {
  const config = parseConfig({ 'plangate:approvers': [{ email: 'a@example.com' }, { email: 'b@example.com' }] });
  expect(config).toEqual({
    approvers: [{ email: 'a@example.com' }, { email: 'b@example.com' }],
    approvalTimeoutMinutes: 1440,
    planCheckIntervalSeconds: 30,
    planReadyTimeoutMinutes: 30,
    pollInitialIntervalSeconds: 60,
    pollMaxIntervalSeconds: 600,
    pollTimeoutMinutes: 240,
    notificationEmails: [],
    eventTriggerEnabled: true,
    eventSource: 'plangate',
    defaultAcceptLanguage: 'en',
    logRetentionDays: 365,
    evidenceRetentionDays: 400,
    requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 2 },
    deniedResourceTypes: [],
    autoApproveUpTo: 'NONE',
    distinctApproversAcrossRules: false,
    deleteExpiredPlans: false,
    alarmEmails: [],
    alarmThresholds: {},
    apiGatewayCloudWatchRole: true,
    requireSignIn: false,
  });
  expect(reminderMinutes(config)).toBe(60);
  expect(parseConfig(exampleContext()).approvers).toHaveLength(3);
});

test('the reminder defaults to an hour before expiry, or a quarter of a shorter timeout; 0 turns it off', () => {
  const remind = (extra: Record<string, unknown>) => reminderMinutes(parseConfig(withExample(extra)));
  expect(remind({ 'plangate:approvalTimeoutMinutes': 120 })).toBe(30);
  expect(remind({ 'plangate:approvalTimeoutMinutes': 5 })).toBe(1);
  expect(remind({ 'plangate:reminderMinutesBeforeExpiry': '0' })).toBe(0);
  expect(remind({ 'plangate:reminderMinutesBeforeExpiry': 300 })).toBe(300);
});

test('values given with -c arrive as strings and are read as JSON', () => {
  const config = parseConfig(
    withExample({
      'plangate:approvers': '[{"email":"ops@example.com","name":"Ops"}]',
      'plangate:requiredApprovals': '{"LOW":1,"MEDIUM":1,"HIGH":1}',
      'plangate:approvalTimeoutMinutes': '60',
      'plangate:eventTriggerEnabled': 'false',
      'plangate:eventSource': 'acme.platform',
      'plangate:alarmThresholds': '{"apiLatencyP90Ms":5000}',
      'plangate:apiGatewayCloudWatchRole': 'false',
    }),
  );
  expect(config).toMatchObject({
    approvers: [{ email: 'ops@example.com', name: 'Ops' }],
    approvalTimeoutMinutes: 60,
    eventTriggerEnabled: false,
    eventSource: 'acme.platform',
    alarmThresholds: { apiLatencyP90Ms: 5000 },
    apiGatewayCloudWatchRole: false,
  });
});

test('ignores context that is not PlanGate’s', () => {
  expect(() => parseConfig(withExample({ '@aws-cdk/core:newStyleStackSynthesis': true }))).not.toThrow();
});

test.each([
  [{ 'plangate:approvers': undefined }, 'plangate:approvers: is required: a list of approvers'],
  [{ 'plangate:approvers': [] }, 'plangate:approvers: must name at least one approver'],
  [{ 'plangate:approvers': [{ email: 'not-an-email' }] }, 'plangate:approvers.0.email'],
  [{ 'plangate:approvalTimeoutMinutes': 2 }, 'plangate:approvalTimeoutMinutes: must be a whole number from 5 to 10080'],
  [{ 'plangate:approvalTimeoutMinutes': 'soon' }, 'plangate:approvalTimeoutMinutes: must be a whole number from 5 to 10080'],
  [{ 'plangate:pollInitialIntervalSeconds': 2.5 }, 'plangate:pollInitialIntervalSeconds: must be a whole number from 5 to 300'],
  [{ 'plangate:defaultAcceptLanguage': 'fr' }, 'plangate:defaultAcceptLanguage: Invalid option: expected one of "en"|"jp"|"zh"'],
  [{ 'plangate:logRetentionDays': 42 }, 'plangate:logRetentionDays: must be one of 1, 3, 5, 7, 14, 30'],
  [{ 'plangate:eventSource': 'aws.servicecatalog' }, 'plangate:eventSource: must not start with "aws."'],
  [{ 'plangate:notificationEmails': ['x'] }, 'plangate:notificationEmails.0'],
  [{ 'plangate:approverz': [] }, 'unknown setting(s) plangate:approverz'],
  [
    { 'plangate:requiredApprovals': { LOW: 1, MEDIUM: 2, HIGH: 4 } },
    'plangate:requiredApprovals.HIGH: asks for 4 approvals but only 3 approver(s) are configured',
  ],
  [{ 'plangate:requiredApprovals': { LOW: 0, MEDIUM: 1, HIGH: 1 } }, 'plangate:requiredApprovals.LOW: must be a whole number from 1 to 10'],
  [
    { 'plangate:approvers': [{ email: 'a@example.com', iamPrincipals: ['alice'] }] },
    'plangate:approvers.0.iamPrincipals.0: must be an IAM or STS principal ARN',
  ],
  [
    { 'plangate:sensitiveResourceTypes': ['rds'] },
    'plangate:sensitiveResourceTypes.0: must be a resource type such as AWS::RDS::DBInstance, or a prefix such as AWS::RDS::*',
  ],
  [
    { 'plangate:approvers': [{ email: 'a@example.com', slackUserId: 'alice' }] },
    'plangate:approvers.0.slackUserId: must be a Slack user id such as U012AB3CD',
  ],
  [
    { 'plangate:slackWebhookSecret': 'https://hooks.slack.com/services/T/B/x' },
    'plangate:slackWebhookSecret: must be the name or ARN of the Secrets Manager secret',
  ],
  [{ 'plangate:slackSigningSecret': 'plangate/signing' }, 'plangate:slackSigningSecret: needs plangate:slackWebhookSecret too'],
  [{ 'plangate:autoApproveUpTo': 'HIGH' }, 'plangate:autoApproveUpTo: must be "NONE", "LOW" or "MEDIUM"'],
  [{ 'plangate:autoApproveUpTo': 'low' }, 'plangate:autoApproveUpTo: must be "NONE", "LOW" or "MEDIUM"'],
  [
    { 'plangate:reminderMinutesBeforeExpiry': 1440 },
    'plangate:reminderMinutesBeforeExpiry: must be shorter than the approval timeout (1440 minutes); 0 turns reminders off',
  ],
  [{ 'plangate:reminderMinutesBeforeExpiry': -5 }, 'plangate:reminderMinutesBeforeExpiry: must be a whole number from 0 to 10079'],
  [{ 'plangate:deleteExpiredPlans': 'yes' }, 'plangate:deleteExpiredPlans: must be true or false'],
  [{ 'plangate:alarmEmails': ['ops'] }, 'plangate:alarmEmails.0'],
  [{ 'plangate:alarmThresholds': { approvalWaitPercent: 100 } }, 'plangate:alarmThresholds.approvalWaitPercent: must be a whole number from 1 to 99'],
  [{ 'plangate:alarmThresholds': { apiLatencyMs: 100 } }, 'plangate:alarmThresholds: unknown key(s) apiLatencyMs'],
  [{ 'plangate:apiGatewayCloudWatchRole': 'no' }, 'plangate:apiGatewayCloudWatchRole: must be true or false'],
  [
    {
      'plangate:approvers': [
        { email: 'a@example.com', slackUserId: `U1${'A'.repeat(5)}` },
        { email: 'b@example.com', slackUserId: `U1${'A'.repeat(5)}` },
      ],
    },
    'lists Slack user U1AAAAA more than once',
  ],
])('%j is refused with a message naming the key', (overrides, message) => {
  expect(problemsOf(withExample(overrides))).toContain(message);
});

test('refuses an approver listed twice and a poll cap below the first interval', () => {
  const message = problemsOf(
    withExample({
      'plangate:approvers': [{ email: 'a@example.com' }, { email: 'A@example.com' }],
      'plangate:pollInitialIntervalSeconds': 60,
      'plangate:pollMaxIntervalSeconds': 30,
    }),
  );
  expect(message).toContain('plangate:approvers: lists a@example.com more than once');
  expect(message).toContain('plangate:pollMaxIntervalSeconds: must be at least the first poll interval (60 seconds)');
});

describe('several accounts', () => {
  /** Approvers named by account: with spokes, a `*` in a principal's account field is refused. */
  const hubApprovers = [
    { email: 'a@example.com', iamPrincipals: ['arn:aws:sts::111111111111:assumed-role/PlanGateApprover/*'] },
    { email: 'b@example.com' },
  ];
  const spokes = {
    'plangate:approvers': hubApprovers,
    'plangate:organizationId': 'o-abcdef1234',
    'plangate:spokeAccounts': [{ accountId: '222222222222', name: 'payments-prod', regions: ['eu-west-1', 'us-east-1'] }],
  };

  test('spoke accounts, the organization, a StackSet and operators are read, also from -c strings', () => {
    const config = parseConfig({
      ...spokes,
      'plangate:spokeAccounts': JSON.stringify(spokes['plangate:spokeAccounts']),
      'plangate:spokeStackSet': '{"organizationalUnitIds":["ou-ab12-cdef3456","r-ab12"],"regions":["eu-west-1"]}',
      'plangate:operators': '["arn:aws:iam::111111111111:role/platform/PlanGateOperator"]',
    });
    expect(config).toMatchObject({
      organizationId: 'o-abcdef1234',
      spokeAccounts: [{ accountId: '222222222222', name: 'payments-prod', regions: ['eu-west-1', 'us-east-1'] }],
      spokeStackSet: { organizationalUnitIds: ['ou-ab12-cdef3456', 'r-ab12'], regions: ['eu-west-1'] },
      operators: ['arn:aws:iam::111111111111:role/platform/PlanGateOperator'],
    });
    const everyAccount = parseConfig({
      ...spokes,
      'plangate:spokeAccounts': '*',
      'plangate:spokeStackSet': { organizationalUnitIds: ['r-ab12'], regions: ['eu-west-1'] },
    });
    expect(everyAccount.spokeAccounts).toBe('*');
  });

  test('without spoke accounts, the configuration has none of the keys (today’s single account)', () => {
    const config = parseConfig(exampleContext());
    for (const key of ['organizationId', 'spokeAccounts', 'spokeStackSet', 'operators']) expect(config).not.toHaveProperty(key);
  });

  test.each([
    [{ 'plangate:organizationId': 'org-1' }, 'plangate:organizationId: must be an organization id: "o-" and 10-32 lowercase letters or digits'],
    [{ 'plangate:organizationId': undefined }, 'plangate:organizationId: is required with plangate:spokeAccounts'],
    [{ 'plangate:spokeAccounts': 'all' }, 'plangate:spokeAccounts: must be a list of {"accountId", "name"?, "regions"}, or "*"'],
    [{ 'plangate:spokeAccounts': [] }, 'plangate:spokeAccounts: must name at least one account, or be "*"'],
    [{ 'plangate:spokeAccounts': [{ accountId: '2222', regions: ['eu-west-1'] }] }, 'plangate:spokeAccounts.0.accountId: must be 12 digits'],
    [
      { 'plangate:spokeAccounts': [{ accountId: '222222222222', regions: ['Ireland'] }] },
      'plangate:spokeAccounts.0.regions.0: must be a Region name',
    ],
    [{ 'plangate:spokeAccounts': [{ accountId: '222222222222', regions: [] }] }, 'plangate:spokeAccounts.0.regions: must name at least one Region'],
    [{ 'plangate:spokeAccounts': [{ accountId: '222222222222' }] }, 'plangate:spokeAccounts.0.regions: must be a list of Region names'],
    [
      { 'plangate:spokeAccounts': [{ accountId: '222222222222', regions: ['eu-west-1'], region: 'x' }] },
      'plangate:spokeAccounts.0: unknown key(s) region',
    ],
    [
      {
        'plangate:spokeAccounts': [
          { accountId: '222222222222', regions: ['eu-west-1'] },
          { accountId: '222222222222', regions: ['us-east-1'] },
        ],
      },
      'plangate:spokeAccounts: lists account 222222222222 more than once',
    ],
    [{ 'plangate:spokeAccounts': '*' }, 'plangate:spokeAccounts: "*" needs plangate:spokeStackSet'],
    [
      { 'plangate:spokeStackSet': { organizationalUnitIds: ['Sales'], regions: ['eu-west-1'] } },
      'plangate:spokeStackSet.organizationalUnitIds.0: must be an OU id',
    ],
    [{ 'plangate:spokeStackSet': { organizationalUnitIds: ['r-ab12'] } }, 'plangate:spokeStackSet.regions: must be a list of Region names'],
    [{ 'plangate:operators': ['arn:aws:sts::111111111111:assumed-role/Ops/me'] }, 'plangate:operators.0: must be the ARN of an IAM role or user'],
    [
      { 'plangate:approvers': [{ email: 'a@example.com', iamPrincipals: ['arn:aws:sts::*:assumed-role/PlanGateApprover/alice'] }] },
      'plangate:approvers.0.iamPrincipals.0: arn:aws:sts::*:assumed-role/PlanGateApprover/alice has "*" in its account field',
    ],
    [
      { 'plangate:approvers': [{ email: 'a@example.com', iamPrincipals: ['arn:aws:iam::1111*:role/Approver'] }] },
      'plangate:approvers.0.iamPrincipals.0: arn:aws:iam::1111*:role/Approver has "*" in its account field',
    ],
  ])('with spokes, %j is refused with a message naming the key', (overrides, message) => {
    expect(problemsOf({ ...spokes, ...overrides })).toContain(message);
  });

  test.each([
    ['organizationId', 'o-abcdef1234'],
    ['spokeStackSet', { organizationalUnitIds: ['r-ab12'], regions: ['eu-west-1'] }],
    ['operators', ['arn:aws:iam::111111111111:role/Ops']],
  ])('plangate:%s without spoke accounts is refused', (key, value) => {
    expect(problemsOf(withExample({ [`plangate:${key}`]: value }))).toContain(`plangate:${key}: needs plangate:spokeAccounts`);
  });

  test('without spokes, approver principals may still match any account (today’s example configuration)', () => {
    expect(parseConfig(exampleContext()).approvers[0]!.iamPrincipals).toEqual(['arn:aws:sts::*:assumed-role/PlanGateApprover/alice']);
  });
});
