import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { AUTO_APPROVE_ENV, type AutoApproveEnv, autoApprove, EMERGENCY_ENV } from './auto-approve';

const env: AutoApproveEnv = {
  ...parseEnvironment(AUTO_APPROVE_ENV, process.env),
  ...(process.env.EMERGENCY_NOTIFY ? parseEnvironment(EMERGENCY_ENV, process.env) : {}),
};

export const handler = lambdaHandler((event: unknown) => autoApprove(event, env));
