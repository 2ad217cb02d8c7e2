import { App, Duration, Stack } from 'aws-cdk-lib';
import { PlanApprovalWorkflow, type PlanApprovalWorkflowProps } from '../../lib/plan-approval-workflow';

/** The construct refuses props that would deploy a gate that cannot work, before it creates anything. */
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
    'reminderBeforeExpiry (2 hours) must be shorter than approvalTimeout (2 hours)',
  );
});

test('fails when requiredApprovals asks for more approvals than there are approvers', () => {
  expect(build({ requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 3 } })).toThrow('requiredApprovals.HIGH is 3, but only 2 approver(s) are configured');
});
