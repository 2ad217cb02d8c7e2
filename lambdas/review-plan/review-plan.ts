import { ApprovalStore } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { serviceCatalogAt } from '../shared/adapters/clients/service-catalog';
import { describePlan, productNames } from '../shared/adapters/plans';
import { readSsmCalendars } from '../shared/adapters/ssm-calendars';
import {
  APPROVAL_POLICY,
  APPROVAL_RULES,
  APPROVERS,
  AWS_REGION,
  CHANGE_CALENDAR,
  DEFAULT_ACCEPT_LANGUAGE,
  DENIED_RESOURCE_TYPES,
  type EnvironmentOf,
  GROUPS,
  SENSITIVE_RESOURCE_TYPES,
  SPOKES,
  TABLE_NAME,
} from '../shared/contracts/environment';
import { InvalidInputError, InvalidPlanInputError, PlanDeniedError, PlanNotReadyError } from '../shared/contracts/errors';
import { METRIC } from '../shared/contracts/metrics';
import { notAnObject, parseInput } from '../shared/contracts/parse-input';
import { planIdSchema, type ReviewResult, runInputOf, startInputSchemaFor } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { calendarAt } from '../shared/domain/calendar-check';
import { emergencyOf } from '../shared/domain/emergency';
import { hubLocation, resolveLocation, scopedId } from '../shared/domain/plan-location';
import { summarizeChanges } from '../shared/domain/plan-summary';
import { changesDigest, matchesType } from '../shared/domain/risk';
import { approvalPolicy, type PolicyContext, UnreachableQuorum } from '../shared/domain/rules';
import { fitList, STATE_BUDGET, withinBudget } from '../shared/domain/state-budget';
import { logger } from '../shared/runtime/logger';
import { count } from '../shared/runtime/metrics';
import { isTransient } from '../shared/runtime/transient';

export const REVIEW_PLAN_ENV = {
  TABLE_NAME,
  APPROVERS,
  APPROVAL_RULES,
  DEFAULT_ACCEPT_LANGUAGE,
  SENSITIVE_RESOURCE_TYPES,
  DENIED_RESOURCE_TYPES,
  GROUPS,
  APPROVAL_POLICY,
  CHANGE_CALENDAR,
  SPOKES,
  AWS_REGION,
};
export type ReviewPlanEnv = EnvironmentOf<typeof REVIEW_PLAN_ENV>;

const eventSchemaFor = (event: unknown) =>
  z.object({ input: startInputSchemaFor((event as { input?: unknown } | null)?.input), executionArn: z.optional(z.string()) });

/**
 * The run's request, as the state machine passes it from the execution's input (it is not kept in the run's state),
 * and where its plan is: outside the allow-list is refused here, before anything is called there.
 */
function parseRequest(event: unknown, env: ReviewPlanEnv) {
  const notObject = notAnObject((event as { input?: unknown } | null)?.input);
  if (notObject) throw new InvalidInputError(notObject);
  try {
    const { input: start, executionArn = '' } = parseInput(eventSchemaFor(event), event);
    const input = runInputOf(start);
    const hub = hubLocation(executionArn, env.SPOKES, env.AWS_REGION);
    return { input, executionArn, hub, location: resolveLocation(input, hub, env.SPOKES) };
  } catch (error) {
    const planId = (event as { input?: { planId?: unknown } } | null)?.input?.planId;
    if (error instanceof InvalidInputError && z.safeParse(planIdSchema, planId).success) throw new InvalidPlanInputError(error.message);
    throw error;
  }
}

/** The state machine passes how often the plan was checked before: none on a run's first review. */
const isFirstReview = (event: unknown) => (event as { planChecks?: unknown } | null)?.planChecks === 0;

/**
 * Reviews the plan a run was started for: validates the run input, then reports the plan's status and,
 * once it is CREATE_SUCCESS, a summary of all its resource changes. A plan still being created is
 * reported as such (the state machine waits and asks again); any other status ends the run.
 */
export async function reviewPlan(event: unknown, env: ReviewPlanEnv): Promise<ReviewResult> {
  const first = isFirstReview(event);
  try {
    const result = await review(event, env);
    if (first) count(METRIC.RunsStarted);
    return result;
  } catch (error) {
    // Bad input and a missing plan are runs that started too; a transient error is counted by the retry that follows.
    if (first && !isTransient(error)) count(METRIC.RunsStarted);
    throw error;
  }
}

async function review(event: unknown, env: ReviewPlanEnv): Promise<ReviewResult> {
  const { input, executionArn, hub, location } = parseRequest(event, env);
  const acceptLanguage = input.acceptLanguage ?? env.DEFAULT_ACCEPT_LANGUAGE;
  const client = await serviceCatalogAt(location, hub, executionArn);
  const described = await describePlan(client, input.planId, acceptLanguage);
  const { resourceChanges } = described;
  const plan = { ...described.plan, ...(await productNames(client, described.plan, acceptLanguage)) };
  logger.info('Plan described', { planId: plan.planId, status: plan.status, changes: resourceChanges.length, accountId: location?.accountId });

  const result: ReviewResult = {
    planId: input.planId,
    ...(location && { accountId: location.accountId, region: location.region, accountName: location.accountName }),
    acceptLanguage,
    requestedBy: input.requestedBy,
    ...(input.executeWindow ? { executeWindow: input.executeWindow } : {}),
    planStatus: plan.status,
    plan,
    reviewedAt: new Date().toISOString(),
  };
  if (plan.status === 'CREATE_IN_PROGRESS') return result;
  if (plan.status !== 'CREATE_SUCCESS') {
    const reason = plan.statusMessage ? `: ${plan.statusMessage}` : '';
    throw new PlanNotReadyError(`Plan ${plan.planId} is ${plan.status}, not CREATE_SUCCESS${reason}`);
  }
  const types = resourceChanges.map((c) => c.ResourceType ?? '');
  const denied = [...new Set(types.filter((type) => env.DENIED_RESOURCE_TYPES.some((p) => matchesType(p, type))))];
  if (denied.length) {
    throw new PlanDeniedError(`Plan ${plan.planId} is denied by rule: it changes ${denied.join(', ')}, which plangate:deniedResourceTypes forbids`);
  }
  const summary = summarizeChanges(resourceChanges, env.SENSITIVE_RESOURCE_TYPES);
  // Who created the plan, if CloudTrail's record of it has arrived: the requester no run input can name otherwise.
  const creator = await new ApprovalStore(dynamo, env.TABLE_NAME).getCreator(scopedId(plan.planId, location, hub));
  // Refused as DENIED, not INVALID_INPUT: the input is well-formed, and the policy does not let this requester skip the calendar.
  const emergency = emergencyOf(input, env.CHANGE_CALENDAR, creator);
  if (emergency && 'refused' in emergency) throw new PlanDeniedError(`Plan ${plan.planId} was refused: ${emergency.refused}`);
  const now = new Date();
  const calendar =
    env.CHANGE_CALENDAR &&
    calendarAt(
      env.CHANGE_CALENDAR,
      now,
      { risk: summary.risk, resourceTypes: types, accountId: location?.accountId, region: location?.region },
      await readSsmCalendars(env.CHANGE_CALENDAR.ssmCalendars, now),
    );
  // Emergency changes skip the calendar, so they need no freeze approval either.
  const freezeApprovers = env.CHANGE_CALENDAR?.onClosed === 'require-freeze-approval' && !emergency && env.CHANGE_CALENDAR.freezeApprovers;
  const freeze =
    calendar && !calendar.open && freezeApprovers ? { ...freezeApprovers, because: calendar.reason ?? 'the change calendar is closed' } : undefined;
  const context: PolicyContext | undefined = env.APPROVAL_POLICY && {
    policy: env.APPROVAL_POLICY,
    groups: env.GROUPS ?? {},
    changes: resourceChanges,
    location: location && { accountId: location.accountId, region: location.region, environment: location.environment },
    ...(freeze ? { freeze } : {}),
  };
  const policy = approvalPolicy(summary.risk, env.APPROVAL_RULES, env.APPROVERS, input.requestedBy, creator, context);
  if (policy instanceof UnreachableQuorum) throw new PlanDeniedError(`Plan ${plan.planId} cannot be approved: ${policy.reason}`);
  const reviewed = {
    ...result,
    creator,
    changesDigest: changesDigest(resourceChanges),
    policy,
    ...(calendar ? { calendar } : {}),
    ...(emergency ? { emergency } : {}),
  };
  // The riskiest changes that fit the review's share of the run's state; the rest are counted (the plan has them all).
  const fitted = fitList(summary.changes, STATE_BUDGET.review, (changes, dropped) => ({
    ...reviewed,
    summary: { ...summary, changes, unlisted: summary.unlisted + dropped },
  }));
  return withinBudget('review', fitted);
}
