import { App, aws_kms as kms, aws_logs as logs, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WorkflowFunction } from '../../lib/workflow-function';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/** A function that checks Identity Center group membership when a vote is cast (issue 22), cdk-nag included. */
function synthesized(identityStoreId: string) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Hub');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const fn = new WorkflowFunction(stack, 'ApprovalApi', { key, logRetention: logs.RetentionDays.ONE_WEEK }).bindIdentityStore(identityStoreId);
  // X-Ray's actions, as the workflow acknowledges them for every function (lib/plan-approval-workflow.ts).
  Validations.of(fn.role).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray actions have no resource types.' });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return Template.fromStack(stack);
}

const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:identitystore:${rest}`]] });

test('the function may look up users and groups and check membership in that identity store, nothing more', () => {
  const template = synthesized('d-1234567890');
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ IDENTITY_STORE_ID: 'd-1234567890' }) },
  });
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => (policy.Properties as { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } }).PolicyDocument.Statement,
  );
  const identityStore = statements.filter((s) => JSON.stringify(s.Action).includes('identitystore:'));
  expect(identityStore).toEqual([
    expect.objectContaining({
      Effect: 'Allow',
      Action: ['identitystore:GetUserId', 'identitystore:GetGroupId', 'identitystore:IsMemberInGroups'],
      Resource: [arn(':*:identitystore/d-1234567890'), arn('::user/*'), arn('::group/*'), arn('::membership/*')],
    }),
  ]);
});
