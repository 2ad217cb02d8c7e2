import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { AUTO_APPROVE_ENV, autoApprove } from './auto-approve';

const env = parseEnvironment(AUTO_APPROVE_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => autoApprove(event, env));
