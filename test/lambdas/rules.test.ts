import fc from 'fast-check';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import type { Approver } from '../../lambdas/shared/contracts/approver';
import { type ApprovalRules, RISK_LEVELS, type RiskLevel } from '../../lambdas/shared/contracts/steps';
import { riskRank } from '../../lambdas/shared/domain/risk';
import { approvalPolicy, UnreachableQuorum, unreachableNow } from '../../lambdas/shared/domain/rules';
import { review } from './fixtures';

const approvers: Approver[] = [
  { email: 'alice@example.com', name: 'Alice', iamPrincipals: ['arn:aws:sts::111122223333:assumed-role/Platform/alice*'] },
  { email: 'bob@example.com', name: 'Bob' },
  { email: 'carol@example.com', name: 'Carol' },
];
const rules = (over: Partial<ApprovalRules> = {}): ApprovalRules => ({
  autoApproveUpTo: 'NONE',
  requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 2 },
  ...over,
});

describe('auto-approval', () => {
  test('is off by default: every plan, even LOW, waits for a person', () => {
    expect(approvalPolicy('LOW', rules(), approvers, undefined)).toEqual({
      autoApproved: false,
      requiredApprovals: 1,
      rule: 'LOW risk needs 1 approval (plangate:requiredApprovals)',
      selfApprover: undefined,
    });
  });

  test('approves plans up to the chosen level, and names the rule', () => {
    expect(approvalPolicy('LOW', rules({ autoApproveUpTo: 'LOW' }), approvers, 'alice@example.com')).toEqual({
      autoApproved: true,
      requiredApprovals: 0,
      rule: 'LOW risk is within plangate:autoApproveUpTo (LOW)',
    });
    expect(approvalPolicy('MEDIUM', rules({ autoApproveUpTo: 'LOW' }), approvers, undefined)).toMatchObject({
      autoApproved: false,
      requiredApprovals: 1,
    });
    expect(approvalPolicy('MEDIUM', rules({ autoApproveUpTo: 'MEDIUM' }), approvers, undefined)).toMatchObject({ autoApproved: true });
  });

  test('never approves a plan riskier than the chosen level (any level, any quorum)', () => {
    const level = fc.constantFrom<RiskLevel>(...RISK_LEVELS);
    const count = fc.integer({ min: 1, max: 3 });
    fc.assert(
      fc.property(
        level,
        fc.constantFrom<ApprovalRules['autoApproveUpTo']>('NONE', ...RISK_LEVELS),
        count,
        count,
        count,
        (risk, upTo, LOW, MEDIUM, HIGH) => {
          const policy = approvalPolicy(risk, { autoApproveUpTo: upTo, requiredApprovals: { LOW, MEDIUM, HIGH } }, approvers, undefined);
          const expectAuto = upTo !== 'NONE' && riskRank(risk) <= riskRank(upTo);
          expect(policy).toMatchObject(
            expectAuto ? { autoApproved: true, requiredApprovals: 0 } : { autoApproved: false, requiredApprovals: { LOW, MEDIUM, HIGH }[risk] },
          );
        },
      ),
    );
  });
});

describe('quorum by risk level', () => {
  test.each<[RiskLevel, number]>([
    ['LOW', 1],
    ['MEDIUM', 1],
    ['HIGH', 2],
  ])('%s needs %i approval(s) by default', (risk, count) => {
    expect(approvalPolicy(risk, rules(), approvers, undefined)).toMatchObject({ requiredApprovals: count });
  });
});

describe('self-approval', () => {
  test('an approver who asked by email is named, so they cannot approve', () => {
    expect(approvalPolicy('HIGH', rules(), approvers, 'Bob@Example.com')).toMatchObject({ selfApprover: 'bob@example.com', requiredApprovals: 2 });
  });

  test("an approver who asked through AWS is recognised by their IAM principal pattern (CloudTrail's user identity)", () => {
    const arn = 'arn:aws:sts::111122223333:assumed-role/Platform/alice-session';
    expect(approvalPolicy('LOW', rules(), approvers, arn)).toMatchObject({ selfApprover: 'alice@example.com' });
    expect(approvalPolicy('LOW', rules(), approvers, 'arn:aws:sts::111122223333:assumed-role/Platform/bob')).toMatchObject({
      selfApprover: undefined,
    });
  });

  test('a quorum the other approvers cannot reach is refused at once, saying why', () => {
    const policy = approvalPolicy('HIGH', rules({ requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 3 } }), approvers, 'carol@example.com');
    expect(policy).toBeInstanceOf(UnreachableQuorum);
    expect((policy as UnreachableQuorum).reason).toBe(
      'HIGH risk needs 3 approvals from different approvers, but only 2 approver(s) other than the requester (carol@example.com) are configured',
    );
    // The same quorum is reachable when someone else asked.
    expect(approvalPolicy('HIGH', rules({ requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 3 } }), approvers, 'dev@example.com')).toMatchObject({
      requiredApprovals: 3,
    });
  });

  test('does not matter when a rule approves: nobody approves anything', () => {
    expect(
      approvalPolicy('LOW', rules({ autoApproveUpTo: 'LOW', requiredApprovals: { LOW: 3, MEDIUM: 1, HIGH: 1 } }), approvers, 'alice@example.com'),
    ).toMatchObject({ autoApproved: true });
  });
});

describe('a request whose plan creator becomes known after review (unreachableNow)', () => {
  const creator = (email: string) => ({
    arn: `arn:aws:sts::111122223333:assumed-role/Platform/${email}`,
    approverEmail: email,
    verifiedBy: 'cloudtrail' as const,
    eventId: 'e',
    eventTime: 't',
  });
  const open = (
    over: Partial<ApprovalRecord> = {},
  ): Pick<ApprovalRecord, 'review' | 'approvers' | 'groupMembers' | 'requiredApprovals' | 'selfApprover' | 'creator'> => ({
    review: review(),
    approvers,
    requiredApprovals: 2,
    ...over,
  });

  test('2 of Alice, Bob and Carol needed, Bob named as requester, Alice the creator: only Carol is left, so it is unreachable, saying why', () => {
    expect(unreachableNow(open({ selfApprover: 'bob@example.com', creator: creator('alice@example.com') }))).toBe(
      "plangate:requiredApprovals needs 2 approvals from the approvers, but only 1 of them other than the requester and the plan's creator (bob@example.com, alice@example.com) may approve",
    );
  });

  test('reachable while enough others remain: a creator who is the requester, or one who is not an approver', () => {
    expect(unreachableNow(open({ selfApprover: 'alice@example.com', creator: creator('alice@example.com') }))).toBeUndefined();
    expect(unreachableNow(open({ creator: { ...creator('dev@example.com'), approverEmail: undefined } }))).toBeUndefined();
    expect(unreachableNow(open({ creator: creator('alice@example.com') }))).toBeUndefined();
  });

  test('a group requirement: by the members the record lists; a group it lists none for is never called unreachable', () => {
    const policy = {
      ...review().policy!,
      requirements: [
        { rule: 'iam-changes', group: 'security', count: 1, stage: 1 },
        { rule: 'plangate:requiredApprovals', group: '*', count: 1, stage: 1 },
      ],
    };
    const withGroup = (groupMembers: Record<string, string[]> | undefined) =>
      open({ review: { ...review(), policy }, groupMembers, creator: creator('Alice@Example.com') });
    expect(unreachableNow(withGroup({ security: ['alice@example.com'] }))).toBe(
      "iam-changes needs 1 approval from group security, but only 0 of them other than the plan's creator (alice@example.com) may approve",
    );
    expect(unreachableNow(withGroup({ security: ['alice@example.com', 'bob@example.com'] }))).toBeUndefined();
    expect(unreachableNow(withGroup(undefined))).toBeUndefined();
  });

  test('with distinct approvers for every requirement: too few people for all the seats together', () => {
    const policy = {
      ...review().policy!,
      distinctApprovers: true,
      requirements: [
        { rule: 'iam-changes', group: 'security', count: 1, stage: 1 },
        { rule: 'db-changes', group: 'dba', count: 1, stage: 1 },
        { rule: 'plangate:requiredApprovals', group: '*', count: 1, stage: 1 },
      ],
    };
    const record = open({
      review: { ...review(), policy },
      groupMembers: { security: ['alice@example.com', 'bob@example.com'], dba: ['alice@example.com', 'bob@example.com'] },
    });
    expect(unreachableNow(record)).toBeUndefined();
    expect(unreachableNow({ ...record, creator: creator('alice@example.com') })).toMatch(
      /with distinct approvers for every requirement \(plangate:distinctApproversAcrossRules\) too few people other than/,
    );
  });

  test('an auto-approved or decided-by-rule request has no quorum to lose', () => {
    const auto = { ...review(), policy: { autoApproved: true, requiredApprovals: 0, rule: 'LOW risk is within plangate:autoApproveUpTo (LOW)' } };
    expect(unreachableNow(open({ review: auto, selfApprover: 'bob@example.com', creator: creator('alice@example.com') }))).toBeUndefined();
  });
});
