import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ONE_APPROVAL } from '../fixtures/context';
import {
  approvalLinkFor,
  approvalRecord,
  clientConfig,
  decideOnPage,
  LOCAL_MODE_START_MS,
  type LocalMode,
  startLocalMode,
} from '../support/local-mode';

/**
 * plangate:changeCalendar.ssmCalendars (issue 23) in local mode: an SSM Change Calendar CLOSED by an event now stops
 * an approved plan right before ExecuteProvisionedProductPlan, and the run ends FROZEN naming the calendar.
 */
const SSM_CONTEXT = { ...ONE_APPROVAL, 'plangate:changeCalendar': { windows: [], ssmCalendars: ['prod-freeze'] } };
// Ends at midnight UTC 30 days from now (local mode, like the windows, looks 400 days ahead for the next transition).
const freezeEnd = new Date(Math.floor(Date.now() / 86_400_000 + 30) * 86_400_000);
const FREEZE = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'X-CALENDAR-TYPE:DEFAULT_OPEN',
  'BEGIN:VEVENT',
  'SUMMARY:Year-end freeze',
  'DTSTART:20200101T000000Z',
  `DTEND:${freezeEnd.toISOString().slice(0, 10).replaceAll('-', '')}T000000Z`,
  'END:VEVENT',
  'END:VCALENDAR',
].join('\r\n');

let local: LocalMode;
let documents: DynamoDBDocumentClient;
beforeAll(async () => {
  local = await startLocalMode({ pollWaitMs: 50, context: SSM_CONTEXT });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(local)));
  const created = await fetch(local.baseUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonSSM.CreateDocument' },
    body: JSON.stringify({ Name: 'prod-freeze', Content: FREEZE, DocumentType: 'ChangeCalendar', DocumentFormat: 'TEXT' }),
  });
  expect(created.status).toBe(200);
}, LOCAL_MODE_START_MS * 2);
afterAll(() => local.close());

test('an approved plan is not executed while an SSM Change Calendar is CLOSED: the run ends FROZEN naming it', async () => {
  local.serviceCatalog.registerPlan({
    ProvisionedProductPlanDetails: { PlanId: 'plan-ssmfreeze0001', PlanName: 'Queue', ProvisionProductName: 'orders' },
    ResourceChanges: [{ Action: 'ADD', LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue', Replacement: 'FALSE' }],
    simulation: { recordSeconds: 0.2 },
  });
  const execution = local.stepFunctions.startExecution({ planId: 'plan-ssmfreeze0001' });
  const link = await approvalLinkFor(local, 'alice@example.com', 'plan-ssmfreeze0001');
  expect(await (await fetch(link)).text()).toContain(
    `SSM Change Calendar prod-freeze is CLOSED until ${freezeEnd.toISOString().slice(0, 10)} 00:00 UTC`,
  );
  await decideOnPage(link, 'approve');
  const done = await execution.finished;
  expect(done.output).toMatchObject({ outcome: 'FROZEN', reason: expect.stringContaining('SSM Change Calendar prod-freeze is CLOSED') });
  expect(local.serviceCatalog.calls.filter((c) => c.operation === 'ExecuteProvisionedProductPlan')).toHaveLength(0);
  expect(await approvalRecord(documents, local, 'plan-ssmfreeze0001')).toMatchObject({ status: 'APPROVED', released: true });
});
