import { verifiedGroups } from '../shared/adapters/identity-store';
import * as ENV from '../shared/contracts/environment';
import type { Groups } from '../shared/contracts/policies';
import { lambdaHandler } from '../shared/runtime/handler';
import { type Eligibility, EXECUTE_PLAN_ENV, executePlan } from './execute-plan';

const env = ENV.parseEnvironment(EXECUTE_PLAN_ENV, process.env);
// A windowed run's approvers are checked against the deployment's approvers and groups (issue 23).
const { APPROVERS, GROUPS, IDENTITY_STORE_ID } = ENV.parseEnvironment(
  { APPROVERS: ENV.APPROVERS, GROUPS: ENV.GROUPS, IDENTITY_STORE_ID: ENV.IDENTITY_STORE_ID },
  process.env,
);
const groups: Groups = GROUPS ?? {};
const eligibility: Eligibility = {
  approvers: APPROVERS,
  verifiedGroups: (email, names) =>
    verifiedGroups(email, Object.fromEntries(names.flatMap((n) => (groups[n] ? [[n, groups[n]]] : []))), IDENTITY_STORE_ID),
};

export const handler = lambdaHandler((event: unknown) => executePlan(event, env, eligibility));
