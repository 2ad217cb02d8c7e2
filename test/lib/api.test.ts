import { App, aws_kms as kms, aws_lambda as lambda, aws_logs as logs, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApprovalApi } from '../../lib/approval-api';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/** The approval API alone, with stub functions behind it. */
const stack = new Stack(new App(), 'Api');
const stub = (name: string) => lambda.Function.fromFunctionArn(stack, `${name}Function`, `arn:aws:lambda:us-east-1:111122223333:function:${name}`);
const api = new ApprovalApi(stack, 'ApprovalApi', {
  handler: stub('ApprovalApi'),
  key: new kms.Key(stack, 'Key'),
  logRetention: logs.RetentionDays.ONE_YEAR,
  cloudWatchRole: true,
});
api.routeReleasesTo(stub('CloseRun'));
api.routeCommandLineTo(stub('RunActions'));
const template = Template.fromStack(stack);

describe('approval API', () => {
  test('is throttled, traced and access-logged', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20, LoggingLevel: 'ERROR', DataTraceEnabled: false })],
    });
  });

  test('sends every method and path to a handler, so wrong ones get readable answers', () => {
    template.resourceCountIs('AWS::ApiGateway::Method', 5);
    template.allResourcesProperties('AWS::ApiGateway::Method', { HttpMethod: 'ANY' });
  });

  test('the command line’s routes, and only they, take IAM-signed requests; releases go to CloseRun, every other command-line route (decisions, window actions, break-glass) to RunActions', () => {
    const methods = template.findResources('AWS::ApiGateway::Method');
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const pathOf = (id: string): string => {
      const r = resources[id]?.Properties as { PathPart: string; ParentId: { Ref?: string } } | undefined;
      return r ? `${r.ParentId.Ref ? pathOf(r.ParentId.Ref) : ''}/${r.PathPart}` : '';
    };
    const routes = Object.values(methods).map((m) => {
      const p = m.Properties as {
        AuthorizationType: string;
        ResourceId: { Ref?: string };
        Integration: { Uri: { 'Fn::Join': [string, unknown[]] } };
      };
      const target = JSON.stringify(p.Integration.Uri).match(/function:(\w+)/)?.[1];
      return `${p.ResourceId.Ref ? pathOf(p.ResourceId.Ref) : '/'} ${p.AuthorizationType} ${target}`;
    });
    expect(routes.sort()).toEqual([
      '/ NONE ApprovalApi',
      '/cli AWS_IAM RunActions',
      '/cli/plans/{planId}/release AWS_IAM CloseRun',
      '/cli/{proxy+} AWS_IAM RunActions',
      '/{proxy+} NONE ApprovalApi',
    ]);
  });
});
