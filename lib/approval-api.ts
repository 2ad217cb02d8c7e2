import {
  aws_apigateway as apigw,
  type aws_kms as kms,
  type aws_lambda as lambda,
  type aws_logs as logs,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { workflowLogGroup } from './workflow-function';

/** The stage every approval link is under. */
export const API_STAGE = 'prod';

export interface ApprovalApiProps {
  /** Serves every path and method: approval pages, decisions and Slack's interactions. */
  readonly handler: lambda.IFunction;
  /** Encrypts the access log. */
  readonly key: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /**
   * Create API Gateway's account-level CloudWatch Logs role (AWS::ApiGateway::Account, one per account and region),
   * which the stage's logs need. Off when the account already has one.
   */
  readonly cloudWatchRole: boolean;
  /** With plangate:signIn: the sign-in routes (routeSignInTo) get a throttle of their own. @default false */
  readonly signIn?: boolean;
}

/** The sign-in routes' throttle: far below the pages' (a person signs in once a day), so a flood of them costs little. */
const SIGN_IN_THROTTLE = { throttlingRateLimit: 2, throttlingBurstLimit: 5 };

/**
 * The approval API (API Gateway REST, regional): every path and method goes to the handler, so wrong methods
 * and unknown links get readable pages. Throttled, traced and access-logged.
 */
export class ApprovalApi extends apigw.RestApi {
  constructor(scope: Construct, id: string, props: ApprovalApiProps) {
    super(scope, id, {
      description: 'PlanGate approval pages',
      // API Gateway's metrics are by API name: one per stack keeps two PlanGate stacks' alarms apart.
      restApiName: `${Stack.of(scope).stackName}-ApprovalApi`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole,
      ...(props.cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY } : {}),
      deployOptions: {
        stageName: API_STAGE,
        // Links are unguessable; throttling keeps anyone from hammering the table while guessing anyway.
        throttlingRateLimit: 10,
        throttlingBurstLimit: 20,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        ...(props.signIn ? { methodOptions: { '/auth/{proxy+}/*': SIGN_IN_THROTTLE } } : {}),
        accessLogDestination: new apigw.LogGroupLogDestination(
          // Beside the API, not inside it: this retained log group's logical id predates this class.
          workflowLogGroup(scope, `${id}AccessLogs`, { key: props.key, retention: props.logRetention }),
        ),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
    });
    const integration = new apigw.LambdaIntegration(props.handler);
    // With sign-in, `/` is the signed-in approver's inbox (routeSignedInPagesTo).
    if (!props.signIn) this.root.addMethod('ANY', integration);
    // A plain resource, not addProxy: under the root, a proxy resource's method would also take `/`.
    this.root.addResource('{proxy+}').addMethod('ANY', integration);
    // The command line's routes take requests signed with AWS credentials: IAM decides who may call each one, and
    // the handler learns the caller's ARN. Every method reaches the handler, which answers wrong ones.
    this.cli = this.root.addResource('cli', { defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM } });
    this.cliPlan = this.cli.addResource('plans').addResource('{planId}');
    this.acknowledgeNagFindings(props.signIn ?? false);
  }

  private readonly cli: apigw.Resource;
  private readonly cliPlan: apigw.Resource;

  /** `plangate release`: POST /cli/plans/{planId}/release goes to the function that closes runs. */
  routeReleasesTo(closeRun: lambda.IFunction): apigw.Method {
    return this.cliPlan.addResource('release').addMethod('ANY', new apigw.LambdaIntegration(closeRun));
  }

  /**
   * Every other command-line route goes to RunActions: `plangate approve|reject` (decision), `reschedule|cancel|run-now`
   * (a run waiting for its execution window) and `break-glass|review`; it answers any other /cli path with a JSON 404.
   */
  routeCommandLineTo(runActions: lambda.IFunction): void {
    const integration = new apigw.LambdaIntegration(runActions);
    this.cli.addMethod('ANY', integration);
    this.cli.addProxy({ defaultIntegration: integration, anyMethod: true });
  }

  /** With sign-in: the signed-in approver's inbox at `/`, the history, and each request's page go to the Inbox function. */
  routeSignedInPagesTo(inbox: lambda.IFunction): void {
    const integration = new apigw.LambdaIntegration(inbox);
    this.root.addMethod('ANY', integration);
    this.root.addResource('history').addMethod('ANY', integration);
    this.root.addResource('requests').addResource('{planRef}').addMethod('ANY', integration);
  }

  /** GET /auth/sign-in, GET /auth/callback, POST /auth/sign-out: the sign-in function (every method, which it answers). */
  routeSignInTo(signIn: lambda.IFunction): void {
    this.root.addResource('auth').addProxy({ defaultIntegration: new apigw.LambdaIntegration(signIn), anyMethod: true });
  }

  private acknowledgeNagFindings(signIn: boolean) {
    const ack = (id: string, reason: string) => Validations.of(this).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason });
    ack('APIG2', 'The handler validates every request and answers bad ones with a readable page.');
    ack('APIG3', 'WAF is left to the platform team; links are 256-bit capabilities and the stage is throttled.');
    ack('APIG4', 'Approvers authenticate by their personal, unguessable, single-decision link sent to their own mailbox.');
    ack(
      'COG4',
      signIn
        ? 'Sign-in is checked by the functions against server-side sessions (the Cognito user pool federates the identity provider).'
        : 'Approvers authenticate by their personal link; a Cognito user pool would add accounts approvers do not have.',
    );
    if (!this.node.tryFindChild('CloudWatchRole')) return;
    ack(
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      "API Gateway's account-level logging role uses AWS's own policy, which only writes logs.",
    );
  }
}
