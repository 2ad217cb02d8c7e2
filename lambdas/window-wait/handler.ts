import { dynamo } from '../shared/adapters/clients/dynamodb';
import { WindowStore } from '../shared/adapters/window-store';
import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { WINDOW_WAIT_ENV, windowWait } from './window-wait';

const env = parseEnvironment(WINDOW_WAIT_ENV, process.env);
const deps = { store: new WindowStore(dynamo, env.TABLE_NAME), now: () => new Date() };

export const handler = lambdaHandler((event: unknown) => windowWait(event, deps));
