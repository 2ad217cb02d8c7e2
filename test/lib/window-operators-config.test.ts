import { ConfigError, parseConfig } from '../../lib/config';
import { synthesize } from '../../local/synth';

/** plangate:windowOperators (issue 23): who may run a run waiting for its execution window now (`plangate run-now`). */
const approvers = [{ email: 'alice@example.com' }, { email: 'bob@example.com' }];
const parse = (windowOperators: unknown, more = {}) =>
  parseConfig({ 'plangate:approvers': approvers, 'plangate:windowOperators': windowOperators, ...more });

test('IAM or STS principal patterns are taken; unset, nobody may run a run now', () => {
  const patterns = ['arn:aws:sts::111111111111:assumed-role/PlanGateOperator/*', 'arn:aws:iam::111111111111:user/ops'];
  expect(parse(patterns).windowOperators).toEqual(patterns);
  expect(parseConfig({ 'plangate:approvers': approvers }).windowOperators).toBeUndefined();
});

test.each([
  [['ops@example.com'], 'plangate:windowOperators.0: must be an IAM or STS principal ARN'],
  ['arn:aws:iam::111111111111:user/ops', 'plangate:windowOperators: must be a list of IAM or STS principal ARN patterns'],
])('%j is refused, naming the key', (value, message) => {
  expect(() => parse(value)).toThrow(ConfigError);
  expect(() => parse(value)).toThrow(message);
});

test('with spoke accounts, a pattern matching any account is refused, as an approver’s is', () => {
  const spokes = {
    'plangate:organizationId': 'o-abcdefghij',
    'plangate:spokeAccounts': [{ accountId: '222222222222', regions: ['us-east-1'] }],
  };
  expect(() => parse(['arn:aws:sts::*:assumed-role/Ops/*'], spokes)).toThrow(
    'plangate:windowOperators.0: arn:aws:sts::*:assumed-role/Ops/* has "*" in its account field',
  );
});

test('set, it reaches RunActions alone (which serves the window routes); unset, no function has it', () => {
  type Resources = ReturnType<typeof synthesize>['json']['Resources'];
  const operatorsOf = (resources: Resources) =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .flatMap(([id, r]) => {
        const value = (r.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment?.Variables?.WINDOW_OPERATORS;
        return value === undefined ? [] : [[id, value]];
      });
  expect(operatorsOf(synthesize({ 'plangate:windowOperators': ['arn:aws:iam::111111111111:user/ops'] }).json.Resources)).toEqual([
    [expect.stringContaining('RunActions'), '["arn:aws:iam::111111111111:user/ops"]'],
  ]);
  expect(operatorsOf(synthesize().json.Resources)).toEqual([]);
}, 120_000);
