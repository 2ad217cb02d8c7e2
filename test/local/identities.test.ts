import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { ALICE, type LocalIdentity, OPERATOR, verifySignature } from '../../local/identities';

/** Local mode's SigV4 check of the approval API's AWS_IAM routes, as strict as API Gateway's. */
const HOST = '127.0.0.1:8642';
const PATH = '/cli/plans/plan-demoorders0001/decision';

type SigningOptions = { region?: string; service?: string; identity?: LocalIdentity & { sessionToken?: string }; path?: string };

async function signed(body: string, options: SigningOptions = {}) {
  const path = options.path ?? PATH;
  const signer = new SignatureV4({
    credentials: options.identity ?? ALICE,
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'execute-api',
    sha256: Hash.bind(null, 'sha256'),
  });
  const request = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 8642,
    path,
    query: {},
    headers: { host: HOST, 'content-type': 'application/json', 'x-amz-content-sha256': await bodyHash(body) },
    body,
  });
  return { method: 'POST', url: path, headers: request.headers as Record<string, string>, body };
}

async function bodyHash(body: string) {
  const hash = new Hash('sha256');
  hash.update(body);
  return Buffer.from(await hash.digest()).toString('hex');
}

const reject = JSON.stringify({ decision: 'reject' });

test('a request signed by a known key, for this Region and execute-api, is Alice’s', async () => {
  expect(await verifySignature(await signed(reject))).toEqual({ identity: ALICE });
});

test('a body swapped after signing is refused, whatever x-amz-content-sha256 claims', async () => {
  const request = await signed(reject);
  expect(await verifySignature({ ...request, body: JSON.stringify({ decision: 'approve' }) })).toMatchObject({ status: 403 });
});

test.each([
  ['another Region', { region: 'eu-west-1' }],
  ['another service', { service: 's3' }],
])('a credential scope for %s is refused', async (_, scope) => {
  const verdict = await verifySignature(await signed(reject, scope));
  expect(verdict).toMatchObject({ status: 403, message: expect.stringContaining('Credential should be scoped') });
});

test('a session token local mode never issued is refused', async () => {
  const request = await signed(reject, { identity: { ...ALICE, sessionToken: 'forged-session-token' } });
  expect(await verifySignature(request)).toMatchObject({ status: 403, message: 'The security token included in the request is invalid.' });
});

describe('per-route permissions, as IAM policies would give them', () => {
  const RELEASE = '/cli/plans/plan-demoorders0001/release';

  test('an approver may decide but not release', async () => {
    expect(await verifySignature(await signed(reject, { identity: ALICE, path: RELEASE }))).toEqual({
      status: 403,
      message: `User: ${ALICE.arn} is not authorized to perform: execute-api:Invoke on resource: POST${RELEASE}`,
    });
  });

  test('the operator may release', async () => {
    expect(await verifySignature(await signed('{}', { identity: OPERATOR, path: RELEASE }))).toEqual({ identity: OPERATOR });
  });
});
