import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { BASELINE_OWN_STATES, fixedLoop, LOOP_STATES, pollingPhase } from '../../bench/polling-variants';
import { connect } from '../../cli/aws';
import { PHASES } from '../../cli/runs';
import { synthesize } from '../../local/synth';
import { loadWorkflow } from '../../local/template';

/*
 * Names the command line, the benchmark and local mode share with the synthesized stack, checked against it.
 *
 * The command line names a run's phase by the state it last entered, and the benchmark enters the definition at the
 * polling loop: a state renamed in the definition but not there would silently show "reporting the outcome", or
 * break the benchmark, with nothing else failing.
 */
const { json, stack } = synthesize();
const workflow = loadWorkflow(json);
const definitionStates = Object.keys(workflow.definition.States as Record<string, unknown>);

test('every state the command line names a phase after is a state of the synthesized definition', () => {
  expect(definitionStates).toEqual(expect.arrayContaining(Object.keys(PHASES)));
});

test('the benchmark enters the synthesized definition at a state it has, and its loop states are the definition’s', () => {
  expect(definitionStates).toContain(pollingPhase(workflow).definition.StartAt);
  const borrowed = (names: Iterable<string>) => [...names].filter((name) => !BASELINE_OWN_STATES.includes(name));
  expect(definitionStates).toEqual(expect.arrayContaining(borrowed(LOOP_STATES)));
  const baseline = fixedLoop(workflow).definition;
  expect(definitionStates).toEqual(expect.arrayContaining([baseline.StartAt, ...borrowed(Object.keys(baseline.States as object))]));
});

test('the command line finds the state machine, the table and the API in the synthesized stack’s outputs', async () => {
  const outputs = (json as unknown as { Outputs: Record<string, unknown> }).Outputs;
  const cloudFormation = mockClient(CloudFormationClient);
  cloudFormation.on(DescribeStacksCommand, { StackName: stack.stackName }).resolves({
    Stacks: [
      {
        StackName: stack.stackName,
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.keys(outputs).map((key) => ({ OutputKey: key, OutputValue: `value of ${key}` })),
      },
    ],
  });
  try {
    const target = await connect({ stack: stack.stackName, region: 'us-east-1' }).target();
    expect(target).toEqual({
      stateMachineArn: 'value of StateMachineArn',
      tableName: 'value of ApprovalTableName',
      apiUrl: 'value of ApprovalApiUrl',
    });
  } finally {
    cloudFormation.restore();
  }
});
