import { defaultReminderMinutes } from '../../lib/defaults';
import { FUNCTION_METADATA_KEY, STANDARD_FUNCTIONS } from '../../lib/functions';
import { STATES } from '../../lib/workflow-definition';
import { LOCAL_SLACK_CONTEXT } from '../../local/server';
import { synthesize } from '../../local/synth';
import { type CfnTemplate, type LocalWorkflow, loadWorkflow, resolve, withApprovalTimeout } from '../../local/template';

/** What local mode reads from the synthesized template, compared with the template itself. */
let template: CfnTemplate;
let workflow: LocalWorkflow;
beforeAll(() => {
  template = synthesize(LOCAL_SLACK_CONTEXT).json;
  workflow = loadWorkflow(template);
}, 120_000);

type Properties = Record<string, unknown>;
const resourcesOf = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

describe('asynchronous invocations', () => {
  test('each function’s retries and dead-letter queue are the template’s EventInvokeConfig and DeadLetterConfig', () => {
    const functions = resourcesOf('AWS::Lambda::Function');
    expect(workflow.asyncInvocations.size).toBe(functions.length);
    for (const [id, fn] of functions) {
      const configs = resourcesOf('AWS::Lambda::EventInvokeConfig');
      const invokeConfig = configs.find(([, c]) => (c.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === id)?.[1];
      const deadLetter = (fn.Properties?.DeadLetterConfig as Properties | undefined)?.TargetArn;
      const name = [...workflow.functionsByArn.entries()].find(([arn]) => arn.endsWith(`:function:${id}`))![1];
      expect({ name, ...workflow.asyncInvocations.get(name) }).toEqual({
        name,
        // Lambda retries a failed asynchronous invocation twice unless the function's EventInvokeConfig says otherwise.
        maximumRetryAttempts: (invokeConfig?.Properties?.MaximumRetryAttempts as number | undefined) ?? 2,
        ...(deadLetter ? { deadLetterArn: resolve(deadLetter, template) } : {}),
      });
    }
  });

  test('WatchRuns is not retried, and its failures go to its own queue', () => {
    const watchRuns = workflow.asyncInvocations.get('WatchRuns');
    expect(watchRuns).toEqual({ maximumRetryAttempts: 0, deadLetterArn: expect.stringMatching(/:WorkflowWatchRunsDeadLetterQueue/) });
  });
});

describe('a shortened approval timeout', () => {
  const timeouts = (shortened: LocalWorkflow) => {
    const states = shortened.definition.States as Record<string, { TimeoutSeconds?: number }>;
    return { first: states[STATES.requestApproval]!.TimeoutSeconds, reminder: states[STATES.remindApprovers]!.TimeoutSeconds };
  };

  test.each([40 * 60, 8 * 3600, 41 * 60])('reminds as the construct would by default, for %i seconds', (seconds) => {
    const reminderSeconds = defaultReminderMinutes(seconds / 60) * 60;
    expect(timeouts(withApprovalTimeout(workflow, seconds))).toEqual({ first: seconds - reminderSeconds, reminder: reminderSeconds });
  });

  test('under four minutes, a quarter of the timeout, in whole seconds (at least one)', () => {
    expect(timeouts(withApprovalTimeout(workflow, 8))).toEqual({ first: 6, reminder: 2 });
    expect(timeouts(withApprovalTimeout(workflow, 3))).toEqual({ first: 2, reminder: 1 });
  });
});

describe('functions', () => {
  const functionIds = () => resourcesOf('AWS::Lambda::Function').map(([id]) => id);

  test('each of the template’s functions names its handler in its metadata', () => {
    const named = resourcesOf('AWS::Lambda::Function').map(([, fn]) => (fn as { Metadata?: Properties }).Metadata?.[FUNCTION_METADATA_KEY]);
    expect(named.sort()).toEqual([...STANDARD_FUNCTIONS].sort());
  });

  test('local mode knows each function by that metadata, whatever its logical id', () => {
    let text = JSON.stringify(template);
    for (const [i, id] of functionIds().entries()) text = text.replaceAll(`"${id}"`, `"Renamed${i}"`);
    const renamed = loadWorkflow(JSON.parse(text) as CfnTemplate);
    expect([...renamed.functionsByArn.keys()].every((arn) => /:function:Renamed\d+$/.test(arn))).toBe(true);
    expect([...renamed.functionsByArn.values()].sort()).toEqual([...STANDARD_FUNCTIONS].sort());
    expect(renamed.apiRoutes.map((r) => r.function)).toEqual(workflow.apiRoutes.map((r) => r.function));
    expect(renamed.asyncInvocations).toEqual(workflow.asyncInvocations);
  });

  test('a function whose metadata names no handler is refused', () => {
    const [id] = functionIds();
    const stale = JSON.parse(JSON.stringify(template)) as { Resources: Record<string, { Metadata?: Properties }> };
    stale.Resources[id!]!.Metadata = { [FUNCTION_METADATA_KEY]: 'Retired' };
    const refusal = `Function ${id} names Retired in its metadata, which is not one of PlanGate's functions`;
    expect(() => loadWorkflow(stale as CfnTemplate)).toThrow(refusal);
  });
});
