/**
 * One configuration that changes every optional part at once (Slack with buttons, no event triggers, no API Gateway
 * account role, no reminder, plan deletion, custom risk types, thresholds and alarm emails), so the tests synthesize
 * it once per file instead of once per setting.
 */
export const ALTERNATE = {
  'plangate:slackWebhookSecret': 'plangate/slack-webhook-url',
  'plangate:slackSigningSecret': 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:plangate/signing-AbCdEf',
  'plangate:eventTriggerEnabled': false,
  'plangate:apiGatewayCloudWatchRole': false,
  'plangate:reminderMinutesBeforeExpiry': 0,
  'plangate:deleteExpiredPlans': true,
  'plangate:sensitiveResourceTypes': ['AWS::RDS::*', 'AWS::ElastiCache::ReplicationGroup'],
  'plangate:alarmThresholds': { functionErrors: 3, apiLatencyP90Ms: 5000, approvalWaitPercent: 50 },
  'plangate:alarmEmails': ['oncall@example.com'],
};
