import { FUNCTION_METADATA_KEY } from '../../lib/functions';
import { LOCAL_SLACK_CONTEXT } from '../../local/server';
import type { CfnTemplate } from '../../local/template';
import { POLICIES_CONTEXT } from '../fixtures/context';
import { synthesizedTemplates } from '../support/prebuilt';

/** What approval rules add to the template (issue 22), and that without them it is as before (templates built once per run). */
let before: CfnTemplate;
let withRules: CfnTemplate;
beforeAll(async () => {
  before = (await synthesizedTemplates(LOCAL_SLACK_CONTEXT)).template;
  withRules = (await synthesizedTemplates({ ...LOCAL_SLACK_CONTEXT, ...POLICIES_CONTEXT })).template;
});

const variables = (template: CfnTemplate) =>
  Object.fromEntries(
    Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => [
        r.Metadata?.[FUNCTION_METADATA_KEY] as string,
        Object.keys((r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}),
      ]),
  );
const statementsOf = (template: CfnTemplate, action: string) =>
  JSON.stringify(
    Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties).includes(action)),
  );

test('without approval rules, no function gets groups or rules, and the approval API neither asks stages nor checks Identity Center', () => {
  const names = variables(before);
  for (const list of Object.values(names)) expect(list).not.toEqual(expect.arrayContaining(['GROUPS']));
  for (const list of Object.values(names)) expect(list).not.toEqual(expect.arrayContaining(['APPROVAL_POLICY']));
  // It emails only to tell of decisions (issue 25): it builds no approval links.
  expect(names.ApprovalApi).toContain('APPROVAL_TOPIC_ARN');
  expect(names.ApprovalApi).not.toContain('APPROVAL_BASE_URL');
  expect(statementsOf(before, 'identitystore:')).toBe('[]');
});

test('with approval rules, only the functions that apply them get them; only those that take votes check Identity Center', () => {
  const names = variables(withRules);
  const withPolicy = Object.entries(names)
    .filter(([, list]) => list.includes('APPROVAL_POLICY'))
    .map(([name]) => name);
  // The page and Slack (ApprovalApi) and the command line (RunActions) take votes.
  expect(withPolicy.sort()).toEqual(['ApprovalApi', 'RequestApproval', 'ReviewPlan', 'RunActions']);
  // The vote that opens a stage asks its approvers: by email, with links to the page.
  for (const voter of [names.ApprovalApi, names.RunActions])
    expect(voter).toEqual(expect.arrayContaining(['APPROVAL_TOPIC_ARN', 'APPROVAL_BASE_URL', 'IDENTITY_STORE_ID']));
  const grants = statementsOf(withRules, 'identitystore:IsMemberInGroups');
  expect(grants).toContain('ApprovalApi');
  expect(grants).toContain('RunActions');
  expect(grants).not.toMatch(/RequestApproval|ReviewPlan/);
});

test('without a change calendar, no function gets one and the definition has no calendar states (issue 23)', () => {
  for (const list of Object.values(variables(before))) expect(list).not.toContain('CHANGE_CALENDAR');
  const definition = JSON.stringify(before);
  expect(definition).not.toContain('Wait for the calendar');
  expect(definition).not.toContain('CalendarClosedError');
});
