import { TransientError } from '../contracts/errors';

/**
 * The AWS SDK's own error classification (@smithy/core's retry/service-error-classification, v3.33), copied: the
 * package would bring about 27 KB of @smithy/core into every bundle for these few lists.
 * test/lambdas/transient.test.ts checks it answers as the package does.
 */
const CLOCK_SKEW_ERROR_CODES = [
  'AccessDeniedException',
  'AuthFailure',
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
];
const THROTTLING_ERROR_CODES = [
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
];
const TRANSIENT_ERROR_CODES = ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'];
const TRANSIENT_ERROR_STATUS_CODES = [500, 502, 503, 504];
const NODEJS_TRANSIENT_ERROR_CODES = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'];
const BROWSER_NETWORK_ERROR_MESSAGES = [
  'Failed to fetch',
  'NetworkError when attempting to fetch resource',
  'The Internet connection appears to be offline',
  'Load failed',
  'Network request failed',
];

/** What the classification reads of an error: an SDK error's name, metadata and retry trait, or a Node.js error's code. */
interface SdkError extends Error {
  $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean };
  $retryable?: { throttling?: unknown };
  code?: string;
}

const isClockSkewError = (error: SdkError) => CLOCK_SKEW_ERROR_CODES.includes(error.name);

export const isThrottlingError = (error: SdkError) =>
  error.$metadata?.httpStatusCode === 429 || THROTTLING_ERROR_CODES.includes(error.name) || Number(error.$retryable?.throttling) === 1; // the SDK's `throttling == true`

const isTransientError = (error: SdkError, depth = 0): boolean =>
  error?.name !== 'AbortError' &&
  (error.$retryable !== undefined ||
    !!error.$metadata?.clockSkewCorrected ||
    (error.name === 'InvalidSignatureException' && !!error.message?.includes('Signature expired')) ||
    TRANSIENT_ERROR_CODES.includes(error.name) ||
    NODEJS_TRANSIENT_ERROR_CODES.includes(error?.code || '') ||
    TRANSIENT_ERROR_STATUS_CODES.includes(error.$metadata?.httpStatusCode || 0) ||
    (error instanceof TypeError && BROWSER_NETWORK_ERROR_MESSAGES.includes(error.message)) ||
    (error.code === 'ERR_HTTP2_STREAM_ERROR' && error.message.includes('NGHTTP2_REFUSED_STREAM')) ||
    (error.cause !== undefined && depth <= 10 && isTransientError(error.cause as SdkError, depth + 1)));

const isServerError = (error: SdkError) => {
  const status = error.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500 && status <= 599 && !isTransientError(error);
};

/**
 * True for AWS errors a later attempt can succeed on: throttling, 5xx, timeouts and network errors, clock skew,
 * as the SDK's own retry strategy classifies them. AccessDeniedException is among the SDK's clock-skew codes, but a
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
