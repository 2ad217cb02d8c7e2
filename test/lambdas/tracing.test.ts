import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';

/*
 * X-Ray, as in Lambda: the environment Lambda gives a traced function, and a UDP socket standing in for the X-Ray
 * daemon, which receives every subsegment the function sends.
 */

let daemon: Socket;
let stepFunctionsApi: Server;
const received: string[] = [];
beforeAll(async () => {
  // Step Functions, answering SendTaskSuccess for a task that has ended as it does.
  stepFunctionsApi = createServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(
      JSON.stringify({
        __type: 'com.amazonaws.swf.service.v2.model#TaskTimedOut',
        message: "Task Timed Out: 'Provided task does not exist anymore'",
      }),
    );
  });
  await new Promise<void>((resolve) => stepFunctionsApi.listen(0, '127.0.0.1', resolve));
  daemon = createSocket('udp4');
  daemon.on('message', (message) => received.push(message.toString('utf8')));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: '/var/task',
    _HANDLER: 'index.handler',
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${(stepFunctionsApi.address() as AddressInfo).port}`,
  });
});
afterAll(() => {
  daemon.close();
  stepFunctionsApi.close();
});

beforeEach(() => {
  received.length = 0;
});

const segments = async () => {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return received.flatMap((packet) => packet.split('\n').slice(1)).map((json) => JSON.parse(json) as Record<string, unknown>);
};

test('each invocation is a handler subsegment, annotated with the plan, without the event or the response', async () => {
  const { lambdaHandler } = await import('../../lambdas/shared/runtime/handler');
  const handler = lambdaHandler(async () => ({ taskToken: 'SECRET-RESPONSE-TOKEN', decision: 'APPROVED' }));
  const event = { taskToken: 'SECRET-EVENT-TOKEN', executionArn: 'arn:aws:states:us-east-1:1:execution:sm:run-1', review: { planId: 'plan-abc' } };
  await handler(event, { functionName: 'PlanGate-RequestApproval', awsRequestId: 'r' } as Context);
  const sent = await segments();
  expect(sent).toEqual([
    expect.objectContaining({
      name: '## index.handler',
      annotations: { ColdStart: expect.any(Boolean), Service: 'plangate', planId: 'plan-abc' },
      trace_id: '1-5759e988-bd862e3fe1be46a994272793',
    }),
  ]);
  expect(sent[0]).not.toHaveProperty('metadata');
  expect(JSON.stringify(sent)).not.toMatch(/SECRET/);
});

test('every SDK client is traced; plain HTTP(S) (Slack’s secret webhook URL) is not', async () => {
  const { SDK_MIDDLEWARE_NAME } = await import('../../lambdas/shared/runtime/tracer');
  const clients = [
    (await import('../../lambdas/shared/adapters/clients/dynamodb')).dynamo,
    (await import('../../lambdas/shared/adapters/clients/eventbridge')).eventBridge,
    (await import('../../lambdas/shared/adapters/clients/service-catalog')).serviceCatalog,
    (await import('../../lambdas/shared/adapters/clients/sns')).sns,
    (await import('../../lambdas/shared/adapters/clients/step-functions')).stepFunctions,
    (await import('../../lambdas/shared/adapters/clients/secrets-manager')).secretsManager,
    (await import('../../lambdas/shared/adapters/clients/sts')).sts,
  ];
  for (const client of clients) expect(client.middlewareStack.identify()).toContain(`${SDK_MIDDLEWARE_NAME} - build`);
  const { lambdaHandler } = await import('../../lambdas/shared/runtime/handler');
  const { port } = stepFunctionsApi.address() as AddressInfo;
  const handler = lambdaHandler(async () => (await fetch(`http://127.0.0.1:${port}/SECRET-WEBHOOK-PATH`)).status);
  await handler({}, { functionName: 'PlanGate-Notify', awsRequestId: 'r' } as Context);
  const sent = await segments();
  expect(sent.map((segment) => segment.name)).toEqual(['## index.handler']);
  expect(JSON.stringify(sent)).not.toMatch(/SECRET/);
});

test('an SDK call is a subsegment naming the service and operation, without its parameters (a task token)', async () => {
  const { lambdaHandler } = await import('../../lambdas/shared/runtime/handler');
  const { stepFunctions } = await import('../../lambdas/shared/adapters/clients/step-functions');
  const handler = lambdaHandler(async () => {
    await stepFunctions.send(new SendTaskSuccessCommand({ taskToken: 'SECRET-SDK-TOKEN', output: '{}' })).catch((error: Error) => error.name);
  });
  await handler({}, { functionName: 'PlanGate-ApprovalApi', awsRequestId: 'r' } as Context);
  const sent = await segments();
  const handlerSegment = sent.find((segment) => segment.name === '## index.handler');
  expect(sent).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        name: 'SFN',
        namespace: 'aws',
        parent_id: handlerSegment?.id,
        trace_id: '1-5759e988-bd862e3fe1be46a994272793',
        aws: expect.objectContaining({ operation: 'SendTaskSuccess', region: 'us-east-1', retries: 0 }),
        http: { response: { status: 400 } },
        error: true,
        cause: { exceptions: [expect.objectContaining({ type: 'TaskTimedOut', remote: true })] },
      }),
    ]),
  );
  expect(JSON.stringify(sent)).not.toMatch(/SECRET/);
});

test('an invocation Lambda does not sample sends nothing', async () => {
  const { lambdaHandler } = await import('../../lambdas/shared/runtime/handler');
  const header = process.env._X_AMZN_TRACE_ID;
  process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0';
  try {
    await lambdaHandler(async () => 'done')({ planId: 'plan-abc' }, { functionName: 'PlanGate-Notify', awsRequestId: 'r' } as Context);
  } finally {
    process.env._X_AMZN_TRACE_ID = header;
  }
  expect(await segments()).toEqual([]);
});

test('a failed invocation is a fault naming the error, without its stack', async () => {
  const { lambdaHandler } = await import('../../lambdas/shared/runtime/handler');
  const handler = lambdaHandler(async () => {
    throw new RangeError('plan plan-abc is out of range');
  });
  await expect(handler({}, { functionName: 'PlanGate-Notify', awsRequestId: 'r' } as Context)).rejects.toThrow(RangeError);
  const [segment] = await segments();
  expect(segment).toMatchObject({
    name: '## index.handler',
    fault: true,
    cause: { exceptions: [{ type: 'RangeError', message: 'plan plan-abc is out of range' }] },
  });
  expect(JSON.stringify(segment)).not.toMatch(/tracing\.test|\bat /);
});
