import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { EXECUTE_PLAN_ENV, executePlan } from './execute-plan';

const env = parseEnvironment(EXECUTE_PLAN_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => executePlan(event, env));
