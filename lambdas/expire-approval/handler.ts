import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { EXPIRE_APPROVAL_ENV, expireApproval } from './expire-approval';

const env = parseEnvironment(EXPIRE_APPROVAL_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => expireApproval(event, env));
