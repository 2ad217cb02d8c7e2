import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { REQUEST_APPROVAL_ENV, requestApproval } from './request-approval';

const env = parseEnvironment(REQUEST_APPROVAL_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => requestApproval(event, env));
