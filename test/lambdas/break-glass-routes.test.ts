import { type ApprovalApiDeps, handleApprovalRequest } from '../../lambdas/approval-api/approval-api';
import { handleRunAction, type RunActionsDeps } from '../../lambdas/run-actions/run-actions';
import { toApiGatewayEvent } from '../../local/api-gateway';

/**
 * The break-glass routes' own refusals (issue 23 item 5), before anything is read or written: only a signed POST with a
 * well-formed body reaches the plan, and the page's and Slack's routes never reach break-glass at all.
 */
const alice = { arn: 'arn:aws:sts::111122223333:assumed-role/Oncall/alice', accessKeyId: 'AKIA', userId: 'AROA:alice' };
const reads: string[] = [];
const deps = {
  store: { get: async (planId: string) => void reads.push(planId), getLink: async () => undefined },
  approvers: [{ email: 'alice@example.com', iamPrincipals: [alice.arn] }],
  breakGlass: { policy: { requesters: [alice.arn] }, store: {}, tell: async () => {} },
  now: () => new Date(),
} as unknown as RunActionsDeps & ApprovalApiDeps;

const call = async (method: string, path: string, body: string | undefined, signed: boolean, contentType = 'application/json', api = false) => {
  const event = toApiGatewayEvent({ method, path, body, headers: { 'content-type': contentType } }, 'prod', signed ? { caller: alice } : {});
  const answer = await (api ? handleApprovalRequest(event, deps) : handleRunAction(event, deps));
  return { status: answer.statusCode, body: answer.headers?.['Content-Type'] === 'application/json' ? JSON.parse(answer.body) : answer.body };
};

beforeEach(() => {
  reads.length = 0;
});

test.each([
  ['another method', 'GET', '/cli/plans/plan-abc/break-glass', undefined, true, 405, 'GET is not supported here; POST a reason to break glass'],
  ['an unsigned request', 'POST', '/cli/plans/plan-abc/break-glass', '{"reason":"x"}', false, 403, 'signed with AWS credentials (SigV4)'],
  ['no reason', 'POST', '/cli/plans/plan-abc/break-glass', '{"ticket":"INC-1"}', true, 400, 'reason must be text and is required'],
  ['a reason too long', 'POST', '/cli/plans/plan-abc/break-glass', JSON.stringify({ reason: 'x'.repeat(1001) }), true, 400, 'longer than 1000'],
  ['an unknown key', 'POST', '/cli/plans/plan-abc/break-glass', '{"reason":"x","approveAll":true}', true, 400, 'Unknown key "approveAll"'],
  ['a body that is not JSON', 'POST', '/cli/plans/plan-abc/break-glass', 'reason=x', true, 400, 'not a JSON object'],
  ['a path naming no plan', 'POST', '/cli/plans/..%2Fx/break-glass', '{"reason":"x"}', true, 400, 'does not name a plan'],
  ['an unsigned review', 'POST', '/cli/plans/plan-abc/review', '{}', false, 403, 'signed with AWS credentials (SigV4)'],
])('%s is refused before the plan is read', async (_, method, path, body, signed, status, error) => {
  const answer = await call(method, path, body, signed);
  expect(answer.status).toBe(status);
  expect(answer.body.error).toContain(error);
  expect(reads).toEqual([]);
});

test('a well-formed, signed request reads the plan (unknown here: 404)', async () => {
  expect(await call('POST', '/cli/plans/plan-abc/break-glass', '{"reason":"Payments down"}', true)).toEqual({
    status: 404,
    body: { error: 'Plan plan-abc has no approval request' },
  });
  expect(reads).toEqual(['plan-abc']);
});

test('break-glass is no page, Slack or approval API action: those routes never reach it', async () => {
  const page = await call('POST', '/approvals/plan-abc/break-glass', 'reason=x', true, 'application/x-www-form-urlencoded', true);
  expect(page.status).toBe(404);
  const slack = await call('POST', '/slack/interactions/break-glass', 'payload={}', true, 'application/x-www-form-urlencoded', true);
  expect(slack.status).toBe(404);
  const api = await call('POST', '/cli/plans/plan-abc/break-glass', '{"reason":"x"}', true, 'application/json', true);
  expect(api.status).toBe(404);
  expect(reads).toEqual([]);
});
