import { App, Stack } from 'aws-cdk-lib';
import { ConfigError, parseConfig } from '../../lib/config';
import { PlanApprovalWorkflow } from '../../lib/plan-approval-workflow';
import { synthesize } from '../../local/synth';

/** plangate:approvalValidityHours (issue 23): how old a windowed run's approvals may be when it executes. */
const approvers = [{ email: 'alice@example.com' }, { email: 'bob@example.com' }];
const parse = (hours: unknown) => parseConfig({ 'plangate:approvers': approvers, 'plangate:approvalValidityHours': hours });

test('a whole number of hours up to 30 days is taken; unset, ExecutePlan applies its default', () => {
  expect(parse(24).approvalValidityHours).toBe(24);
  expect(parseConfig({ 'plangate:approvers': approvers }).approvalValidityHours).toBeUndefined();
});

test.each([0, 721, 1.5, 'a day'])('%j is refused, naming the key and what it allows', (hours) => {
  expect(() => parse(hours)).toThrow(ConfigError);
  expect(() => parse(hours)).toThrow('plangate:approvalValidityHours: must be a whole number from 1 to 720');
});

test('set, it reaches ExecutePlan alone; unset, no function has it (the functions are as before)', () => {
  type Resources = ReturnType<typeof synthesize>['json']['Resources'];
  const variablesOf = (properties: Record<string, unknown> | undefined) =>
    (properties as { Environment?: { Variables?: Record<string, unknown> } } | undefined)?.Environment?.Variables ?? {};
  const functionsWith = (resources: Resources) =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && variablesOf(r.Properties).APPROVAL_VALIDITY_HOURS !== undefined)
      .map(([id, r]) => [id, variablesOf(r.Properties).APPROVAL_VALIDITY_HOURS]);
  expect(functionsWith(synthesize({ 'plangate:approvalValidityHours': 24 }).json.Resources)).toEqual([
    [expect.stringContaining('ExecutePlan'), '24'],
  ]);
  expect(functionsWith(synthesize().json.Resources)).toEqual([]);
}, 120_000);

test('the construct refuses approvalValidityHours outside 1 to 720, before it creates anything', () => {
  const build = (approvalValidityHours: number) => () =>
    new PlanApprovalWorkflow(new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Guarded'), 'Workflow', {
      approvers,
      approvalValidityHours,
    });
  expect(build(0)).toThrow('approvalValidityHours must be a whole number from 1 to 720 (got 0)');
  expect(build(2.5)).toThrow('approvalValidityHours must be a whole number from 1 to 720 (got 2.5)');
});

test('the run’s time limit allows for the longest execution window (37 days after approval was asked) and the calendar’s wait', () => {
  type Resources = ReturnType<typeof synthesize>['json']['Resources'];
  const timeoutOf = (resources: Resources) => {
    const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    const body = (machine.Properties as { DefinitionString: { 'Fn::Join': [string, unknown[]] } }).DefinitionString['Fn::Join'][1];
    return Number(/"TimeoutSeconds":(\d+)}$/.exec(body.filter((part) => typeof part === 'string').join(''))![1]);
  };
  const DAY = 86_400;
  const plain = timeoutOf(synthesize().json.Resources);
  // Approval (24 h by default), the plan-ready wait, the window's horizon, following the record, and an hour to spare.
  expect(plain).toBeGreaterThanOrEqual(DAY + 37 * DAY);
  expect(plain).toBeLessThan(365 * DAY);
  const waiting = synthesize({
    'plangate:changeCalendar': {
      windows: [{ name: 'freeze', kind: 'deny', start: '2026-12-24T00:00', duration: 'PT1H' }],
      onClosed: 'wait',
      maxWaitHours: 500,
    },
  });
  expect(timeoutOf(waiting.json.Resources) - plain).toBe(500 * 3600);
}, 120_000);
