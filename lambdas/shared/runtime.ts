import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ZodError, type z } from 'zod';
import { classifyAwsError, ExpectedError, InvalidInputError } from './errors';

/** One structured JSON logger for every function. Events are never logged: they can carry task tokens. */
export const logger = new Logger({ serviceName: 'plangate' });

/** Reads a required environment variable, naming it when it is missing. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`Environment variable ${name} is not set`);
  return value;
}

export function requireNumberEnv(name: string): number {
  const value = Number(requireEnv(name));
  if (!Number.isFinite(value)) throw new Error(`Environment variable ${name} is not a number`);
  return value;
}

/** Validates a handler's input, turning schema problems into one InvalidInputError that names each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  try {
    return schema.parse(input);
  } catch (error) {
    if (error instanceof ZodError) {
      const problems = error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
      throw new InvalidInputError(`Invalid input: ${problems.join('; ')}`);
    }
    throw error;
  }
}

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
