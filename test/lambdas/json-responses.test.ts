import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handleSlackInteraction } from '../../lambdas/approval-api/slack-interactions';
import { releaseRequest } from '../../lambdas/close-run/release-request';
import { handleCliDecision } from '../../lambdas/run-actions/decision';
import type { DecisionDeps } from '../../lambdas/shared/services/decision';

/*
 * The JSON the approval API answers the command line and Slack with, and the release route's: always marked as
 * JSON and never cached (an answer names a plan and who decided it). Each request below is refused before any AWS call.
 */
const request = (httpMethod: string, path: string) =>
  ({ httpMethod, path, headers: {}, body: null, isBase64Encoded: false, requestContext: { identity: {} } }) as unknown as APIGatewayProxyEvent;
const unused = () => Promise.reject(new Error('not called'));
const deps = { store: {}, completeTask: unused, now: () => new Date() } as unknown as DecisionDeps;
const noStoreJson = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
const refusal = (statusCode: number, headers: Record<string, string>, error: string) => ({ statusCode, headers, body: JSON.stringify({ error }) });

test('a command-line decision refused is JSON, not cached, and says which method to use', async () => {
  const answer = await handleCliDecision(request('GET', '/cli/plans/plan-abc/decision'), 'plan-abc', deps, []);
  expect(answer).toEqual({ statusCode: 405, headers: { ...noStoreJson, Allow: 'POST' }, body: expect.any(String) });
  expect(JSON.parse(answer.body)).toEqual({ error: expect.stringContaining('POST a decision') });
});

test('an unsigned command-line decision is refused, as an unsigned release is', async () => {
  const answer = await handleCliDecision(request('POST', '/cli/plans/plan-abc/decision'), 'plan-abc', deps, []);
  expect(answer).toEqual(refusal(403, noStoreJson, 'This route takes requests signed with AWS credentials (SigV4)'));
});

test('a Slack click without a configured signing secret is answered with JSON that is not cached', async () => {
  const slack = { signingSecret: async () => undefined, webhookUrl: async () => undefined, approvers: [], post: unused };
  const answer = await handleSlackInteraction(request('POST', '/slack/interactions'), deps, slack);
  expect(answer).toEqual(refusal(404, noStoreJson, 'Slack buttons are not configured (no signing secret)'));
});

test('a Slack request other than POST is answered with JSON naming the method', async () => {
  const slack = { signingSecret: unused, webhookUrl: unused, approvers: [], post: unused };
  const answer = await handleSlackInteraction(request('GET', '/slack/interactions'), deps, slack);
  expect(answer).toEqual(refusal(405, { 'Content-Type': 'application/json', Allow: 'POST' }, 'Use POST'));
});

test('a release request to an unknown path, or unsigned, is refused with JSON that is not cached', async () => {
  const env = { TABLE_NAME: 't', OUTCOME_TOPIC_ARN: 'o', APPROVAL_TOPIC_ARN: 'a', EVENT_BUS_NAME: 'default', EVENT_SOURCE: 'plangate' };
  const release = (method: string, path: string) => releaseRequest(request(method, path), { ...env, SLACK_WEBHOOK_SECRET_ID: undefined });
  expect(await release('POST', '/cli/plans')).toEqual({ statusCode: 404, headers: noStoreJson, body: expect.stringContaining('Nothing at POST') });
  expect(await release('GET', '/cli/plans/plan-abc/release')).toMatchObject({ statusCode: 405, headers: { ...noStoreJson, Allow: 'POST' } });
  expect(await release('POST', '/cli/plans/plan-abc/release')).toMatchObject({ statusCode: 403, headers: noStoreJson });
});
