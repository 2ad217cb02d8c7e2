import {
  DescribeProvisionedProductPlanCommand,
  ExecuteProvisionedProductPlanCommand,
  type ResourceChange,
  ServiceCatalogClient,
} from '@aws-sdk/client-service-catalog';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { executePlan } from '../../lambdas/execute-plan/execute-plan';
import { parseInput } from '../../lambdas/shared/contracts/parse-input';
import { runInputSchema } from '../../lambdas/shared/contracts/steps';
import { changesDigest } from '../../lambdas/shared/domain/risk';
import { review } from './fixtures';

/** Execution windows (issue 23): the run input's executeWindow, and ExecutePlan's revalidation of a windowed run. */
const HOUR = 3_600_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe('executeWindow in the run input', () => {
  const problem = (executeWindow: unknown) => {
    try {
      parseInput(runInputSchema, { planId: 'plan-abc', executeWindow });
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the window to be refused');
  };

  test('a window in UTC, starting within 30 days and at most 7 days long, is accepted as given', () => {
    const executeWindow = { notBefore: at(2 * HOUR).replace(/\.\d+Z$/, 'Z'), notAfter: at(4 * HOUR) };
    expect(parseInput(runInputSchema, { planId: 'plan-abc', executeWindow }).executeWindow).toEqual(executeWindow);
  });

  test.each([
    ['an end before the start', { notBefore: at(4 * HOUR), notAfter: at(2 * HOUR) }, 'executeWindow.notAfter: must be after executeWindow.notBefore'],
    [
      'an offset instead of UTC',
      { notBefore: '2026-12-05T02:00:00+01:00', notAfter: at(4 * HOUR) },
      'executeWindow.notBefore: must be an RFC 3339 time in UTC',
    ],
    [
      'a local time without a zone',
      { notBefore: at(HOUR), notAfter: '2099-12-05T02:00:00' },
      'executeWindow.notAfter: must be an RFC 3339 time in UTC',
    ],
    ['a day that does not exist', { notBefore: '2027-02-30T02:00:00Z', notAfter: at(4 * HOUR) }, 'executeWindow.notBefore: must be an RFC 3339'],
    [
      'a start too far ahead',
      { notBefore: at(31 * 24 * HOUR), notAfter: at(32 * 24 * HOUR) },
      'executeWindow.notBefore: must be at most 30 days ahead',
    ],
    [
      'a window too long',
      { notBefore: at(HOUR), notAfter: at(9 * 24 * HOUR) },
      'executeWindow.notAfter: must be at most 7 days after executeWindow.notBefore',
    ],
    ['a window already over', { notBefore: at(-3 * HOUR), notAfter: at(-HOUR) }, 'executeWindow.notAfter: must be in the future'],
    ['a missing end', { notBefore: at(HOUR) }, 'executeWindow.notAfter: must be an RFC 3339'],
    ['not an object', '2026-12-05T02:00:00Z', 'executeWindow: must be {"notBefore", "notAfter"}'],
    [
      'an unknown key',
      { notBefore: at(HOUR), notAfter: at(2 * HOUR), timeZone: 'Europe/Berlin' },
      'executeWindow: must be {"notBefore", "notAfter"}',
    ],
  ])('%s is refused, naming the field', (_, window, message) => {
    expect(problem(window)).toContain(message);
  });
});

describe('ExecutePlan revalidates a windowed run right before executing', () => {
  const sc = mockClient(ServiceCatalogClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  const run = 'arn:aws:states:us-east-1:1:execution:sm:run-1';
  const event = { planId: 'plan-abc', acceptLanguage: 'en', executionArn: run };
  const changes: ResourceChange[] = [{ Action: 'ADD', LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue' }];
  const approval = (email: string, decidedAt: string) => ({ approver: { email }, channel: 'web', decidedAt });
  /** An approved record of a windowed run, approved by two people at the given ages. */
  const record = (executeWindow: { notBefore: string; notAfter: string }, ...agesHours: number[]) => {
    const approvals = agesHours.map((age, i) => approval(`approver${i}@example.com`, at(-age * HOUR)));
    return {
      pk: 'PLAN#plan-abc',
      planId: 'plan-abc',
      status: 'APPROVED',
      executionArn: run,
      requestedAt: at(-100 * HOUR),
      expiresAt: 1_795_000_000,
      approvers: [{ email: 'approver0@example.com' }],
      review: { ...review(), changesDigest: changesDigest(changes), executeWindow },
      decision: { decision: 'APPROVED', ...approvals.at(-1)!, requestedAt: at(-100 * HOUR), approvals },
    };
  };
  const withRecord = (item: object) => ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: item });
  const open = { notBefore: at(-HOUR), notAfter: at(HOUR) };
  /** Both approvers still listed, in every group they were in. */
  const eligible = {
    approvers: [{ email: 'approver0@example.com' }, { email: 'approver1@example.com' }],
    verifiedGroups: async (_: string, groups: string[]) => groups,
  };

  beforeEach(() => {
    sc.reset();
    ddb.reset();
    ddb.on(GetCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    sc.on(DescribeProvisionedProductPlanCommand).resolves({
      ProvisionedProductPlanDetails: { PlanId: 'plan-abc', Status: 'CREATE_SUCCESS' },
      ResourceChanges: changes,
    });
    sc.on(ExecuteProvisionedProductPlanCommand).resolves({ RecordDetail: { RecordId: 'rec-1', Status: 'CREATED' } });
  });

  test('inside the window with fresh approvals, the plan is executed', async () => {
    withRecord(record(open, 30, 2));
    await expect(executePlan(event, { TABLE_NAME: 'approvals' }, eligible)).resolves.toMatchObject({ recordId: 'rec-1' });
  });

  test('after notAfter: WindowMissedError, nothing executed', async () => {
    withRecord(record({ notBefore: at(-3 * HOUR), notAfter: at(-HOUR) }, 4));
    await expect(executePlan(event, { TABLE_NAME: 'approvals' }, eligible)).rejects.toMatchObject({
      name: 'WindowMissedError',
      message: expect.stringContaining('its execution window ended at'),
    });
    expect(sc).not.toHaveReceivedCommand(ExecuteProvisionedProductPlanCommand);
  });

  test('one approval older than the default 72 hours: ApprovalStaleError naming it, nothing executed', async () => {
    withRecord(record(open, 73, 1));
    await expect(executePlan(event, { TABLE_NAME: 'approvals' }, eligible)).rejects.toMatchObject({
      name: 'ApprovalStaleError',
      message: expect.stringMatching(/approval by approver0@example\.com at .* is older than 72 hours/),
    });
    expect(sc).not.toHaveReceivedCommand(ExecuteProvisionedProductPlanCommand);
  });

  test('plangate:approvalValidityHours sets the limit', async () => {
    withRecord(record(open, 30));
    await expect(executePlan(event, { TABLE_NAME: 'approvals', APPROVAL_VALIDITY_HOURS: 24 }, eligible)).rejects.toMatchObject({
      name: 'ApprovalStaleError',
    });
  });

  test('a run without a window is not held to the approval age', async () => {
    const { executeWindow: _, ...unwindowed } = record(open, 200).review;
    withRecord({ ...record(open, 200), review: unwindowed });
    await expect(executePlan(event, { TABLE_NAME: 'approvals', APPROVAL_VALIDITY_HOURS: 24 }, eligible)).resolves.toMatchObject({
      recordId: 'rec-1',
    });
  });

  test('a plan changed while waiting ends PLAN_CHANGED first', async () => {
    withRecord(record({ notBefore: at(-3 * HOUR), notAfter: at(-HOUR) }, 4));
    sc.on(DescribeProvisionedProductPlanCommand).resolves({
      ProvisionedProductPlanDetails: { PlanId: 'plan-abc', Status: 'CREATE_SUCCESS' },
      ResourceChanges: [...changes, { Action: 'REMOVE', LogicalResourceId: 'Table', ResourceType: 'AWS::DynamoDB::Table' }],
    });
    await expect(executePlan(event, { TABLE_NAME: 'approvals' }, eligible)).rejects.toMatchObject({ name: 'PlanChangedError' });
  });

  test('a cancellation that came before the claim: RunCancelledError naming who cancelled, nothing executed', async () => {
    withRecord({
      ...record(open, 1),
      cancelled: { action: 'cancel', by: 'alice@example.com', principal: 'alice@example.com', at: at(-1000), reason: 'not tonight' },
    });
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' }));
    await expect(executePlan(event, { TABLE_NAME: 'approvals' }, eligible)).rejects.toMatchObject({
      name: 'RunCancelledError',
      message: expect.stringMatching(/was not executed: Cancelled by alice@example\.com at .*: not tonight/),
    });
    expect(sc).not.toHaveReceivedCommand(ExecuteProvisionedProductPlanCommand);
  });

  test('the claim ends the wait: the task token is removed, only while the run is not cancelled', async () => {
    withRecord(record(open, 1));
    await executePlan(event, { TABLE_NAME: 'approvals' }, eligible);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'REMOVE taskToken',
      ConditionExpression: 'executionArn = :executionArn AND attribute_not_exists(cancelled)',
    });
  });

  test('a rescheduled window is the one checked: past its notAfter, WINDOW_MISSED', async () => {
    withRecord({ ...record(open, 1), executeWindow: { notBefore: at(-3 * HOUR), notAfter: at(-2 * HOUR) } });
    await expect(executePlan(event, { TABLE_NAME: 'approvals' }, eligible)).rejects.toMatchObject({ name: 'WindowMissedError' });
  });

  test('an approver no longer in plangate:approvers: APPROVAL_STALE naming them, nothing executed', async () => {
    withRecord(record(open, 1));
    const removed = { ...eligible, approvers: [{ email: 'someone-else@example.com' }] };
    await expect(executePlan(event, { TABLE_NAME: 'approvals' }, removed)).rejects.toMatchObject({
      name: 'ApprovalStaleError',
      message: expect.stringContaining('approver0@example.com (no longer in plangate:approvers); without them, 0 of 1 approvals'),
    });
    expect(sc).not.toHaveReceivedCommand(ExecuteProvisionedProductPlanCommand);
  });

  test('Identity Center unreachable: fails closed as APPROVAL_STALE saying so, nothing executed', async () => {
    const item = record(open, 1);
    const approvals = item.decision.approvals.map((a) => ({ ...a, groups: ['dba'] }));
    const policy = { autoApproved: false, requiredApprovals: 1, rule: 'dba', requirements: [{ rule: 'dba', group: 'dba', count: 1, stage: 1 }] };
    withRecord({ ...item, approvals, review: { ...item.review, policy } });
    const unreachable = {
      ...eligible,
      verifiedGroups: async () => Promise.reject(Object.assign(new Error('down'), { name: 'InternalServerException' })),
    };
    await expect(executePlan(event, { TABLE_NAME: 'approvals' }, unreachable)).rejects.toMatchObject({
      name: 'ApprovalStaleError',
      message: expect.stringContaining('group membership could not be checked in IAM Identity Center (InternalServerException)'),
    });
    expect(sc).not.toHaveReceivedCommand(ExecuteProvisionedProductPlanCommand);
  });
});
