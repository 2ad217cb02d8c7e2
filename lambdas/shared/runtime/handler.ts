import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ExpectedError, TransientError } from '../contracts/errors';
import { logger } from './logger';
import { countExpectedError, metrics } from './metrics';
import { addRunKeys, runKeysOf } from './run-keys';
import { tracer } from './tracer';
import { classifyAwsError } from './transient';

/**
 * Wraps a handler's logic with the middleware every PlanGate function shares: the X-Ray handler subsegment (neither
 * the event nor the response, either may carry a task token; runtime/tracer.ts), the invocation's metrics published when
 * it ends, Lambda context and the run's keys (planId, executionArn) on every log line, and transient AWS errors
 * renamed so the state machine retries them.
 *
 * `retried: false` is for a function nothing retries (WatchRuns): its transient errors are failures the error alarm
 * must see, not expected endings.
 */
export function lambdaHandler<TEvent, TResult>(logic: (event: TEvent, context: Context) => Promise<TResult>, { retried = true } = {}) {
  return middy((event: TEvent, context: Context) => tracer.captureInvocation(() => handle(event, context)))
    .use(publishMetrics)
    .before((request) => logger.startInvocation(request.context));

  async function handle(event: TEvent, context: Context): Promise<TResult> {
    addRunKeys(runKeysOf(event));
    try {
      return await logic(event, context);
    } catch (error) {
      const classified = classifyAwsError(error);
      if (classified instanceof ExpectedError && (retried || !(classified instanceof TransientError))) {
        logger.warn('Handler stopped', { error: classified });
        // Lambda counts it as an error; the error alarms subtract these (lib/monitoring.ts).
        if (context?.functionName) countExpectedError(context.functionName);
      } else {
        logger.error('Handler failed', { error: classified as Error });
      }
      throw withinErrorBudget(classified);
    }
  }
}

/** Publishes the invocation's metrics when it ends, whichever way (middy runs onError instead of after on a throw). */
const publishMetrics = {
  after: () => metrics.publishStoredMetrics(),
  onError: () => metrics.publishStoredMetrics(),
};

/** Characters of an error's message, and stack frames, that Lambda passes on to the state machine (its Catch's Cause). */
const MAX_ERROR_MESSAGE = 1_000;
const MAX_STACK_FRAMES = 5;

/**
 * The error as Lambda reports it to Step Functions (name, message, stack lines) within the error's share of the run's
 * state: a long message (an AWS error quoting a template, say) is clipped, and so is the stack. The logs have it whole.
 */
function withinErrorBudget(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  error.message = shorten(error.message, MAX_ERROR_MESSAGE);
  // The stack's first line would repeat the message, which Lambda reports on its own already.
  error.stack = [error.name, ...frames.slice(0, MAX_STACK_FRAMES).map((f) => shorten(f, 160))].join('\n');
  return error;
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
