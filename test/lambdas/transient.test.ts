import { ServiceCatalogServiceException } from '@aws-sdk/client-service-catalog';
import * as sdk from '@smithy/service-error-classification';
import { classifyAwsError, isTransient } from '../../lambdas/shared/runtime/transient';

const awsError = (name: string, httpStatusCode: number) =>
  new ServiceCatalogServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', message: name, $metadata: { httpStatusCode } });
const networkError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

test.each([
  ['throttling', awsError('ThrottlingException', 400)],
  ['a 503', awsError('ServiceUnavailable', 503)],
  ['any other 5xx', awsError('InternalFailure', 500)],
  ['a reset connection', networkError('ECONNRESET')],
  ['a DNS failure', networkError('EAI_AGAIN')],
  ['clock skew', awsError('RequestTimeTooSkewed', 403)],
])('%s is worth another attempt', (_, error) => {
  expect(isTransient(error)).toBe(true);
});

test.each([
  ['a missing permission', awsError('AccessDeniedException', 400)],
  ['a refused request', awsError('InvalidParametersException', 400)],
  ['a plain error', new Error('boom')],
  ['a thrown string', 'boom'],
])('%s is not', (_, error) => {
  expect(isTransient(error)).toBe(false);
});

test('a transient error becomes the TransientError the state machine retries, keeping the original as its cause', () => {
  const original = awsError('ThrottlingException', 400);
  expect(classifyAwsError(original)).toMatchObject({ name: 'TransientError', message: 'ThrottlingException: ThrottlingException', cause: original });
  const refused = awsError('InvalidStateException', 400);
  expect(classifyAwsError(refused)).toBe(refused);
});

test('the classification answers as the AWS SDK’s own (@smithy/service-error-classification), which the bundles leave out', () => {
  const smithy = (error: Error) => {
    const e = error as Parameters<typeof sdk.isTransientError>[0];
    return (
      sdk.isThrottlingError(e) || sdk.isTransientError(e) || sdk.isServerError(e) || (sdk.isClockSkewError(e) && e.name !== 'AccessDeniedException')
    );
  };
  const names = ['ThrottlingException', 'SlowDown', 'TimeoutError', 'AbortError', 'InvalidSignatureException', 'SignatureDoesNotMatch'];
  const errors: Error[] = [
    ...names.flatMap((name) => [400, 429, 500, 501, 503, 599].map((status) => awsError(name, status))),
    ...['ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'ENETUNREACH', 'EACCES'].map(networkError),
    Object.assign(awsError('InvalidSignatureException', 403), { message: 'Signature expired: 20260101T000000Z' }),
    Object.assign(awsError('ValidationException', 400), { $retryable: {} }),
    Object.assign(awsError('ValidationException', 400), { $retryable: { throttling: true } }),
    Object.assign(awsError('ValidationException', 400), { $metadata: { httpStatusCode: 400, clockSkewCorrected: true } }),
    Object.assign(new Error('stream refused: NGHTTP2_REFUSED_STREAM'), { code: 'ERR_HTTP2_STREAM_ERROR' }),
    new TypeError('Failed to fetch'),
    new Error('wrapped', { cause: networkError('ECONNRESET') }),
    new Error('wrapped', { cause: new Error('plain') }),
  ];
  for (const error of errors) expect([error.name, error.message, isTransient(error)]).toEqual([error.name, error.message, smithy(error)]);
});
