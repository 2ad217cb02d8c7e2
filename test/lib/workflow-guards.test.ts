import { App, Duration, Stack } from 'aws-cdk-lib';
import { PlanApprovalWorkflow, type PlanApprovalWorkflowProps } from '../../lib/plan-approval-workflow';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/**
 * The construct refuses props that would deploy a gate that cannot work, before it creates anything. The rules that
 * tie settings together are the configuration's (lib/setting-rules.ts): the messages are the same, under the props' names.
 */
const build = (props: Partial<PlanApprovalWorkflowProps>) => () =>
  new PlanApprovalWorkflow(new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Guarded'), 'Workflow', {
    approvers: [{ email: 'a@example.com' }, { email: 'b@example.com' }],
    ...props,
  });

test('fails when no approver is given', () => {
  expect(build({ approvers: [] })).toThrow('PlanApprovalWorkflow needs at least one approver');
});

test('fails when approvalTimeout is under 5 minutes', () => {
  expect(build({ approvalTimeout: Duration.minutes(4) })).toThrow('approvalTimeout must be at least 5 minutes (got 4 minutes)');
});

test('fails when reminderBeforeExpiry is not shorter than approvalTimeout', () => {
  expect(build({ approvalTimeout: Duration.hours(2), reminderBeforeExpiry: Duration.hours(2) })).toThrow(
    'reminderBeforeExpiry: must be shorter than the approval timeout (120 minutes); 0 turns reminders off',
  );
});

test('fails when reminderBeforeExpiry is as long as the default approvalTimeout', () => {
  expect(build({ reminderBeforeExpiry: Duration.days(1) })).toThrow(
    'reminderBeforeExpiry: must be shorter than the approval timeout (1440 minutes); 0 turns reminders off',
  );
});

test('fails when requiredApprovals asks for more approvals than there are approvers', () => {
  expect(build({ requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 3 } })).toThrow(
    'requiredApprovals.HIGH: asks for 3 approvals but only 2 approver(s) are configured',
  );
});

test('fails when pollMaxInterval is shorter than pollInitialInterval', () => {
  expect(build({ pollInitialInterval: Duration.minutes(2), pollMaxInterval: Duration.minutes(1) })).toThrow(
    'pollMaxInterval: must be at least the first poll interval (120 seconds)',
  );
});

test('fails when an approver is listed twice', () => {
  expect(build({ approvers: [{ email: 'a@example.com' }, { email: 'A@example.com' }] })).toThrow('approvers: lists a@example.com more than once');
});
