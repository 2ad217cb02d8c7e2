import {
  DescribeProvisionedProductPlanCommand,
  ExecuteProvisionedProductPlanCommand,
  type ResourceChange,
  ServiceCatalogClient,
} from '@aws-sdk/client-service-catalog';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { executePlan } from '../../lambdas/execute-plan/execute-plan';
import { changesDigest } from '../../lambdas/shared/domain/risk';
import { review } from './fixtures';

/** ExecutePlan and a break-glass approval (issue 23 item 5): it holds for validityMinutes only, and may be the creator's own. */
const MINUTE = 60_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const sc = mockClient(ServiceCatalogClient);
const ddb = mockClient(DynamoDBDocumentClient);
const run = 'arn:aws:states:us-east-1:1:execution:sm:run-1';
const event = { planId: 'plan-abc', acceptLanguage: 'en', executionArn: run };
const changes: ResourceChange[] = [{ Action: 'ADD', LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue' }];
const creator = {
  arn: 'arn:aws:sts::1:assumed-role/Oncall/alice',
  approverEmail: 'alice@example.com',
  verifiedBy: 'cloudtrail',
  eventId: 'e',
  eventTime: at(-MINUTE),
};

/** A plan Alice created and approved by break-glass `agoMs` ago, valid for 15 minutes. */
const record = (agoMs: number) => ({
  pk: 'PLAN#plan-abc',
  planId: 'plan-abc',
  status: 'APPROVED',
  executionArn: run,
  requestedAt: at(-agoMs - MINUTE),
  expiresAt: 1_795_000_000,
  approvers: [{ email: 'alice@example.com' }, { email: 'bob@example.com' }],
  requiredApprovals: 2,
  creator,
  review: { ...review(), changesDigest: changesDigest(changes) },
  decision: {
    decision: 'APPROVED',
    approver: { email: 'alice@example.com' },
    channel: 'cli',
    principal: creator.arn,
    requestedAt: at(-agoMs - MINUTE),
    decidedAt: at(-agoMs),
    breakGlass: { reason: 'Payments down', validUntil: at(-agoMs + 15 * MINUTE) },
  },
});

beforeEach(() => {
  sc.reset();
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  sc.on(DescribeProvisionedProductPlanCommand).resolves({
    ProvisionedProductPlanDetails: { PlanId: 'plan-abc', Status: 'CREATE_SUCCESS' },
    ResourceChanges: changes,
  });
  sc.on(ExecuteProvisionedProductPlanCommand).resolves({ RecordDetail: { RecordId: 'rec-1', Status: 'CREATED' } });
});

test('within validityMinutes, the break-glass approval executes the plan, though its user created it and it needs two approvals', async () => {
  ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: record(2 * MINUTE) });
  await expect(executePlan(event, { TABLE_NAME: 'approvals' })).resolves.toMatchObject({ recordId: 'rec-1' });
});

test('executed after it lapsed (the run waited), it ends APPROVAL_STALE saying so, and nothing is executed', async () => {
  ddb.on(GetCommand, { Key: { pk: 'PLAN#plan-abc' } }).resolves({ Item: record(20 * MINUTE) });
  await expect(executePlan(event, { TABLE_NAME: 'approvals' })).rejects.toMatchObject({
    name: 'ApprovalStaleError',
    message: expect.stringMatching(
      /^Plan plan-abc was not executed: the break-glass approval by alice@example.com at .* was valid until .* \(plangate:breakGlass.validityMinutes\)/,
    ),
  });
  expect(sc).not.toHaveReceivedCommand(ExecuteProvisionedProductPlanCommand);
});
