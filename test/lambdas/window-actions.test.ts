import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handleWindowAction, type WindowActionDeps } from '../../lambdas/run-actions/window-actions';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import { MAX_RESCHEDULES, type WindowAction, type WindowActionName } from '../../lambdas/shared/contracts/window-actions';
import { decidedPage } from '../../lambdas/shared/web/page';
import { review } from './fixtures';

/** The approval API's reschedule, cancel and run-now routes (issue 23, served by WindowWait), with the record and the run faked. */
const ALICE = 'arn:aws:sts::111111111111:assumed-role/PlanGateApprover/alice';
const OPS = 'arn:aws:iam::111111111111:user/ops';
const approvers = [{ email: 'alice@example.com', iamPrincipals: [ALICE] }];
const run = 'arn:aws:states:us-east-1:111111111111:execution:sm:run-1';
const waiting: ApprovalRecord = {
  pk: 'PLAN#plan-abc',
  planId: 'plan-abc',
  executionArn: run,
  status: 'APPROVED',
  taskToken: 'token-1',
  requestedAt: new Date().toISOString(),
  expiresAt: 1,
  approvers,
  review: review(),
  executeWindow: { notBefore: new Date(Date.now() + 3_600_000).toISOString(), notAfter: new Date(Date.now() + 7_200_000).toISOString() },
};

const post = (action: WindowActionName, caller: string | undefined, body: object = {}) =>
  ({
    httpMethod: 'POST',
    path: `/cli/plans/plan-abc/${action}`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { identity: { userArn: caller } },
  }) as unknown as APIGatewayProxyEvent;

function fakes(record: ApprovalRecord | undefined = waiting, operators: string[] | undefined = [OPS]) {
  const deps = {
    windowStore: { get: jest.fn().mockResolvedValue(record), take: jest.fn().mockResolvedValue(record), untake: jest.fn() },
    completeWindow: jest.fn(),
    cancelWindow: jest.fn(),
    operators,
    now: () => new Date(),
  } satisfies WindowActionDeps;
  return deps;
}
const call = async (deps: WindowActionDeps, action: WindowActionName, caller: string | undefined, body?: object) => {
  const answer = await handleWindowAction(post(action, caller, body), 'plan-abc', action, deps, approvers);
  return { status: answer.statusCode, body: JSON.parse(answer.body) as Record<string, unknown> };
};

test('run-now without plangate:windowOperators: 403 naming the setting, nothing taken', async () => {
  const deps = fakes(waiting, []);
  expect(await call(deps, 'run-now', OPS)).toMatchObject({
    status: 403,
    body: { error: 'run-now is for operators, and plangate:windowOperators names none' },
  });
  expect(deps.windowStore.take).not.toHaveBeenCalled();
});

test('an unsigned call is refused; a signed one from someone else is refused naming them', async () => {
  const deps = fakes();
  expect((await call(deps, 'cancel', undefined)).status).toBe(403);
  expect(await call(deps, 'cancel', OPS)).toMatchObject({
    status: 403,
    body: { error: `${OPS} is not an approver: no approver's iamPrincipals match it` },
  });
  expect(deps.windowStore.take).not.toHaveBeenCalled();
});

test('a run not waiting (already executing, cancelled, ended): 409 saying so and why', async () => {
  const executing = fakes({ ...waiting, taskToken: undefined, execution: { idempotencyToken: 't', startedAt: '' } });
  expect(await call(executing, 'cancel', ALICE)).toMatchObject({
    status: 409,
    body: { message: 'Plan plan-abc is not waiting for its execution window (it is being executed)' },
  });
  // The wait ended between the read and the write (the timer fired, another action won): the write says so.
  const raced = fakes();
  raced.windowStore.take.mockResolvedValue(undefined);
  expect((await call(raced, 'run-now', OPS)).status).toBe(409);
  expect(raced.completeWindow).not.toHaveBeenCalled();
});

test('a reschedule with a bad window: 400 naming the field, nothing taken', async () => {
  const deps = fakes();
  const answer = await call(deps, 'reschedule', ALICE, { notBefore: waiting.executeWindow!.notAfter, notAfter: waiting.executeWindow!.notBefore });
  expect(answer).toMatchObject({ status: 400, body: { error: 'executeWindow.notAfter: must be after executeWindow.notBefore' } });
  expect(deps.windowStore.take).not.toHaveBeenCalled();
});

test('a reschedule records who, the verified principal, when, the window and why, then wakes the run to wait again', async () => {
  const deps = fakes();
  const window = { notBefore: new Date(Date.now() + 600_000).toISOString(), notAfter: new Date(Date.now() + 900_000).toISOString() };
  expect((await call(deps, 'reschedule', ALICE, { ...window, reason: 'after the release' })).status).toBe(200);
  expect(deps.windowStore.take).toHaveBeenCalledWith(
    'plan-abc',
    run,
    expect.objectContaining({ action: 'reschedule', by: 'alice@example.com', principal: ALICE, window, reason: 'after the release' }),
    expect.any(Date),
  );
  expect(deps.completeWindow).toHaveBeenCalledWith('token-1', { action: 'reschedule' });
});

test('a run that cannot be reached: run-now puts the wait back (503, try again); a cancellation stands (202)', async () => {
  const runNow = fakes();
  runNow.completeWindow.mockRejectedValue(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
  expect((await call(runNow, 'run-now', OPS)).status).toBe(503);
  expect(runNow.windowStore.untake).toHaveBeenCalledWith('plan-abc', run, waiting);

  const cancel = fakes();
  cancel.cancelWindow.mockRejectedValue(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
  expect(await call(cancel, 'cancel', ALICE, { reason: 'not tonight' })).toMatchObject({
    status: 202,
    body: { message: expect.stringContaining('ends CANCELLED at the latest when its window opens') },
  });
  expect(cancel.windowStore.untake).not.toHaveBeenCalled();
  expect(cancel.cancelWindow).toHaveBeenCalledWith(
    'token-1',
    expect.stringMatching(/^Plan plan-abc was not executed: Cancelled by alice@example\.com .*: not tonight$/),
  );
});

test('the approval page shows the window as it now is and every action on it, with who, when and why', () => {
  const rescheduled = { notBefore: '2030-01-02T02:00:00.000Z', notAfter: '2030-01-02T04:00:00.000Z' };
  const page = decidedPage(
    {
      ...waiting,
      executeWindow: rescheduled,
      windowActions: [
        {
          action: 'reschedule',
          by: 'alice@example.com',
          principal: ALICE,
          at: '2030-01-01T10:00:00Z',
          reason: 'after <b>the</b> release',
          window: rescheduled,
        },
      ],
    },
    'Approved',
    new Date(),
  );
  expect(page).toContain('not before 2030-01-02 02:00 UTC, not after 2030-01-02 04:00 UTC');
  expect(page).toContain(`Rescheduled by alice@example.com (${ALICE}) at 2030-01-01 10:00 UTC`);
  expect(page).toContain('after &lt;b&gt;the&lt;/b&gt; release');
});

describe(`a run rescheduled ${MAX_RESCHEDULES} times (the approval record must stay within DynamoDB's item limit)`, () => {
  const action = (i: number): WindowAction => ({
    action: 'reschedule',
    by: 'alice@example.com',
    principal: ALICE,
    at: `2030-01-01T00:00:${String(i).padStart(2, '0')}Z`,
    window: waiting.executeWindow,
  });
  const rescheduledOften = { ...waiting, windowActions: Array.from({ length: MAX_RESCHEDULES }, (_, i) => action(i)) };
  const later = { notBefore: new Date(Date.now() + 600_000).toISOString(), notAfter: new Date(Date.now() + 900_000).toISOString() };

  test('another reschedule: 409 saying so and what is still possible, nothing taken; cancel and run-now still work', async () => {
    const deps = fakes(rescheduledOften);
    expect(await call(deps, 'reschedule', ALICE, later)).toMatchObject({
      status: 409,
      body: {
        result: 'too-many-reschedules',
        message: `Plan plan-abc's window was rescheduled ${MAX_RESCHEDULES} times, the most one run allows: it waits for the window it has. An approver may still cancel it, an operator run it now.`,
        waiting: true,
      },
    });
    expect(deps.windowStore.take).not.toHaveBeenCalled();
    expect((await call(deps, 'cancel', ALICE)).status).toBe(200);
    expect((await call(fakes(rescheduledOften), 'run-now', OPS)).status).toBe(200);
  });

  test('the last reschedule allowed taken by someone else between the read and the write: the same 409', async () => {
    const deps = fakes();
    deps.windowStore.take.mockResolvedValue(undefined);
    deps.windowStore.get.mockResolvedValueOnce(waiting).mockResolvedValueOnce(rescheduledOften);
    expect(await call(deps, 'reschedule', ALICE, later)).toMatchObject({ status: 409, body: { result: 'too-many-reschedules' } });
    expect(deps.completeWindow).not.toHaveBeenCalled();
  });
});
