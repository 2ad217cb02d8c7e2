import { ConfigError, parseConfig } from '../../lib/config';
import { resolveSettings } from '../../lib/workflow-props';

/** Approval policies at synth (issue 22): every bad group or rule is refused, naming its key and index. */
const approvers = ['alice', 'bob', 'carol'].map((n) => ({ email: `${n}@example.com` }));
const groups = { platform: { members: ['alice@example.com', 'bob@example.com'] }, security: { members: ['carol@example.com'] } };
const rule = { name: 'default', require: [{ group: 'platform', count: 1 }] };

const problemsOf = (policy: Record<string, unknown>) => {
  try {
    parseConfig({ 'plangate:approvers': approvers, 'plangate:groups': groups, 'plangate:approvalRules': [rule], ...policy });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

test('a valid policy parses, with distinct approvers off by default', () => {
  const config = parseConfig({ 'plangate:approvers': approvers, 'plangate:groups': groups, 'plangate:approvalRules': [rule] });
  expect(config).toMatchObject({ groups, approvalRules: [rule], distinctApproversAcrossRules: false });
});

test.each([
  [
    'a rule naming an unknown group',
    { 'plangate:approvalRules': [rule, { name: 'dba', require: [{ group: 'dbas', count: 1 }] }] },
    'plangate:approvalRules.1.require.0.group: names group dbas, which plangate:groups does not define',
  ],
  [
    'a rule naming a group that is a name every object has',
    { 'plangate:approvalRules': [{ name: 'proto', require: [{ group: 'constructor', count: 1 }] }] },
    'plangate:approvalRules.0.require.0.group: names group constructor, which plangate:groups does not define',
  ],
  [
    'more requirements in all than the run’s state carries',
    {
      'plangate:groups': Object.fromEntries([0, 1, 2, 3, 4].map((g) => [`g${g}`, { members: ['alice@example.com'] }])),
      'plangate:approvalRules': Array.from({ length: 21 }, (_, i) => ({
        name: `r${i}`,
        require: [0, 1, 2, 3, 4].map((g) => ({ group: `g${g}`, count: 1 })),
      })),
    },
    `plangate:approvalRules: name 105 requirements ({"group", "count"}) in all: at most 100 fit the run's state`,
  ],
  [
    'a count above the group’s size',
    { 'plangate:approvalRules': [{ name: 'two', require: [{ group: 'security', count: 2 }] }] },
    'plangate:approvalRules.0.require.0.count: asks for 2 approvals from group security, which has 1 member(s)',
  ],
  [
    'a duplicate rule name',
    { 'plangate:approvalRules': [rule, { ...rule, stage: 2 }] },
    'plangate:approvalRules.1.name: repeats the name default of rule 0',
  ],
  [
    'an unknown selector',
    { 'plangate:approvalRules': [{ ...rule, when: { resourceType: ['AWS::IAM::*'] } }] },
    'plangate:approvalRules.0.when: unknown key(s) resourceType',
  ],
  ['a bad action', { 'plangate:approvalRules': [{ ...rule, when: { actions: ['DELETE'] } }] }, 'plangate:approvalRules.0.when.actions.0:'],
  ['a stage out of range', { 'plangate:approvalRules': [{ ...rule, stage: 9 }] }, 'plangate:approvalRules.0.stage:'],
  [
    'a member who is no approver',
    { 'plangate:groups': { ...groups, dba: { members: ['dave@example.com'] } } },
    'plangate:groups.dba.members.0: dave@example.com is not in plangate:approvers',
  ],
  [
    'an Identity Center group without an identity store',
    { 'plangate:groups': { ...groups, security: { members: ['carol@example.com'], identityCenterGroup: 'Security' } } },
    'plangate:groups.security.identityCenterGroup: needs plangate:identityStoreId',
  ],
  [
    'an environment no account has',
    { 'plangate:approvalRules': [{ ...rule, when: { environment: ['production'] } }] },
    'plangate:approvalRules.0.when.environment: names environment production, which no account of plangate:spokeAccounts has',
  ],
  [
    'a rule with no requirement',
    { 'plangate:approvalRules': [{ name: 'empty', require: [] }] },
    'plangate:approvalRules.0.require: must name at least one {"group", "count"}',
  ],
])('%s is refused, naming the key', (_, policy, message) => {
  expect(problemsOf(policy)).toContain(message);
});

test('the construct refuses the same, under its prop’s name', () => {
  expect(() => resolveSettings({ approvers, approvalPolicy: { groups, rules: [{ name: 'x', require: [{ group: 'nobody', count: 1 }] }] } })).toThrow(
    'approvalRules.0.require.0.group: names group nobody, which plangate:groups does not define',
  );
});
