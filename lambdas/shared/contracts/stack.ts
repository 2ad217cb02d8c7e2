/** The stack's name: `cdk deploy` creates it (bin/plangate.ts), the command line looks it up by default, local mode answers for it. */
export const STACK_NAME = 'PlanGate';

/** The stack's outputs, by key: the command line and the README's commands read them (DescribeStacks). */
export const STACK_OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  approvalTableName: 'ApprovalTableName',
  approvalApiUrl: 'ApprovalApiUrl',
  approvalRequestTopicArn: 'ApprovalRequestTopicArn',
  outcomeTopicArn: 'OutcomeTopicArn',
  alarmTopicArn: 'AlarmTopicArn',
  dashboardUrl: 'DashboardUrl',
  closeRunFunctionName: 'CloseRunFunctionName',
  evidenceBucketName: 'EvidenceBucketName',
  evidenceSigningKeyArn: 'EvidenceSigningKeyArn',
} as const;
