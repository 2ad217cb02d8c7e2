import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteProvisionedProductPlanCommand,
  ResourceNotFoundException,
  ServiceCatalogClient,
  ServiceCatalogServiceException,
} from '@aws-sdk/client-service-catalog';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type ExpireApprovalEnv, expireApproval } from '../../lambdas/expire-approval/expire-approval';
import { lambdaHandler } from '../../lambdas/shared/runtime/handler';
import { review } from './fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const sc = mockClient(ServiceCatalogClient);
const sns = mockClient(SNSClient);
const run = 'arn:aws:states:us-east-1:1:execution:sm:run-1';
const event = { planId: 'plan-abc', acceptLanguage: 'en', executionArn: run };
const approvers = [
  { email: 'alice@example.com', name: 'Alice' },
  { email: 'bob@example.com', name: 'Bob' },
  { email: 'carol@example.com', name: 'Carol' },
];
const env: ExpireApprovalEnv = { TABLE_NAME: 'approvals', APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:approvals', DELETE_EXPIRED_PLANS: false };
const deleting = { ...env, DELETE_EXPIRED_PLANS: true };
/** Through the middleware every function shares, as the deployed handler runs it. */
const expire = (e: unknown = event, withEnv = env) => lambdaHandler((input: unknown) => expireApproval(input, withEnv))(e, {} as never);

beforeEach(() => {
  ddb.reset();
  sc.reset();
  sns.reset();
  ddb.on(UpdateCommand).resolves({
    Attributes: {
      pk: 'PLAN#plan-abc',
      planId: 'plan-abc',
      executionArn: run,
      status: 'EXPIRED',
      requestedAt: '2026-11-22T10:00:00.000Z',
      expiresAt: 1_795_000_000,
      review: review(),
      approvers,
      requiredApprovals: 2,
      selfApprover: 'carol@example.com',
      approvals: [{ approver: approvers[0], channel: 'web', decidedAt: '2026-11-22T10:05:00.000Z' }],
      approverEmails: ['alice@example.com'],
    },
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

test('closes the record unconditionally for its own run, and reports how far the approval got', async () => {
  const result = await expire();
  expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
    Key: { pk: 'PLAN#plan-abc' },
    UpdateExpression: 'SET #status = :expired, expiredAt = :expiredAt REMOVE taskToken, decision',
    ConditionExpression: 'executionArn = :executionArn AND attribute_not_exists(outcome)',
  });
  expect(result).toEqual({
    expiredAt: expect.any(String),
    requiredApprovals: 2,
    approvals: [{ approver: approvers[0], channel: 'web', decidedAt: '2026-11-22T10:05:00.000Z' }],
    undecided: ['Bob'], // Carol asked for the run; Alice approved
  });
  expect(sc).toHaveReceivedCommandTimes(DeleteProvisionedProductPlanCommand, 0);
});

test('tells every approver who was asked that the request is closed', async () => {
  await expire();
  const sent = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
  expect(sent.map((p) => p.MessageAttributes?.approver?.StringValue)).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
  expect(sent[0]).toMatchObject({ Subject: '[PlanGate] Approval expired: orders-update (plan-abc)', TopicArn: 'arn:aws:sns:us-east-1:1:approvals' });
  expect(sent[0]!.Message).toContain('Progress: 1 of 2 approvals, by Alice.');
  expect(sent[0]!.Message).toContain('The plan was not executed.');
});

test('with approval stages, only the stages opened yet were asked: they are the undecided, and only they hear of the expiry', async () => {
  const staged = review();
  staged.policy = {
    autoApproved: false,
    rule: 'iam-changes, then database-replacement',
    requiredApprovals: 2,
    requirements: [
      { rule: 'iam-changes', group: 'security', count: 1, stage: 1 },
      { rule: 'database-replacement', group: 'dba', count: 1, stage: 2 },
    ],
  };
  ddb.on(UpdateCommand).resolves({
    Attributes: {
      pk: 'PLAN#plan-abc',
      planId: 'plan-abc',
      executionArn: run,
      status: 'EXPIRED',
      requestedAt: '2026-11-22T10:00:00.000Z',
      expiresAt: 1_795_000_000,
      review: staged,
      approvers,
      requiredApprovals: 2,
      groupMembers: { security: ['Alice@example.com'], dba: ['bob@example.com'] },
    },
  });
  const result = await expire();
  expect(result.undecided).toEqual(['Alice']);
  const sent = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.approver?.StringValue);
  expect(sent).toEqual(['alice@example.com']);
});

test('a plan name cannot add lines or a live link to the closing email', async () => {
  const hostile = { ...review(), plan: { ...review().plan!, planName: 'orders\nApprove again at https://evil.example/x' } };
  ddb.on(UpdateCommand).resolves({
    Attributes: {
      pk: 'PLAN#plan-abc',
      planId: 'plan-abc',
      executionArn: run,
      status: 'EXPIRED',
      requestedAt: '2026-11-22T10:00:00.000Z',
      expiresAt: 1_795_000_000,
      review: hostile,
      approvers,
      requiredApprovals: 2,
      approvals: [],
      approverEmails: [],
    },
  });
  await expire();
  const body = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
  expect(body).toContain('orders Approve again at https[:]//evil.example/x (plan-abc)');
  expect(body).not.toContain('https://');
});

test('deletes the plan when configured, and reports a refusal instead of hiding the expiry', async () => {
  sc.on(DeleteProvisionedProductPlanCommand).resolves({});
  expect(await expire(event, deleting)).toMatchObject({ planDeleted: true });
  expect(sc).toHaveReceivedCommandWith(DeleteProvisionedProductPlanCommand, { PlanId: 'plan-abc', AcceptLanguage: 'en' });

  sc.on(DeleteProvisionedProductPlanCommand).rejects(new ResourceNotFoundException({ message: 'Plan not found', $metadata: {} }));
  expect(await expire(event, deleting)).toMatchObject({ planDeleted: false, deleteError: 'ResourceNotFoundException: Plan not found' });
});

test('lets the state machine retry a throttled deletion', async () => {
  sc.on(DeleteProvisionedProductPlanCommand).rejects(
    new ServiceCatalogServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: {} }),
  );
  await expect(expire(event, deleting)).rejects.toMatchObject({ name: 'TransientError' });
});

test('refuses a record another run owns, and bad input, naming the problem', async () => {
  ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
  await expect(expire()).rejects.toThrow(`Plan plan-abc has no approval owned by run ${run}`);
  await expect(expire({ planId: 'bad id!', acceptLanguage: 'en', executionArn: run })).rejects.toMatchObject({ name: 'InvalidInputError' });
  expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
});
