import { dynamo } from '../shared/adapters/clients/dynamodb';
import { WindowStore } from '../shared/adapters/window-store';
import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { isApiRequest, type WindowActionDeps, windowRequest } from './window-actions';
import { WINDOW_WAIT_ENV, windowWait } from './window-wait';

const env = parseEnvironment(WINDOW_WAIT_ENV, process.env);
const store = new WindowStore(dynamo, env.TABLE_NAME);

/** The approval API's window routes; the Step Functions client is loaded on first use (the waits never need it). */
const actions: WindowActionDeps = {
  windowStore: store,
  completeWindow: async (taskToken, output) => {
    const { stepFunctions, SendTaskSuccessCommand } = await import('../shared/adapters/clients/step-functions');
    await stepFunctions.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  },
  cancelWindow: async (taskToken, cause) => {
    const { stepFunctions, SendTaskFailureCommand } = await import('../shared/adapters/clients/step-functions');
    await stepFunctions.send(new SendTaskFailureCommand({ taskToken, error: 'RunCancelledError', cause }));
  },
  operators: env.WINDOW_OPERATORS,
  now: () => new Date(),
};

export const handler = lambdaHandler(
  async (event: unknown): Promise<unknown> =>
    isApiRequest(event) ? windowRequest(event, actions, env.APPROVERS) : windowWait(event, { store, now: () => new Date() }),
);
