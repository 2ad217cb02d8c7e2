import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../cli/main';
import { captureCliOutput } from '../support/cli-output';

/**
 * `plangate list` and `status` read every run's input, which anyone allowed to start a run writes: whatever is in it,
 * the command lists the other runs and shows the odd one as best it can.
 */
const sfn = mockClient(SFNClient);
const documents = mockClient(DynamoDBDocumentClient);
const MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:PlanGate';
const arn = (name: string) => `arn:aws:states:us-east-1:111122223333:execution:PlanGate:${name}`;
const INPUTS: Record<string, string> = {
  good: JSON.stringify({ planId: 'plan-good00000001', requestedBy: 'alice' }),
  number: JSON.stringify({ planId: 12345 }),
  object: JSON.stringify({ planId: { toString: 'x' }, requestedBy: ['a'] }),
  array: '[1,2]',
  notJson: '{',
};

const output = captureCliOutput();
beforeEach(() => {
  sfn.reset();
  documents.reset();
  const startDate = new Date();
  sfn.on(ListExecutionsCommand).resolves({
    executions: Object.keys(INPUTS).map((name) => ({ executionArn: arn(name), stateMachineArn: MACHINE, name, status: 'SUCCEEDED', startDate })),
  });
  for (const [name, input] of Object.entries(INPUTS)) {
    sfn.on(DescribeExecutionCommand, { executionArn: arn(name) }).resolves({
      executionArn: arn(name),
      status: 'SUCCEEDED',
      startDate,
      stopDate: startDate,
      input,
      output: JSON.stringify({ outcome: 'REJECTED', reason: 'no' }),
    });
  }
  documents.on(GetCommand).resolves({});
  // No approval records in the table's history: every run is listed from Step Functions.
  documents.on(QueryCommand).resolves({ Items: [], ScannedCount: 0 });
});

const plangate = (...args: string[]) =>
  main(['--region', 'us-east-1', '--state-machine-arn', MACHINE, '--table-name', 'Approvals', '--api-url', 'https://example.com/', ...args]);

test('list shows every run in the window when one run’s planId is a number, an object or missing', async () => {
  const code = await plangate('list');
  expect(output.stderr).toBe('');
  expect(code).toBe(0);
  expect(output.stdout).toContain('plan-good00000001');
  for (const name of Object.keys(INPUTS)) expect(output.stdout).toContain(name);
  expect(output.stdout).not.toContain('12345'); // a planId that is not text is not shown as one
});

test('list --json and status show such a run without a planId', async () => {
  expect(await plangate('list', '--json')).toBe(0);
  const runs = JSON.parse(output.stdout) as { executionArn: string; planId?: unknown }[];
  expect(runs.map((r) => r.executionArn)).toEqual(Object.keys(INPUTS).map(arn));
  expect(runs.filter((r) => r.planId !== undefined)).toEqual([expect.objectContaining({ planId: 'plan-good00000001' })]);
  output.stdout = '';
  expect(await plangate('status', arn('object'))).toBe(0);
  expect(output.stderr).toBe('');
  expect(output.stdout).toContain(arn('object'));
  expect(documents.commandCalls(GetCommand)).toHaveLength(1); // only the good run names a plan whose record to read
});

test('list --json escapes C1 controls, bidi overrides and tag characters, and stays valid JSON with the same text', async () => {
  const hostile = 'plan-\u009b31m\u202eevil\u{E0041}\u00ad';
  sfn
    .on(DescribeExecutionCommand, { executionArn: arn('good') })
    .resolves({ executionArn: arn('good'), status: 'SUCCEEDED', input: JSON.stringify({ planId: hostile }) });
  expect(await plangate('list', '--json')).toBe(0);
  expect(output.stdout).not.toMatch(/[\u0080-\u009f\u00ad\u202a-\u202e]|\u{E0041}/u);
  expect(output.stdout).toContain('"planId": "plan-\\u009b31m\\u202eevil\\udb40\\udc41\\u00ad"');
  expect((JSON.parse(output.stdout) as { planId?: string }[])[0]!.planId).toBe(hostile);
  output.stdout = '';
  expect(await plangate('list')).toBe(0);
  expect(output.stdout).toContain('plan-\uFFFD31m\uFFFDevil\uFFFD\uFFFD');
});
