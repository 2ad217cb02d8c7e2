import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { approvalTable, deadLetterQueue, workflowKey, workflowTopics } from '../../lib/storage';

// CDK's built-in CloudFormation validation costs seconds per synth and only warns; `cdk synth` still runs it (test/cli.test.ts).
process.env.CDK_VALIDATION = 'false';

/** The workflow's state, built alone in a bare stack under the workflow's scope name. */
const stack = new Stack(new App(), 'Storage');
const scope = new Construct(stack, 'Workflow');
const key = workflowKey(scope);
approvalTable(scope, key);
workflowTopics(scope, {
  key,
  approvers: [{ email: 'alice@example.com' }, { email: 'bob@example.com' }, { email: 'carol@example.com' }],
  notificationEmails: ['platform-team@example.com'],
});
deadLetterQueue(scope, 'EndingsDeadLetterQueue', key);
const template = Template.fromStack(stack);

describe('data and encryption', () => {
  test('the approval table keeps its data: point-in-time recovery, KMS, deletion protection, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
        DeletionProtectionEnabled: true,
      }),
    });
  });

  test('the approval table has the history index: requests by month and time, every attribute projected', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'History',
          KeySchema: [
            { AttributeName: 'historyMonth', KeyType: 'HASH' },
            { AttributeName: 'historyAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  test('topics are encrypted and refuse unencrypted publishing', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2); // approval requests, outcomes (the alarm topic is the monitoring's)
    template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::SNS::TopicPolicy', 2);
    template.allResourcesProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the key rotates', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('a dead-letter queue is encrypted with the key and keeps messages 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowKey'), 'Arn'] },
      MessageRetentionPeriod: 1_209_600,
    });
  });
});

describe('notifications', () => {
  test('each approver has an email subscription filtered to their own messages', () => {
    for (const email of ['alice@example.com', 'bob@example.com', 'carol@example.com']) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        FilterPolicy: { approver: [email] },
      });
    }
  });

  test('notification emails receive every outcome', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'platform-team@example.com',
      FilterPolicy: Match.absent(),
    });
  });
});
