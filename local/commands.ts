import { planKey } from '../lambdas/shared/contracts/table-keys';

/**
 * AWS CLI commands against local mode, as it prints them. The CLI insists on credentials and a region even
 * for a local endpoint (any value will do), so each command carries them, ready to paste.
 */
const credentials = (region: string) => `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=${region}`;

/** The region in local mode's ARNs (arn:aws:states:<region>:...). */
const regionOf = (arn: string) => arn.split(':')[3] || 'us-east-1';

export interface LocalEndpoints {
  baseUrl: string;
  approvalTable: string;
  stateMachineArn: string;
}

/** Reads a run's approval record: the audit trail. */
export function auditRecordCommand(local: LocalEndpoints, planId: string): string {
  const key = JSON.stringify({ pk: { S: planKey(planId) } });
  return `${credentials(regionOf(local.stateMachineArn))} aws dynamodb get-item --endpoint-url ${local.baseUrl} --table-name ${local.approvalTable} --key '${key}'`;
}

export function startRunCommand(local: LocalEndpoints, planId: string): string {
  return `${credentials(regionOf(local.stateMachineArn))} aws stepfunctions start-execution --endpoint-url ${local.baseUrl} --state-machine-arn ${local.stateMachineArn} --input '${JSON.stringify({ planId })}'`;
}

/** `plangate` as one of the local identities (local/identities.ts): Alice, Bob and Carol approve; the operator does not. */
export function plangateCommand(local: LocalEndpoints, who: { accessKeyId: string; secretAccessKey: string }, args: string): string {
  return `AWS_ACCESS_KEY_ID=${who.accessKeyId} AWS_SECRET_ACCESS_KEY=${who.secretAccessKey} npx plangate --endpoint ${local.baseUrl} ${args}`;
}
