import {
  type CfnElement,
  Duration,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  RemovalPolicy,
  Stack,
  aws_s3 as s3,
  aws_events_targets as targets,
  Validations,
} from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUNDLE_PREFIX, MANIFEST_PREFIX } from '../lambdas/shared/domain/evidence';

export interface EvidenceStoreProps {
  /** The workflow's key: it encrypts the bucket (SSE-KMS). */
  key: kms.IKey;
  /** plangate:evidenceRetentionDays: how long each bundle and manifest is locked (compliance mode). */
  retentionDays: number;
}

/**
 * Compliance evidence (issue 24): the bucket that keeps every run's signed bundle and each day's manifest where nobody,
 * root included, can change or delete them while their retention lasts (Object Lock in compliance mode, versioning,
 * SSE-KMS, TLS only, no public access, access logs), and the asymmetric key that signs them. Both outlive the stack.
 */
export class EvidenceStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly signingKey: kms.Key;

  constructor(scope: Construct, id: string, props: EvidenceStoreProps) {
    super(scope, id);
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // Server access logs are delivered with SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'The access log bucket of the evidence bucket: logging it to itself would log its own log deliveries.',
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'evidence/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.signingKey = new kms.Key(this, 'SigningKey', {
      description: 'Signs PlanGate evidence bundles and manifests (ECDSA P-256 over SHA-256)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Without the key no signature can be checked with KMS again: nobody schedules its deletion or disables it.
    this.signingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EvidenceSigningKeyIsKept',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:ScheduleKeyDeletion', 'kms:DisableKey'],
        resources: ['*'],
      }),
    );
  }

  /** A closing function writes bundles: PutObject under bundles/ and Sign, nothing else (no read, no delete). */
  grantWriteBundles(fn: lambda.Function) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${BUNDLE_PREFIX}*`)] }));
    this.grantSign(fn);
    fn.addEnvironment('EVIDENCE_BUCKET', this.bucket.bucketName).addEnvironment('EVIDENCE_KEY_ID', this.signingKey.keyArn);
    acknowledgeObjectWildcard(fn, this, BUNDLE_PREFIX);
  }

  /** The manifest job: also reads the bucket (list, get) and writes manifests/; still no delete. */
  grantManifests(fn: lambda.Function) {
    this.grantWriteBundles(fn);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${MANIFEST_PREFIX}*`)] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [this.bucket.arnForObjects('*')] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    acknowledgeObjectWildcard(fn, this, MANIFEST_PREFIX);
    acknowledgeObjectWildcard(fn, this, '');
  }

  private grantSign(fn: lambda.Function) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Sign'], resources: [this.signingKey.keyArn] }));
  }
}

function acknowledgeObjectWildcard(fn: lambda.Function, store: EvidenceStore, prefix: string) {
  const bucketId = Stack.of(store).getLogicalId(store.bucket.node.defaultChild as CfnElement);
  Validations.of(fn.role!).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
    reason: `The evidence bucket's objects under ${prefix || 'any prefix'}: one object per run and per day, keyed by date and run.`,
  });
}

/** Hourly, the manifest job writes each finished day's manifest that is not written yet (local mode runs rate schedules). */
export function writeManifestsOnSchedule(scope: Construct, props: { manifests: lambda.IFunction; deadLetterQueue: sqs.IQueue }): events.Rule {
  return new events.Rule(scope, 'EvidenceManifestSchedule', {
    description: 'Writes the evidence manifest of each finished day (UTC), once',
    schedule: events.Schedule.rate(Duration.hours(1)),
    targets: [
      new targets.LambdaFunction(props.manifests, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.hours(1) }),
    ],
  });
}
