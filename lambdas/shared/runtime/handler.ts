import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ExpectedError } from '../contracts/errors';
import { logger } from './logger';
import { classifyAwsError } from './transient';

/**
 * Wraps a handler's logic with the middleware every PlanGate function shares:
 * Lambda context in logs, and transient AWS errors renamed so the state machine retries them.
 */
export function lambdaHandler<TEvent, TResult>(logic: (event: TEvent, context: Context) => Promise<TResult>) {
  return middy(async (event: TEvent, context: Context) => {
    try {
      return await logic(event, context);
    } catch (error) {
      const classified = classifyAwsError(error);
      if (classified instanceof ExpectedError) logger.warn('Handler stopped', { error: classified });
      else logger.error('Handler failed', { error: classified as Error });
      throw classified;
    }
  }).use(injectLambdaContext(logger, { logEvent: false }));
}
