import { ServiceCatalogServiceException } from '@aws-sdk/client-service-catalog';
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
