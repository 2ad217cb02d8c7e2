import { BASELINE_OWN_STATES, fixedLoop, LOOP_STATES, pollingPhase } from '../../bench/polling-variants';
import { PHASES } from '../../cli/runs';
import { synthesize } from '../../local/synth';
import { loadWorkflow } from '../../local/template';

/**
 * The command line names a run's phase by the state it last entered, and the benchmark enters the definition at the
 * polling loop: a state renamed in the definition but not there would silently show "reporting the outcome", or
 * break the benchmark, with nothing else failing.
 */
const { json } = synthesize();
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
