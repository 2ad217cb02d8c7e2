import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { REVIEW_PLAN_ENV, reviewPlan } from './review-plan';

const env = parseEnvironment(REVIEW_PLAN_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => reviewPlan(event, env));
