import type { ResourceChange } from '@aws-sdk/client-service-catalog';
import type { ApprovalStore } from '../../lambdas/shared/adapters/approval-store';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import type { Approver } from '../../lambdas/shared/contracts/approver';
import type { ApprovalPolicyConfig, Groups } from '../../lambdas/shared/contracts/policies';
import type { Approval, ApprovalPolicy, ApprovalRules } from '../../lambdas/shared/contracts/steps';
import { composeApprovalEmail } from '../../lambdas/shared/domain/approval-email';
import { admission, askedGroups, describeWaiting, progressOf } from '../../lambdas/shared/domain/quorum';
import { approvalPolicy, type PolicyContext, UnreachableQuorum } from '../../lambdas/shared/domain/rules';
import { recordDecision } from '../../lambdas/shared/services/decision';
import { review } from './fixtures';

const approvers: Approver[] = ['alice', 'bob', 'carol', 'dave'].map((n) => ({ email: `${n}@example.com`, name: n }));
const groups: Groups = {
  platform: { members: ['alice@example.com', 'bob@example.com'] },
  security: { members: ['carol@example.com'] },
  dba: { members: ['bob@example.com', 'dave@example.com'] },
};
const iamRule = { name: 'iam', when: { resourceTypes: ['AWS::IAM::*'] }, require: [{ group: 'security', count: 1 }], stage: 2 };
const defaultRule = { name: 'default', require: [{ group: 'platform', count: 1 }] };
const rules = (over: Partial<ApprovalRules> = {}): ApprovalRules => ({
  autoApproveUpTo: 'NONE',
  requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 2 },
  ...over,
});
const role: ResourceChange = { Action: 'ADD', LogicalResourceId: 'AppRole', ResourceType: 'AWS::IAM::Role' };
const queue: ResourceChange = { Action: 'MODIFY', LogicalResourceId: 'Jobs', ResourceType: 'AWS::SQS::Queue', Replacement: 'FALSE' };
const db: ResourceChange = { Action: 'MODIFY', LogicalResourceId: 'Orders', ResourceType: 'AWS::RDS::DBInstance', Replacement: 'TRUE' };

const context = (policyRules: ApprovalPolicyConfig['rules'], changes: ResourceChange[], over: Partial<PolicyContext> = {}): PolicyContext => ({
  policy: { rules: policyRules, distinctApproversAcrossRules: false },
  groups,
  changes,
  ...over,
});
const policyFor = (changes: ResourceChange[], policyRules = [iamRule, defaultRule], over: Partial<PolicyContext> = {}, requestedBy?: string) =>
  approvalPolicy('HIGH', rules(), approvers, requestedBy, undefined, context(policyRules, changes, over));
const approval = (name: string, voterGroups: string[]): Approval => ({
  approver: { email: `${name}@example.com` },
  channel: 'web',
  decidedAt: '2026-12-01T10:00:00Z',
  groups: voterGroups,
});

describe('approval rules', () => {
  test('every matching rule applies, each requirement saying which changes made it match', () => {
    const policy = policyFor([queue, role]) as ApprovalPolicy;
    expect(policy.requirements).toEqual([
      { rule: 'iam', group: 'security', count: 1, stage: 2 },
      { rule: 'default', group: 'platform', count: 1, stage: 1 },
      { rule: 'plangate:requiredApprovals', group: '*', count: 2, stage: 2 },
    ]);
    expect(policy.rulesApplied).toEqual([
      { name: 'iam', stage: 2, because: ['AWS::IAM::Role AppRole added'] },
      { name: 'default', stage: 1, because: ['always (the rule has no "when")'] },
    ]);
    expect(policy.rule).toBe('rules iam, default apply; HIGH risk needs 2 approvals (plangate:requiredApprovals)');
  });

  test('a rule whose selectors do not all match the same change does not apply', () => {
    const replacedDb = {
      name: 'dba',
      when: { resourceTypes: ['AWS::RDS::*'], replacement: ['True' as const] },
      require: [{ group: 'dba', count: 1 }],
    };
    expect((policyFor([queue], [replacedDb]) as ApprovalPolicy).requirements?.map((r) => r.rule)).toEqual(['plangate:requiredApprovals']);
    const { rulesApplied } = policyFor([queue, db], [replacedDb]) as ApprovalPolicy;
    expect(rulesApplied).toEqual([{ name: 'dba', stage: 1, because: ['AWS::RDS::DBInstance Orders modified (replacement)'] }]);
  });

  test("place selectors match the plan's account, Region and environment", () => {
    const prod = { name: 'prod', when: { environment: ['production'], regions: ['eu-west-1'] }, require: [{ group: 'platform', count: 2 }] };
    const at = (environment?: string) => ({ location: { accountId: '111122223333', region: 'eu-west-1', environment } });
    const production = policyFor([queue], [prod], at('production')) as ApprovalPolicy;
    expect(production.requirements?.[0]).toMatchObject({ rule: 'prod', count: 2 });
    expect(production.rulesApplied?.[0]?.because).toEqual(['Region eu-west-1', 'environment production']);
    expect((policyFor([queue], [prod], at('staging')) as ApprovalPolicy).requirements).toHaveLength(1);
    expect((policyFor([queue], [prod]) as ApprovalPolicy).requirements).toHaveLength(1);
  });

  test('a rule with a "when" that matches stops auto-approval; an unconditional default does not', () => {
    const auto = rules({ autoApproveUpTo: 'MEDIUM' });
    const lowRole = { ...context([iamRule, defaultRule], [role]) };
    expect(approvalPolicy('LOW', auto, approvers, undefined, undefined, lowRole)).toMatchObject({ autoApproved: false });
    expect(approvalPolicy('LOW', auto, approvers, undefined, undefined, context([iamRule, defaultRule], [queue]))).toMatchObject({
      autoApproved: true,
    });
  });

  test('a requirement nobody but the requester can meet is refused at once, naming the rule and group', () => {
    const policy = policyFor([role], [iamRule, defaultRule], {}, 'carol@example.com');
    expect(policy).toBeInstanceOf(UnreachableQuorum);
    expect((policy as UnreachableQuorum).reason).toBe(
      'rule iam needs 1 approval from group security, but it has no member other than the requester (carol@example.com) to meet it',
    );
  });

  test('with distinct approvers, requirements that only the same person could meet together are refused', () => {
    const both = [
      { name: 'dba', require: [{ group: 'dba', count: 1 }] },
      { name: 'platform', require: [{ group: 'platform', count: 2 }] },
    ];
    // bob is in dba and platform: without distinct approvers alice and bob meet both; with them, dave must be the DBA.
    expect(policyFor([queue], both)).not.toBeInstanceOf(UnreachableQuorum);
    const distinct = { policy: { rules: both, distinctApproversAcrossRules: true } };
    expect(policyFor([queue], both, distinct)).not.toBeInstanceOf(UnreachableQuorum);
    const reason = (policyFor([queue], both, distinct, 'dave@example.com') as UnreachableQuorum).reason;
    expect(reason).toMatch(/^rule (dba|platform) needs .* with distinct approvers for every requirement/);
    expect(policyFor([queue], both, {}, 'dave@example.com')).not.toBeInstanceOf(UnreachableQuorum);
  });
});

describe('progress, stages and admission', () => {
  const policy = policyFor([role]) as ApprovalPolicy;

  test('stage 1 asks platform only; security waits for its stage', () => {
    const start = progressOf(policy, []);
    expect(start).toMatchObject({ stage: 1, complete: false, floorOpen: false });
    expect(askedGroups(start)).toEqual(['platform']);
    expect(admission(start, ['security'])).toEqual({ admitted: false, reason: 'later-stage', opensAt: 2, open: 1 });
    expect(admission(start, ['platform'])).toEqual({ admitted: true, stage: 1 });
    expect(describeWaiting(start)).toBe('waiting on platform: 0 of 1 (stage 1 of 2)');
  });

  test("alice's approval opens stage 2; carol's completes the request", () => {
    const afterAlice = progressOf(policy, [approval('alice', ['platform'])]);
    expect(afterAlice).toMatchObject({ stage: 2, complete: false });
    expect(askedGroups(afterAlice)).toEqual(['security']);
    expect(admission(afterAlice, ['security'])).toMatchObject({ admitted: true });
    // bob was asked at stage 1: his approval adds to the floor of two.
    expect(admission(afterAlice, ['platform'])).toMatchObject({ admitted: true });
    expect(progressOf(policy, [approval('alice', ['platform']), approval('carol', ['security'])])).toMatchObject({ complete: true });
  });

  test('the floor asks any approver once every rule is met with fewer approvals than it needs', () => {
    const onlyDefault = policyFor([queue]) as ApprovalPolicy;
    const afterAlice = progressOf(onlyDefault, [approval('alice', ['platform'])]);
    expect(afterAlice).toMatchObject({ complete: false, floorOpen: true });
    expect(askedGroups(afterAlice)).toEqual(['*']);
    expect(admission(afterAlice, [])).toMatchObject({ admitted: true });
    expect(describeWaiting(afterAlice)).toBe('waiting on any approver: 1 of 2');
  });

  test('one person in two groups counts for both, unless approvers must be distinct', () => {
    const both = [
      { name: 'dba', require: [{ group: 'dba', count: 1 }] },
      { name: 'platform', require: [{ group: 'platform', count: 1 }] },
    ];
    const bob = approval('bob', ['dba', 'platform']);
    const shared = approvalPolicy('MEDIUM', rules(), approvers, undefined, undefined, context(both, [queue])) as ApprovalPolicy;
    expect(progressOf(shared, [bob])).toMatchObject({ complete: true });
    const distinct = policyFor([queue], both, { policy: { rules: both, distinctApproversAcrossRules: true } }) as ApprovalPolicy;
    const afterBob = progressOf(distinct, [bob]);
    expect(afterBob.complete).toBe(false);
    // alice can only be platform: the matching moves bob to dba, whatever order they voted in.
    const done = progressOf(distinct, [bob, approval('alice', ['platform'])]);
    expect(done.complete).toBe(true);
    expect(done.requirements.map((r) => r.by)).toEqual([['bob@example.com'], ['alice@example.com'], ['bob@example.com', 'alice@example.com']]);
  });

  test('records made before approval rules count any approver towards requiredApprovals', () => {
    expect(progressOf({ requiredApprovals: 2 }, [approval('alice', [])])).toMatchObject({ complete: false, stage: 1, floorOpen: true });
    expect(progressOf({ requiredApprovals: 2 }, [approval('alice', []), approval('bob', [])])).toMatchObject({ complete: true });
  });
});

describe("why each rule applies, in the run's state", () => {
  const roles = Array.from({ length: 5 }, (_, i): ResourceChange => ({ ...role, LogicalResourceId: `Role${i}\u202e${'x'.repeat(240)}` }));
  const iamRules = (n: number) => Array.from({ length: n }, (_, i) => ({ ...iamRule, name: `iam${i}`, stage: 1 }));

  test('a few rules list three changes each, on one line and clipped to 200 characters, and count the rest', () => {
    const { rulesApplied } = policyFor(roles, iamRules(2)) as ApprovalPolicy;
    expect(rulesApplied?.[0]?.because).toHaveLength(3);
    expect(rulesApplied?.[0]?.because[0]).toMatch(/^AWS::IAM::Role Role0x+… \(\+\d+ more characters\)$/);
    expect(rulesApplied?.[0]?.because[0]).toHaveLength(200);
    expect(rulesApplied?.[0]?.becauseUnlisted).toBe(2);
  });

  test("fifty matching rules list less each, so that the plan's changes keep their room", () => {
    const { rulesApplied } = policyFor(roles, iamRules(50)) as ApprovalPolicy;
    for (const applied of rulesApplied ?? []) {
      expect(applied.because).toHaveLength(1);
      expect(applied.because[0]!.length).toBeLessThan(100);
      expect(applied.becauseUnlisted).toBe(4);
    }
  });
});

/** An open approval record of plan-abc under `policy`, an hour from expiry. */
const pendingRecord = (policy: ApprovalPolicy, over: Partial<ApprovalRecord>): ApprovalRecord => ({
  pk: 'PLAN#plan-abc',
  planId: 'plan-abc',
  executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:sm:run',
  status: 'PENDING',
  requestedAt: '2026-12-01T10:00:00Z',
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
  approvers,
  review: { planId: 'plan-abc', acceptLanguage: 'en', planStatus: 'CREATE_SUCCESS', reviewedAt: '2026-12-01T10:00:00Z', policy },
  ...over,
});

describe('a vote whose group membership cannot be checked', () => {
  test('counts nothing and asks to try again (fail closed)', async () => {
    const record = pendingRecord(policyFor([role]) as ApprovalPolicy, { requiredApprovals: 2 });
    // A store that fails any call: nothing may be written.
    const store = new Proxy({}, { get: () => () => Promise.reject(new Error('no write expected')) }) as ApprovalStore;
    const outcome = await recordDecision(
      {
        store,
        completeTask: () => Promise.reject(new Error('no task expected')),
        now: () => new Date(),
        verifiedGroups: () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
        askOpenedStage: () => Promise.reject(new Error('nobody to ask')),
      },
      record,
      { decision: 'APPROVED', approver: approvers[0]!, channel: 'web', requestedAt: record.requestedAt, decidedAt: new Date().toISOString() },
    );
    expect(outcome).toEqual({ result: 'try-again' });
  });
});

describe('a vote with distinct approvers', () => {
  test('counts when it frees an earlier approver for the requirement only they could meet, and completes the request', async () => {
    // Alice requests; Bob (platform and dba) approved first, Dave is only in dba: Bob must be the platform engineer.
    const dbaRule = { name: 'dba', require: [{ group: 'dba', count: 1 }] };
    const distinct: Partial<PolicyContext> = { policy: { rules: [dbaRule, defaultRule], distinctApproversAcrossRules: true } };
    const policy = approvalPolicy('HIGH', rules({ requiredApprovals: { LOW: 1, MEDIUM: 1, HIGH: 1 } }), approvers, 'alice@example.com', undefined, {
      ...context([dbaRule, defaultRule], [queue]),
      ...distinct,
    }) as ApprovalPolicy;
    const bob = approval('bob', ['platform', 'dba']);
    const record = pendingRecord(policy, {
      requiredApprovals: 1,
      selfApprover: 'alice@example.com',
      approvals: [bob],
      approverEmails: ['bob@example.com'],
    });
    const completed: unknown[] = [];
    const calls: Record<string, (...args: never[]) => Promise<unknown>> = {
      addApproval: async (_ref: string, _arn: string, decision: Approval) => ({
        ...record,
        approvals: [bob, decision],
        approverEmails: ['bob@example.com', 'dave@example.com'],
      }),
      decide: async () => 'task-token',
      forgetTaskToken: async () => undefined,
    };
    const store = new Proxy(
      {},
      { get: (_, name: string) => calls[name] ?? (() => Promise.reject(new Error(`no ${name} expected`))) },
    ) as ApprovalStore;
    const outcome = await recordDecision(
      {
        store,
        completeTask: async (_token, output) => void completed.push(output),
        now: () => new Date(),
        verifiedGroups: async () => ['dba'],
        askOpenedStage: () => Promise.reject(new Error('no stage opens')),
      },
      record,
      { decision: 'APPROVED', approver: approvers[3]!, channel: 'web', requestedAt: record.requestedAt, decidedAt: new Date().toISOString() },
    );
    expect(outcome).toMatchObject({ result: 'decided' });
    expect(completed).toHaveLength(1);
  });
});

describe('the email of a request with many requirements', () => {
  test('stays well within what SNS takes (256 KiB), lists the requirements that fit, says how many more, and keeps the link', () => {
    const requirements = Array.from({ length: 101 }, (_, i) => `Stage 1 · rule${i}: 10 of g${i} (${'界'.repeat(5_000)})`);
    const link = 'https://approvals.example.com/approvals/x';
    const { body } = composeApprovalEmail({ review: review(), approver: approvers[0]!, link, expiresAt: new Date(), requirements });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(128 * 1024);
    expect(body).toContain('  - Stage 1 · rule0: 10 of g0 (界');
    expect(body).toMatch(/ {2}\.\.\. and \d+ more requirements on the approval page/);
    expect(body).toContain(link);
  });
});
