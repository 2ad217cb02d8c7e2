import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { AWAIT_RECORD_ENV, awaitRecord } from './await-record';

const env = parseEnvironment(AWAIT_RECORD_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => awaitRecord(event, env));
