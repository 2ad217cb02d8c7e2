import { CfnOutput, Duration, Stack, type StackProps, aws_logs as logs, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type PlanGateConfig, reminderMinutes } from './config';
import { PlanApprovalWorkflow } from './plan-approval-workflow';

export interface PlanGateStackProps extends StackProps {
  readonly config: PlanGateConfig;
}

/** The deployable stack: the workflow built from PlanGate's configuration. */
export class PlanGateStack extends Stack {
  readonly workflow: PlanApprovalWorkflow;

  constructor(scope: Construct, id: string, props: PlanGateStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.workflow = new PlanApprovalWorkflow(this, 'Workflow', {
      approvers: config.approvers,
      approvalTimeout: Duration.minutes(config.approvalTimeoutMinutes),
      planCheckInterval: Duration.seconds(config.planCheckIntervalSeconds),
      planReadyTimeout: Duration.minutes(config.planReadyTimeoutMinutes),
      pollInitialInterval: Duration.seconds(config.pollInitialIntervalSeconds),
      pollMaxInterval: Duration.seconds(config.pollMaxIntervalSeconds),
      pollTimeout: Duration.minutes(config.pollTimeoutMinutes),
      notificationEmails: config.notificationEmails,
      eventTriggerEnabled: config.eventTriggerEnabled,
      eventSource: config.eventSource,
      defaultAcceptLanguage: config.defaultAcceptLanguage,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      sensitiveResourceTypes: config.sensitiveResourceTypes,
      requiredApprovals: config.requiredApprovals,
      deniedResourceTypes: config.deniedResourceTypes,
      autoApproveUpTo: config.autoApproveUpTo,
      reminderBeforeExpiry: Duration.minutes(reminderMinutes(config)),
      deleteExpiredPlans: config.deleteExpiredPlans,
      slack: config.slackWebhookSecret
        ? {
            webhookSecret: this.secret('SlackWebhookSecret', config.slackWebhookSecret),
            webhookSecretId: config.slackWebhookSecret,
            signingSecret: config.slackSigningSecret ? this.secret('SlackSigningSecret', config.slackSigningSecret) : undefined,
            signingSecretId: config.slackSigningSecret,
          }
        : undefined,
    });
    // What `plangate` (and the README's commands) look up by stack name.
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn, description: 'The state machine that runs each plan' });
    new CfnOutput(this, 'ApprovalTableName', { value: this.workflow.approvalTable.tableName, description: 'The approval records (the audit trail)' });
    new CfnOutput(this, 'ApprovalApiUrl', { value: this.workflow.approvalApi.url, description: 'The approval API: links, Slack buttons and the command line' });
  }

  /** An existing secret, by name or complete ARN. */
  private secret(id: string, nameOrArn: string): secretsmanager.ISecret {
    return nameOrArn.startsWith('arn:')
      ? secretsmanager.Secret.fromSecretCompleteArn(this, id, nameOrArn)
      : secretsmanager.Secret.fromSecretNameV2(this, id, nameOrArn);
  }
}

