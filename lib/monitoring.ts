import {
  Aws,
  aws_cloudwatch_actions as actions,
  aws_cloudwatch as cw,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_iam as iam,
  type aws_kms as kms,
  type aws_lambda as lambda,
  Stack,
  type aws_stepfunctions as sfn,
  aws_sns as sns,
  type aws_sqs as sqs,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DIMENSION, METRIC, METRICS_NAMESPACE, type MetricName } from '../lambdas/shared/contracts/metrics';
import type { ApprovalApi } from './approval-api';
import type { AlarmThresholds } from './defaults';
import { stackAlarmArns } from './storage';

export interface WorkflowMonitoringProps {
  readonly key: kms.IKey;
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<string, lambda.IFunction>;
  readonly api: ApprovalApi;
  readonly table: dynamodb.ITable;
  /** Dead-letter queues, by name. */
  readonly deadLetterQueues: Record<string, sqs.IQueue>;
  readonly thresholds: AlarmThresholds;
  /** Subscribed to the alarm topic. */
  readonly alarmEmails: string[];
  readonly slack: boolean;
  /** With spokes: the alarm on the events the functions drop. @default false */
  readonly spokes?: boolean;
  /** With plangate:breakGlass: the alarm on reviews still open past reviewWithinHours. @default false */
  readonly breakGlass?: boolean;
}

const PERIOD = Duration.minutes(5);

interface AlarmOptions {
  readonly metric: cw.IMetric;
  /** Fires at this value or above. */
  readonly threshold: number;
  /** What happened and where to look. */
  readonly description: string;
  /** @default 1 */
  readonly datapointsToAlarm?: number;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default cw.TreatMissingData.NOT_BREACHING */
  readonly treatMissingData?: cw.TreatMissingData;
}

/**
 * The alarms, their topic and the dashboard. Plain CloudWatch constructs: each alarm is one short call here, and the
 * dashboard shows PlanGate's own metrics (contracts/metrics.ts) beside AWS's. Every alarm treats missing data as
 * fine (an idle stack raises none), except the dead-letter queues' (below), and tells the topic when it fires and
 * when it clears.
 */
export class WorkflowMonitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cw.Alarm[] = [];
  readonly dashboard: cw.Dashboard;
  private readonly service: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: WorkflowMonitoringProps,
  ) {
    super(scope, id);
    this.service = Stack.of(this).stackName;
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'PlanGate alarms', masterKey: props.key, enforceSSL: true });
    // CloudWatch publishes alarm notifications as a service; only this account's alarms may (the key allows it too).
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': stackAlarmArns(this) } },
      }),
    );
    for (const email of props.alarmEmails) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));

    this.stateMachineAlarms();
    this.functionAlarms();
    this.apiAndTableAlarms();
    if (props.slack) {
      const slackDescription = 'Slack posts failed after a retry (emails still went out). See "Slack 401" in the README.';
      const slackAlarm = { metric: this.metric(METRIC.SlackPostFailed, 'Sum'), threshold: props.thresholds.slackPostFailures };
      this.alarm('SlackPostsFailed', { ...slackAlarm, description: slackDescription });
    }
    if (props.spokes) this.droppedEventsAlarm();
    if (props.breakGlass) {
      this.alarm('BreakGlassReviewsOverdue', {
        metric: this.metric(METRIC.BreakGlassReviewsOverdue, 'Maximum', {}, Duration.minutes(10)),
        threshold: 1,
        description:
          'A break-glass approval has not been reviewed within plangate:breakGlass.reviewWithinHours. ' +
          'An approver other than the one who broke glass closes it: plangate review <planId>.',
      });
    }
    // The run ended and was announced; its bundle waits for the manifest job (README: Evidence).
    this.alarm('EvidenceNotWritten', {
      metric: this.metric(METRIC.EvidenceNotWritten, 'Sum'),
      threshold: 1,
      description: 'A closing could not write its run’s evidence bundle; the hourly manifest job writes it. See "Evidence" in the README.',
    });
    this.deadLetterAlarms();
    this.dashboard = this.createDashboard();
  }

  /** Executions that ended outside the workflow, and runs that ended INTERNAL_ERROR (their executions succeed). */
  private stateMachineAlarms() {
    const { stateMachine: sm, thresholds: t } = this.props;
    const troubleshooting = 'See "A stuck run" in the README (Troubleshooting).';
    this.alarm('ExecutionsFailed', {
      metric: sm.metricFailed({ period: PERIOD }),
      threshold: t.executionsEnded,
      description: `Runs failed outside the workflow (their notification failed, or they could not start). ${troubleshooting}`,
    });
    this.alarm('ExecutionsTimedOut', {
      metric: sm.metricTimedOut({ period: PERIOD }),
      threshold: t.executionsEnded,
      description: `Runs reached the state machine’s own time limit. ${troubleshooting}`,
    });
    this.alarm('ExecutionsAborted', {
      metric: sm.metricAborted({ period: PERIOD }),
      threshold: t.executionsEnded,
      description: 'Runs were stopped (StopExecution). CloseRun closes them and tells everyone; check who stopped them.',
    });
    this.alarm('InternalErrors', {
      metric: this.metric(METRIC.RunEnded, 'Sum', { [DIMENSION.outcome]: 'INTERNAL_ERROR' }),
      threshold: t.internalErrors,
      description:
        'Runs ended INTERNAL_ERROR: a step failed after its retries. The outcome email names the error; the function’s log has the details.',
    });
  }

  /** Each function's unexpected errors and throttles. */
  private functionAlarms() {
    const t = this.props.thresholds;
    for (const [name, fn] of Object.entries(this.props.functions)) {
      this.alarm(`${name}Errors`, {
        metric: this.unexpectedErrors(name, fn),
        threshold: t.functionErrors,
        description: `${name} failed, other than the workflow’s named endings and retries. Its log group has the error.`,
      });
      this.alarm(`${name}Throttles`, {
        metric: fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        threshold: t.functionThrottles,
        description: `Lambda throttled ${name}: the account’s concurrency is used up.`,
      });
    }
  }

  /** The approval API's errors and latency, overdue approvals, and the table's throttles. */
  private apiAndTableAlarms() {
    const { api, table, thresholds: t } = this.props;
    this.alarm('ApprovalApi5xx', {
      metric: api.deploymentStage.metricServerError({ period: PERIOD, statistic: 'Sum' }),
      threshold: t.api5xx,
      description:
        'The approval API answered 5xx ("Something went wrong"): nothing was recorded. The ApprovalApi function’s log has "Approval request failed".',
    });
    this.alarm('ApprovalApiLatency', {
      metric: api.deploymentStage.metricLatency({ period: PERIOD, statistic: 'p90' }),
      threshold: t.apiLatencyP90Ms,
      description: 'The approval API is slow (p90); Slack gives up on a click after 3 s.',
      datapointsToAlarm: 2,
      evaluationPeriods: 3,
    });
    this.alarm('ApprovalsOverdue', {
      metric: this.metric(METRIC.ApprovalsOverdue, 'Maximum', {}, Duration.minutes(10)),
      threshold: 1,
      description:
        `A run has waited for approval past ${t.approvalWaitPercent}% of its approval timeout. ` +
        "Nudge the approvers (the dashboard counts them; the approval table's PENDING records name them).",
    });
    this.alarm('TableThrottles', {
      metric: new cw.MathExpression({
        expression: 'FILL(reads, 0) + FILL(writes, 0)',
        usingMetrics: {
          reads: table.metric('ReadThrottleEvents', { period: PERIOD, statistic: 'Sum' }),
          writes: table.metric('WriteThrottleEvents', { period: PERIOD, statistic: 'Sum' }),
        },
        label: 'Throttled reads and writes',
        period: PERIOD,
      }),
      threshold: t.dynamoDbThrottles,
      description: 'DynamoDB throttled the approval table (on-demand: a sudden burst beyond its previous peak).',
    });
  }

  /**
   * SQS stops reporting a queue nobody touches, even one holding messages: a dead letter keeps the alarm on until the
   * queue is read or purged, rather than clearing it after some hours of silence.
   */
  private deadLetterAlarms() {
    for (const [name, queue] of Object.entries(this.props.deadLetterQueues)) {
      this.alarm(`${name}NotEmpty`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        threshold: 1,
        description: `${name} holds messages that could not be delivered. See "Dead letters" in the README.`,
        treatMissingData: cw.TreatMissingData.IGNORE,
      });
    }
  }

  /**
   * Events from the spokes that the functions dropped (issue 21's contract: metric DroppedEvents, with a dimension
   * saying why): all reasons together, by a Metrics Insights query, so a new reason needs no new alarm.
   */
  private droppedEventsAlarm() {
    this.alarm('DroppedEvents', {
      metric: new cw.MathExpression({
        expression: `SELECT SUM(DroppedEvents) FROM ${METRICS_NAMESPACE} WHERE ${DIMENSION.service} = '${this.service}'`,
        label: 'Events dropped',
        period: PERIOD,
      }),
      threshold: 1,
      description:
        'Events from the spokes were dropped: one naming another account than its sender, or another account or Region than its stack. ' +
        'A misconfigured spoke, or forged events; the function’s log says which.',
    });
  }

  /** A metric PlanGate emits, for this stack's functions. */
  private metric(name: MetricName, statistic: string, dimensions: Record<string, string> = {}, period = PERIOD): cw.Metric {
    return new cw.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [DIMENSION.service]: this.service, ...dimensions },
      statistic,
      period,
    });
  }

  /** Lambda's Errors, less the invocations that ended with a named ending or a retry (counted by the functions). */
  private unexpectedErrors(name: string, fn: lambda.IFunction): cw.MathExpression {
    // Ids of their own: the dashboard graphs every function's expression together.
    const [errors, expected] = [`errors${name}`, `expected${name}`];
    return new cw.MathExpression({
      expression: `${errors} - FILL(${expected}, 0)`,
      usingMetrics: {
        [errors]: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        [expected]: this.metric(METRIC.ExpectedErrors, 'Sum', { [DIMENSION.function]: fn.functionName }),
      },
      label: name,
      period: PERIOD,
    });
  }

  /** An alarm that tells the alarm topic when it fires and when it clears; missing data is fine unless told otherwise. */
  private alarm(id: string, options: AlarmOptions): cw.Alarm {
    const {
      metric,
      threshold,
      description,
      datapointsToAlarm = 1,
      evaluationPeriods = 1,
      treatMissingData = cw.TreatMissingData.NOT_BREACHING,
    } = options;
    const alarm = new cw.Alarm(this, id, {
      alarmName: `${this.service}-${id}`,
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData,
    });
    const action = new actions.SnsAction(this.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }

  private createDashboard(): cw.Dashboard {
    const hour = Duration.hours(1);
    const percentiles = (name: MetricName, unit: string, divide = 1): cw.IMetric[] =>
      ['p50', 'p90'].map((p) => {
        const label = `${name.replace(/Seconds$/, '')} ${p} (${unit})`;
        const metric = this.metric(name, p, {}, hour);
        if (divide === 1) return metric.with({ label });
        const id = `${name.charAt(0).toLowerCase()}${name.slice(1)}${p}`;
        return new cw.MathExpression({ expression: `${id} / ${divide}`, usingMetrics: { [id]: metric }, label, period: hour });
      });
    const widget = (title: string, left: cw.IMetric[], extra: Partial<cw.GraphWidgetProps> = {}) =>
      new cw.GraphWidget({ title, left, width: 12, height: 6, ...extra });
    const fns = Object.entries(this.props.functions);
    const dashboard = new cw.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(7) });
    dashboard.addWidgets(
      widget(
        'Runs by outcome (per hour)',
        [
          new cw.MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},${DIMENSION.outcome},${DIMENSION.service}} MetricName="${METRIC.RunEnded}" ${DIMENSION.service}="${this.service}"', 'Sum', 3600)`,
            label: '',
            period: hour,
          }),
        ],
        { right: [this.metric(METRIC.RunsStarted, 'Sum', {}, hour).with({ label: 'Runs started' })], stacked: false },
      ),
      widget('Runs in flight (every 5 minutes)', [
        this.metric(METRIC.RunsInFlight, 'Maximum').with({ label: 'Runs in flight' }),
        this.metric(METRIC.ApprovalsWaiting, 'Maximum').with({ label: 'Waiting for approval' }),
        this.metric(METRIC.ApprovalsOverdue, 'Maximum').with({ label: `Waiting past ${this.props.thresholds.approvalWaitPercent}% of the timeout` }),
      ]),
    );
    dashboard.addWidgets(
      widget('Approval wait (people’s decisions, hourly p50 and p90)', percentiles(METRIC.ApprovalWaitSeconds, 'minutes', 60)),
      widget('Execution and detection delay (hourly p50 and p90)', percentiles(METRIC.ExecutionSeconds, 'seconds'), {
        right: percentiles(METRIC.DetectionDelaySeconds, 'seconds'),
      }),
    );
    dashboard.addWidgets(
      widget(
        'Unexpected errors per function',
        fns.map(([name, fn]) => this.unexpectedErrors(name, fn)),
      ),
      widget('Slack failures and duplicate runs', [
        this.metric(METRIC.SlackPostFailed, 'Sum').with({ label: 'Slack posts failed' }),
        this.metric(METRIC.DuplicateRuns, 'Sum').with({ label: 'Duplicate runs' }),
      ]),
    );
    dashboard.addWidgets(
      widget('Approval API', [this.props.api.deploymentStage.metricServerError({ period: PERIOD, statistic: 'Sum', label: '5xx answers' })], {
        right: [this.props.api.deploymentStage.metricLatency({ period: PERIOD, statistic: 'p90', label: 'Latency p90 (ms)' })],
      }),
      widget(
        'Dead-letter queues (messages)',
        Object.entries(this.props.deadLetterQueues).map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: name }),
        ),
      ),
    );
    dashboard.addWidgets(new cw.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 6 }));
    return dashboard;
  }
}
