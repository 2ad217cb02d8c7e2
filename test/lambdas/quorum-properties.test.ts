import fc from 'fast-check';
import type { Approver } from '../../lambdas/shared/contracts/approver';
import type { ApprovalRule, Groups } from '../../lambdas/shared/contracts/policies';
import type { Approval, ApprovalPolicy } from '../../lambdas/shared/contracts/steps';
import { admissionOfVote, maxMatching, progressOf } from '../../lambdas/shared/domain/quorum';
import { approvalPolicy, UnreachableQuorum } from '../../lambdas/shared/domain/rules';

/*
 * Properties of approval policies (issue 22) over random groups, rules and stages: a policy said to be reachable always
 * completes when the people asked approve, whoever goes first, and the quorum is what the requirements say.
 */

const people = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'].map((n) => `${n}@example.com`);
const approvers: Approver[] = people.map((email) => ({ email }));
const groupNames = ['g0', 'g1', 'g2'];

const groupsArb = fc
  .tuple(...groupNames.map(() => fc.subarray(people, { minLength: 1 })))
  .map((lists): Groups => Object.fromEntries(groupNames.map((name, i) => [name, { members: lists[i]! }])));
const ruleArb = (index: number) =>
  fc.record({
    name: fc.constant(`r${index}`),
    require: fc.uniqueArray(fc.record({ group: fc.constantFrom(...groupNames), count: fc.integer({ min: 1, max: 3 }) }), {
      minLength: 1,
      maxLength: 2,
      selector: (r) => r.group,
    }),
    stage: fc.integer({ min: 1, max: 3 }),
  });
const scenarioArb = fc.record({
  groups: groupsArb,
  rules: fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(i)))),
  distinct: fc.boolean(),
  floor: fc.integer({ min: 1, max: 4 }),
  requester: fc.option(fc.constantFrom(...people), { nil: undefined }),
  /** Which of the people who may vote now votes next, at each step. */
  choices: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

const policyOf = ({ groups, rules, distinct, floor, requester }: Scenario) =>
  approvalPolicy(
    'HIGH',
    { autoApproveUpTo: 'NONE', requiredApprovals: { LOW: floor, MEDIUM: floor, HIGH: floor } },
    approvers,
    requester,
    undefined,
    {
      policy: { rules: rules as ApprovalRule[], distinctApproversAcrossRules: distinct },
      groups,
      changes: [],
    },
  );

const voteOf = (email: string, groups: Groups, policy: ApprovalPolicy): Approval => ({
  approver: { email },
  channel: 'web',
  decidedAt: '2026-12-01T10:00:00Z',
  groups: [...new Set(policy.requirements?.map((r) => r.group))].filter((g) => groups[g]?.members.includes(email)),
});

/** Approves as the approval API does: at each step one of the people whose vote would count now votes. */
function approveInTurn(scenario: Scenario, policy: ApprovalPolicy): Approval[] {
  const approvals: Approval[] = [];
  for (const choice of scenario.choices) {
    const admitted = people
      .filter((email) => email !== scenario.requester && !approvals.some((a) => a.approver.email === email))
      .map((email) => voteOf(email, scenario.groups, policy))
      .filter((vote) => admissionOfVote(policy, approvals, vote).admitted);
    if (!admitted.length) break;
    approvals.push(admitted[choice % admitted.length]!);
  }
  return approvals;
}

test("with distinct approvers, a person in two stages' groups fills the open stage, and another member can still count", () => {
  // Alice requests; Bob is in platform (stage 1) and dba (stage 2), Dave only in dba. The dba rule is listed first.
  const groups: Groups = {
    platform: { members: ['alice@example.com', 'bob@example.com'] },
    dba: { members: ['bob@example.com', 'dave@example.com'] },
  };
  const rules = [
    { name: 'dba', require: [{ group: 'dba', count: 1 }], stage: 2 },
    { name: 'default', require: [{ group: 'platform', count: 1 }] },
  ];
  const policy = approvalPolicy(
    'HIGH',
    { autoApproveUpTo: 'NONE', requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 1 } },
    ['alice', 'bob', 'dave'].map((n) => ({ email: `${n}@example.com` })),
    'alice@example.com',
    undefined,
    {
      policy: { rules, distinctApproversAcrossRules: true },
      groups,
      changes: [],
    },
  ) as ApprovalPolicy;
  const vote = (email: string) => voteOf(email, groups, policy);
  const bob = progressOf(policy, [vote('bob@example.com')]);
  expect(bob).toMatchObject({ stage: 2, complete: false });
  expect(bob.requirements.find((r) => r.rule === 'default')).toMatchObject({ by: ['bob@example.com'], met: true });
  expect(admissionOfVote(policy, [vote('bob@example.com')], vote('dave@example.com'))).toEqual({ admitted: true, stage: 2 });
  expect(progressOf(policy, [vote('bob@example.com'), vote('dave@example.com')]).complete).toBe(true);
});

test('with distinct approvers, a vote counts when it frees an earlier approver for the seat only they can take', () => {
  // Carol is in platform and security, Alice only in platform, both required at stage 1; Carol approved first.
  const groups: Groups = { platform: { members: ['alice@example.com', 'carol@example.com'] }, security: { members: ['carol@example.com'] } };
  const policy: ApprovalPolicy = {
    autoApproved: false,
    requiredApprovals: 1,
    rule: '',
    distinctApprovers: true,
    requirements: [
      { rule: 'default', group: 'platform', count: 1, stage: 1 },
      { rule: 'iam', group: 'security', count: 1, stage: 1 },
      { rule: 'plangate:requiredApprovals', group: '*', count: 1, stage: 1 },
    ],
  };
  const carol = voteOf('carol@example.com', groups, policy);
  const alice = voteOf('alice@example.com', groups, policy);
  expect(admissionOfVote(policy, [carol], alice)).toEqual({ admitted: true, stage: 1 });
  expect(progressOf(policy, [carol, alice]).complete).toBe(true);
});

test('a policy said to be reachable always completes when the people whose vote counts approve, in any order', () => {
  fc.assert(
    fc.property(scenarioArb, (scenario) => {
      const policy = policyOf(scenario);
      fc.pre(!(policy instanceof UnreachableQuorum));
      const approvals = approveInTurn(scenario, policy as ApprovalPolicy);
      expect(progressOf(policy as ApprovalPolicy, approvals)).toMatchObject({ complete: true });
    }),
    { numRuns: 1000 },
  );
});

test('complete only when every requirement is met, by distinct people if the policy asks, and never by the requester', () => {
  fc.assert(
    fc.property(scenarioArb, (scenario) => {
      const policy = policyOf(scenario);
      fc.pre(!(policy instanceof UnreachableQuorum));
      const approvals = approveInTurn(scenario, policy as ApprovalPolicy);
      const progress = progressOf(policy as ApprovalPolicy, approvals);
      expect(approvals.map((a) => a.approver.email)).not.toContain(scenario.requester);
      for (const r of progress.requirements) {
        const members = r.group === '*' ? people : scenario.groups[r.group]!.members;
        expect(r.by.every((email) => members.includes(email))).toBe(true);
        if (r.met && r.group !== '*') expect(new Set(r.by).size).toBe(r.count);
      }
      if (scenario.distinct) {
        const seats = progress.requirements.filter((r) => r.group !== '*').flatMap((r) => r.by);
        expect(new Set(seats).size).toBe(seats.length);
      }
      expect(progress.complete).toBe(progress.requirements.every((r) => r.met));
    }),
    { numRuns: 500 },
  );
});

test('a vote whose groups are all in later stages never counts before their turn', () => {
  fc.assert(
    fc.property(scenarioArb, (scenario) => {
      const policy = policyOf(scenario);
      fc.pre(!(policy instanceof UnreachableQuorum));
      const approvals = approveInTurn({ ...scenario, choices: scenario.choices.slice(0, 2) }, policy as ApprovalPolicy);
      const progress = progressOf(policy as ApprovalPolicy, approvals);
      if (progress.stage === undefined || progress.floorOpen) return;
      for (const email of people.filter((p) => !approvals.some((a) => a.approver.email === p))) {
        const vote = voteOf(email, scenario.groups, policy as ApprovalPolicy);
        const stages = progress.requirements.filter((r) => r.group !== '*' && vote.groups!.includes(r.group)).map((r) => r.stage);
        if (stages.length && Math.min(...stages) > progress.stage) {
          expect(admissionOfVote(policy as ApprovalPolicy, approvals, vote)).toMatchObject({ admitted: false });
        }
      }
    }),
    { numRuns: 500 },
  );
});

/** The largest number of seats any assignment fills, by trying them all (small inputs only). */
function bruteForceMaximum(seats: { count: number }[], fits: number[][]): number {
  const slots = seats.flatMap((seat, i) => Array.from({ length: seat.count }, () => i));
  const best = (person: number, taken: boolean[]): number => {
    if (person === fits.length) return 0;
    let most = best(person + 1, taken);
    slots.forEach((seat, slot) => {
      if (taken[slot] || !fits[person]!.includes(seat)) return;
      taken[slot] = true;
      most = Math.max(most, 1 + best(person + 1, taken));
      taken[slot] = false;
    });
    return most;
  };
  return best(
    0,
    slots.map(() => false),
  );
}

test('the matching is deterministic, fills as many seats as any assignment could, and each person once', () => {
  const seatsArb = fc.array(fc.record({ count: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 3 });
  fc.assert(
    fc.property(
      seatsArb.chain((seats) => fc.tuple(fc.constant(seats), fc.array(fc.subarray(seats.map((_, i) => i)), { maxLength: 5 }))),
      ([seats, fits]) => {
        const { heldBy } = maxMatching(seats, fits);
        expect(maxMatching(seats, fits).heldBy).toEqual(heldBy);
        const held = heldBy.flat();
        expect(new Set(held).size).toBe(held.length);
        heldBy.forEach((holders, seat) => {
          expect(holders.length).toBeLessThanOrEqual(seats[seat]!.count);
          for (const person of holders) expect(fits[person]).toContain(seat);
        });
        expect(held.length).toBe(bruteForceMaximum(seats, fits));
      },
    ),
    { numRuns: 500 },
  );
});
