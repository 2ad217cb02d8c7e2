import {
  DescribeProvisionedProductPlanCommand,
  DescribeRecordCommand,
  type ResourceChange,
  ServiceCatalogClient,
} from '@aws-sdk/client-service-catalog';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { checkRecord } from '../../lambdas/check-record/check-record';
import { reviewPlan } from '../../lambdas/review-plan/review-plan';
import { MAX_REQUIREMENTS } from '../../lambdas/shared/contracts/policies';
import type { Approval, HumanDecision, RunState } from '../../lambdas/shared/contracts/steps';
import { describeOutcome } from '../../lambdas/shared/domain/outcome';
import { bytesOf, fitList, STATE_BUDGET, STATE_LIMIT_BYTES } from '../../lambdas/shared/domain/state-budget';
import { lambdaHandler } from '../../lambdas/shared/runtime/handler';
import { decisionForState } from '../../lambdas/shared/services/decision';

/**
 * The run's state stays within Step Functions' 256 KiB by construction: every part is fitted into its budget where it
 * is built, and the budgets add up to less than the limit. Here each part is built at the worst case of every cap at
 * once (the longest text the caps allow, in the characters JSON and UTF-8 make largest), and the whole document too.
 */
const sc = mockClient(ServiceCatalogClient);
const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  sc.reset();
  ddb.reset();
  ddb.on(GetCommand).resolves({});
});

/** Text whose every character JSON escapes to six bytes (a control character), or UTF-8 takes three bytes for (CJK). */
const escaped = (n: number) => '\u0001'.repeat(n);
const wide = (n: number) => '界'.repeat(n);

const worstChange = (i: number): ResourceChange => ({
  Action: 'REMOVE',
  LogicalResourceId: `${i}${escaped(300)}`,
  ResourceType: `AWS::${escaped(300)}`,
  PhysicalResourceId: escaped(300),
  Replacement: 'TRUE',
  Details: Array.from({ length: 10 }, () => ({
    Target: { Attribute: 'PROPERTIES', Name: escaped(100), RequiresRecreation: 'ALWAYS' },
    Evaluation: 'STATIC',
    CausingEntity: escaped(100),
  })),
});

/**
 * Approval policies at their caps: 50 rules of the longest names, each matching every change, naming the most
 * requirements all rules may name together (MAX_REQUIREMENTS: 50 rules of 5 would not fit, and are refused at synth).
 */
function worstPolicy() {
  const longName = (prefix: string, i: number) => `${prefix}${i}`.padEnd(64, '.');
  const members = Array.from({ length: 100 }, (_, i) => `approver${i}@example.com`);
  const groupNames = Array.from({ length: MAX_REQUIREMENTS / 50 }, (_, i) => longName('g', i));
  return {
    GROUPS: Object.fromEntries(groupNames.map((name) => [name, { members }])),
    APPROVAL_POLICY: {
      distinctApproversAcrossRules: false,
      rules: Array.from({ length: 50 }, (_, i) => ({
        name: longName('r', i),
        when: { resourceTypes: ['AWS::*'], actions: ['REMOVE' as const], replacement: ['True' as const] },
        require: groupNames.map((group) => ({ group, count: 10 })),
        stage: 5,
      })),
    },
  };
}

async function worstReview() {
  sc.on(DescribeProvisionedProductPlanCommand).resolves({
    ProvisionedProductPlanDetails: {
      PlanId: 'p'.repeat(100),
      PlanName: escaped(10_000),
      Status: 'CREATE_SUCCESS',
      StatusMessage: escaped(10_000),
      ProvisionProductId: escaped(2_000),
      ProvisionProductName: escaped(2_000),
      ProductId: escaped(2_000),
      ProvisioningArtifactId: escaped(2_000),
      CreatedTime: new Date(),
    },
    ResourceChanges: Array.from({ length: 2_000 }, (_, i) => worstChange(i)),
  });
  const env = {
    TABLE_NAME: 'approvals',
    DEFAULT_ACCEPT_LANGUAGE: 'en' as const,
    APPROVERS: Array.from({ length: 100 }, (_, i) => ({ email: `approver${i}@example.com` })),
    APPROVAL_RULES: { autoApproveUpTo: 'NONE' as const, requiredApprovals: { LOW: 10, MEDIUM: 10, HIGH: 10 } },
    SENSITIVE_RESOURCE_TYPES: [],
    DENIED_RESOURCE_TYPES: [],
    ...worstPolicy(),
  };
  return reviewPlan({ input: { planId: 'p'.repeat(100), requestedBy: escaped(2_048) }, planChecks: 0 }, env);
}

async function worstRecord() {
  sc.on(DescribeRecordCommand).resolves({
    RecordDetail: {
      RecordId: 'rec-1',
      Status: 'FAILED',
      ProvisionedProductId: escaped(2_000),
      ProvisionedProductName: escaped(2_000),
      RecordErrors: Array.from({ length: 3_000 }, () => ({ Code: escaped(300), Description: escaped(1_100) })),
    },
    RecordOutputs: Array.from({ length: 500 }, () => ({ OutputKey: escaped(300), OutputValue: escaped(1_100), Description: escaped(600) })),
  });
  const at = new Date().toISOString();
  const progress = { checks: 3, safetyNetWaits: 1, quickChecks: 0, seenEventAt: at, wake: { stackStatus: 'UPDATE_FAILED', stackEventAt: at } };
  return checkRecord({ recordId: 'rec-1', acceptLanguage: 'en', executedAt: at, ...progress }, { ...POLL });
}
const POLL = { POLL_INITIAL_INTERVAL_SECONDS: 10, POLL_MAX_INTERVAL_SECONDS: 60, POLL_TIMEOUT_SECONDS: 3600 };

/** A full quorum (at most 10 approvals) of the longest comments an approver can send, signed by the longest ARNs. */
function worstDecision(): HumanDecision {
  const approver = (i: number) => ({
    email: `${'a'.repeat(64 - String(i).length)}${i}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(50)}.example`,
    name: wide(100),
    slackUserId: `U${'A'.repeat(20)}`,
    iamPrincipals: Array.from({ length: 20 }, () => `arn:aws:iam::123456789012:role/${'r'.repeat(2_000)}`),
  });
  const approval = (i: number): Approval => ({
    approver: approver(i),
    channel: 'cli',
    decidedAt: new Date().toISOString(),
    comment: wide(1_000),
    principal: `arn:aws:sts::123456789012:assumed-role/${'r'.repeat(2_000)}`,
  });
  const approvals = Array.from({ length: 10 }, (_, i) => approval(i));
  const last = approvals.at(-1)!;
  return { decision: 'APPROVED', ...last, requestedAt: new Date().toISOString(), approvals } as HumanDecision;
}

/**
 * With approval rules, every approver may be needed (100 of them, each in every group of the requirements' longest
 * names): a quorum far larger than plangate:requiredApprovals allows.
 */
function worstPolicyDecision(): HumanDecision {
  const groups = Array.from({ length: MAX_REQUIREMENTS }, (_, i) => `g${i}`.padEnd(64, '.'));
  const { approvals, ...decision } = worstDecision();
  const all = Array.from({ length: 100 }, (_, i) => ({ ...approvals![i % approvals!.length]!, groups, stage: 5 }));
  return { ...decision, groups, stage: 5, approvals: all };
}

/** What Lambda hands Step Functions as the Catch's Cause for a handler error: its name, message and stack lines. */
async function worstCaughtError() {
  const failing = lambdaHandler(async () => {
    throw new Error(escaped(100_000));
  });
  const error = (await failing({}, {} as never).catch((e: Error) => e)) as Error;
  const cause = JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') });
  return { Error: error.name, Cause: cause };
}

test('the budgets add up to less than the limit, with room for the keys and braces', () => {
  const total = Object.values(STATE_BUDGET).reduce((sum, bytes) => sum + bytes, 0);
  expect(total + 1_024).toBeLessThanOrEqual(STATE_LIMIT_BYTES);
});

test('fitList keeps the most leading items that fit, and says how many it dropped', () => {
  const items = Array.from({ length: 100 }, (_, i) => `item ${i}`);
  const fitted = fitList(items, 300, (kept, dropped) => ({ kept, dropped }));
  expect(bytesOf(fitted)).toBeLessThanOrEqual(300);
  const n = fitted.kept.length;
  expect(bytesOf({ kept: items.slice(0, n + 1), dropped: 100 - n - 1 })).toBeGreaterThan(300); // one more would not fit
  expect(fitted.kept).toEqual(items.slice(0, fitted.kept.length));
  expect(fitted.dropped).toBe(100 - fitted.kept.length);
});

test('each part, built at every cap at once, is within its budget and says what it left out', async () => {
  const review = await worstReview();
  expect(bytesOf(review)).toBeLessThanOrEqual(STATE_BUDGET.review);
  expect(review.summary!.changes.length).toBeGreaterThan(0); // the riskiest changes are still listed
  expect(review.summary!.changes.length + review.summary!.unlisted).toBe(2_000);
  expect(review.policy?.requirements).toHaveLength(MAX_REQUIREMENTS + 1); // every requirement, whole: they decide the quorum
  expect(review.policy?.rulesApplied?.every((r) => r.because.length + (r.becauseUnlisted ?? 0) === 2_000)).toBe(true);

  const record = await worstRecord();
  expect(bytesOf(record)).toBeLessThanOrEqual(STATE_BUDGET.record);
  expect(record.recordErrors.length).toBeGreaterThan(0);
  expect(record.recordErrors.length + record.recordErrorsUnlisted!).toBe(3_000);
  expect(record.recordOutputsUnlisted).toBeGreaterThan(0);

  const decision = decisionForState(worstDecision());
  expect(bytesOf(decision)).toBeLessThanOrEqual(STATE_BUDGET.decision);
  expect(decision.approvals).toHaveLength(10);
  expect(decision.comment).toBe(wide(1_000)); // the deciding comment whole

  const policyDecision = decisionForState(worstPolicyDecision());
  expect(bytesOf(policyDecision)).toBeLessThanOrEqual(STATE_BUDGET.decision);
  expect(policyDecision.approvals!.length + (policyDecision.approvalsUnlisted ?? 0)).toBe(100);
  expect(policyDecision.comment).toBe(wide(1_000));

  expect(bytesOf(await worstCaughtError())).toBeLessThanOrEqual(STATE_BUDGET.error);
});

test('the whole state document at every cap at once, as Notify gets it and as it ends, is within 256 KiB', async () => {
  const review = await worstReview();
  const record = await worstRecord();
  const run = {
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:PlanGate:${'n'.repeat(80)}`,
    startedAt: new Date().toISOString(),
    planChecks: 24,
  };
  const state: RunState = {
    input: { planId: 'p'.repeat(100) },
    run,
    outcome: 'FAILED',
    review,
    approval: decisionForState(worstPolicyDecision()),
    execution: { recordId: 'rec-1', idempotencyToken: 'x'.repeat(64), recordStatus: 'CREATED', executedAt: new Date().toISOString() },
    record,
    error: await worstCaughtError(),
  };
  const { detail } = describeOutcome(state, new Date());
  expect(bytesOf(detail)).toBeLessThanOrEqual(STATE_BUDGET.notification);
  expect(detail.approver).toMatch(/ and \d+ more$/); // the approvers the state had no room for, counted
  expect(bytesOf({ ...state, notification: detail })).toBeLessThanOrEqual(STATE_LIMIT_BYTES);
});
