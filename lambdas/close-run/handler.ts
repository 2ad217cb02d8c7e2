import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { CLOSE_RUN_ENV, closeRunFunction } from './close-run';

const env = parseEnvironment(CLOSE_RUN_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => closeRunFunction(event, env));
