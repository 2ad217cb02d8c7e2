import type { Approver } from '../../lambdas/shared/contracts/approver';
import type { ApprovalRules } from '../../lambdas/shared/contracts/steps';
import { approvalPolicy, type PolicyContext, UnreachableQuorum } from '../../lambdas/shared/domain/rules';

/** onClosed `require-freeze-approval` (issue 23): a plan reviewed in a freeze needs the change board's approval too. */
const approvers: Approver[] = [{ email: 'alice@example.com' }, { email: 'bob@example.com' }, { email: 'carol@example.com' }];
const rules: ApprovalRules = { autoApproveUpTo: 'LOW', requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 1 } };
const context = (freeze?: PolicyContext['freeze']): PolicyContext => ({
  policy: {
    rules: [{ name: 'security', stage: 2, require: [{ group: 'security', count: 1 }], when: { risk: ['HIGH'] } }],
    distinctApproversAcrossRules: false,
  },
  groups: { security: { members: ['bob@example.com'] }, 'change-board': { members: ['carol@example.com'] } },
  changes: [],
  ...(freeze ? { freeze } : {}),
});
const freeze = { group: 'change-board', count: 1, because: 'Change freeze year-end active until 2027-01-04 08:00 Europe/Berlin' };

test('in a freeze, the change-freeze requirement comes last, with the floor, and names the freeze as why', () => {
  const policy = approvalPolicy('HIGH', rules, approvers, undefined, undefined, context(freeze));
  expect(policy).toMatchObject({
    requirements: [
      { rule: 'security', group: 'security', count: 1, stage: 2 },
      { rule: 'change-freeze', group: 'change-board', count: 1, stage: 2 },
      { rule: 'plangate:requiredApprovals', group: '*', count: 1, stage: 2 },
    ],
    rulesApplied: [{ name: 'security' }, { name: 'change-freeze', stage: 2, because: [freeze.because] }],
  });
});

test('a plan auto-approved when open needs a person in a freeze', () => {
  expect(approvalPolicy('LOW', rules, approvers, undefined, undefined, context())).toMatchObject({ autoApproved: true });
  expect(approvalPolicy('LOW', rules, approvers, undefined, undefined, context(freeze))).toMatchObject({
    autoApproved: false,
    requirements: [
      { rule: 'change-freeze', group: 'change-board', stage: 1 },
      { rule: 'plangate:requiredApprovals', stage: 1 },
    ],
  });
});

test('a freeze approval only the requester could give is refused at once', () => {
  const policy = approvalPolicy('MEDIUM', rules, approvers, 'carol@example.com', undefined, context(freeze));
  expect(policy).toBeInstanceOf(UnreachableQuorum);
  expect((policy as UnreachableQuorum).reason).toContain('rule change-freeze needs 1 approval from group change-board');
});
