import { isClockSkewError, isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';
import { TransientError } from '../contracts/errors';

type SdkError = Parameters<typeof isTransientError>[0];

/**
 * True for AWS errors a later attempt can succeed on: throttling, 5xx, timeouts and network errors, clock skew,
 * as the SDK's own retry strategy classifies them. AccessDeniedException is among smithy's clock-skew codes, but a
 * Lambda's clock is synced: there it means a missing permission, which no retry fixes.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as SdkError;
  return isThrottlingError(e) || isTransientError(e) || isServerError(e) || (isClockSkewError(e) && e.name !== 'AccessDeniedException');
}

/** Re-throws transient AWS errors as TransientError (which the state machine retries), keeping the original as cause. */
export function classifyAwsError(error: unknown): unknown {
  if (!isTransient(error)) return error;
  const e = error as Error;
  return new TransientError(`${e.name}: ${e.message}`, { cause: e });
}
