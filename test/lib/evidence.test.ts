import { Match } from 'aws-cdk-lib/assertions';
import { synthesize } from '../../local/synth';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it.
process.env.CDK_VALIDATION = 'false';

/** The evidence bucket, its signing key and who may write (issue 24), as `cdk synth` builds them, with cdk-nag's checks. */
const { template, json } = synthesize();
const resourcesOf = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const [evidenceBucketId] = resourcesOf('AWS::S3::Bucket').find(([id]) => id.startsWith('WorkflowEvidenceBucket'))!;
const statementsOf = (rolePrefix: string) => {
  const [, policy] = resourcesOf('AWS::IAM::Policy').find(([id]) => id.startsWith(`Workflow${rolePrefix}RoleDefaultPolicy`))!;
  return (policy.Properties as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }).PolicyDocument.Statement;
};
const s3Actions = (rolePrefix: string) =>
  statementsOf(rolePrefix)
    .flatMap((s) => [s.Action].flat())
    .filter((a) => a.startsWith('s3:'))
    .sort();

describe('evidence bucket', () => {
  test('locks every object in compliance mode for the default 400 days, versioned, retained with the stack gone', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } } },
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    });
  });

  test('is encrypted with KMS, blocks public access and logs access to a bucket of its own', () => {
    const bucket = json.Resources[evidenceBucketId]!.Properties!;
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: expect.anything() }, BucketKeyEnabled: true },
      ],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/^WorkflowEvidenceAccessLogs/) },
      LogFilePrefix: 'evidence/',
    });
  });

  test('refuses every request without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: evidenceBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  test('a configured retention is the lock', () => {
    synthesize({ 'plangate:evidenceRetentionDays': 2555 }).template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
    });
  });

  test('a retention Object Lock cannot take is refused at synth, naming the setting', () => {
    expect(() => synthesize({ 'plangate:evidenceRetentionDays': 0 })).toThrow(/evidenceRetentionDays.*from 1 to 36500/);
    expect(() => synthesize({ 'plangate:evidenceRetentionDays': 30.5 })).toThrow(/evidenceRetentionDays/);
  });
});

describe('signing key', () => {
  test('is an ECC P-256 signing key, retained, which nobody may schedule for deletion or disable', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        KeyPolicy: Match.objectLike({
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey'] })]),
        }),
      }),
    });
  });

  test('the stack outputs name the bucket and the key a verifier needs', () => {
    template.hasOutput('EvidenceBucketName', { Value: { Ref: evidenceBucketId } });
    template.hasOutput('EvidenceSigningKeyArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowEvidenceSigningKey'), 'Arn'] } });
  });
});

describe('least privilege', () => {
  test('the closing functions may only put bundles and sign: no read, no delete, no retention change', () => {
    for (const closer of ['Notify', 'CloseRun']) {
      expect(s3Actions(closer)).toEqual(['s3:PutObject']);
      const put = statementsOf(closer).find((s) => s.Action === 's3:PutObject')!;
      expect(JSON.stringify(put.Resource)).toContain('/bundles/*');
      const sign = statementsOf(closer).find((s) => s.Action === 'kms:Sign')!;
      expect(sign.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WorkflowEvidenceSigningKey/), 'Arn'] });
    }
  });

  test('the manifest job reads and writes, and deletes nothing', () => {
    expect(s3Actions('EvidenceManifest')).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:PutObject', 's3:PutObject']);
  });

  test('runs hourly', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowEvidenceManifest'), 'Arn'] } })],
    });
  });
});
