import type { Context } from 'aws-lambda';
import { lambdaHandler } from '../../lambdas/shared/runtime/handler';
import { logger } from '../../lambdas/shared/runtime/logger';

/** PlanGate's logger writes Powertools Logger's line shape, so log queries and metric filters read old and new lines alike. */
const lines: string[] = [];
let restore: () => void;
beforeEach(() => {
  lines.length = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => (chunk.startsWith('{"level"') ? lines.push(chunk) > 0 : write(chunk))) as typeof process.stdout.write;
  restore = () => {
    process.stdout.write = write;
  };
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});
afterEach(() => {
  restore();
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});
const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
const context = (requestId: string) =>
  ({
    awsRequestId: requestId,
    functionName: 'PlanGate-ReviewPlan',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
    memoryLimitInMB: '512',
  }) as Context;

test('a line per entry: level, message, timestamp, service, the Lambda context, then the run’s keys and the entry’s own', async () => {
  const handler = lambdaHandler(async (event: { planId: string }) => {
    logger.info('Plan reviewed', { risk: 'HIGH' });
    return event.planId;
  });
  await handler({ planId: 'plan-abc' }, context('req-1'));
  await handler({ planId: 'plan-def' }, context('req-2'));
  const [first, second] = parsed();
  expect(Object.keys(first!).slice(0, 4)).toEqual(['level', 'message', 'timestamp', 'service']);
  expect(first).toMatchObject({
    level: 'INFO',
    message: 'Plan reviewed',
    cold_start: true,
    function_name: 'PlanGate-ReviewPlan',
    function_request_id: 'req-1',
    function_memory_size: 512,
    planId: 'plan-abc',
    risk: 'HIGH',
  });
  // The next invocation keeps none of the last one's keys, and is no cold start.
  expect(second).toMatchObject({ cold_start: false, function_request_id: 'req-2', planId: 'plan-def' });
});

test('errors are written with name, message and stack; a cycle or a bigint never makes logging throw', () => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  logger.error('Handler failed', { error: new TypeError('bad plan', { cause: new Error('root') }), cyclic, big: 10n });
  const [line] = parsed();
  expect(line).toMatchObject({
    level: 'ERROR',
    error: { name: 'TypeError', message: 'bad plan', stack: expect.stringContaining('TypeError: bad plan'), cause: { message: 'root' } },
    cyclic: { name: 'loop', self: '[Circular]' },
    big: '10',
  });
});

test('POWERTOOLS_LOG_LEVEL keeps lines below it out: WARN drops INFO, SILENT drops all', () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  logger.info('not written');
  logger.warn('written');
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  logger.error('not written either');
  expect(parsed().map((l) => l.message)).toEqual(['written']);
});
