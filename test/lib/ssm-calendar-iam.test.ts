import { synthesize } from '../../local/synth';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/** plangate:changeCalendar.ssmCalendars (issue 23): only ReviewPlan and ExecutePlan may read those calendars' states. */
const shared = 'arn:aws:ssm:eu-west-1:222222222222:document/org-freeze';
const { json } = synthesize({ 'plangate:changeCalendar': { windows: [], ssmCalendars: ['prod-freeze', shared] } });

test('ReviewPlan and ExecutePlan may read the named calendars, by document ARN (a name in this account and Region), nothing else', () => {
  const readers = Object.entries(json.Resources).flatMap(([id, resource]) =>
    ((resource.Properties?.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] } | undefined)?.Statement ?? [])
      .filter((statement) => JSON.stringify(statement.Action).includes('ssm:'))
      .map((statement) => ({ id, action: statement.Action, resource: statement.Resource })),
  );
  const local = {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':document/prod-freeze']],
  };
  expect(readers).toEqual([
    { id: expect.stringMatching(/^WorkflowReviewPlanRoleDefaultPolicy/), action: 'ssm:GetCalendarState', resource: [local, shared] },
    { id: expect.stringMatching(/^WorkflowExecutePlanRoleDefaultPolicy/), action: 'ssm:GetCalendarState', resource: [local, shared] },
  ]);
});
