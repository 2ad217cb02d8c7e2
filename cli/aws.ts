import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { STACK_OUTPUTS } from '../lambdas/shared/contracts/stack';
import { CliError, EXIT } from './exit-codes';

/** Where PlanGate is: a stack's outputs, or the values given on the command line. */
export interface Target {
  stateMachineArn: string;
  tableName: string;
  apiUrl: string;
}

export interface ConnectOptions {
  stack: string;
  region?: string;
  endpoint?: string;
  stateMachineArn?: string;
  tableName?: string;
  apiUrl?: string;
  evidenceBucket?: string;
  signingKeyArn?: string;
}

export interface Aws {
  sfn: SFNClient;
  documents: DynamoDBDocumentClient;
  /** The caller's principal ARN (STS GetCallerIdentity). */
  callerArn(): Promise<string>;
  target(): Promise<Target>;
  /** The evidence bucket and the key that signs evidence (issue 24). */
  evidence(): Promise<{ bucket: string; keyArn: string }>;
  /** Made on first use: only the evidence commands need them. S3 path-style with an endpoint, as local mode serves it. */
  s3(): S3Client;
  kms(): KMSClient;
  /** POSTs JSON to the approval API's command-line routes, signed (SigV4) with the caller's credentials. */
  signedPost(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** The AWS SDK's default credential chain and region; `--endpoint` points every client at local mode. */
export function connect(options: ConnectOptions): Aws {
  // As the AWS CLI: --region, AWS_REGION, then AWS_DEFAULT_REGION (which the SDK ignores), then the profile's region.
  // Local mode is always us-east-1.
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (options.endpoint ? 'us-east-1' : undefined);
  const config = { region, endpoint: options.endpoint, maxAttempts: 3 };
  const sts = new STSClient(config);
  const sfn = new SFNClient(config);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  let outputs: Promise<Record<string, string>> | undefined;
  const stackOutputs = () => {
    outputs ??= (async () => {
      const cloudFormation = new CloudFormationClient(config);
      try {
        const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: options.stack }));
        return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
      } catch (error) {
        if ((error as Error).name === 'ValidationError') {
          throw new CliError(
            `Stack ${options.stack} was not found in ${await sts.config.region()}: deploy PlanGate, or name its stack with --stack`,
            EXIT.error,
          );
        }
        throw error;
      } finally {
        cloudFormation.destroy();
      }
    })();
    return outputs;
  };
  const output = async (key: string, given: string | undefined, flag: string) => {
    if (given) return given;
    const value = (await stackOutputs())[key];
    if (!value) throw new CliError(`Stack ${options.stack} has no ${key} output: deploy the current PlanGate, or give ${flag}`, EXIT.error);
    return value;
  };
  let s3: S3Client | undefined;
  let kms: KMSClient | undefined;
  return {
    sfn,
    documents,
    s3: () => (s3 ??= new S3Client({ ...config, forcePathStyle: Boolean(options.endpoint) })),
    kms: () => (kms ??= new KMSClient(config)),
    evidence: async () => ({
      bucket: await output(STACK_OUTPUTS.evidenceBucketName, options.evidenceBucket, '--evidence-bucket'),
      keyArn: await output(STACK_OUTPUTS.evidenceSigningKeyArn, options.signingKeyArn, '--signing-key-arn'),
    }),
    callerArn: async () => {
      const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
      if (!Arn) throw new CliError('STS did not say who you are', EXIT.error);
      return Arn;
    },
    target: async () => ({
      stateMachineArn: await output(STACK_OUTPUTS.stateMachineArn, options.stateMachineArn, '--state-machine-arn'),
      tableName: await output(STACK_OUTPUTS.approvalTableName, options.tableName, '--table-name'),
      apiUrl: await output(STACK_OUTPUTS.approvalApiUrl, options.apiUrl, '--api-url'),
    }),
    signedPost: async (path, body) => {
      const apiUrl = await output(STACK_OUTPUTS.approvalApiUrl, options.apiUrl, '--api-url');
      const url = new URL(path.replace(/^\//, ''), apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`);
      const signer = new SignatureV4({
        credentials: sts.config.credentials,
        region: await sts.config.region(),
        service: 'execute-api',
        sha256: Hash.bind(null, 'sha256'),
      });
      const text = JSON.stringify(body);
      const signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: {},
        headers: { host: url.host, 'content-type': 'application/json' },
        body: text,
      });
      const response = await fetch(url, { method: 'POST', headers: signed.headers, body: text });
      const answer = await response.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(answer);
      } catch {
        parsed = { error: answer.slice(0, 500) };
      }
      return { status: response.status, body: parsed };
    },
  };
}

/** The SDK's errors that mean "you are not set up", turned into what to do about them. */
export function explainAwsError(error: unknown): CliError | undefined {
  const { name, message } = error as Error;
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return new CliError(
      'No AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (see `aws configure`)',
      EXIT.error,
    );
  }
  if (/Region is missing/.test(message)) return new CliError('No AWS region set: use --region, or set AWS_REGION or AWS_DEFAULT_REGION', EXIT.error);
  if (['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch'].includes(name)) {
    return new CliError(`AWS refused your credentials (${name}): ${message}`, EXIT.error);
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return new CliError(`Not allowed: ${message}`, EXIT.error);
  if ((error as { code?: string }).code === 'ECONNREFUSED' || /ECONNREFUSED|fetch failed/.test(message)) {
    return new CliError(
      `Could not reach ${message.match(/\d+\.\d+\.\d+\.\d+:\d+|localhost:\d+/)?.[0] ?? 'the endpoint'}: is local mode running?`,
      EXIT.error,
    );
  }
  return undefined;
}
