import {
  Aws,
  Duration,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_kms as kms,
  RemovalPolicy,
  Stack,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_sns_subscriptions as subscriptions,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Approver } from '../lambdas/shared/contracts/approver';
import { SESSION_TTL_ATTRIBUTE } from '../lambdas/shared/contracts/session';
import { HISTORY_INDEX } from '../lambdas/shared/contracts/table-keys';

/*
 * The workflow's state: the key, the approval table and the two topics. Each is created in the scope it is given,
 * the workflow construct, under the id it has always had: a new id would replace the retained table (orphaning the
 * audit trail), make every subscriber confirm again, or rotate the key (test/lib/logical-ids.test.ts).
 */

/** Encrypts the approval table, the topics, the dead-letter queues and every log group; rotates yearly; outlives the stack. */
export function workflowKey(scope: Construct): kms.Key {
  const key = new kms.Key(scope, 'Key', {
    description: 'Encrypts PlanGate approvals, topics and logs',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` } },
    }),
  );
  // EventBridge sends events it cannot deliver to the encrypted dead-letter queues.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowEventBridgeToUseDeadLetterQueues',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
  // CloudWatch alarms publish to the encrypted alarm topic, as AWS documents it for a customer managed key.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToUseAlarmTopic',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      // Only for this stack's alarms (the key also protects the table and logs).
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': stackAlarmArns(scope) } },
    }),
  );
  return key;
}

/** The ARNs of this stack's alarms (named `<stack>-<alarm>`, lib/monitoring.ts). */
export function stackAlarmArns(scope: Construct): string {
  return `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${Stack.of(scope).stackName}-*`;
}

/** The approval records (the audit trail) and link hashes: point-in-time recovery, deletion protection, retained. */
export function approvalTable(scope: Construct, key: kms.IKey, options: { sessions?: boolean } = {}): dynamodb.Table {
  const table = new dynamodb.Table(scope, 'ApprovalTable', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // With sign-in, DynamoDB removes expired sessions: only items with this attribute, never an approval record.
    ...(options.sessions ? { timeToLiveAttribute: SESSION_TTL_ATTRIBUTE } : {}),
    deletionProtection: true,
    // The approval records are the audit trail: they outlive the stack.
    removalPolicy: RemovalPolicy.RETAIN,
    // ... and nobody deletes one, whatever IAM they hold: an explicit deny in the table's own policy. Changing it takes
    // a deploy (or PutResourcePolicy), which CloudTrail records. "*" stands for this table: its policy cannot name it.
    resourcePolicy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'ApprovalRecordsAreNeverDeleted',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLDelete'],
          resources: ['*'],
        }),
      ],
    }),
  });
  // Requests by month, newest first (contracts/table-keys.ts): the inbox and the history, beyond Step Functions' 90 days.
  table.addGlobalSecondaryIndex({
    indexName: HISTORY_INDEX,
    partitionKey: { name: 'historyMonth', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'historyAt', type: dynamodb.AttributeType.STRING },
  });
  return table;
}

/**
 * The approval-request topic, one email subscription per approver filtered on the `approver` attribute (so each
 * personal link reaches only its owner), and the outcome topic with the notification emails.
 */
export function workflowTopics(
  scope: Construct,
  props: { key: kms.IKey; approvers: Approver[]; notificationEmails: string[]; emergencyNotify?: string[] },
) {
  const approvalTopic = new sns.Topic(scope, 'ApprovalRequestTopic', {
    displayName: 'PlanGate approval requests',
    masterKey: props.key,
    enforceSSL: true,
  });
  // plangate:changeCalendar.emergency.notify: told of each emergency change, the same way (by the same attribute).
  const approverEmails = props.approvers.map((a) => a.email.toLowerCase());
  const others = (props.emergencyNotify ?? []).filter((email, i, all) => !approverEmails.includes(email.toLowerCase()) && all.indexOf(email) === i);
  for (const email of [...props.approvers.map((a) => a.email), ...others]) {
    approvalTopic.addSubscription(
      new subscriptions.EmailSubscription(email, {
        filterPolicy: { approver: sns.SubscriptionFilter.stringFilter({ allowlist: [email] }) },
      }),
    );
  }
  const outcomeTopic = new sns.Topic(scope, 'OutcomeTopic', { displayName: 'PlanGate run outcomes', masterKey: props.key, enforceSSL: true });
  for (const email of props.notificationEmails) outcomeTopic.addSubscription(new subscriptions.EmailSubscription(email));
  return { approvalTopic, outcomeTopic };
}

/** A dead-letter queue: encrypted with the workflow's key, TLS only, keeping messages the longest SQS allows (14 days). */
export function deadLetterQueue(scope: Construct, id: string, key: kms.IKey): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions::AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue.' });
  return queue;
}
