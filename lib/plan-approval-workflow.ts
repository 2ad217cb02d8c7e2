import {
  ArnFormat,
  Duration,
  Stack,
  Validations,
  type CfnElement,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Approver } from '../lambdas/shared/contracts/approver';
import type { AcceptLanguage, ApprovalRules, RiskLevel } from '../lambdas/shared/contracts/steps';
import { DEFAULT_SENSITIVE_RESOURCE_TYPES } from '../lambdas/shared/domain/risk';
import { API_STAGE, ApprovalApi } from './approval-api';
import { DEFAULT_ALARM_THRESHOLDS, DEFAULTS, MIN_APPROVAL_TIMEOUT_MINUTES, defaultReminderMinutes, type AlarmThresholds } from './defaults';
import type { FunctionName } from './functions';
import { approvalTable, deadLetterQueue, workflowKey, workflowTopics } from './storage';
import { WorkflowMonitoring } from './monitoring';
import { type SettingProblem, settingProblems } from './setting-rules';
import { addRunTriggers, closeRunsEndedOutside, wakeRunsWhenStacksFinish, watchRunsOnSchedule } from './triggers';
import { WorkflowDefinition } from './workflow-definition';
import { WorkflowFunction, workflowLogGroup } from './workflow-function';

export interface PlanApprovalWorkflowProps {
  /** Who may approve. Each approver gets a personal link by email. */
  readonly approvers: Approver[];
  /** How long a run waits for a decision before it expires. @default Duration.hours(24) */
  readonly approvalTimeout?: Duration;
  /** Pause between checks of a plan that is still CREATE_IN_PROGRESS. @default Duration.seconds(30) */
  readonly planCheckInterval?: Duration;
  /** How long to wait for a plan to finish being created. @default Duration.minutes(30) */
  readonly planReadyTimeout?: Duration;
  /**
   * The safety net's first wait for the record (a stack event usually ends it sooner); each wait after doubles.
   * @default Duration.minutes(1)
   */
  readonly pollInitialInterval?: Duration;
  /** The safety net's longest wait: how late a lost stack event can make a run notice its record. @default Duration.minutes(10) */
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
  /** Who hears the alarms, and when they fire. @default - no subscribers; DEFAULT_ALARM_THRESHOLDS */
  readonly alarms?: AlarmProps;
  /**
   * Create API Gateway's account-level CloudWatch Logs role (AWS::ApiGateway::Account, a singleton per account and
   * region). Turn it off when the account already has one. @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
}

export interface AlarmProps {
  /** Addresses subscribed to the alarm topic (each confirms by email). @default - none */
  readonly emails?: string[];
  /** Overrides of DEFAULT_ALARM_THRESHOLDS. */
  readonly thresholds?: Partial<AlarmThresholds>;
}

export interface SlackProps {
  /** The secret holding the channel's incoming-webhook URL, and how the functions name it (name or ARN). */
  readonly webhookSecret: secretsmanager.ISecret;
  readonly webhookSecretId: string;
  /** The secret holding the Slack app's signing secret; enables the Approve and Reject buttons. @default - link button only */
  readonly signingSecret?: secretsmanager.ISecret;
  readonly signingSecretId?: string;
}

/** The construct's name for a setting whose configuration key differs. */
const PROP_NAMES: Partial<Record<SettingProblem['setting'], string>> = {
  reminderMinutesBeforeExpiry: 'reminderBeforeExpiry',
  pollMaxIntervalSeconds: 'pollMaxInterval',
};

/**
 * The plan approval gate: review → approval (task token) → execute → poll → notify, with the approval API,
 * the approval table, the topics and the EventBridge triggers it needs. This construct wires the parts:
 * storage (lib/storage.ts), functions (lib/workflow-function.ts), the API (lib/approval-api.ts), the
 * state machine's graph (lib/workflow-definition.ts) and the rules (lib/triggers.ts).
 */
export class PlanApprovalWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly approvalTable: dynamodb.Table;
  readonly approvalApi: ApprovalApi;
  readonly approvalTopic: sns.Topic;
  readonly outcomeTopic: sns.Topic;
  readonly key: kms.Key;
  readonly functions: Record<FunctionName, WorkflowFunction>;
  /** Endings that could not be closed: the rule's undeliverable events and CloseRun's failed invocations. */
  readonly endingsDeadLetterQueue: sqs.Queue;
  /** Stack events that could not wake their run (which the safety net then finds). */
  readonly stackEventsDeadLetterQueue: sqs.Queue;
  /** Review requests that could not start a run (only with the event triggers). */
  readonly runTriggersDeadLetterQueue?: sqs.Queue;
  /** Runs counts that failed (the next one comes 5 minutes later). */
  readonly watchRunsDeadLetterQueue: sqs.Queue;
  /** The alarms, their topic and the dashboard. */
  readonly monitoring: WorkflowMonitoring;

  constructor(scope: Construct, id: string, props: PlanApprovalWorkflowProps) {
    super(scope, id);
    if (props.approvers.length === 0) throw new Error('PlanApprovalWorkflow needs at least one approver');
    const approvalTimeout = props.approvalTimeout ?? Duration.minutes(DEFAULTS.approvalTimeoutMinutes);
    if (approvalTimeout.toSeconds() < MIN_APPROVAL_TIMEOUT_MINUTES * 60) {
      throw new Error(`approvalTimeout must be at least ${MIN_APPROVAL_TIMEOUT_MINUTES} minutes (got ${approvalTimeout.toHumanString()})`);
    }
    const approvalTimeoutMinutes = approvalTimeout.toMinutes({ integral: false });
    const reminderBeforeExpiry = props.reminderBeforeExpiry ?? Duration.minutes(defaultReminderMinutes(approvalTimeoutMinutes));
    const planCheckInterval = props.planCheckInterval ?? Duration.seconds(DEFAULTS.planCheckIntervalSeconds);
    const planReadyTimeout = props.planReadyTimeout ?? Duration.minutes(DEFAULTS.planReadyTimeoutMinutes);
    const pollInitialInterval = props.pollInitialInterval ?? Duration.seconds(DEFAULTS.pollInitialIntervalSeconds);
    const pollMaxInterval = props.pollMaxInterval ?? Duration.seconds(DEFAULTS.pollMaxIntervalSeconds);
    const pollTimeout = props.pollTimeout ?? Duration.minutes(DEFAULTS.pollTimeoutMinutes);
    const eventSource = props.eventSource ?? DEFAULTS.eventSource;
    const requiredApprovals = props.requiredApprovals ?? DEFAULTS.requiredApprovals;
    const problems = settingProblems({
      approvers: props.approvers,
      approvalTimeoutMinutes,
      reminderMinutesBeforeExpiry: reminderBeforeExpiry.toMinutes({ integral: false }),
      requiredApprovals,
      pollInitialIntervalSeconds: pollInitialInterval.toSeconds(),
      pollMaxIntervalSeconds: pollMaxInterval.toSeconds(),
    });
    if (problems.length) throw new Error(problems.map((p) => `${PROP_NAMES[p.setting] ?? p.setting}: ${p.message}`).join('\n'));
    const logRetention = props.logRetention ?? (DEFAULTS.logRetentionDays as logs.RetentionDays);

    this.key = workflowKey(this);
    this.approvalTable = approvalTable(this, this.key);
    ({ approvalTopic: this.approvalTopic, outcomeTopic: this.outcomeTopic } = workflowTopics(this, {
      key: this.key,
      approvers: props.approvers,
      notificationEmails: props.notificationEmails ?? DEFAULTS.notificationEmails,
    }));

    const fn = (name: FunctionName, timeout?: Duration) => new WorkflowFunction(this, name, { key: this.key, logRetention, timeout });
    /**
     * Slack's secrets, by what the function does with them: posts outcomes (the webhook), posts requests (the
     * webhook, and whether buttons are on), or takes clicks (both secrets read).
     */
    const slack = (f: WorkflowFunction, use: 'outcomes' | 'requests' | 'clicks') => {
      if (!props.slack) return f;
      f.bindSecret('SLACK_WEBHOOK_SECRET_ID', props.slack.webhookSecretId, props.slack.webhookSecret);
      const { signingSecret, signingSecretId } = props.slack;
      if (signingSecret && signingSecretId && use === 'clicks') f.bindSecret('SLACK_SIGNING_SECRET_ID', signingSecretId, signingSecret);
      if (signingSecretId && use === 'requests') f.setEnvironment({ SLACK_SIGNING_SECRET_ID: signingSecretId });
      return f;
    };
    const approvers = { APPROVERS: props.approvers };

    const reviewPlan = fn('ReviewPlan')
      .setEnvironment({
        ...approvers,
        APPROVAL_RULES: { autoApproveUpTo: props.autoApproveUpTo ?? DEFAULTS.autoApproveUpTo, requiredApprovals },
        DEFAULT_ACCEPT_LANGUAGE: props.defaultAcceptLanguage ?? DEFAULTS.defaultAcceptLanguage,
        SENSITIVE_RESOURCE_TYPES: props.sensitiveResourceTypes ?? DEFAULT_SENSITIVE_RESOURCE_TYPES,
        DENIED_RESOURCE_TYPES: props.deniedResourceTypes ?? DEFAULTS.deniedResourceTypes,
      })
      .allowServiceCatalog('DescribeProvisionedProductPlan');
    const approvalApiFunction = slack(fn('ApprovalApi', Duration.seconds(15)).bindTable(this.approvalTable, 'readWrite').setEnvironment(approvers), 'clicks');
    this.approvalApi = new ApprovalApi(this, 'ApprovalApi', {
      handler: approvalApiFunction,
      key: this.key,
      logRetention,
      cloudWatchRole: props.apiGatewayCloudWatchRole ?? DEFAULTS.apiGatewayCloudWatchRole,
    });
    const requestApproval = slack(
      fn('RequestApproval')
        .bindTable(this.approvalTable, 'readWrite')
        .bindTopic('APPROVAL_TOPIC_ARN', this.approvalTopic)
        .setEnvironment({
          ...approvers,
          // Built from the API's id rather than `api.url`, which would make this function depend on the
          // API's deployment and so, through the state machine, on itself.
          APPROVAL_BASE_URL: `https://${this.approvalApi.restApiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${API_STAGE}/`,
          APPROVAL_TIMEOUT_SECONDS: approvalTimeout.toSeconds(),
        }),
      'requests',
    );
    const autoApprove = fn('AutoApprove').bindTable(this.approvalTable, 'readWrite').setEnvironment(approvers);
    const expireApproval = fn('ExpireApproval')
      .bindTable(this.approvalTable, 'update')
      .bindTopic('APPROVAL_TOPIC_ARN', this.approvalTopic)
      .setEnvironment({ DELETE_EXPIRED_PLANS: props.deleteExpiredPlans ?? DEFAULTS.deleteExpiredPlans });
    if (props.deleteExpiredPlans) expireApproval.allowServiceCatalog('DeleteProvisionedProductPlan');
    // Execute describes the plan again first, to refuse one that changed since it was approved.
    const executePlan = fn('ExecutePlan')
      .bindTable(this.approvalTable, 'update')
      .allowServiceCatalog('DescribeProvisionedProductPlan', 'ExecuteProvisionedProductPlan');
    const checkRecord = fn('CheckRecord')
      .setEnvironment({
        POLL_INITIAL_INTERVAL_SECONDS: pollInitialInterval.toSeconds(),
        POLL_MAX_INTERVAL_SECONDS: pollMaxInterval.toSeconds(),
        POLL_TIMEOUT_SECONDS: pollTimeout.toSeconds(),
      })
      .allowServiceCatalog('DescribeRecord');
    // Notify closes the endings the workflow drives; CloseRun those outside it. Both close a run the same way.
    const bus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const closer = (f: WorkflowFunction) =>
      slack(
        f
          .bindTable(this.approvalTable, 'update')
          .bindTopic('OUTCOME_TOPIC_ARN', this.outcomeTopic)
          .bindTopic('APPROVAL_TOPIC_ARN', this.approvalTopic)
          .bindEventBus(bus, eventSource),
        'outcomes',
      );
    const notify = closer(fn('Notify'));
    this.endingsDeadLetterQueue = deadLetterQueue(this, 'EndingsDeadLetterQueue', this.key);
    this.stackEventsDeadLetterQueue = deadLetterQueue(this, 'StackEventsDeadLetterQueue', this.key);
    // Wakes a run when the stack behind its record finishes; the run registers, and the events arrive, here.
    const awaitRecord = new WorkflowFunction(this, 'AwaitRecord', {
      key: this.key,
      logRetention,
      asyncRetries: 2,
      deadLetterQueue: this.stackEventsDeadLetterQueue,
    }).bindTable(this.approvalTable, 'update');
    const closeRun = closer(
      new WorkflowFunction(this, 'CloseRun', { key: this.key, logRetention, asyncRetries: 2, deadLetterQueue: this.endingsDeadLetterQueue }),
    );
    const functions = {
      ReviewPlan: reviewPlan,
      AutoApprove: autoApprove,
      RequestApproval: requestApproval,
      ExpireApproval: expireApproval,
      ApprovalApi: approvalApiFunction,
      ExecutePlan: executePlan,
      CheckRecord: checkRecord,
      Notify: notify,
      CloseRun: closeRun,
      AwaitRecord: awaitRecord,
    };

    const definition = new WorkflowDefinition(this, 'Definition', {
      functions: { reviewPlan, autoApprove, requestApproval, expireApproval, executePlan, checkRecord, awaitRecord, notify },
      approvalTimeout,
      reminderBeforeExpiry,
      planCheckInterval,
      planChecks: Math.ceil(planReadyTimeout.toSeconds() / planCheckInterval.toSeconds()),
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition.start),
      // Bounds a run even if every inner limit failed; the outcome alert below reports it.
      timeout: approvalTimeout.plus(planReadyTimeout).plus(pollTimeout).plus(Duration.hours(1)),
      tracingEnabled: true,
      logs: {
        destination: workflowLogGroup(this, 'StateMachineLogs', { key: this.key, retention: logRetention }),
        level: sfn.LogLevel.ALL,
        // Execution data would put task tokens into the logs.
        includeExecutionData: false,
      },
    });
    // Only the approval API completes approval tasks, and only with success (a rejection is a decision, not an error);
    // AwaitRecord completes the record waits, with the tokens only that wait stores.
    const completeTasks = new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [this.stateMachine.stateMachineArn] });
    approvalApiFunction.addToRolePolicy(completeTasks);
    // A policy of its own, not the role's default one: the state machine invokes this function, which must not wait on it.
    new iam.Policy(this, 'AwaitRecordCompletesTasks', { roles: [awaitRecord.role], statements: [completeTasks] });

    // CloseRun releases a plan only once its run has ended, which it checks; WatchRuns reads which plan a run is for.
    const describeExecutions = new iam.PolicyStatement({
      actions: ['states:DescribeExecution'],
      resources: [
        Stack.of(this).formatArn({
          service: 'states',
          resource: 'execution',
          resourceName: `${this.stateMachine.stateMachineName}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
    closeRun.addToRolePolicy(describeExecutions);

    // An explicit undefined keeps the default.
    const given = Object.entries(props.alarms?.thresholds ?? {}).filter(([, value]) => value !== undefined);
    const thresholds: AlarmThresholds = { ...DEFAULT_ALARM_THRESHOLDS, ...Object.fromEntries(given) };
    // Counts the runs in flight and their open approvals every 5 minutes (the gauges CloudWatch does not have).
    this.watchRunsDeadLetterQueue = deadLetterQueue(this, 'WatchRunsDeadLetterQueue', this.key);
    const watchRuns = new WorkflowFunction(this, 'WatchRuns', { key: this.key, logRetention, asyncRetries: 0, deadLetterQueue: this.watchRunsDeadLetterQueue })
      .bindTable(this.approvalTable, 'read')
      .setEnvironment({ STATE_MACHINE_ARN: this.stateMachine.stateMachineArn, APPROVAL_ALARM_PERCENT: thresholds.approvalWaitPercent });
    watchRuns.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.stateMachine.stateMachineArn] }));
    watchRuns.addToRolePolicy(describeExecutions);
    this.functions = { ...functions, WatchRuns: watchRuns };

    if (props.eventTriggerEnabled ?? DEFAULTS.eventTriggerEnabled) {
      this.runTriggersDeadLetterQueue = deadLetterQueue(this, 'RunTriggersDeadLetterQueue', this.key);
      addRunTriggers(this, { stateMachine: this.stateMachine, eventSource, deadLetterQueue: this.runTriggersDeadLetterQueue });
    }
    closeRunsEndedOutside(this, { stateMachine: this.stateMachine, closeRun, deadLetterQueue: this.endingsDeadLetterQueue });
    wakeRunsWhenStacksFinish(this, { awaitRecord, deadLetterQueue: this.stackEventsDeadLetterQueue });
    this.approvalApi.routeReleasesTo(closeRun);

    watchRunsOnSchedule(this, { watchRuns, deadLetterQueue: this.watchRunsDeadLetterQueue });

    this.monitoring = new WorkflowMonitoring(this, 'Monitoring', {
      key: this.key,
      stateMachine: this.stateMachine,
      functions: this.functions,
      api: this.approvalApi,
      table: this.approvalTable,
      deadLetterQueues: {
        EndingsDeadLetterQueue: this.endingsDeadLetterQueue,
        StackEventsDeadLetterQueue: this.stackEventsDeadLetterQueue,
        ...(this.runTriggersDeadLetterQueue ? { RunTriggersDeadLetterQueue: this.runTriggersDeadLetterQueue } : {}),
        WatchRunsDeadLetterQueue: this.watchRunsDeadLetterQueue,
      },
      thresholds,
      alarmEmails: props.alarms?.emails ?? DEFAULTS.alarmEmails,
      slack: Boolean(props.slack),
    });
    this.acknowledgeNagFindings();
  }

  /** cdk-nag (AwsSolutions) findings on the functions' and the state machine's roles that are deliberate, each with why. */
  private acknowledgeNagFindings() {
    const ack = (scope: Construct, id: string, reason: string) =>
      Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason });
    for (const [name, fn] of Object.entries(this.functions)) {
      ack(fn.role, 'IAM5[Resource::*]',
        'X-Ray PutTraceSegments/PutTelemetryRecords and the Service Catalog plan and record actions have no resource types; IAM accepts only "*". Each role gets only the actions its function calls.');
      // The functions that write to the table or publish to a topic (all but these three) are granted the key too.
      if (name === 'ReviewPlan' || name === 'CheckRecord' || name === 'WatchRuns') continue;
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        ack(fn.role, `IAM5[Action::${action}]`, 'Granted by CDK for the one PlanGate key that encrypts the table and topics.');
      }
    }
    for (const fn of [this.functions.CloseRun, this.functions.WatchRuns]) {
      ack(
        fn.role,
        'IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<WorkflowStateMachine8F1B1C15.Name>:*]',
        'DescribeExecution on the executions of this state machine only: an execution ARN ends with its run’s name.',
      );
    }
    const smRole = this.stateMachine.role as Construct;
    ack(smRole, 'IAM5[Resource::*]', 'X-Ray tracing and CloudWatch Logs delivery actions have no resource types.');
    for (const fn of Object.values(this.functions)) {
      const logicalId = Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement);
      ack(smRole, `IAM5[Resource::<${logicalId}.Arn>:*]`, 'Lets the state machine invoke versions and aliases of its own functions only.');
    }
  }
}
