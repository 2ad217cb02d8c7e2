import { App } from 'aws-cdk-lib';
import { addPlanGateStacks } from '../../lib/app';
import { parseConfig } from '../../lib/config';
import { exampleContext } from '../../local/synth';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns.
process.env.CDK_VALIDATION = 'false';

/**
 * Lambda refuses a function whose environment variables take more than 4 KB, and the lists in the configuration
 * (approvers, spoke accounts) go to the functions as variables: a configuration that would not deploy fails at synth,
 * saying which function and which variables, instead of failing the CloudFormation deployment.
 */
const synth = (overrides: Record<string, unknown>) => () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  addPlanGateStacks(
    app,
    parseConfig({ ...exampleContext(), 'plangate:approvers': [{ email: 'a@example.com' }, { email: 'b@example.com' }], ...overrides }),
  );
  app.synth();
};
const spokeAccounts = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ accountId: String(100_000_000_000 + i), name: `member-account-${i}`, regions: ['eu-west-1'] }));
const spokes = { 'plangate:organizationId': 'o-abcdef1234' };

test('spoke accounts too many for the functions’ environment fail at synth, naming the function and the variable', () => {
  expect(synth({ ...spokes, 'plangate:spokeAccounts': spokeAccounts(60) })).toThrow(/ReviewPlan.*over Lambda's 4 KB.*SPOKES/s);
});

test('a configuration that fits synthesizes', () => {
  expect(synth({ ...spokes, 'plangate:spokeAccounts': spokeAccounts(10) })).not.toThrow();
});
