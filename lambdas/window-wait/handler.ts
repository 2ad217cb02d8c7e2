import { dynamo } from '../shared/adapters/clients/dynamodb';
import { WindowStore } from '../shared/adapters/window-store';
import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { WINDOW_WAIT_ENV, windowWait } from './window-wait';

const env = parseEnvironment(WINDOW_WAIT_ENV, process.env);
const store = new WindowStore(dynamo, env.TABLE_NAME);

export const handler = lambdaHandler((event: unknown) => windowWait(event, { store, now: () => new Date() }));
