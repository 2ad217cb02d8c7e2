import { synthesize } from '../../local/synth';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/**
 * Logical ids of the resources a deployed PlanGate cannot lose. A changed id makes CloudFormation replace the
 * resource: the retained approval table (the audit trail) would be orphaned and a new, empty one created;
 * a topic would need every subscription confirmed again; a new RestApi would break every link already sent;
 * retained log groups would be orphaned. Refactor freely, but these ids stay.
 */
const PINNED: Record<string, string[]> = {
  // The evidence signing key: a new one could not verify what the old one signed.
  'AWS::KMS::Key': ['WorkflowKey505700D2', 'WorkflowEvidenceSigningKey2B7E82B8'],
  // The evidence bucket (Object Lock) and its access logs: a new id would orphan the locked evidence.
  'AWS::S3::Bucket': ['WorkflowEvidenceBucketD10391E0', 'WorkflowEvidenceAccessLogs03FAB387'],
  'AWS::DynamoDB::Table': ['WorkflowApprovalTable83CDE979'],
  'AWS::SNS::Topic': ['WorkflowApprovalRequestTopic87183426', 'WorkflowOutcomeTopicCD29F16C'],
  'AWS::SNS::Subscription': [
    'WorkflowApprovalRequestTopicaliceexamplecomEC5C5A46',
    'WorkflowApprovalRequestTopicbobexamplecomC0B23336',
    'WorkflowApprovalRequestTopiccarolexamplecom8DCB9EAE',
    'WorkflowOutcomeTopicplatformteamexamplecom0B2D8D8D',
  ],
  'AWS::ApiGateway::RestApi': ['WorkflowApprovalApi3949B4F3'],
  'AWS::ApiGateway::Stage': ['WorkflowApprovalApiDeploymentStageprodB5F86973'],
  'AWS::StepFunctions::StateMachine': ['WorkflowStateMachine8F1B1C15'],
  'AWS::Logs::LogGroup': [
    'WorkflowApprovalApiAccessLogsC96E03EB',
    'WorkflowApprovalApiLogs1B06B337',
    'WorkflowAutoApproveLogsD89B66E4',
    'WorkflowAwaitRecordLogsB1EE8C51',
    'WorkflowCheckRecordLogs97B32F4A',
    'WorkflowCloseRunLogs1608ED56',
    'WorkflowExecutePlanLogs3717464C',
    'WorkflowExpireApprovalLogs2EB889B6',
    'WorkflowNotifyLogs22A7B285',
    'WorkflowRequestApprovalLogs9E22A336',
    'WorkflowReviewPlanLogs32F8E85C',
    'WorkflowStateMachineLogs25053C9F',
    'WorkflowWatchRunsLogsAC3755B1',
    'WorkflowEvidenceManifestLogs33BA8C29',
  ],
  'AWS::Events::Rule': [
    'WorkflowPlanCreatedRule72F30F1F',
    'WorkflowReviewRequestedRule60B9F2D3',
    'WorkflowUnnotifiedEndRule04B30E47',
    'WorkflowStackFinishedRuleFB13C7D0',
    'WorkflowWatchRunsSchedule04AF9FDF',
  ],
};

const { json } = synthesize();

test.each(Object.entries(PINNED))('%s keeps its logical ids', (type, ids) => {
  const present = Object.entries(json.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id);
  // New resources of a type may be added; none of the pinned ones may go or be renamed.
  expect(present).toEqual(expect.arrayContaining(ids));
});
