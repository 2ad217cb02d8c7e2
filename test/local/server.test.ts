import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalMode, startLocalMode } from '../../local/server';
import { ordersServicePlan } from '../fixtures/plans';

/**
 * Local mode's process: the handlers' environment is their own, and only what the AWS SDK must read from the process
 * (its Region, credentials and endpoints) is set there, and given back at close.
 */
const SDK_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_EVENTBRIDGE',
  'AWS_ENDPOINT_URL_IDENTITYSTORE', // group membership checked when a vote is cast
  'AWS_ENDPOINT_URL_KMS', // the evidence key's Sign, Verify and GetPublicKey
  'AWS_ENDPOINT_URL_S3', // the evidence bucket
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SERVICE_CATALOG',
  'AWS_ENDPOINT_URL_SFN',
  'AWS_ENDPOINT_URL_SNS',
  'AWS_ENDPOINT_URL_SSM',
  'AWS_ENDPOINT_URL_STS', // AssumeRole into the spoke roles
  'AWS_LAMBDA_MAX_CONCURRENCY', // the invoke store's (local/invoke-store.ts), which the SDK asks for on every request
  'AWS_REGION',
  'AWS_SECRET_ACCESS_KEY',
];
const changedSince = (before: NodeJS.ProcessEnv) =>
  [...new Set([...Object.keys(before), ...Object.keys(process.env)])].filter((name) => before[name] !== process.env[name]).sort();

let local: LocalMode;
let before: NodeJS.ProcessEnv;
beforeAll(async () => {
  before = { ...process.env };
  local = await startLocalMode({ pollWaitMs: 50 });
}, 120_000);
afterAll(() => local.close());

test('the functions’ variables stay out of the process environment; the handlers still see theirs', async () => {
  expect(changedSince(before)).toEqual(SDK_VARIABLES);
  expect(process.env.TABLE_NAME).toBeUndefined();
  expect(process.env.APPROVAL_BASE_URL).toBeUndefined();
  // The test setup turns metrics off for the process; the handlers' own environment turns them on.
  expect(process.env.POWERTOOLS_METRICS_DISABLED).toBe('true');

  const run = local.stepFunctions.startExecution({ planId: 'plan-demoorders0001' });
  let link: string | undefined;
  for (let i = 0; i < 300 && !link; i++) {
    link = local.outbox.list().find((e) => e.channel === 'email' && e.body.includes('plan-demoorders0001'))?.urls[0];
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(link?.startsWith(`${local.baseUrl}/approvals/`)).toBe(true);
  const metrics = (await (await fetch(`${local.baseUrl}/local/metrics`)).json()) as { metrics: { name: string }[] };
  expect(metrics.metrics.map((m) => m.name)).toContain('RunsStarted');
  local.stepFunctions.stopExecution(run.executionArn, 'Test', 'done');
  await run.finished;
}, 60_000);

describe('limits, as AWS sets them', () => {
  test('SendTaskSuccess refuses an output over 256 KiB with InvalidOutput, and the task still waits', async () => {
    await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(ordersServicePlan('plan-limits000001')) });
    const run = local.stepFunctions.startExecution({ planId: 'plan-limits000001' });
    const audit = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: local.baseUrl }));
    let token: string | undefined;
    for (let i = 0; i < 300 && !token; i++) {
      token = (await audit.send(new GetCommand({ TableName: local.approvalTable, Key: { pk: 'PLAN#plan-limits000001' } }))).Item?.taskToken;
      if (!token) await new Promise((r) => setTimeout(r, 20));
    }
    audit.destroy();
    const answer = await fetch(local.baseUrl, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSStepFunctions.SendTaskSuccess', 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ taskToken: token, output: JSON.stringify({ padding: 'x'.repeat(300_000) }) }),
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ __type: 'InvalidOutput' });
    expect(run.status).toBe('RUNNING');
    local.stepFunctions.stopExecution(run.executionArn, 'Test', 'done');
    await run.finished;
  }, 60_000);

  test('a run input nested 5,000 deep is refused with InvalidExecutionInput, and local mode keeps running', async () => {
    const input = `{"planId":"plan-demodashbrd001","extra":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const answer = await fetch(local.baseUrl, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSStepFunctions.StartExecution', 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ stateMachineArn: local.stepFunctions.stateMachineArn, input }),
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ __type: 'InvalidExecutionInput' });
    expect(local.stepFunctions.listExecutions().some((e) => e.inputText === input)).toBe(false);
    expect((await fetch(`${local.baseUrl}/local/outbox`)).status).toBe(200);
  });

  test('a plan body over the limit gets 413, as any other request body', async () => {
    const answer = await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify({ padding: 'x'.repeat(1_500_000) }) });
    expect(answer.status).toBe(413);
  });
});

test('close gives the AWS SDK’s variables back', async () => {
  await local.close();
  expect(changedSince(before)).toEqual(before.AWS_LAMBDA_MAX_CONCURRENCY === undefined ? ['AWS_LAMBDA_MAX_CONCURRENCY'] : []);
});
