import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { PLAN_CREATED_ENV, planCreated } from './plan-created';

const env = parseEnvironment(PLAN_CREATED_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => planCreated(event, env));
