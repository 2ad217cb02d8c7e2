import {
  ArnFormat,
  type CfnElement,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  type aws_kms as kms,
  Stack,
  aws_stepfunctions as sfn,
  type aws_sns as sns,
  type aws_sqs as sqs,
  Validations,
} from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { CALENDAR_DEFAULTS } from '../lambdas/shared/contracts/calendar-policy';
import { WINDOW_HORIZON_DAYS } from '../lambdas/shared/contracts/execute-window';
import { API_STAGE, ApprovalApi } from './approval-api';
import { DEFAULTS } from './defaults';
import { checkEnvironmentSize } from './environment-size';
import { EvidenceStore, writeManifestsOnSchedule } from './evidence';
import type { FunctionName } from './functions';
import { allowSpokeRoles, hubBus, hubRoleName, isSpokeCaller, SPOKE_CALLERS, spokesVariable } from './hub';
import { WorkflowMonitoring } from './monitoring';
import { ApproverSignIn, grantSessions, IDENTITY_PROVIDER_NAME, type SignInProps } from './sign-in';
import { bindSlack, type SlackUse } from './slack-secrets';
import { approvalTable, deadLetterQueue, workflowKey, workflowTopics } from './storage';
import { addHubBusRules, addRunTriggers, closeRunsEndedOutside, wakeRunsWhenStacksFinish, watchRunsOnSchedule } from './triggers';
import { WorkflowDefinition } from './workflow-definition';
import { WorkflowFunction, workflowLogGroup } from './workflow-function';
import { type PlanApprovalWorkflowProps, resolveSettings, type SpokesProps, type WorkflowSettings } from './workflow-props';
import type { WorkflowFunctions } from './workflow-tasks';

export type { AlarmProps, PlanApprovalWorkflowProps, SlackProps, SpokesProps } from './workflow-props';

/** Acknowledges a cdk-nag (AwsSolutions) finding that is deliberate, saying why. */
const acknowledge = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason });

/**
 * The plan approval gate: review → approval (task token) → execute → poll → notify, with the approval API,
 * the approval table, the topics and the EventBridge triggers it needs. This construct wires the parts:
 * storage (lib/storage.ts), functions (lib/workflow-function.ts), the API (lib/approval-api.ts), the
 * state machine's graph (lib/workflow-definition.ts) and the rules (lib/triggers.ts). Every part is created in
 * this construct's scope, in the order it always was, so no logical id moves (test/lib/logical-ids.test.ts).
 */
export class PlanApprovalWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly approvalTable: dynamodb.Table;
  readonly approvalApi: ApprovalApi;
  readonly approvalTopic: sns.Topic;
  readonly outcomeTopic: sns.Topic;
  readonly key: kms.Key;
  /** Every function; PlanCreated only with the event triggers (it takes CloudTrail's record of new plans). */
  readonly functions: Record<Exclude<FunctionName, 'PlanCreated' | 'SignIn' | 'Inbox'>, WorkflowFunction> & {
    PlanCreated?: WorkflowFunction;
    SignIn?: WorkflowFunction;
    Inbox?: WorkflowFunction;
  };
  /** The user pool approvers sign in through (only with plangate:signIn). */
  readonly signIn?: ApproverSignIn;
  /** Endings that could not be closed: the rule's undeliverable events and CloseRun's failed invocations. */
  readonly endingsDeadLetterQueue: sqs.Queue;
  /** Stack events that could not wake their run (which the safety net then finds). */
  readonly stackEventsDeadLetterQueue: sqs.Queue;
  /** Review requests that could not start a run (only with the event triggers). */
  readonly runTriggersDeadLetterQueue?: sqs.Queue;
  /** Runs counts that failed (the next one comes 5 minutes later). */
  readonly watchRunsDeadLetterQueue: sqs.Queue;
  /** The evidence bucket and its signing key (issue 24). */
  readonly evidence: EvidenceStore;
  /** The alarms, their topic and the dashboard. */
  readonly monitoring: WorkflowMonitoring;
  /** The bus the spokes forward their events to (only with spokes). */
  readonly hubBus?: events.EventBus;
  private readonly settings: WorkflowSettings;
  /** The approval API's base URL (with its stage), once the API exists: approval links are built on it. */
  private baseUrl?: string;

  constructor(scope: Construct, id: string, props: PlanApprovalWorkflowProps) {
    super(scope, id);
    this.settings = resolveSettings(props);
    const { settings } = this;
    this.key = workflowKey(this);
    this.approvalTable = approvalTable(this, this.key, { sessions: settings.signIn !== undefined });
    ({ approvalTopic: this.approvalTopic, outcomeTopic: this.outcomeTopic } = workflowTopics(this, {
      key: this.key,
      approvers: settings.approvers,
      notificationEmails: settings.notificationEmails,
      emergencyNotify: settings.changeCalendar?.emergency?.notify,
    }));
    const approval = this.approvalFunctions();
    this.approvalApi = approval.api;
    const record = this.recordFunctions();
    ({ endingsDeadLetterQueue: this.endingsDeadLetterQueue, stackEventsDeadLetterQueue: this.stackEventsDeadLetterQueue } = record);
    const { reviewPlan, autoApprove, requestApproval, expireApproval } = approval;
    const { executePlan, checkRecord, awaitRecord, notify } = record;
    const windowWait = this.windowWaitFunction();
    const invoked = { reviewPlan, autoApprove, requestApproval, expireApproval, executePlan, checkRecord, awaitRecord, notify, windowWait };
    this.stateMachine = this.createStateMachine(invoked);
    this.allowTaskCompletion([approval.approvalApiFunction, ...(approval.signIn ? [approval.signIn.inbox] : [])], awaitRecord);
    const runActions = this.runActionsFunction();
    this.allowWindowCompletion(runActions);
    this.allowDescribeExecutions(record.closeRun);
    this.watchRunsDeadLetterQueue = deadLetterQueue(this, 'WatchRunsDeadLetterQueue', this.key);
    const watchRuns = this.watchRunsFunction();
    this.evidence = new EvidenceStore(this, 'Evidence', { key: this.key, retentionDays: settings.evidenceRetentionDays });
    for (const closer of [notify, record.closeRun]) this.evidence.grantWriteBundles(closer);
    const evidenceManifestDeadLetterQueue = deadLetterQueue(this, 'EvidenceManifestDeadLetterQueue', this.key);
    const evidenceManifest = this.evidenceManifestFunction(evidenceManifestDeadLetterQueue);
    this.functions = {
      // (This order is the alarms' and the dashboard's.)
      ReviewPlan: reviewPlan,
      AutoApprove: autoApprove,
      RequestApproval: requestApproval,
      ExpireApproval: expireApproval,
      ApprovalApi: approval.approvalApiFunction,
      ExecutePlan: executePlan,
      CheckRecord: checkRecord,
      Notify: notify,
      CloseRun: record.closeRun,
      AwaitRecord: awaitRecord,
      WatchRuns: watchRuns,
      EvidenceManifest: evidenceManifest,
      WindowWait: windowWait,
      RunActions: runActions,
      ...(approval.signIn ? { SignIn: approval.signIn.fn, Inbox: approval.signIn.inbox } : {}),
    };
    this.signIn = approval.signIn?.pool;
    this.runTriggersDeadLetterQueue = this.addTriggers(record);
    if (settings.spokes) this.hubBus = this.connectSpokes(settings.spokes);
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
        EvidenceManifestDeadLetterQueue: evidenceManifestDeadLetterQueue,
      },
      thresholds: settings.alarmThresholds,
      alarmEmails: settings.alarmEmails,
      slack: Boolean(settings.slack),
      spokes: Boolean(settings.spokes),
      breakGlass: Boolean(settings.breakGlass),
    });
  }

  /** Review, the approval API with its function, and the functions that ask for, take and expire approvals. */
  private approvalFunctions() {
    const { settings, approvalTable: table, approvalTopic } = this;
    const approvers = { APPROVERS: settings.approvers };
    const policy = this.policyEnvironment();
    // Reads who created the plan (CREATOR#<planId>), if CloudTrail's record of it has arrived.
    const reviewPlan = this.workflowFunction('ReviewPlan')
      .bindTable(table, 'read')
      .setEnvironment({
        ...approvers,
        ...policy,
        APPROVAL_RULES: { autoApproveUpTo: settings.autoApproveUpTo, requiredApprovals: settings.requiredApprovals },
        DEFAULT_ACCEPT_LANGUAGE: settings.defaultAcceptLanguage,
        SENSITIVE_RESOURCE_TYPES: settings.sensitiveResourceTypes,
        DENIED_RESOURCE_TYPES: settings.deniedResourceTypes,
        CHANGE_CALENDAR: settings.changeCalendar,
      })
      // The product's and its version's names, for the approvers (only a decoration: refused, the ids stay).
      .allowServiceCatalog('DescribeProvisionedProductPlan', 'DescribeProductAsAdmin')
      .allowCalendarState(settings.changeCalendar?.ssmCalendars);
    const approvalApiFunction = this.withSlack(this.takesDecisions(this.workflowFunction('ApprovalApi', Duration.seconds(15))), 'clicks');
    const api = new ApprovalApi(this, 'ApprovalApi', {
      handler: approvalApiFunction,
      key: this.key,
      logRetention: settings.logRetention,
      cloudWatchRole: settings.apiGatewayCloudWatchRole,
      signIn: settings.signIn !== undefined,
    });
    // Built from the API's id rather than `api.url`, which would make RequestApproval depend on the API's deployment
    // and so, through the state machine, on itself.
    const baseUrl = `https://${api.restApiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${API_STAGE}/`;
    const requestApproval = this.withSlack(
      this.writesEncrypted(
        this.workflowFunction('RequestApproval').bindTable(table, 'create').bindTopic('APPROVAL_TOPIC_ARN', approvalTopic),
      ).setEnvironment({
        ...approvers,
        ...policy,
        APPROVAL_BASE_URL: baseUrl,
        APPROVAL_TIMEOUT_SECONDS: settings.approvalTimeout.toSeconds(),
        EMERGENCY_NOTIFY: settings.changeCalendar?.emergency && (settings.changeCalendar.emergency.notify ?? []),
      }),
      'requests',
    );
    // With stages, the vote that completes one asks the next stage's approvers (links by email, the Slack post).
    this.baseUrl = baseUrl;
    if (policy) approvalApiFunction.setEnvironment({ APPROVAL_BASE_URL: baseUrl });
    const autoApprove = this.writesEncrypted(this.workflowFunction('AutoApprove').bindTable(table, 'create')).setEnvironment(approvers);
    // An emergency change the rules auto-approve is announced as one that asks approvers is (RequestApproval).
    const emergency = settings.changeCalendar?.emergency;
    if (emergency) autoApprove.bindTopic('APPROVAL_TOPIC_ARN', approvalTopic).setEnvironment({ EMERGENCY_NOTIFY: emergency.notify ?? [] });
    const expireApproval = this.writesEncrypted(
      this.workflowFunction('ExpireApproval').bindTable(table, 'update').bindTopic('APPROVAL_TOPIC_ARN', approvalTopic),
    ).setEnvironment({ DELETE_EXPIRED_PLANS: settings.deleteExpiredPlans });
    if (settings.deleteExpiredPlans) expireApproval.allowServiceCatalog('DeleteProvisionedProductPlan');
    const signIn = settings.signIn && this.signInFunction(settings.signIn, api, baseUrl, approvalApiFunction);
    return { reviewPlan, approvalApiFunction, api, requestApproval, autoApprove, expireApproval, signIn };
  }

  /**
   * plangate:signIn: the user pool, the sign-in function on /auth/…, the approval API told to look sessions up (and,
   * with requireSignIn, to demand them), and the Inbox function's pages. Without it, nothing here exists and the
   * template is as before.
   */
  private signInFunction(props: SignInProps, api: ApprovalApi, baseUrl: string, approvalApiFunction: WorkflowFunction) {
    const pool = new ApproverSignIn(this, 'SignIn', { ...props, callbackUrl: `${baseUrl}auth/callback` });
    const fn = this.writesEncrypted(this.workflowFunction('SignIn', Duration.seconds(15))).setEnvironment({
      APPROVAL_BASE_URL: baseUrl,
      SIGN_IN_ISSUER: pool.issuer,
      SIGN_IN_CLIENT_ID: pool.client.userPoolClientId,
      SIGN_IN_EMAIL_DOMAINS: props.allowedEmailDomains,
      SIGN_IN_IDENTITY_PROVIDER: IDENTITY_PROVIDER_NAME,
    });
    grantSessions(fn, this.approvalTable);
    api.routeSignInTo(fn);
    approvalApiFunction.setEnvironment({ SIGN_IN_MODE: props.required ? 'required' : 'optional', APPROVAL_BASE_URL: baseUrl });
    // The signed-in approver's own pages: what waits for them, the history (the table's history index), each request.
    const inbox = this.withSlack(this.takesDecisions(this.workflowFunction('Inbox', Duration.seconds(15)), { history: true }), 'requests');
    inbox.setEnvironment({ APPROVAL_BASE_URL: baseUrl });
    api.routeSignedInPagesTo(inbox);
    return { pool, fn, inbox };
  }

  /**
   * Execution and what follows: following the record (CheckRecord, and AwaitRecord, which stack events wake), and
   * closing runs (Notify those the workflow ends, CloseRun those ended outside it), with the two dead-letter queues.
   */
  private recordFunctions() {
    const { settings, approvalTable: table } = this;
    // Execute describes the plan again first, to refuse one that changed since it was approved.
    const executePlan = this.writesEncrypted(this.workflowFunction('ExecutePlan').bindTable(table, 'update'))
      .allowServiceCatalog('DescribeProvisionedProductPlan', 'ExecuteProvisionedProductPlan')
      // The calendar's check right before executing is the one that decides.
      .setEnvironment({ CHANGE_CALENDAR: settings.changeCalendar, APPROVAL_VALIDITY_HOURS: settings.approvalValidityHours })
      // A windowed run checks, right before executing, that its approvers are still approvers (and group members).
      .setEnvironment({ APPROVERS: settings.approvers, GROUPS: settings.approvalPolicy?.groups })
      .allowCalendarState(settings.changeCalendar?.ssmCalendars);
    const identityStoreId = settings.approvalPolicy?.identityStoreId;
    if (identityStoreId) executePlan.bindIdentityStore(identityStoreId);
    const checkRecord = this.workflowFunction('CheckRecord')
      .setEnvironment({
        POLL_INITIAL_INTERVAL_SECONDS: settings.pollInitialInterval.toSeconds(),
        POLL_MAX_INTERVAL_SECONDS: settings.pollMaxInterval.toSeconds(),
        POLL_TIMEOUT_SECONDS: settings.pollTimeout.toSeconds(),
      })
      .allowServiceCatalog('DescribeRecord');
    // Notify closes the endings the workflow drives; CloseRun those outside it. Both close a run the same way.
    const bus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const closer = (f: WorkflowFunction) =>
      this.withSlack(
        this.writesEncrypted(
          f
            .bindTable(table, 'update')
            .bindTopic('OUTCOME_TOPIC_ARN', this.outcomeTopic)
            .bindTopic('APPROVAL_TOPIC_ARN', this.approvalTopic)
            .bindEventBus(bus, settings.eventSource),
        ),
        'outcomes',
      );
    const notify = closer(this.workflowFunction('Notify'));
    const endingsDeadLetterQueue = deadLetterQueue(this, 'EndingsDeadLetterQueue', this.key);
    const stackEventsDeadLetterQueue = deadLetterQueue(this, 'StackEventsDeadLetterQueue', this.key);
    // Wakes a run when the stack behind its record finishes; the run registers, and the events arrive, here.
    const awaitRecord = this.writesEncrypted(
      this.workflowFunction('AwaitRecord', undefined, { asyncRetries: 2, deadLetterQueue: stackEventsDeadLetterQueue }).bindTable(table, 'update'),
    );
    const closeRun = closer(this.workflowFunction('CloseRun', undefined, { asyncRetries: 2, deadLetterQueue: endingsDeadLetterQueue }));
    return { executePlan, checkRecord, notify, awaitRecord, closeRun, endingsDeadLetterQueue, stackEventsDeadLetterQueue };
  }

  private createStateMachine(functions: WorkflowFunctions): sfn.StateMachine {
    const { settings } = this;
    const definition = new WorkflowDefinition(this, 'Definition', {
      functions,
      approvalTimeout: settings.approvalTimeout,
      reminderBeforeExpiry: settings.reminderBeforeExpiry,
      planCheckInterval: settings.planCheckInterval,
      planChecks: Math.ceil(settings.planReadyTimeout.toSeconds() / settings.planCheckInterval.toSeconds()),
      changeCalendar: settings.changeCalendar !== undefined,
    });
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition.start),
      // Bounds a run even if every inner limit failed; the outcome alert reports it. It allows for the longest execution
      // window a run may have (WINDOW_HORIZON_DAYS after its approval was asked) and the change calendar's wait.
      timeout: settings.approvalTimeout
        .plus(settings.planReadyTimeout)
        .plus(Duration.days(WINDOW_HORIZON_DAYS))
        .plus(Duration.hours(calendarWaitHours(settings.changeCalendar)))
        .plus(settings.pollTimeout)
        .plus(Duration.hours(1)),
      tracingEnabled: true,
      logs: {
        destination: workflowLogGroup(this, 'StateMachineLogs', { key: this.key, retention: settings.logRetention }),
        level: sfn.LogLevel.ALL,
        // Execution data would put task tokens into the logs.
        includeExecutionData: false,
      },
    });
    const role = stateMachine.role as Construct;
    acknowledge(role, 'IAM5[Resource::*]', 'X-Ray tracing and CloudWatch Logs delivery actions have no resource types.');
    for (const fn of Object.values(functions)) {
      const reason = 'Lets the state machine invoke versions and aliases of its own functions only.';
      acknowledge(role, `IAM5[Resource::<${this.logicalIdOf(fn)}.Arn>:*]`, reason);
    }
    return stateMachine;
  }

  /**
   * Only the approval API completes approval tasks, and only with success (a rejection is a decision, not an error);
   * AwaitRecord completes the record waits, with the tokens only that wait stores.
   */
  private allowTaskCompletion(webDeciders: WorkflowFunction[], awaitRecord: WorkflowFunction) {
    const completeTasks = new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [this.stateMachine.stateMachineArn] });
    for (const fn of webDeciders) fn.addToRolePolicy(completeTasks);

    // A policy of its own, not the role's default one: the state machine invokes this function, which must not wait on it.
    new iam.Policy(this, 'AwaitRecordCompletesTasks', { roles: [awaitRecord.role], statements: [completeTasks] });
  }

  /** A windowed run's wait (issue 23): it keeps the wait's token on the approval record, where RunActions finds it. */
  private windowWaitFunction(): WorkflowFunction {
    return this.writesEncrypted(this.workflowFunction('WindowWait').bindTable(this.approvalTable, 'update'));
  }

  /**
   * The signed command line's actions besides deciding: reschedule, cancel and run-now end a windowed run's wait; with
   * plangate:breakGlass, break-glass approves outright (telling every approver by email and on Slack; its rate limit and
   * review are items of the table) and review closes its follow-up.
   */
  private runActionsFunction(): WorkflowFunction {
    const { breakGlass } = this.settings;
    // Break-glass writes its rate limit and the index of open reviews: items of their own.
    const fn = this.withSlack(this.takesDecisions(this.workflowFunction('RunActions'), { writesOwnItems: Boolean(breakGlass) }), 'requests');
    fn.setEnvironment({ WINDOW_OPERATORS: this.settings.windowOperators, BREAK_GLASS: breakGlass });
    this.approvalApi.routeCommandLineTo(fn);
    return fn;
  }

  /**
   * RunActions ends waits: a windowed run's (success, or RunCancelledError for a cancellation) and, by break-glass, an
   * approval's. In a policy of its own, as AwaitRecord's: the state machine invokes WindowWait, not RunActions, but the
   * state machine's ARN must not make the function wait on it either way.
   */
  private allowWindowCompletion(runActions: WorkflowFunction) {
    const statement = new iam.PolicyStatement({
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      resources: [this.stateMachine.stateMachineArn],
    });
    new iam.Policy(this, 'RunActionsCompletesTasks', { roles: [runActions.role], statements: [statement] });
  }

  /** CloseRun releases a plan only once its run has ended, which it checks; WatchRuns reads which plan a run is for. */
  private allowDescribeExecutions(fn: WorkflowFunction) {
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
    acknowledge(
      fn.role,
      `IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${this.logicalIdOf(this.stateMachine)}.Name>:*]`,
      'DescribeExecution on the executions of this state machine only: an execution ARN ends with its run’s name.',
    );
  }

  /** Counts the runs in flight and their open approvals every 5 minutes (the gauges CloudWatch does not have). */
  private watchRunsFunction(): WorkflowFunction {
    const watchRuns = this.workflowFunction('WatchRuns', undefined, { asyncRetries: 0, deadLetterQueue: this.watchRunsDeadLetterQueue })
      .bindTable(this.approvalTable, 'read')
      .setEnvironment({
        STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        APPROVAL_ALARM_PERCENT: this.settings.alarmThresholds.approvalWaitPercent,
        // It counts the break-glass reviews still open past reviewWithinHours.
        BREAK_GLASS: this.settings.breakGlass,
      });
    watchRuns.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.stateMachine.stateMachineArn] }));
    this.allowDescribeExecutions(watchRuns);
    return watchRuns;
  }

  /** Writes each day's evidence manifest (and any bundle a closing could not write), hourly. */
  private evidenceManifestFunction(deadLetterQueue: sqs.IQueue): WorkflowFunction {
    const fn = this.workflowFunction('EvidenceManifest', Duration.minutes(5), { asyncRetries: 0, deadLetterQueue })
      .bindTable(this.approvalTable, 'read')
      .setEnvironment({ STATE_MACHINE_ARN: this.stateMachine.stateMachineArn });
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.stateMachine.stateMachineArn] }));
    this.allowDescribeExecutions(fn);
    this.key.grant(fn, 'kms:GenerateDataKey');
    this.evidence.grantManifests(fn);
    writeManifestsOnSchedule(this, { manifests: fn, deadLetterQueue });
    return fn;
  }

  /** The EventBridge rules, and the API route that releases plans; returns the run triggers' dead-letter queue, if any. */
  private addTriggers(record: { closeRun: WorkflowFunction; awaitRecord: WorkflowFunction }): sqs.Queue | undefined {
    const { stateMachine } = this;
    let runTriggersDeadLetterQueue: sqs.Queue | undefined;
    if (this.settings.eventTriggerEnabled) {
      runTriggersDeadLetterQueue = deadLetterQueue(this, 'RunTriggersDeadLetterQueue', this.key);
      const planCreated = this.planCreatedFunction(runTriggersDeadLetterQueue);
      this.functions.PlanCreated = planCreated;
      addRunTriggers(this, {
        stateMachine,
        planCreated,
        eventSource: this.settings.eventSource,
        deadLetterQueue: runTriggersDeadLetterQueue,
        spokes: Boolean(this.settings.spokes),
      });
    }
    closeRunsEndedOutside(this, { stateMachine, closeRun: record.closeRun, deadLetterQueue: this.endingsDeadLetterQueue });
    wakeRunsWhenStacksFinish(this, { awaitRecord: record.awaitRecord, deadLetterQueue: this.stackEventsDeadLetterQueue });
    this.approvalApi.routeReleasesTo(record.closeRun);
    watchRunsOnSchedule(this, { watchRuns: this.functions.WatchRuns, deadLetterQueue: this.watchRunsDeadLetterQueue });
    return runTriggersDeadLetterQueue;
  }

  /**
   * The hub's side of several accounts: the bus and its rules, the allow-list (SPOKES) for every function, and for
   * those that call Service Catalog, the right to assume the spoke roles.
   */
  private connectSpokes(spokes: SpokesProps): events.EventBus {
    const { functions } = this;
    const bus = hubBus(this, spokes.organizationId);
    addHubBusRules(this, {
      bus,
      awaitRecord: functions.AwaitRecord,
      stackEventsDeadLetterQueue: this.stackEventsDeadLetterQueue,
      planCreated:
        functions.PlanCreated && this.runTriggersDeadLetterQueue
          ? { fn: functions.PlanCreated, deadLetterQueue: this.runTriggersDeadLetterQueue }
          : undefined,
    });
    const variable = spokesVariable(this, spokes);
    for (const fn of Object.values(functions)) fn?.addEnvironment('SPOKES', variable);
    const callers = SPOKE_CALLERS.filter((name) => name !== 'ExpireApproval' || this.settings.deleteExpiredPlans);
    for (const name of callers) {
      allowSpokeRoles(functions[name].role, spokes.organizationId);
      acknowledge(
        functions[name].role,
        'IAM5[Resource::arn:<AWS::Partition>:iam::*:role/plangate-spoke-*]',
        'The PlanGate role of every spoke account: the function checks the plan’s account against the allow-list before it assumes one.',
      );
    }
    return bus;
  }

  /**
   * Takes CloudTrail's record of a new plan: keeps who created it (the verified requester), puts them on a request
   * already open for the plan, tells its approvers what that changes, and starts the run.
   */
  private planCreatedFunction(deadLetterQueue: sqs.IQueue): WorkflowFunction {
    const fn = this.writesEncrypted(
      this.workflowFunction('PlanCreated', undefined, { asyncRetries: 2, deadLetterQueue })
        .bindTable(this.approvalTable, 'create')
        .bindTopic('APPROVAL_TOPIC_ARN', this.approvalTopic),
    ).setEnvironment({ APPROVERS: this.settings.approvers, STATE_MACHINE_ARN: this.stateMachine.stateMachineArn });
    this.stateMachine.grantStartExecution(fn);
    // A request its creator leaves unapprovable: its approval wait fails (PlanDeniedError).
    this.stateMachine.grant(fn, 'states:SendTaskFailure');
    return fn;
  }

  /** One of the functions, in this construct's scope. Tracing (and Service Catalog, for those that call it) need "*". */
  private workflowFunction(name: FunctionName, timeout?: Duration, asyncInvocation: { asyncRetries?: number; deadLetterQueue?: sqs.IQueue } = {}) {
    // With spokes, the roles the spoke role trusts have fixed names.
    const roleName = this.settings.spokes && isSpokeCaller(name) ? hubRoleName(name, Stack.of(this).region) : undefined;
    const fn = new WorkflowFunction(this, name, { key: this.key, logRetention: this.settings.logRetention, timeout, roleName, ...asyncInvocation });
    checkEnvironmentSize(fn, name);
    acknowledge(
      fn.role,
      'IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords and the Service Catalog plan and record actions have no resource types; ' +
        'IAM accepts only "*". Each role gets only the actions its function calls.',
    );
    return fn;
  }

  /** A function bound to write to the table or publish to a topic is granted the key, with CDK's wildcard actions. */
  private writesEncrypted(fn: WorkflowFunction): WorkflowFunction {
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      acknowledge(fn.role, `IAM5[Action::${action}]`, 'Granted by CDK for the one PlanGate key that encrypts the table and topics.');
    }
    return fn;
  }

  /** Only with approval rules: without them the functions and the template are as before rules existed. */
  private policyEnvironment() {
    const policy = this.settings.approvalPolicy;
    return (
      policy && {
        GROUPS: policy.groups,
        APPROVAL_POLICY: {
          rules: policy.rules,
          distinctApproversAcrossRules: policy.distinctApproversAcrossRules ?? DEFAULTS.distinctApproversAcrossRules,
        },
      }
    );
  }

  /**
   * What every function that takes decisions needs (services/decision-deps.ts): the approval record (a vote that opens a
   * stage writes the next stage's links), the approval topic (each decision is told to the requester and the other
   * approvers; an opened stage asks its approvers), the approvers and rules, and group membership in the identity store.
   * Completing the run's task is granted apart, as is Slack.
   */
  private takesDecisions(fn: WorkflowFunction, options: { writesOwnItems?: boolean; history?: boolean } = {}): WorkflowFunction {
    const policy = this.policyEnvironment();
    this.writesEncrypted(fn.bindTable(this.approvalTable, policy || options.writesOwnItems ? 'create' : 'update', options.history))
      .bindTopic('APPROVAL_TOPIC_ARN', this.approvalTopic)
      .setEnvironment({ APPROVERS: this.settings.approvers, ...policy, ...(policy && this.baseUrl ? { APPROVAL_BASE_URL: this.baseUrl } : {}) });
    const identityStoreId = this.settings.approvalPolicy?.identityStoreId;
    if (identityStoreId) fn.bindIdentityStore(identityStoreId);
    return fn;
  }

  private withSlack(fn: WorkflowFunction, use: SlackUse): WorkflowFunction {
    return this.settings.slack ? bindSlack(fn, this.settings.slack, use) : fn;
  }

  private logicalIdOf(construct: IConstruct): string {
    return Stack.of(this).getLogicalId(construct.node.defaultChild as CfnElement);
  }
}

/** How long the change calendar may keep an approved run waiting (onClosed `wait`), in hours; none otherwise. */
function calendarWaitHours(calendar: WorkflowSettings['changeCalendar']): number {
  if (calendar?.onClosed !== 'wait') return 0;
  return calendar.maxWaitHours ?? CALENDAR_DEFAULTS.maxWaitHours;
}
