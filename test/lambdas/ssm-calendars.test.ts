import { DescribeProvisionedProductPlanCommand, ExecuteProvisionedProductPlanCommand, ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { executePlan } from '../../lambdas/execute-plan/execute-plan';
import { getCalendarState } from '../../lambdas/shared/adapters/clients/ssm';
import { readSsmCalendars } from '../../lambdas/shared/adapters/ssm-calendars';
import type { CalendarPolicy, SsmCalendarState } from '../../lambdas/shared/contracts/calendar-policy';
import { CalendarClosedError } from '../../lambdas/shared/contracts/errors';
import { calendarAt, calendarVerdict } from '../../lambdas/shared/domain/calendar-check';
import { changesDigest } from '../../lambdas/shared/domain/risk';
import { review } from './fixtures';

/** SSM Change Calendars in plangate:changeCalendar.ssmCalendars (issue 23): a CLOSED one is an active deny window. */
jest.mock('../../lambdas/shared/adapters/clients/ssm', () => ({ getCalendarState: jest.fn() }));
const ssmState = jest.mocked(getCalendarState);

const now = new Date('2026-12-28T10:00:00Z');
const approvedAt = new Date('2026-12-28T09:00:00Z');
const subject = { risk: 'HIGH' as const, resourceTypes: ['AWS::SQS::Queue'] };
const closed = (calendar: string, nextTransition?: string): SsmCalendarState => ({
  calendar,
  state: 'CLOSED',
  ...(nextTransition ? { nextTransition } : {}),
});
const freeze = { name: 'year-end', kind: 'deny' as const, start: '2026-12-24T00:00', end: '2026-12-28T13:00', timeZone: 'UTC' };

describe('the calendar with SSM Change Calendars', () => {
  test('a CLOSED SSM calendar closes an otherwise open calendar, named with when it opens', () => {
    const calendar = calendarAt({ windows: [] }, now, subject, [closed('prod-freeze', '2026-12-29T06:00:00Z')]);
    expect(calendar).toEqual({
      open: false,
      reason: 'SSM Change Calendar prod-freeze is CLOSED until 2026-12-29 06:00 UTC',
      nextTransition: '2026-12-29T06:00:00.000Z',
      checkedAt: now.toISOString(),
    });
  });

  test('closed by a window and an SSM calendar, it opens when the later of the two opens; open, it changes at the earlier', () => {
    expect(calendarAt({ windows: [freeze] }, now, subject, [closed('ops', '2026-12-28T11:00:00Z')])).toMatchObject({
      open: false,
      reason: expect.stringMatching(/year-end.*; SSM Change Calendar ops is CLOSED/),
      nextTransition: '2026-12-28T13:00:00.000Z',
    });
    const later = { ...freeze, start: '2026-12-30T00:00', end: '2026-12-31T00:00' };
    const openSsm: SsmCalendarState = { calendar: 'ops', state: 'OPEN', nextTransition: '2026-12-29T00:00:00Z' };
    expect(calendarAt({ windows: [later] }, now, subject, [openSsm])).toMatchObject({ open: true, nextTransition: '2026-12-29T00:00:00.000Z' });
  });

  test('with onClosed wait, a CLOSED SSM calendar defers until it opens; one that could not be read never opens: refused', () => {
    const policy: CalendarPolicy = { windows: [], onClosed: 'wait', maxWaitHours: 24 };
    expect(calendarVerdict(policy, now, subject, approvedAt, false, [closed('ops', '2026-12-28T12:00:00Z')])).toEqual({
      deferred: { deferredUntil: '2026-12-28T12:00:00.000Z', reason: 'SSM Change Calendar ops is CLOSED until 2026-12-28 12:00 UTC' },
    });
    const unread = { ...closed('ops'), error: 'AccessDeniedException: not authorized' };
    expect(calendarVerdict(policy, now, subject, approvedAt, false, [unread])).toEqual({
      refused: expect.stringContaining('SSM Change Calendar ops could not be read, so it counts as CLOSED (AccessDeniedException: not authorized)'),
    });
  });
});

describe('reading the SSM calendars', () => {
  beforeEach(() => ssmState.mockReset());

  test('each calendar is read at the instant of the check', async () => {
    ssmState.mockImplementation(async (calendar) => ({ calendar, state: 'OPEN' }));
    expect(await readSsmCalendars(['a-cal', 'b-cal'], now)).toEqual([
      { calendar: 'a-cal', state: 'OPEN' },
      { calendar: 'b-cal', state: 'OPEN' },
    ]);
    expect(ssmState.mock.calls).toEqual([
      ['a-cal', now],
      ['b-cal', now],
    ]);
  });

  test('fails closed: a calendar that cannot be read is CLOSED with the error; a throttled read is thrown, to be retried', async () => {
    ssmState.mockRejectedValueOnce(Object.assign(new Error('Document missing-cal does not exist'), { name: 'InvalidDocument' }));
    expect(await readSsmCalendars(['missing-cal'], now)).toEqual([
      { calendar: 'missing-cal', state: 'CLOSED', error: 'InvalidDocument: Document missing-cal does not exist' },
    ]);
    ssmState.mockRejectedValueOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(readSsmCalendars(['ops'], now)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  test('without ssmCalendars nothing is read', async () => {
    expect(await readSsmCalendars(undefined, now)).toEqual([]);
    expect(ssmState).not.toHaveBeenCalled();
  });
});

describe('ExecutePlan', () => {
  const sc = mockClient(ServiceCatalogClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  const run = 'arn:aws:states:us-east-1:1:execution:sm:run-1';
  const changes = [{ Action: 'ADD' as const, LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue' }];
  const approved = {
    pk: 'PLAN#plan-abc',
    planId: 'plan-abc',
    status: 'APPROVED',
    executionArn: run,
    requestedAt: '2026-11-22T10:00:00.000Z',
    expiresAt: 1_795_000_000,
    approvers: [{ email: 'alice@example.com' }],
    review: { ...review(), changesDigest: changesDigest(changes) },
  };
  beforeEach(() => {
    sc.reset();
    ddb.reset();
    ssmState.mockReset();
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: approved });
    ddb.on(UpdateCommand).resolves({});
    sc.on(DescribeProvisionedProductPlanCommand).resolves({
      ProvisionedProductPlanDetails: { PlanId: 'plan-abc', Status: 'CREATE_SUCCESS' },
      ResourceChanges: changes,
    });
    sc.on(ExecuteProvisionedProductPlanCommand).resolves({ RecordDetail: { RecordId: 'rec-1', Status: 'CREATED' } });
  });
  const env = { TABLE_NAME: 'approvals', CHANGE_CALENDAR: { windows: [], ssmCalendars: ['prod-freeze'] } };
  const event = { planId: 'plan-abc', acceptLanguage: 'en', executionArn: run };

  test('does not execute while an SSM Change Calendar is CLOSED (the run ends FROZEN), and executes once it is OPEN', async () => {
    ssmState.mockResolvedValueOnce(closed('prod-freeze', '2027-01-04T08:00:00Z'));
    const refused = executePlan(event, env);
    await expect(refused).rejects.toBeInstanceOf(CalendarClosedError);
    await expect(refused).rejects.toThrow('Plan plan-abc was not executed: SSM Change Calendar prod-freeze is CLOSED until 2027-01-04 08:00 UTC');
    expect(sc).not.toHaveReceivedCommand(ExecuteProvisionedProductPlanCommand);

    ssmState.mockResolvedValueOnce({ calendar: 'prod-freeze', state: 'OPEN' });
    await expect(executePlan(event, env)).resolves.toMatchObject({ recordId: 'rec-1' });
  });

  test('an SSM calendar that cannot be read stops the execution, saying why', async () => {
    ssmState.mockRejectedValueOnce(
      Object.assign(new Error('User is not authorized to perform ssm:GetCalendarState'), { name: 'AccessDeniedException' }),
    );
    await expect(executePlan(event, env)).rejects.toThrow(
      /prod-freeze could not be read, so it counts as CLOSED \(AccessDeniedException: User is not authorized/,
    );
    expect(sc).not.toHaveReceivedCommand(ExecuteProvisionedProductPlanCommand);
  });
});
