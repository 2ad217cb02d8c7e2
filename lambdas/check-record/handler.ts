import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { CHECK_RECORD_ENV, checkRecord } from './check-record';

const env = parseEnvironment(CHECK_RECORD_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => checkRecord(event, env));
