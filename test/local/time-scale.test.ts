import type { FunctionName } from '../../lib/functions';
import { type LambdaHandler, LocalStepFunctions } from '../../local/step-functions';
import type { LocalWorkflow } from '../../local/template';

/**
 * A time scale shortens what AWS would wait, not what a handler takes: at 0.01 a Lambda task's 5-minute timeout would
 * be 3 real seconds, less than a handler needs on a busy machine. The task then failed while its handler went on, and
 * the run sent the handler's message and its failure's too. A Lambda task's timeout keeps a floor in real seconds.
 */
const NOTIFY = 'arn:aws:lambda:eu-west-1:000000000000:function:notify';
const FAILED = 'arn:aws:lambda:eu-west-1:000000000000:function:failed';

function machine(timeScale: number, notify: LambdaHandler) {
  const workflow = {
    definition: {
      StartAt: 'Notify',
      States: {
        Notify: {
          Type: 'Task',
          Resource: NOTIFY,
          TimeoutSeconds: 300,
          ResultPath: '$.sent',
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Notify failure' }],
          End: true,
        },
        'Notify failure': { Type: 'Task', Resource: FAILED, End: true },
      },
    },
    stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:scale',
    functionsByArn: new Map<string, FunctionName>([
      [NOTIFY, 'Notify'],
      [FAILED, 'CloseRun'],
    ]),
  } as unknown as LocalWorkflow;
  const messages: string[] = [];
  const failed: LambdaHandler = async () => {
    messages.push('the run failed');
    return {};
  };
  const handlers = { Notify: notify, CloseRun: failed } as unknown as Record<FunctionName, LambdaHandler>;
  return { stepFunctions: new LocalStepFunctions(workflow, handlers, { timeScale }), messages };
}

test('a handler slower than its scaled task timeout still ends its task: one message, and the run succeeds', async () => {
  // 5 minutes at 0.0001 is 30 ms; the handler takes 300 ms, as one does under load.
  const { stepFunctions, messages } = machine(0.0001, async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    messages.push('approved');
    return { sent: true };
  });
  const run = await stepFunctions.startExecution({}).finished;
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toMatchObject({ sent: { sent: true } });
  expect(messages).toEqual(['approved']);
});

test('a handler that fails still fails its task at once, whatever the floor', async () => {
  const { stepFunctions, messages } = machine(0.0001, async () => {
    throw new Error('Slack is down');
  });
  const started = Date.now();
  const run = await stepFunctions.startExecution({}).finished;
  expect(run.status).toBe('SUCCEEDED');
  expect(messages).toEqual(['the run failed']);
  expect(Date.now() - started).toBeLessThan(5_000);
});
