import { type aws_lambda as lambda, Stack } from 'aws-cdk-lib';

/** Lambda's limit on a function's environment: its variables' names and values together. */
export const LAMBDA_ENVIRONMENT_BYTES = 4 * 1024;

/** What a value CloudFormation fills in at deploy time may take: the pseudo parameters' own, or that of an ARN. */
const PSEUDO_PARAMETER_BYTES: Record<string, number> = { 'AWS::AccountId': 12, 'AWS::Region': 20, 'AWS::Partition': 10, 'AWS::URLSuffix': 20 };
const DEPLOY_TIME_VALUE_BYTES = 128;

/** The most bytes a resolved template value may take once deployed. */
function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  const object = value as Record<string, unknown>;
  if (object && 'Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.reduce<number>((sum, part) => sum + valueBytes(part), Buffer.byteLength(separator) * Math.max(0, parts.length - 1));
  }
  if (object && typeof object.Ref === 'string') return PSEUDO_PARAMETER_BYTES[object.Ref] ?? DEPLOY_TIME_VALUE_BYTES;
  return DEPLOY_TIME_VALUE_BYTES;
}

/**
 * Fails the synth when a function's environment would not fit Lambda's 4 KB (the configured lists, approvers and spoke
 * accounts, are variables), naming the largest variables: CloudFormation would otherwise fail the deployment.
 */
export function checkEnvironmentSize(fn: lambda.Function, name: string): void {
  fn.node.addValidation({
    validate: () => {
      const cfn = fn.node.defaultChild as lambda.CfnFunction;
      const variables = (Stack.of(fn).resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables ?? {};
      const sizes = Object.entries(variables).map(([key, value]) => ({ key, bytes: Buffer.byteLength(key) + valueBytes(value) }));
      const total = sizes.reduce((sum, { bytes }) => sum + bytes, 0);
      if (total <= LAMBDA_ENVIRONMENT_BYTES) return [];
      const largest = sizes
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 3)
        .map(({ key, bytes }) => `${key} ${bytes}`);
      return [
        `The ${name} function's environment variables take about ${total} bytes, over Lambda's 4 KB (largest: ${largest.join(', ')}): ` +
          'shorten plangate:approvers or plangate:spokeAccounts (for many accounts, "*" with plangate:spokeStackSet)',
      ];
    },
  });
}
