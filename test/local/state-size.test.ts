import type { FunctionName } from '../../lib/functions';
import { type LambdaHandler, LocalStepFunctions, MAX_PAYLOAD_BYTES } from '../../local/step-functions';
import type { LocalWorkflow } from '../../local/template';

/**
 * Step Functions limits every state's input and output, not only a task's result: two results under the limit each can
 * make a state over it, and then the execution fails with States.DataLimitExceeded, which no Catch takes. Local mode
 * must fail the same way, or a run that AWS would fail passes here.
 */
const FIRST = 'arn:aws:lambda:eu-west-1:000000000000:function:first';
const SECOND = 'arn:aws:lambda:eu-west-1:000000000000:function:second';
const CAUGHT = 'arn:aws:lambda:eu-west-1:000000000000:function:caught';

const task = (resource: string, resultPath: string, next: string) => ({
  Type: 'Task',
  Resource: resource,
  ResultPath: resultPath,
  Next: next,
  Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
});

function machine(resultBytes: number) {
  const workflow = {
    definition: {
      StartAt: 'First',
      States: {
        First: task(FIRST, '$.first', 'Second'),
        Second: task(SECOND, '$.second', 'Done'),
        Caught: { Type: 'Task', Resource: CAUGHT, End: true },
        Done: { Type: 'Succeed' },
      },
    },
    stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:size',
    functionsByArn: new Map<string, FunctionName>([
      [FIRST, 'ReviewPlan'],
      [SECOND, 'CheckRecord'],
      [CAUGHT, 'Notify'],
    ]),
  } as unknown as LocalWorkflow;
  const caught = jest.fn(async () => ({}));
  const result: LambdaHandler = async () => ({ text: 'x'.repeat(resultBytes) });
  const handlers = { ReviewPlan: result, CheckRecord: result, Notify: caught } as unknown as Record<FunctionName, LambdaHandler>;
  return { stepFunctions: new LocalStepFunctions(workflow, handlers), caught };
}

test('two results that each fit but together do not fail the execution with States.DataLimitExceeded, past every Catch', async () => {
  const { stepFunctions, caught } = machine(Math.floor(MAX_PAYLOAD_BYTES * 0.6));
  const ended = await stepFunctions.startExecution({}).finished;
  expect(ended).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringContaining('Second') });
  expect(caught).not.toHaveBeenCalled();
});

test('a result over the limit by itself fails the execution too, and no Catch runs', async () => {
  const { stepFunctions, caught } = machine(MAX_PAYLOAD_BYTES + 1);
  const ended = await stepFunctions.startExecution({}).finished;
  expect(ended).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  expect(caught).not.toHaveBeenCalled();
});

test('results that fit together run to the end', async () => {
  const { stepFunctions } = machine(Math.floor(MAX_PAYLOAD_BYTES * 0.4));
  expect(await stepFunctions.startExecution({}).finished).toMatchObject({ status: 'SUCCEEDED' });
});
