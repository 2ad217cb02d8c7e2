import { logger } from './logger';
import { tracer } from './tracer';

export interface RunKeys {
  planId?: string;
  /** Where a spoke's plan is: plan ids are unique only within an account and Region. */
  accountId?: string;
  region?: string;
  executionArn?: string;
}

/**
 * Puts the run's keys on every later log line of this invocation (cleared when it ends), and the plan on the trace
 * as an annotation, so a plan's traces can be searched for. Logic that learns them later (the approval API, from a
 * link) calls it too.
 */
export function addRunKeys(keys: RunKeys) {
  const defined = Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined));
  if (!Object.keys(defined).length) return;
  logger.appendKeys(defined);
  if (keys.planId) tracer.putAnnotation('planId', keys.planId);
}

const PLAN_ID = /^[A-Za-z0-9_-]{1,100}$/;
const asPlanId = (value: unknown) => (typeof value === 'string' && PLAN_ID.test(value) ? value : undefined);
const asAccountId = (value: unknown) => (typeof value === 'string' && /^\d{12}$/.test(value) ? value : undefined);
const asRegion = (value: unknown) => (typeof value === 'string' && /^[a-z]{2}(-[a-z]+)+-\d$/.test(value) ? value : undefined);
const asExecutionArn = (value: unknown) => (typeof value === 'string' && value.startsWith('arn:') && value.length <= 2048 ? value : undefined);

/** The plan and run an event is about, wherever the step's input carries them; only well-formed values. */
export function runKeysOf(event: unknown): RunKeys {
  if (typeof event !== 'object' || event === null) return {};
  const e = event as Record<string, Record<string, unknown> | undefined>;
  return {
    planId:
      asPlanId(e.planId) ??
      asPlanId(e.input?.planId) ??
      asPlanId((e.input?.request as Record<string, unknown> | undefined)?.planId) ??
      asPlanId(e.review?.planId),
    accountId: asAccountId(e.accountId) ?? asAccountId(e.input?.accountId) ?? asAccountId(e.review?.accountId),
    region: asRegion(e.region) ?? asRegion(e.input?.region) ?? asRegion(e.review?.region),
    executionArn: asExecutionArn(e.executionArn) ?? asExecutionArn(e.run?.executionArn) ?? asExecutionArn(e.detail?.executionArn),
  };
}
