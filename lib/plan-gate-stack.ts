import {
  Aws,
  CfnOutput,
  aws_cloudformation as cloudformation,
  Duration,
  aws_iam as iam,
  type aws_logs as logs,
  Stack,
  type StackProps,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SPOKE_STACK_NAME } from '../lambdas/shared/contracts/spokes';
import { STACK_OUTPUTS } from '../lambdas/shared/contracts/stack';
import { type PlanGateConfig, reminderMinutes } from './config';
import { PlanApprovalWorkflow, type SpokesProps } from './plan-approval-workflow';
import { SPOKE_PARAMETERS, spokeTemplateBody } from './spoke-stack';

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
      alarms: { emails: config.alarmEmails, thresholds: config.alarmThresholds },
      apiGatewayCloudWatchRole: config.apiGatewayCloudWatchRole,
      spokes: spokesOf(config),
      changeCalendar: config.changeCalendar,
      approvalValidityHours: config.approvalValidityHours,
      breakGlass: config.breakGlass,
      evidenceRetentionDays: config.evidenceRetentionDays,
      windowOperators: config.windowOperators,
      signIn: config.signIn && { ...config.signIn, required: config.requireSignIn },
      // Freeze approvals are a requirement from a group, as the approval rules' are: they need the policy's machinery.
      approvalPolicy: (config.approvalRules || config.changeCalendar?.freezeApprovers) && {
        groups: config.groups ?? {},
        rules: config.approvalRules ?? [],
        distinctApproversAcrossRules: config.distinctApproversAcrossRules,
        identityStoreId: config.identityStoreId,
      },
      slack: config.slackWebhookSecret
        ? {
            webhookSecret: this.secret('SlackWebhookSecret', config.slackWebhookSecret),
            webhookSecretId: config.slackWebhookSecret,
            signingSecret: config.slackSigningSecret ? this.secret('SlackSigningSecret', config.slackSigningSecret) : undefined,
            signingSecretId: config.slackSigningSecret,
          }
        : undefined,
    });
    this.outputs();
    if (config.spokeStackSet) this.spokeStackSet(config.spokeStackSet);
    if (config.operators?.length) this.allowOperators(config.operators);
  }

  /**
   * The spoke stack in every account of these OUs (and those that join them later) and Regions, pointed at this hub.
   * Service-managed, from this account as the organization's delegated StackSet administrator.
   */
  private spokeStackSet(targets: NonNullable<PlanGateConfig['spokeStackSet']>) {
    const stackSet = new cloudformation.CfnStackSet(this, 'SpokeStackSet', {
      stackSetName: SPOKE_STACK_NAME,
      description: 'PlanGate spoke: the role the hub assumes and the rules that forward plan and stack events to it',
      permissionModel: 'SERVICE_MANAGED',
      callAs: 'DELEGATED_ADMIN',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      operationPreferences: { regionConcurrencyType: 'PARALLEL', maxConcurrentPercentage: 50, failureTolerancePercentage: 10 },
      templateBody: spokeTemplateBody(),
      parameters: [
        { parameterKey: SPOKE_PARAMETERS.hubAccountId, parameterValue: Aws.ACCOUNT_ID },
        { parameterKey: SPOKE_PARAMETERS.hubRegion, parameterValue: Aws.REGION },
      ],
      stackInstancesGroup: [{ deploymentTargets: { organizationalUnitIds: targets.organizationalUnitIds }, regions: targets.regions }],
    });
    // The spokes forward to the hub bus from their first event.
    if (this.workflow.hubBus) stackSet.node.addDependency(this.workflow.hubBus);
  }

  /** plangate:operators may start runs, for a plan in any allowed spoke: ReviewPlan trusts a StartExecution's input. */
  private allowOperators(operators: string[]) {
    new iam.ManagedPolicy(this, 'OperatorPolicy', {
      description: 'PlanGate operators: start runs for plans in any allowed spoke account',
      statements: [new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.workflow.stateMachine.stateMachineArn] })],
      roles: operators.filter((arn) => arn.split(':')[5]!.startsWith('role/')).map((arn, i) => iam.Role.fromRoleArn(this, `OperatorRole${i}`, arn)),
      users: operators.filter((arn) => arn.split(':')[5]!.startsWith('user/')).map((arn, i) => iam.User.fromUserArn(this, `OperatorUser${i}`, arn)),
    });
  }

  /** What the README's commands read: `aws cloudformation describe-stacks --stack-name <stack> --query ...`. */
  private outputs() {
    const { workflow } = this;
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output(STACK_OUTPUTS.stateMachineArn, workflow.stateMachine.stateMachineArn, 'Start runs here (aws stepfunctions start-execution)');
    output(STACK_OUTPUTS.approvalTableName, workflow.approvalTable.tableName, 'The approval records: the audit trail');
    output(
      STACK_OUTPUTS.approvalApiUrl,
      workflow.approvalApi.url,
      'Base URL of the approval pages, Slack interactions (<this>slack/interactions) and the command line (<this>cli/...)',
    );
    output(STACK_OUTPUTS.approvalRequestTopicArn, workflow.approvalTopic.topicArn, 'Approval requests, one email subscription per approver');
    // With plangate:signIn: what the identity provider's application names (the README's "Sign-in").
    if (workflow.signIn) output('SignInUserPoolId', workflow.signIn.userPool.userPoolId, 'The user pool approvers sign in through');
    output(STACK_OUTPUTS.outcomeTopicArn, workflow.outcomeTopic.topicArn, 'Every run’s outcome');
    output(STACK_OUTPUTS.alarmTopicArn, workflow.monitoring.alarmTopic.topicArn, 'Alarm notifications (plangate:alarmEmails subscribe to it)');
    output(
      STACK_OUTPUTS.dashboardUrl,
      `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${workflow.monitoring.dashboard.dashboardName}`,
      'The CloudWatch dashboard',
    );
    output(
      STACK_OUTPUTS.closeRunFunctionName,
      workflow.functions.CloseRun.functionName,
      'Closes a run whose ending was dead-lettered (invoke it with the message body)',
    );
    output(
      STACK_OUTPUTS.evidenceBucketName,
      workflow.evidence.bucket.bucketName,
      'Evidence bundles and daily manifests (Object Lock, compliance mode)',
    );
    output(
      STACK_OUTPUTS.evidenceSigningKeyArn,
      workflow.evidence.signingKey.keyArn,
      'The key that signs evidence; its public key: aws kms get-public-key --key-id <this>',
    );
  }

  /** An existing secret, by name or complete ARN. */
  private secret(id: string, nameOrArn: string): secretsmanager.ISecret {
    return nameOrArn.startsWith('arn:')
      ? secretsmanager.Secret.fromSecretCompleteArn(this, id, nameOrArn)
      : secretsmanager.Secret.fromSecretNameV2(this, id, nameOrArn);
  }
}

/** The workflow's spokes from the configuration: "*" is any account of the organization, in the StackSet's Regions. */
function spokesOf(config: PlanGateConfig): SpokesProps | undefined {
  const { spokeAccounts, organizationId, spokeStackSet } = config;
  if (spokeAccounts === undefined || organizationId === undefined) return undefined;
  return spokeAccounts === '*'
    ? { organizationId, accounts: [], anyAccountRegions: spokeStackSet?.regions ?? [] }
    : { organizationId, accounts: spokeAccounts };
}
