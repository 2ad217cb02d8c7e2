import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { NOTIFY_ENV, notify } from './notify';

const env = parseEnvironment(NOTIFY_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => notify(event, env));
