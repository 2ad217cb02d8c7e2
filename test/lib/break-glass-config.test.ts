import { ConfigError, parseConfig } from '../../lib/config';
import { synthesize } from '../../local/synth';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it.
process.env.CDK_VALIDATION = 'false';

/** plangate:breakGlass (issue 23 item 5): off when absent, validated at synth naming key and index. */
const approvers = [{ email: 'alice@example.com' }, { email: 'bob@example.com' }];
const requester = 'arn:aws:sts::111122223333:assumed-role/Oncall/*';
const problemsOf = (breakGlass: unknown, context: Record<string, unknown> = {}) => {
  try {
    parseConfig({ 'plangate:approvers': approvers, 'plangate:breakGlass': breakGlass, ...context });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

test('requesters alone parse; the other settings take their defaults at run time', () => {
  expect(parseConfig({ 'plangate:approvers': approvers, 'plangate:breakGlass': { requesters: [requester] } }).breakGlass).toEqual({
    requesters: [requester],
  });
});

test.each([
  ['no requesters', {}, 'plangate:breakGlass.requesters'],
  ['an empty list', { requesters: [] }, 'plangate:breakGlass.requesters: must name at least one requester'],
  [
    'an email instead of a principal',
    { requesters: [requester, 'oncall@example.com'] },
    'plangate:breakGlass.requesters.1: must be an IAM or STS principal ARN',
  ],
  ['a validity of a day and more', { requesters: [requester], validityMinutes: 1441 }, 'plangate:breakGlass.validityMinutes'],
  ['no use at all', { requesters: [requester], maxUsesPerDay: 0 }, 'plangate:breakGlass.maxUsesPerDay'],
  ['a review hour that is not whole', { requesters: [requester], reviewWithinHours: 1.5 }, 'plangate:breakGlass.reviewWithinHours'],
  ['an unknown key', { requesters: [requester], approveAll: true }, 'plangate:breakGlass: unknown key(s) approveAll'],
])('%s is refused, naming the key', (_, breakGlass, message) => {
  expect(problemsOf(breakGlass)).toContain(message);
});

test('with spoke accounts, a requester matching any account is refused', () => {
  const spokes = { 'plangate:organizationId': 'o-abcdef1234', 'plangate:spokeAccounts': [{ accountId: '111111111111', regions: ['eu-west-1'] }] };
  expect(problemsOf({ requesters: ['arn:aws:sts::*:assumed-role/Oncall/*'] }, spokes)).toContain(
    'plangate:breakGlass.requesters.0: arn:aws:sts::*:assumed-role/Oncall/* has "*" in its account field',
  );
});

describe('the template', () => {
  const without = synthesize({}).json;
  const withBreakGlass = synthesize({ 'plangate:breakGlass': { requesters: [requester] } }).json;
  const variables = (template: typeof without, fn: string) =>
    Object.entries(template.Resources).find(([id, r]) => id.startsWith(`Workflow${fn}`) && r.Type === 'AWS::Lambda::Function')?.[1].Properties
      ?.Environment as { Variables: Record<string, unknown> };

  test('without the setting, nothing of break-glass is in it', () => {
    expect(JSON.stringify(without)).not.toMatch(/BREAK_GLASS|BreakGlass/);
  });

  test('with it: RunActions gets the setting and the approval topic, WatchRuns the setting, and an alarm watches the reviews', () => {
    expect(variables(withBreakGlass, 'RunActions').Variables).toMatchObject({
      BREAK_GLASS: JSON.stringify({ requesters: [requester] }),
      APPROVAL_TOPIC_ARN: expect.anything(),
    });
    expect(variables(withBreakGlass, 'WatchRuns').Variables).toMatchObject({ BREAK_GLASS: JSON.stringify({ requesters: [requester] }) });
    const alarm = Object.values(withBreakGlass.Resources).find(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties).includes('BreakGlassReviewsOverdue'),
    );
    expect(alarm?.Properties).toMatchObject({ MetricName: 'BreakGlassReviewsOverdue', Threshold: 1 });
  });
});
