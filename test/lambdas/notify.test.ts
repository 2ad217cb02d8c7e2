import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { notify } from '../../lambdas/notify/notify';
import type { RunState } from '../../lambdas/shared/contracts/steps';
import { describeOutcome } from '../../lambdas/shared/domain/outcome';
import { review } from './fixtures';

const sns = mockClient(SNSClient);
const eb = mockClient(EventBridgeClient);
const ddb = mockClient(DynamoDBDocumentClient);
const run = { executionArn: 'arn:run-1', startedAt: '2026-11-22T10:00:00.000Z', planChecks: 0 };
const approval = {
  decision: 'APPROVED' as const,
  approver: { email: 'alice@example.com', name: 'Alice' },
  channel: 'web' as const,
  requestedAt: '2026-11-22T10:00:05.000Z',
  decidedAt: '2026-11-22T10:12:05.000Z',
};
const execution = { recordId: 'rec-1', idempotencyToken: 'tok', recordStatus: 'CREATED', executedAt: '2026-11-22T10:12:06.000Z' };
const record = (status: string, extra = {}) => ({
  recordId: 'rec-1',
  status,
  recordErrors: [],
  recordOutputs: [],
  checks: 3,
  safetyNetWaits: 1,
  quickChecks: 0,
  seenEventAt: '',
  wake: {},
  next: 'await' as const,
  nextCheckInSeconds: 40,
  timedOut: false,
  checkedAt: '2026-11-22T10:14:06.000Z',
  provisionedProductName: 'orders',
  ...extra,
});
const env = {
  OUTCOME_TOPIC_ARN: 'arn:outcomes',
  APPROVAL_TOPIC_ARN: 'arn:approvals',
  EVENT_BUS_NAME: 'default',
  EVENT_SOURCE: 'plangate',
  TABLE_NAME: 'approvals',
  SLACK_WEBHOOK_SECRET_ID: undefined,
};
const at = new Date('2026-11-22T10:15:00.000Z');

beforeEach(() => {
  for (const m of [sns, eb, ddb]) m.reset();
  sns.on(PublishCommand).resolves({});
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  ddb.on(UpdateCommand).resolves({});
  ddb.on(GetCommand).resolves({}); // the plan has no approval record this run owns
});

describe('describeOutcome says what happened and why, for every ending', () => {
  test.each<[string, Partial<RunState>, string]>([
    ['SUCCEEDED', { review: review(), approval, execution, record: record('SUCCEEDED') }, 'Record rec-1 SUCCEEDED.'],
    [
      'FAILED',
      { review: review(), approval, execution, record: record('FAILED', { recordErrors: [{ code: 'E', description: 'Stack rolled back' }] }) },
      'Record rec-1 FAILED: E: Stack rolled back',
    ],
    [
      'REJECTED',
      { review: review(), approval: { ...approval, decision: 'REJECTED', comment: 'no' } },
      'Rejected by Alice <alice@example.com> at 2026-11-22T10:12:05.000Z: "no"',
    ],
    ['EXPIRED', { review: review() }, 'Nobody completed the approval before the request expired. The plan was not executed.'],
    [
      'EXPIRED',
      {
        review: review(),
        expiry: {
          expiredAt: at.toISOString(),
          requiredApprovals: 2,
          approvals: [{ approver: approval.approver, channel: 'web', decidedAt: approval.decidedAt }],
          undecided: ['Bob', 'Carol'],
          planDeleted: true,
        },
      },
      'Progress: 1 of 2 approvals, by Alice. Not approved by: Bob, Carol. The plan was deleted (plangate:deleteExpiredPlans).',
    ],
    [
      'EXPIRED',
      {
        review: review(),
        expiry: {
          expiredAt: at.toISOString(),
          requiredApprovals: 1,
          approvals: [],
          undecided: ['Bob'],
          planDeleted: false,
          deleteError: 'ResourceNotFoundException: Plan not found',
        },
      },
      'Progress: 0 of 1 approvals. Not approved by: Bob. Deleting the plan failed: ResourceNotFoundException: Plan not found.',
    ],
    [
      'TIMED_OUT',
      { review: review(), approval, execution, record: record('IN_PROGRESS') },
      'Record rec-1 was still IN_PROGRESS when PlanGate stopped waiting.',
    ],
    [
      'INVALID_INPUT',
      { error: { Error: 'InvalidInputError', Cause: JSON.stringify({ errorType: 'InvalidInputError', errorMessage: 'planId is required' }) } },
      'planId is required',
    ],
    [
      'PLAN_NOT_READY',
      { error: { Error: 'PlanNotReadyError', Cause: 'Plan p was still CREATE_IN_PROGRESS after 60 checks' } },
      'Plan p was still CREATE_IN_PROGRESS after 60 checks',
    ],
    [
      'DUPLICATE',
      { review: review(), error: { Error: 'DuplicateRunError', Cause: JSON.stringify({ errorMessage: 'Plan plan-abc already has an approval' }) } },
      'Plan plan-abc already has an approval',
    ],
    ['INTERNAL_ERROR', { error: { Error: 'States.Runtime' } }, 'States.Runtime'],
  ])('%s', (outcome, state, reason) => {
    const report = describeOutcome({ input: { planId: 'plan-abc' }, run, outcome: outcome as RunState['outcome'], ...state }, at);
    expect(report.detail.outcome).toBe(outcome);
    expect(report.detail.reason).toContain(reason);
    expect(report.body).toContain(reason);
    expect(report.subject).toMatch(new RegExp(`^\\[PlanGate\\] ${outcome}: `));
  });

  test('names the plan, product, record, approver and how long each phase took', () => {
    const report = describeOutcome({ input: {}, run, outcome: 'SUCCEEDED', review: review(), approval, execution, record: record('SUCCEEDED') }, at);
    expect(report.detail).toMatchObject({
      planId: 'plan-abc',
      provisionedProductName: 'orders',
      recordId: 'rec-1',
      approver: 'Alice <alice@example.com>',
      durationsSeconds: { review: 0, approval: 720, execution: 120, total: 900 },
    });
    expect(report.body).toContain('Time taken: review 0s, approval 12m 0s, execution 2m 0s, total 15m 0s');
  });

  test('keeps a junk plan id short and the subject within SNS limits', () => {
    const report = describeOutcome(
      { input: { planId: `é${'x'.repeat(500)}` }, run, outcome: 'INVALID_INPUT', error: { Error: 'InvalidInputError' } },
      at,
    );
    expect(report.detail.planId).toHaveLength(100);
    expect(report.subject.length).toBeLessThan(100);
    expect(report.subject).toMatch(/^[\x20-\x7e]+$/);
  });
});

test('publishes the outcome email and event (closing the approval record is close-run.test.ts’s)', async () => {
  const state = { input: {}, run, outcome: 'SUCCEEDED', review: review(), approval, execution, record: record('SUCCEEDED') };
  const detail = await notify(state, env);
  expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: 'arn:outcomes', Subject: '[PlanGate] SUCCEEDED: orders-update (plan-abc)' });
  expect(eb).toHaveReceivedCommandWith(PutEventsCommand, {
    Entries: [
      { EventBusName: 'default', Source: 'plangate', DetailType: 'PlanGate Run Finished', Detail: JSON.stringify(detail), Resources: ['arn:run-1'] },
    ],
  });
  expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { pk: 'PLAN#plan-abc' }, ConsistentRead: true });
});

test('an auto-approved run names the rule as the decider', () => {
  const ruled = {
    decision: 'APPROVED' as const,
    channel: 'rule' as const,
    rule: 'LOW risk is within plangate:autoApproveUpTo (LOW)',
    requestedAt: at.toISOString(),
    decidedAt: at.toISOString(),
  };
  const report = describeOutcome(
    { input: {}, run, outcome: 'SUCCEEDED', review: review(), approval: ruled, execution, record: record('SUCCEEDED') },
    at,
  );
  expect(report.detail).toMatchObject({ decision: 'APPROVED', approver: 'rule: LOW risk is within plangate:autoApproveUpTo (LOW)' });
  expect(report.body).toContain('Decision: APPROVED by rule: LOW risk is within plangate:autoApproveUpTo (LOW)');
});

test('fails with a TransientError, which the state machine retries, when EventBridge drops the event', async () => {
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
  await expect(notify({ input: {}, run, outcome: 'EXPIRED', review: review() }, env)).rejects.toMatchObject({
    name: 'TransientError',
    message: 'EventBridge rejected the outcome event: InternalFailure try again',
    cause: { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' },
  });
});

test('refuses a state without an outcome', async () => {
  await expect(notify({ input: {}, run }, env)).rejects.toMatchObject({ name: 'InvalidInputError', message: expect.stringContaining('outcome') });
  expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
});
