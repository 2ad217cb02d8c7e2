import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ExpectedError, TransientError } from '../contracts/errors';
import { logger } from './logger';
import { countExpectedError, metrics } from './metrics';
import { addRunKeys, runKeysOf } from './run-keys';
import { tracer } from './tracer';
import { classifyAwsError } from './transient';

/**
 * Wraps a handler's logic with the middleware every PlanGate function shares: the X-Ray handler subsegment (without
 * the response, which may carry a task token; the event is never captured), the invocation's metrics published when
 * it ends, Lambda context and the run's keys (planId, executionArn) on every log line, and transient AWS errors
 * renamed so the state machine retries them.
 *
 * `retried: false` is for a function nothing retries (WatchRuns): its transient errors are failures the error alarm
 * must see, not expected endings.
 */
export function lambdaHandler<TEvent, TResult>(logic: (event: TEvent, context: Context) => Promise<TResult>, { retried = true } = {}) {
  return middy(async (event: TEvent, context: Context) => {
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
      throw classified;
    }
  })
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }));
}
