import {
  Aws,
  type CfnElement,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
  aws_apigateway as apigw,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_lambda_nodejs as nodejs,
  aws_logs as logs,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
  aws_stepfunctions as sfn,
  aws_stepfunctions_tasks as tasks,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Approver } from '../lambdas/shared/contracts/approver';
import type { AcceptLanguage, ApprovalRules, RiskLevel } from '../lambdas/shared/contracts/steps';
import { DEFAULT_SENSITIVE_RESOURCE_TYPES } from '../lambdas/shared/domain/risk';
import { defaultReminderMinutes } from './config';
import { type FunctionName, handlerEntry } from './functions';

/** Detail type of the custom event that asks PlanGate to review a plan. */
export const REVIEW_REQUESTED_DETAIL_TYPE = 'PlanGate Review Requested';

const API_STAGE = 'prod';

/** Errors worth another attempt: our TransientError and the Lambda service's own failures. */
const TRANSIENT_ERRORS = [
  'TransientError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

export interface PlanApprovalWorkflowProps {
  /** Who may approve. Each approver gets a personal link by email. */
  readonly approvers: Approver[];
  /** How long a run waits for a decision before it expires. @default Duration.hours(24) */
  readonly approvalTimeout?: Duration;
  /** Pause between checks of a plan that is still CREATE_IN_PROGRESS. @default Duration.seconds(30) */
  readonly planCheckInterval?: Duration;
  /** How long to wait for a plan to finish being created. @default Duration.minutes(30) */
  readonly planReadyTimeout?: Duration;
  /** First pause between DescribeRecord checks; it doubles after each check. @default Duration.seconds(15) */
  readonly pollInitialInterval?: Duration;
  /** Longest pause between DescribeRecord checks. @default Duration.minutes(2) */
  readonly pollMaxInterval?: Duration;
  /** How long to follow a record before reporting a timeout. @default Duration.hours(4) */
  readonly pollTimeout?: Duration;
  /** Addresses that receive every run's outcome. @default - none; the outcome topic is still created */
  readonly notificationEmails?: string[];
  /** Start runs from EventBridge events. @default true */
  readonly eventTriggerEnabled?: boolean;
  /** Event `source` for review requests and outcome events. @default 'plangate' */
  readonly eventSource?: string;
  /** AcceptLanguage used when a run's input does not give one. @default 'en' */
  readonly defaultAcceptLanguage?: AcceptLanguage;
  /** Retention of every log group. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Resource types (or `Prefix::*` patterns) a plan may not change at all: such plans end DENIED. @default - none */
  readonly deniedResourceTypes?: string[];
  /** Distinct approvals a plan needs, by its risk level. @default { LOW: 1, MEDIUM: 1, HIGH: 2 } */
  readonly requiredApprovals?: Record<RiskLevel, number>;
  /** Plans up to this risk run without a human decision (recorded as approved by the rule). @default 'NONE' */
  readonly autoApproveUpTo?: ApprovalRules['autoApproveUpTo'];
  /** How long before expiry to remind approvers who have not approved; zero for no reminder. @default - 1 hour, or a quarter of approvalTimeout if shorter */
  readonly reminderBeforeExpiry?: Duration;
  /** Delete a plan whose approval expired (DeleteProvisionedProductPlan), so stale plans do not pile up. @default false */
  readonly deleteExpiredPlans?: boolean;
  /** Resource types (or `Prefix::*` patterns) whose every change is HIGH risk. @default DEFAULT_SENSITIVE_RESOURCE_TYPES (databases, storage, keys, identity) */
  readonly sensitiveResourceTypes?: string[];
  /** Post requests and outcomes to Slack, and (with a signing secret) take decisions from its buttons. @default - no Slack */
  readonly slack?: SlackProps;
}

export interface SlackProps {
  /** The secret holding the channel's incoming-webhook URL, and how the functions name it (name or ARN). */
  readonly webhookSecret: secretsmanager.ISecret;
  readonly webhookSecretId: string;
  /** The secret holding the Slack app's signing secret; enables the Approve and Reject buttons. @default - link button only */
  readonly signingSecret?: secretsmanager.ISecret;
  readonly signingSecretId?: string;
}

/**
 * The plan approval gate: review → approval (task token) → execute → poll → notify,
 * with the approval API, the approval table, the topics and the EventBridge triggers it needs.
 */
export class PlanApprovalWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly approvalTable: dynamodb.Table;
  readonly approvalApi: apigw.RestApi;
  readonly approvalTopic: sns.Topic;
  readonly outcomeTopic: sns.Topic;
  readonly key: kms.Key;
  readonly functions: Record<FunctionName, nodejs.NodejsFunction>;

  private readonly logRetention: logs.RetentionDays;

  constructor(scope: Construct, id: string, props: PlanApprovalWorkflowProps) {
    super(scope, id);
    if (props.approvers.length === 0) throw new Error('PlanApprovalWorkflow needs at least one approver');
    const approvalTimeout = props.approvalTimeout ?? Duration.hours(24);
    if (approvalTimeout.toSeconds() < 300) {
      throw new Error(`approvalTimeout must be at least 5 minutes (got ${approvalTimeout.toHumanString()})`);
    }
    const reminderBeforeExpiry =
      props.reminderBeforeExpiry ?? Duration.minutes(defaultReminderMinutes(approvalTimeout.toMinutes({ integral: false })));
    if (reminderBeforeExpiry.toSeconds() >= approvalTimeout.toSeconds()) {
      throw new Error(`reminderBeforeExpiry (${reminderBeforeExpiry.toHumanString()}) must be shorter than approvalTimeout (${approvalTimeout.toHumanString()})`);
    }
    const planCheckInterval = props.planCheckInterval ?? Duration.seconds(30);
    const planReadyTimeout = props.planReadyTimeout ?? Duration.minutes(30);
    const pollInitialInterval = props.pollInitialInterval ?? Duration.seconds(15);
    const pollMaxInterval = props.pollMaxInterval ?? Duration.minutes(2);
    const pollTimeout = props.pollTimeout ?? Duration.hours(4);
    const eventSource = props.eventSource ?? 'plangate';
    const requiredApprovals = props.requiredApprovals ?? { LOW: 1, MEDIUM: 1, HIGH: 2 };
    for (const [level, count] of Object.entries(requiredApprovals)) {
      if (count > props.approvers.length) throw new Error(`requiredApprovals.${level} is ${count}, but only ${props.approvers.length} approver(s) are configured`);
    }
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts PlanGate approvals, topics and logs',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
        },
      }),
    );
    // EventBridge publishes the "run ended without notification" alert to the encrypted outcome topic.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToPublishToTopics',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    this.approvalTable = new dynamodb.Table(this, 'ApprovalTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // The approval records are the audit trail: they outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.approvalTopic = new sns.Topic(this, 'ApprovalRequestTopic', {
      displayName: 'PlanGate approval requests',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const approver of props.approvers) {
      // One publish per approver, filtered on this attribute: each personal link reaches only its owner.
      this.approvalTopic.addSubscription(
        new subscriptions.EmailSubscription(approver.email, {
          filterPolicy: { approver: sns.SubscriptionFilter.stringFilter({ allowlist: [approver.email] }) },
        }),
      );
    }
    this.outcomeTopic = new sns.Topic(this, 'OutcomeTopic', {
      displayName: 'PlanGate run outcomes',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.notificationEmails ?? []) {
      this.outcomeTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const tableEnv = { TABLE_NAME: this.approvalTable.tableName };
    // Secret ids only: the values are read at run time and never reach the template or the environment.
    const slackEnv: Record<string, string> = props.slack
      ? {
          SLACK_WEBHOOK_SECRET_ID: props.slack.webhookSecretId,
          ...(props.slack.signingSecretId ? { SLACK_SIGNING_SECRET_ID: props.slack.signingSecretId } : {}),
        }
      : {};
    const approversEnv = { APPROVERS: JSON.stringify(props.approvers) };
    const rules: ApprovalRules = { autoApproveUpTo: props.autoApproveUpTo ?? 'NONE', requiredApprovals };
    const reviewPlan = this.function('ReviewPlan', {
      ...approversEnv,
      APPROVAL_RULES: JSON.stringify(rules),
      DEFAULT_ACCEPT_LANGUAGE: props.defaultAcceptLanguage ?? 'en',
      SENSITIVE_RESOURCE_TYPES: JSON.stringify(props.sensitiveResourceTypes ?? DEFAULT_SENSITIVE_RESOURCE_TYPES),
      DENIED_RESOURCE_TYPES: JSON.stringify(props.deniedResourceTypes ?? []),
    });
    const approvalApiFunction = this.function('ApprovalApi', { ...tableEnv, ...slackEnv, ...approversEnv }, Duration.seconds(15));
    this.approvalApi = this.createApi(approvalApiFunction);
    const requestApproval = this.function('RequestApproval', {
      ...tableEnv,
      APPROVAL_TOPIC_ARN: this.approvalTopic.topicArn,
      // Built from the API's id rather than `api.url`, which would make this function depend on the
      // API's deployment and so, through the state machine, on itself.
      APPROVAL_BASE_URL: `https://${this.approvalApi.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${API_STAGE}/`,
      APPROVAL_TIMEOUT_SECONDS: String(approvalTimeout.toSeconds()),
      ...approversEnv,
      ...slackEnv,
    });
    const autoApprove = this.function('AutoApprove', { ...tableEnv, ...approversEnv });
    const expireApproval = this.function('ExpireApproval', {
      ...tableEnv,
      APPROVAL_TOPIC_ARN: this.approvalTopic.topicArn,
      DELETE_EXPIRED_PLANS: String(props.deleteExpiredPlans ?? false),
    });
    const executePlan = this.function('ExecutePlan', tableEnv);
    const checkRecord = this.function('CheckRecord', {
      POLL_INITIAL_INTERVAL_SECONDS: String(pollInitialInterval.toSeconds()),
      POLL_MAX_INTERVAL_SECONDS: String(pollMaxInterval.toSeconds()),
      POLL_TIMEOUT_SECONDS: String(pollTimeout.toSeconds()),
    });
    const eventBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const notify = this.function('Notify', {
      ...tableEnv,
      OUTCOME_TOPIC_ARN: this.outcomeTopic.topicArn,
      EVENT_BUS_NAME: eventBus.eventBusName,
      EVENT_SOURCE: eventSource,
      ...slackEnv,
    });
    this.functions = {
      ReviewPlan: reviewPlan,
      AutoApprove: autoApprove,
      RequestApproval: requestApproval,
      ExpireApproval: expireApproval,
      ApprovalApi: approvalApiFunction,
      ExecutePlan: executePlan,
      CheckRecord: checkRecord,
      Notify: notify,
    };

    // Service Catalog's plan and record actions have no resource types: IAM accepts only "*" for them,
    // so each function gets exactly the one action it calls.
    const allowServiceCatalog = (fn: lambda.IFunction, action: string) =>
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: [`servicecatalog:${action}`], resources: ['*'] }));
    allowServiceCatalog(reviewPlan, 'DescribeProvisionedProductPlan');
    // Execute describes the plan again first, to refuse one that changed since it was approved.
    allowServiceCatalog(executePlan, 'DescribeProvisionedProductPlan');
    allowServiceCatalog(executePlan, 'ExecuteProvisionedProductPlan');
    allowServiceCatalog(checkRecord, 'DescribeRecord');
    if (props.deleteExpiredPlans) allowServiceCatalog(expireApproval, 'DeleteProvisionedProductPlan');
    for (const fn of [requestApproval, approvalApiFunction, autoApprove]) this.approvalTable.grantReadWriteData(fn);
    // These only update the approval record (ExecutePlan writes its IdempotencyToken ahead of executing).
    for (const fn of [executePlan, expireApproval, notify]) {
      this.approvalTable.grantReadData(fn);
      this.approvalTable.grant(fn, 'dynamodb:UpdateItem');
      this.key.grantEncrypt(fn);
    }
    this.approvalTopic.grantPublish(requestApproval);
    this.approvalTopic.grantPublish(expireApproval);
    this.outcomeTopic.grantPublish(notify);
    eventBus.grantPutEventsTo(notify);
    if (props.slack) {
      for (const fn of [requestApproval, approvalApiFunction, notify]) props.slack.webhookSecret.grantRead(fn);
      props.slack.signingSecret?.grantRead(approvalApiFunction);
    }

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(
        this.definition({
          reviewPlan,
          autoApprove,
          requestApproval,
          expireApproval,
          executePlan,
          checkRecord,
          notify,
          approvalTimeout,
          reminderBeforeExpiry,
          planChecks: Math.ceil(planReadyTimeout.toSeconds() / planCheckInterval.toSeconds()),
          planCheckInterval,
        }),
      ),
      // Bounds a run even if every inner limit failed; the outcome alert below reports it.
      timeout: approvalTimeout.plus(planReadyTimeout).plus(pollTimeout).plus(Duration.hours(1)),
      tracingEnabled: true,
      logs: {
        destination: this.logGroup('StateMachineLogs'),
        level: sfn.LogLevel.ALL,
        // Execution data would put task tokens into the logs.
        includeExecutionData: false,
      },
    });
    // Only the approval API completes approval tasks, and only with success (a rejection is a decision, not an error).
    approvalApiFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [this.stateMachine.stateMachineArn] }),
    );

    if (props.eventTriggerEnabled ?? true) this.addTriggers(eventSource);
    this.alertOnUnnotifiedEnd();
    this.acknowledgeNagFindings();
  }

  /** cdk-nag (AwsSolutions) findings that are deliberate, each with why. */
  private acknowledgeNagFindings() {
    const ack = (scope: Construct, id: string, reason: string) =>
      Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason });
    for (const [name, fn] of Object.entries(this.functions)) {
      const role = fn.role as Construct;
      ack(role, 'IAM5[Resource::*]',
        'X-Ray PutTraceSegments/PutTelemetryRecords and the Service Catalog plan and record actions have no resource types; IAM accepts only "*". Each role gets only the actions its function calls.');
      if (name !== 'ReviewPlan' && name !== 'CheckRecord') {
        for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
          ack(role, `IAM5[Action::${action}]`, 'Granted by CDK for the one PlanGate key that encrypts the table and topics.');
        }
      }
    }
    const smRole = this.stateMachine.role as Construct;
    ack(smRole, 'IAM5[Resource::*]', 'X-Ray tracing and CloudWatch Logs delivery actions have no resource types.');
    for (const fn of Object.values(this.functions)) {
      const logicalId = Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement);
      ack(smRole, `IAM5[Resource::<${logicalId}.Arn>:*]`, 'Lets the state machine invoke versions and aliases of its own functions only.');
    }
    ack(this.approvalApi, 'APIG2', 'The handler validates every request and answers bad ones with a readable page.');
    ack(this.approvalApi, 'APIG3', 'WAF is left to the platform team; links are 256-bit capabilities and the stage is throttled.');
    ack(this.approvalApi, 'APIG4', 'Approvers authenticate by their personal, unguessable, single-decision link sent to their own mailbox.');
    ack(this.approvalApi, 'COG4', 'Approvers authenticate by their personal link; a Cognito user pool would add accounts approvers do not have.');
    ack(this.approvalApi, 'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      "API Gateway's account-level logging role uses AWS's own policy, which only writes logs.");
  }

  private function(name: FunctionName, environment: Record<string, string>, timeout = Duration.seconds(60)) {
    const logGroup = this.logGroup(`${name}Logs`);
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to this function's log group only.
    const role = new iam.Role(this, `${name}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    return new nodejs.NodejsFunction(this, `${name}Function`, {
      entry: handlerEntry(name),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout,
      role,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'plangate' },
      bundling: { target: 'node24', minify: true, keepNames: true, sourceMap: true, forceDockerBundling: false },
    });
  }

  private logGroup(id: string): logs.LogGroup {
    return new logs.LogGroup(this, id, {
      retention: this.logRetention,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private createApi(handler: lambda.IFunction): apigw.RestApi {
    const api = new apigw.RestApi(this, 'ApprovalApi', {
      description: 'PlanGate approval pages',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: API_STAGE,
        // Links are unguessable; throttling keeps anyone from hammering the table while guessing anyway.
        throttlingRateLimit: 10,
        throttlingBurstLimit: 20,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(this.logGroup('ApprovalApiAccessLogs')),
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
    // Every path and method reaches the handler, so wrong methods and unknown links get readable pages.
    const integration = new apigw.LambdaIntegration(handler);
    api.root.addMethod('ANY', integration);
    api.root.addProxy({ defaultIntegration: integration, anyMethod: true });
    return api;
  }

  private definition(f: {
    reviewPlan: lambda.IFunction;
    autoApprove: lambda.IFunction;
    requestApproval: lambda.IFunction;
    expireApproval: lambda.IFunction;
    executePlan: lambda.IFunction;
    checkRecord: lambda.IFunction;
    notify: lambda.IFunction;
    approvalTimeout: Duration;
    reminderBeforeExpiry: Duration;
    planChecks: number;
    planCheckInterval: Duration;
  }): sfn.IChainable {
    const outcome = (id: string, value: string) =>
      new sfn.Pass(this, `Outcome: ${id}`, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });
    const succeeded = outcome('Succeeded', 'SUCCEEDED');
    const failed = outcome('Failed', 'FAILED');
    const rejected = outcome('Rejected', 'REJECTED');
    const denied = outcome('Denied', 'DENIED');
    const expired = outcome('Expired', 'EXPIRED');
    const invalidInput = outcome('Invalid input', 'INVALID_INPUT');
    const planNotReady = outcome('Plan not ready', 'PLAN_NOT_READY');
    const planChanged = outcome('Plan changed', 'PLAN_CHANGED');
    const duplicate = outcome('Duplicate', 'DUPLICATE');
    const timedOut = outcome('Timed out', 'TIMED_OUT');
    const internalError = outcome('Internal error', 'INTERNAL_ERROR');

    // Every outcome path converges here; with no payload given, Notify gets the whole state document.
    const notify = this.invoke('Notify', f.notify, undefined, '$.notification');
    notify.addCatch(
      new sfn.Fail(this, 'Notification failed', {
        error: 'NotificationFailed',
        cause: 'The run ended but its outcome notification could not be sent',
      }),
      { resultPath: '$.notifyError' },
    );
    notify.next(new sfn.Succeed(this, 'Done', { outputPath: '$.notification' }));
    for (const state of [succeeded, failed, rejected, denied, expired, invalidInput, planNotReady, planChanged, duplicate, timedOut, internalError]) {
      state.next(notify);
    }

    const start = new sfn.Pass(this, 'Start', {
      parameters: {
        'input.$': '$',
        run: { 'executionArn.$': '$$.Execution.Id', 'startedAt.$': '$$.Execution.StartTime', planChecks: 0 },
      },
    });
    const review = this.invoke('ReviewPlan', f.reviewPlan, sfn.TaskInput.fromObject({ 'input.$': '$.input' }), '$.review')
      .addCatch(invalidInput, { errors: ['InvalidInputError'], resultPath: '$.error' })
      .addCatch(denied, { errors: ['PlanDeniedError'], resultPath: '$.error' })
      .addCatch(planNotReady, { errors: ['PlanNotReadyError'], resultPath: '$.error' })
      .addCatch(internalError, { resultPath: '$.error' });

    const countCheck = new sfn.Pass(this, 'Count plan check', {
      parameters: {
        'executionArn.$': '$.run.executionArn',
        'startedAt.$': '$.run.startedAt',
        'planChecks.$': 'States.MathAdd($.run.planChecks, 1)',
      },
      resultPath: '$.run',
    });
    const waitForPlan = new sfn.Wait(this, 'Wait for plan', { time: sfn.WaitTime.duration(f.planCheckInterval) });
    const stillCreating = new sfn.Pass(this, 'Plan still being created', {
      parameters: {
        Error: 'PlanNotReadyError',
        'Cause.$': "States.Format('Plan {} was still CREATE_IN_PROGRESS after {} checks', $.review.planId, $.run.planChecks)",
      },
      resultPath: '$.error',
    }).next(planNotReady);

    // Both approval tasks feed the same decision; so does auto-approval.
    const approved = new sfn.Choice(this, 'Approved?');

    // Expiry closes the approval record (and, if configured, deletes the plan) before reporting EXPIRED.
    const expire = this.invoke(
      'ExpireApproval',
      f.expireApproval,
      sfn.TaskInput.fromObject({
        'planId.$': '$.review.planId',
        'acceptLanguage.$': '$.review.acceptLanguage',
        'executionArn.$': '$.run.executionArn',
      }),
      '$.expiry',
    )
      .addCatch(expired, { resultPath: '$.error' })
      .next(expired);

    // With a reminder, the wait is two tasks: the first until the reminder time, the second (which reminds
    // and takes over the decision) for the rest. A task token cannot outlive its task, so each has its own.
    const reminder = f.reminderBeforeExpiry.toSeconds() > 0;
    const approvalTask = (id: string, timeout: Duration, isReminder: boolean) => {
      const task = new tasks.LambdaInvoke(this, id, {
        lambdaFunction: f.requestApproval,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({
          taskToken: sfn.JsonPath.taskToken,
          'executionArn.$': '$.run.executionArn',
          'review.$': '$.review',
          ...(isReminder ? { reminder: true } : {}),
        }),
        resultPath: '$.approval',
        taskTimeout: sfn.Timeout.duration(timeout),
        retryOnServiceExceptions: false,
      });
      this.retryTransient(task);
      return task;
    };
    const requestApproval = approvalTask(
      'RequestApproval',
      reminder ? f.approvalTimeout.minus(f.reminderBeforeExpiry) : f.approvalTimeout,
      false,
    );
    if (reminder) {
      const remind = approvalTask('RemindApprovers', f.reminderBeforeExpiry, true)
        .addCatch(expire, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD })
        .addCatch(internalError, { resultPath: '$.error' });
      remind.next(approved);
      requestApproval.addCatch(remind, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    } else {
      requestApproval.addCatch(expire, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    }
    requestApproval
      .addCatch(duplicate, { errors: ['DuplicateRunError'], resultPath: '$.error' })
      .addCatch(internalError, { resultPath: '$.error' });

    const autoApprove = this.invoke(
      'AutoApprove',
      f.autoApprove,
      sfn.TaskInput.fromObject({ 'executionArn.$': '$.run.executionArn', 'review.$': '$.review' }),
      '$.approval',
    )
      .addCatch(duplicate, { errors: ['DuplicateRunError'], resultPath: '$.error' })
      .addCatch(internalError, { resultPath: '$.error' });

    const execute = this.invoke(
      'ExecutePlan',
      f.executePlan,
      sfn.TaskInput.fromObject({
        'planId.$': '$.review.planId',
        'acceptLanguage.$': '$.review.acceptLanguage',
        'executionArn.$': '$.run.executionArn',
      }),
      '$.execution',
    )
      .addCatch(planChanged, { errors: ['PlanChangedError'], resultPath: '$.error' })
      .addCatch(planNotReady, { errors: ['PlanNotReadyError'], resultPath: '$.error' })
      .addCatch(internalError, { resultPath: '$.error' });
    const startPolling = new sfn.Pass(this, 'Start polling', { result: sfn.Result.fromObject({ checks: 0 }), resultPath: '$.record' });
    const checkRecord = this.invoke(
      'CheckRecord',
      f.checkRecord,
      sfn.TaskInput.fromObject({
        'recordId.$': '$.execution.recordId',
        'acceptLanguage.$': '$.review.acceptLanguage',
        'executedAt.$': '$.execution.executedAt',
        'checks.$': '$.record.checks',
      }),
      '$.record',
    ).addCatch(internalError, { resultPath: '$.error' });
    const waitForRecord = new sfn.Wait(this, 'Wait for record', {
      time: sfn.WaitTime.secondsPath('$.record.nextCheckInSeconds'),
    }).next(checkRecord);
    approved
      .when(
        sfn.Condition.stringEquals('$.approval.decision', 'APPROVED'),
        execute.next(startPolling).next(checkRecord).next(
          new sfn.Choice(this, 'Record finished?')
            .when(sfn.Condition.stringEquals('$.record.status', 'SUCCEEDED'), succeeded)
            .when(sfn.Condition.stringEquals('$.record.status', 'FAILED'), failed)
            .when(sfn.Condition.booleanEquals('$.record.timedOut', true), timedOut)
            .otherwise(waitForRecord),
        ),
      )
      .otherwise(rejected);

    return start
      .next(review)
      .next(
        new sfn.Choice(this, 'Plan ready?')
          .when(
            sfn.Condition.and(
              sfn.Condition.stringEquals('$.review.planStatus', 'CREATE_IN_PROGRESS'),
              sfn.Condition.numberLessThan('$.run.planChecks', f.planChecks),
            ),
            waitForPlan.next(countCheck).next(review),
          )
          .when(sfn.Condition.stringEquals('$.review.planStatus', 'CREATE_IN_PROGRESS'), stillCreating)
          .otherwise(
            new sfn.Choice(this, 'Auto-approve?')
              .when(sfn.Condition.booleanEquals('$.review.policy.autoApproved', true), autoApprove.next(approved))
              .otherwise(requestApproval.next(approved)),
          ),
      );
  }

  /** A Lambda task whose result is the handler's return value, with a timeout and transient retries. */
  private invoke(id: string, fn: lambda.IFunction, payload: sfn.TaskInput | undefined, resultPath: string) {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: fn,
      payload,
      payloadResponseOnly: true,
      resultPath,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(5)),
      retryOnServiceExceptions: false,
    });
    this.retryTransient(task);
    return task;
  }

  private retryTransient(task: sfn.TaskStateBase) {
    task.addRetry({
      errors: TRANSIENT_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 5,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    });
  }

  private addTriggers(eventSource: string) {
    const target = (input: events.RuleTargetInput) =>
      new targets.SfnStateMachine(this.stateMachine, { input, retryAttempts: 8, maxEventAge: Duration.hours(24) });
    new events.Rule(this, 'ReviewRequestedRule', {
      description: 'Starts a PlanGate run for a custom review request event',
      eventPattern: {
        source: [eventSource],
        detailType: [REVIEW_REQUESTED_DETAIL_TYPE],
        detail: { planId: events.Match.exists() },
      },
      // The event's detail is the run input: {planId, acceptLanguage?, requestedBy?}.
      targets: [target(events.RuleTargetInput.fromEventPath('$.detail'))],
    });
    new events.Rule(this, 'PlanCreatedRule', {
      description: 'Starts a PlanGate run when CloudTrail records a new provisioned product plan',
      eventPattern: {
        source: ['aws.servicecatalog'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['servicecatalog.amazonaws.com'],
          eventName: ['CreateProvisionedProductPlan'],
          // CloudTrail records response elements in lowerCamelCase.
          responseElements: { planId: events.Match.exists() },
          userIdentity: { arn: events.Match.exists() },
        },
      },
      targets: [
        target(
          events.RuleTargetInput.fromObject({
            planId: events.EventField.fromPath('$.detail.responseElements.planId'),
            requestedBy: events.EventField.fromPath('$.detail.userIdentity.arn'),
          }),
        ),
      ],
    });
  }

  /**
   * Every run ends through Notify. Should one fail, time out or be stopped by hand instead,
   * this rule still tells the outcome topic, so no run ends silently.
   */
  private alertOnUnnotifiedEnd() {
    const name = events.EventField.fromPath('$.detail.name');
    const status = events.EventField.fromPath('$.detail.status');
    new events.Rule(this, 'UnnotifiedEndRule', {
      description: 'Alerts when a PlanGate run ends without its outcome notification',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [
        new targets.SnsTopic(this.outcomeTopic, {
          message: events.RuleTargetInput.fromText(
            `PlanGate run ${name} ended with status ${status} before its outcome notification was sent. ` +
              `Check the execution in the Step Functions console; the plan may or may not have been executed.`,
          ),
        }),
      ],
    });
  }
}
