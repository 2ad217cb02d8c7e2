import { randomUUID } from 'node:crypto';
import * as sfn from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsEvent } from '../../local/event-bridge';
import { ordersServicePlan } from '../fixtures/plans';
import { approvalRecord, LOCAL_MODE_START_MS, type LocalMode, startWithClients, until } from '../support/local-mode';

/**
 * The requester a run input names is a claim; who created the plan, as CloudTrail recorded it, is verified. Through
 * local mode, with CloudTrail's event put on the bus as AWS puts it: the plan's creator may not approve it, whichever
 * arrives first, the request or CloudTrail's record, and the other approvers hear when the two disagree.
 * (The example configuration: Alice, Bob and Carol; a HIGH-risk plan needs two approvals.)
 */
let local: LocalMode;
let client: sfn.SFNClient;
let documents: DynamoDBDocumentClient;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ local, client, documents, close } = await startWithClients({ pollWaitMs: 50 }));
}, LOCAL_MODE_START_MS);
afterAll(() => close?.());

const ALICE_ARN = 'arn:aws:sts::000000000000:assumed-role/PlanGateApprover/alice';
const register = (planId: string) => fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(ordersServicePlan(planId)) });
const recordOf = (planId: string, suffix = '') => approvalRecord(documents, local, planId, suffix);
const linkFor = (planId: string, approver: string) =>
  until(
    () => local.outbox.list().find((e) => e.recipient === approver && e.subject?.includes('Approval needed') && e.body.includes(planId))?.urls[0],
    `${approver}'s link`,
  );
const decide = (link: string, body: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
/** CloudTrail's record of the plan's creation, as EventBridge delivers it (only AWS may put an `aws.` source). */
const cloudTrailRecords = (planId: string, arn: string) =>
  local.eventBridge.emit(
    awsEvent('aws.servicecatalog', 'AWS API Call via CloudTrail', [], {
      eventSource: 'servicecatalog.amazonaws.com',
      eventName: 'CreateProvisionedProductPlan',
      eventID: randomUUID(),
      eventTime: new Date().toISOString(),
      userIdentity: { type: 'AssumedRole', arn },
      responseElements: { planId, planName: 'orders-service-prod-update' },
    }),
  );

test('a request naming someone else, then CloudTrail’s record: the creator’s approval is taken back, the others told, and a new one refused', async () => {
  const planId = 'plan-creatorlate1';
  await register(planId);
  // Alice asks for her own plan in the name of dev@example.com (no approver), and approves it (1 of 2).
  const executionArn = (
    await client.send(
      new sfn.StartExecutionCommand({
        stateMachineArn: local.stepFunctions.stateMachineArn,
        input: JSON.stringify({ planId, requestedBy: 'dev@example.com' }),
      }),
    )
  ).executionArn!;
  const aliceLink = await linkFor(planId, 'alice@example.com');
  expect((await decide(aliceLink, 'decision=approve')).status).toBe(200);
  expect((await recordOf(planId))?.approvals).toHaveLength(1);

  cloudTrailRecords(planId, ALICE_ARN);
  const record = await until(async () => (await recordOf(planId))?.creator && recordOf(planId), 'the creator on the record');
  expect(record).toMatchObject({
    executionArn,
    status: 'PENDING',
    approvals: [],
    creator: { arn: ALICE_ARN, approverEmail: 'alice@example.com', verifiedBy: 'cloudtrail' },
  });
  expect(record?.voidedApprovals?.map((a) => a.approver.email)).toEqual(['alice@example.com']);
  const told = await until(() => {
    const emails = local.outbox.list().filter((e) => e.subject?.includes('who created it') && e.body.includes(planId));
    return emails.length >= 2 && emails;
  }, 'the other approvers told');
  expect(told.map((e) => e.recipient).sort()).toEqual(['bob@example.com', 'carol@example.com']);
  expect(told[0]!.body).toContain(
    `CloudTrail shows that ${ALICE_ARN} created plan orders-service-prod-update (${planId}), so the approval they gave it no longer counts.`,
  );

  // The run CloudTrail's record started is a duplicate; Alice's link now refuses her approval, and the page says why.
  const again = await decide(aliceLink, 'decision=approve');
  expect(again.status).toBe(403);
  const page = await (await fetch(aliceLink)).text();
  expect(page).toContain('id="creator"');
  expect(page).not.toContain('value="approve"');
  expect((await recordOf(planId))?.approvals).toEqual([]);
  await client.send(new sfn.StopExecutionCommand({ executionArn }));
}, 60_000);

test('a request naming Bob, then CloudTrail’s record that Alice created the plan: only Carol is left of the two needed, so the run ends DENIED at once', async () => {
  const planId = 'plan-creatorlate2';
  await register(planId);
  const input = JSON.stringify({ planId, requestedBy: 'bob@example.com' });
  const { executionArn } = await client.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input }));
  const carolLink = await linkFor(planId, 'carol@example.com');

  cloudTrailRecords(planId, ALICE_ARN);
  const run = await until(async () => {
    const described = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
    return described.status !== 'RUNNING' && described;
  }, 'the run to end');
  const reason =
    "Plan orders-service-prod-update (plan-creatorlate2) cannot be approved any more: plangate:requiredApprovals needs 2 approvals from the approvers, but only 1 of them other than the requester and the plan's creator (bob@example.com, alice@example.com) may approve";
  expect(JSON.parse(run.output ?? '{}')).toMatchObject({ outcome: 'DENIED', reason });
  const record = await until(async () => (await recordOf(planId))?.outcome && recordOf(planId), 'the record closed');
  expect(record).toMatchObject({ status: 'CLOSED', released: true, outcome: { outcome: 'DENIED', reason } });
  expect(record?.taskToken).toBeUndefined();
  const told = await until(() => {
    const emails = local.outbox.list().filter((e) => e.subject?.includes('who created it') && e.body.includes(planId));
    return emails.length >= 2 && emails;
  }, 'the other approvers told');
  expect(told.map((e) => e.recipient).sort()).toEqual(['bob@example.com', 'carol@example.com']);
  expect(told[0]!.body).toContain('so its run ends DENIED.');
  // No second request follows the denied one (the creator may start one, which knows them as the creator).
  expect(record?.executionArn).toBe(executionArn);
  // Carol's link decides nothing any more.
  expect((await decide(carolLink, 'decision=approve')).status).not.toBe(200);
  expect((await recordOf(planId))?.approvals ?? []).toEqual([]);
}, 60_000);

test('CloudTrail’s record first: the run it starts leaves the creator out of the quorum from the start', async () => {
  const planId = 'plan-creatorfirst';
  await register(planId);
  cloudTrailRecords(planId, ALICE_ARN);
  const record = await until(async () => (await recordOf(planId))?.status === 'PENDING' && recordOf(planId), 'the request');
  expect(record).toMatchObject({ requestedBy: ALICE_ARN, selfApprover: 'alice@example.com', creator: { arn: ALICE_ARN } });
  const email = await until(() => local.outbox.list().find((e) => e.recipient === 'bob@example.com' && e.body.includes(planId)), 'Bob’s request');
  expect(email.body).toContain(`Created by: ${ALICE_ARN} (verified: CloudTrail recorded it)`);
  expect((await decide(await linkFor(planId, 'alice@example.com'), 'decision=approve')).status).toBe(403);
  // A second request for the plan changes nothing: naming Carol leaves only Bob to approve (DENIED at review, as two
  // approvals are needed); naming Alice herself, it is a duplicate.
  const ended = async (requestedBy: string) => {
    const input = JSON.stringify({ planId, requestedBy });
    const { executionArn } = await client.send(new sfn.StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input }));
    const run = await until(async () => {
      const described = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
      return described.status !== 'RUNNING' && described;
    }, 'the second request');
    return JSON.parse(run.output ?? '{}') as { outcome?: string };
  };
  expect(await ended('carol@example.com')).toMatchObject({ outcome: 'DENIED' });
  expect(await ended('alice@example.com')).toMatchObject({ outcome: 'DUPLICATE' });
  expect(await recordOf(planId)).toEqual(record);
}, 60_000);
