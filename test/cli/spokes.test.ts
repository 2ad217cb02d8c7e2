import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../cli/main';
import { captureCliOutput } from '../support/cli-output';

/** The command line names a spoke account's plan `<accountId>:<region>:<planId>`, as the approval table keys it. */
const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
const documents = mockClient(DynamoDBDocumentClient);
const MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:PlanGate';
const RUN = 'arn:aws:states:us-east-1:111122223333:execution:PlanGate:run-1';
const DEV = '444455556666';
const CALLER = 'arn:aws:sts::111122223333:assumed-role/Operator/olga';

const output = captureCliOutput();
beforeEach(() => {
  for (const mock of [sfn, sts, documents]) mock.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER });
  sfn.on(StartExecutionCommand).resolves({ executionArn: RUN });
});

const plangate = (...args: string[]) =>
  main(['--region', 'us-east-1', '--state-machine-arn', MACHINE, '--table-name', 'Approvals', '--api-url', 'https://example.com/', ...args]);

test('start names the spoke plan’s account and Region in the run input', async () => {
  expect(await plangate('start', `${DEV}:eu-west-1:plan-1`)).toBe(0);
  const { input, name } = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
  expect(JSON.parse(input!)).toEqual({ planId: 'plan-1', accountId: DEV, region: 'eu-west-1', requestedBy: CALLER });
  expect(name).toMatch(new RegExp(`^${DEV}_eu-west-1_plan-1-[a-z0-9]+$`));
});

test('status reads the spoke plan’s own record and says where it is, first', async () => {
  documents.on(GetCommand).resolves({
    Item: {
      planId: 'plan-1',
      executionArn: RUN,
      status: 'PENDING',
      requiredApprovals: 1,
      review: { accountId: DEV, accountName: 'dev', region: 'eu-west-1' },
    },
  });
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn: RUN,
    status: 'SUCCEEDED',
    input: JSON.stringify({ planId: 'plan-1', accountId: DEV, region: 'eu-west-1' }),
    output: JSON.stringify({ outcome: 'REJECTED', reason: 'no' }),
  });
  expect(await plangate('status', `${DEV}:eu-west-1:plan-1`, '--json')).toBe(0);
  expect(documents).toHaveReceivedCommandWith(GetCommand, { Key: { pk: `PLAN#${DEV}:eu-west-1:plan-1` } });
  expect(JSON.parse(output.stdout)).toMatchObject({ planId: 'plan-1', accountId: DEV, accountName: 'dev', region: 'eu-west-1' });
  output.stdout = '';
  expect(await plangate('status', `${DEV}:eu-west-1:plan-1`)).toBe(0);
  const where = output.stdout.indexOf(`account ${DEV} (dev), region eu-west-1`);
  expect(where).toBeGreaterThan(-1);
  expect(where).toBeLessThan(output.stdout.indexOf('plan-1'));
});

test('a plan named with a malformed place is a usage error', async () => {
  expect(await plangate('start', `${DEV}:plan-1`)).toBe(2);
  expect(output.stderr).toContain('planId must be 1-100 characters');
  expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
});
