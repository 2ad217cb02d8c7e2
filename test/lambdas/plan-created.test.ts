import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SendTaskFailureCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { creatorFinding, type PlanCreatedEnv, planCreated } from '../../lambdas/plan-created/plan-created';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import type { Creator } from '../../lambdas/shared/contracts/steps';
import { review } from './fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);
const env: PlanCreatedEnv = {
  TABLE_NAME: 'approvals',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:PlanGate',
  APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:approvals',
  APPROVERS: [
    { email: 'alice@example.com', name: 'Alice' },
    { email: 'bob@example.com', name: 'Bob' },
    { email: 'carol@example.com', name: 'Carol' },
  ],
};
const ALICE_SSO = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0123/alice@example.com';
const cloudTrail = (overrides: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'event-1',
  source: 'aws.servicecatalog',
  'detail-type': 'AWS API Call via CloudTrail',
  account: '111122223333',
  region: 'us-east-1',
  detail: {
    eventSource: 'servicecatalog.amazonaws.com',
    recipientAccountId: '111122223333',
    eventName: 'CreateProvisionedProductPlan',
    eventID: '6f1c2a3b-0000-4000-8000-000000000001',
    eventTime: '2026-11-22T09:59:00Z',
    userIdentity: { type: 'AssumedRole', arn: ALICE_SSO },
    responseElements: { planId: 'plan-abc', planName: 'orders-update' },
    ...overrides,
  },
});
const creator: Creator = { arn: ALICE_SSO, approverEmail: 'alice@example.com', verifiedBy: 'cloudtrail', eventId: 'e', eventTime: 't' };
const pending = (overrides: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  pk: 'PLAN#plan-abc',
  planId: 'plan-abc',
  executionArn: 'arn:aws:states:us-east-1:111122223333:execution:PlanGate:run-1',
  status: 'PENDING',
  requestedAt: '2026-11-22T10:00:00.000Z',
  expiresAt: 1_900_000_000,
  requestedBy: 'bob@example.com',
  approvers: env.APPROVERS,
  review: review(),
  requiredApprovals: 2,
  selfApprover: 'bob@example.com',
  ...overrides,
});

beforeEach(() => {
  for (const mock of [ddb, sfn, sns]) mock.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:run-created' });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('PlanCreated', () => {
  test('keeps who created the plan, as the approver their Identity Center session names, then starts a run for the plan', async () => {
    const result = await planCreated(cloudTrail(), env);
    expect(result).toEqual({
      planId: 'plan-abc',
      creator: expect.objectContaining({ arn: ALICE_SSO, approverEmail: 'alice@example.com' }),
      executionArn: 'arn:run-created',
    });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'CREATOR#plan-abc' }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: 'created-6f1c2a3b-0000-4000-8000-000000000001',
      input: JSON.stringify({ planId: 'plan-abc', requestedBy: ALICE_SSO }),
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  test('a request opened naming someone else loses the creator’s approval, and the other approvers are told', async () => {
    const alice = { approver: env.APPROVERS[0]!, channel: 'web' as const, decidedAt: '2026-11-22T10:01:00.000Z' };
    // Named dev@example.com, who is no approver: Bob and Carol can still give the two approvals needed.
    const record = pending({ requestedBy: 'dev@example.com', selfApprover: undefined, approvals: [alice], approverEmails: ['alice@example.com'] });
    ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: record });
    ddb.on(UpdateCommand).callsFake(async (input) => ({
      Attributes: { ...record, creator: input.ExpressionAttributeValues[':creator'], approvals: [], approverEmails: [], voidedApprovals: [alice] },
    }));
    await planCreated(cloudTrail(), env);
    const update = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.ConditionExpression).toContain('size(approvals) = :count');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':kept': [], ':voided': [alice], ':count': 1 });
    const told = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(told.map((m) => m.MessageAttributes?.approver?.StringValue)).toEqual(['bob@example.com', 'carol@example.com']);
    expect(told[0]!.Message).toContain(
      `CloudTrail shows that ${ALICE_SSO} created plan orders-update (plan-abc), so the approval they gave it no longer counts.`,
    );
    // The redelivered event's run already exists: that is not an error.
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'c', $metadata: {} }));
    await expect(planCreated(cloudTrail(), env)).resolves.toMatchObject({ executionArn: undefined });
  });

  describe('a request the creator leaves unapprovable (Bob named, Alice created it: only Carol is left of the two needed)', () => {
    const waiting = pending({ taskToken: 'token-1' });
    const cause =
      "Plan orders-update (plan-abc) cannot be approved any more: plangate:requiredApprovals needs 2 approvals from the approvers, but only 1 of them other than the requester and the plan's creator (bob@example.com, alice@example.com) may approve";
    beforeEach(() => {
      ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: waiting });
      ddb
        .on(UpdateCommand)
        .callsFake(async (input) => ({ Attributes: { ...waiting, creator: input.ExpressionAttributeValues[':creator'] ?? creator } }));
    });
    const closing = () => ddb.commandCalls(UpdateCommand).find((c) => c.args[0].input.UpdateExpression?.startsWith('SET #status = :closed'));

    test('ends at once: the request closed and its token taken in one write, then its wait failed as PlanDeniedError; the others told why', async () => {
      await planCreated(cloudTrail(), env);
      expect(closing()?.args[0].input).toMatchObject({
        UpdateExpression: 'SET #status = :closed REMOVE taskToken',
        ConditionExpression: expect.stringContaining('#status = :pending AND attribute_not_exists(outcome) AND attribute_exists(taskToken)'),
        ReturnValues: 'ALL_OLD',
      });
      expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'token-1', error: 'PlanDeniedError', cause });
      const told = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
      expect(told.map((m) => m.MessageAttributes?.approver?.StringValue)).toEqual(['bob@example.com', 'carol@example.com']);
      expect(told[0]!.Message).toContain('may approve), so its run ends DENIED.');
      // No second request right after the denied one.
      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    });

    test('the same CloudTrail event again, after the request was closed (or its run ended DENIED): no second request either', async () => {
      for (const closed of [
        { ...waiting, status: 'CLOSED', creator },
        { ...waiting, status: 'CLOSED', creator, outcome: { outcome: 'DENIED', reason: cause, finishedAt: '2026-11-22T10:02:00.000Z' } },
      ]) {
        ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: closed });
        ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'c', $metadata: {} }));
        ddb
          .on(GetCommand, { Key: { pk: 'CREATOR#plan-abc' } })
          .resolves({ Item: { pk: 'CREATOR#plan-abc', planId: 'plan-abc', creator, recordedAt: 't' } });
        await expect(planCreated(cloudTrail(), env)).resolves.toEqual({ planId: 'plan-abc', creator });
      }
      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    });

    test('a decision or an expiry got there first (the write’s condition fails): no wait is failed, nobody told it ends DENIED', async () => {
      ddb
        .on(UpdateCommand, { UpdateExpression: 'SET #status = :closed REMOVE taskToken' })
        .rejects(new ConditionalCheckFailedException({ message: 'c', $metadata: {} }));
      await planCreated(cloudTrail(), env);
      expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
      expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).not.toContain('DENIED');
    });

    test('the wait ended as the request closed (it timed out): not an error, and nobody told it ends DENIED (the expiry closes it)', async () => {
      sfn.on(SendTaskFailureCommand).rejects(Object.assign(new Error('timed out'), { name: 'TaskTimedOut' }));
      await expect(planCreated(cloudTrail(), env)).resolves.toMatchObject({ planId: 'plan-abc' });
      expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).not.toContain('DENIED');
    });

    test('still reachable (a request that named nobody): nothing closed', async () => {
      ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: { ...waiting, requestedBy: undefined, selfApprover: undefined } });
      ddb.on(UpdateCommand).callsFake(async (input) => ({
        Attributes: { ...waiting, requestedBy: undefined, selfApprover: undefined, creator: input.ExpressionAttributeValues[':creator'] },
      }));
      await planCreated(cloudTrail(), env);
      expect(closing()).toBeUndefined();
      expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    });
  });

  test.each([
    ['a custom event dressed as CloudTrail’s', { source: 'plangate' }],
    ['another API call', { detail: { ...cloudTrail().detail, eventName: 'DescribeProvisionedProductPlan' } }],
    ['a caller that is not a principal ARN', { detail: { ...cloudTrail().detail, userIdentity: { arn: 'alice@example.com' } } }],
    ['a plan id that is not one', { detail: { ...cloudTrail().detail, responseElements: { planId: 'plan abc; drop' } } }],
  ])('refuses %s, recording and starting nothing', async (_, overrides) => {
    await expect(planCreated({ ...cloudTrail(), ...overrides }, env)).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('what the other approvers hear', () => {
  test('nothing when the request named the creator all along', () => {
    expect(creatorFinding(pending({ requestedBy: ALICE_SSO }), creator, [])).toBeUndefined();
    expect(creatorFinding(pending({ requestedBy: 'alice@example.com' }), creator, [])).toBeUndefined();
  });
  test('nothing for a closed request that named someone else: nobody is asked any more', () => {
    expect(
      creatorFinding(pending({ status: 'CLOSED', outcome: { outcome: 'ABORTED', reason: 'stopped', finishedAt: 't' } }), creator, []),
    ).toBeUndefined();
  });
  test('a request that named someone else', () => {
    expect(creatorFinding(pending(), creator, [])).toBe(
      `The request for plan orders-update (plan-abc) names bob@example.com as its requester, but CloudTrail shows that ${ALICE_SSO} created the plan; they may not approve it.`,
    );
  });
  test('a decision the creator’s approval counted towards, executed or not', () => {
    const approval = { approver: env.APPROVERS[0]!, channel: 'web' as const, decidedAt: 'd' };
    const decided = pending({ status: 'APPROVED', decision: { decision: 'APPROVED', ...approval, requestedAt: 'r', approvals: [approval] } });
    expect(creatorFinding(decided, creator, [])).toMatch(
      /their approval counted towards its decision\. PlanGate will not execute it on that approval\.$/,
    );
    expect(creatorFinding({ ...decided, execution: { idempotencyToken: 't', startedAt: 's' } }, creator, [])).toMatch(
      /The plan was executed: review the change\.$/,
    );
  });
});
