import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main } from '../../cli/main';
import { captureCliOutput } from '../support/cli-output';

/**
 * The region comes from --region, AWS_REGION or AWS_DEFAULT_REGION, as the AWS CLI takes it (the README's snippets
 * set AWS_DEFAULT_REGION). A stand-in for Step Functions records the credential scope each request is signed for.
 */
let server: Server;
let endpoint: string;
const seen: IncomingHttpHeaders[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{"executions":[]}'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());
// What plangate prints is kept out of the test output.
captureCliOutput();
beforeEach(() => {
  seen.length = 0;
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[name];
  Object.assign(process.env, {
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
});
afterEach(() => {
  process.env = { ...saved };
});

const list = (...global: string[]) =>
  run([
    ...global,
    '--state-machine-arn',
    'arn:aws:states:eu-west-1:111122223333:stateMachine:PlanGate',
    '--table-name',
    'Approvals',
    '--api-url',
    'http://127.0.0.1:9/',
    'list',
  ]);
async function run(args: string[]) {
  const code = await main(args);
  return code;
}
// The first Step Functions request (list reads the approval table's history first).
const signedRegion = () => seen.map((headers) => /Credential=[^/]+\/\d+\/([^/]+)\/states\//.exec(String(headers.authorization))?.[1]).find(Boolean);

test('with only AWS_DEFAULT_REGION set, plangate signs for that region', async () => {
  process.env.AWS_DEFAULT_REGION = 'eu-west-1';
  expect(await list('--endpoint', endpoint)).toBe(0);
  expect(signedRegion()).toBe('eu-west-1');
});

test('AWS_REGION wins over AWS_DEFAULT_REGION, and --region over both', async () => {
  Object.assign(process.env, { AWS_DEFAULT_REGION: 'eu-west-1', AWS_REGION: 'eu-central-1' });
  expect(await list('--endpoint', endpoint)).toBe(0);
  expect(signedRegion()).toBe('eu-central-1');
  seen.length = 0;
  expect(await list('--endpoint', endpoint, '--region', 'ap-south-1')).toBe(0);
  expect(signedRegion()).toBe('ap-south-1');
});
