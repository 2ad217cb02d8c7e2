import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { isEndedTaskError } from '../shared/adapters/aws-errors';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { stepFunctions } from '../shared/adapters/clients/step-functions';
import { type RecordWait, RecordWaits } from '../shared/adapters/record-waits';
import { AWS_REGION, type EnvironmentOf, SPOKES, TABLE_NAME } from '../shared/contracts/environment';
import { DROP_REASONS, type DropReason } from '../shared/contracts/metrics';
import { parseInput } from '../shared/contracts/parse-input';
import { accountIdSchema, type PlanLocation, regionSchema } from '../shared/contracts/spokes';
import { executionArnSchema, type RecordWake } from '../shared/contracts/steps';
import * as z from '../shared/contracts/zod';
import { hubForEvent, hubLocation, isAllowed, locationOf, scopedId } from '../shared/domain/plan-location';
import { logger } from '../shared/runtime/logger';
import { countDroppedEvent } from '../shared/runtime/metrics';

export const AWAIT_RECORD_ENV = { TABLE_NAME, SPOKES, AWS_REGION };
export type AwaitRecordEnv = EnvironmentOf<typeof AWAIT_RECORD_ENV>;

/** The state machine's waiting task: wait for a stack event about this provisioned product (or the safety net). */
const waitSchema = z.object({
  taskToken: z.string().check(z.minLength(1), z.maxLength(1024)),
  executionArn: executionArnSchema,
  provisionedProductId: z.string().check(z.regex(/^[a-zA-Z0-9_-]{1,100}$/, 'provisionedProductId must be a Service Catalog id')),
  /** Where the run's plan is (absent in runs reviewed before spokes: the hub). */
  accountId: z.optional(accountIdSchema),
  region: z.optional(regionSchema),
  /** The newest stack event the run has already acted on; empty before any. */
  seenEventAt: z._default(z.string(), ''),
});

/** CloudFormation's "Stack Status Change" event, for a stack Service Catalog runs (the rule filters them). */
const stackEventSchema = z.object({
  source: z.literal('aws.cloudformation'),
  /** Set by EventBridge: the account and Region the event came from (a spoke's, forwarded to the hub bus). */
  account: accountIdSchema,
  region: regionSchema,
  'detail-type': z.literal('CloudFormation Stack Status Change'),
  detail: z.object({
    'stack-id': z.string(),
    'status-details': z.object({ status: z.string(), 'status-reason': z.optional(z.string()) }),
  }),
});

const eventSchema = z.union([waitSchema, stackEventSchema]);

/** Service Catalog names a product's stack SC-<account>-<provisioned product id>, in the stack's own account and Region. */
const STACK_ARN = /^arn:aws[a-z-]*:cloudformation:([a-z0-9-]+):(\d{12}):stack\/SC-\d{12}-([A-Za-z0-9_-]+)\//;

export type AwaitResult = { waiting: boolean } | { woke: boolean } | { ignored: string };

/**
 * Wakes a run as soon as the stack behind its record finishes, instead of making it poll. Two entry points, for the
 * two sides of one race: the run's waiting task registers its token, and a stack event (from the EventBridge rule)
 * is kept on the same item. Each writes, then reads what the other wrote, in one update: whichever comes second
 * completes the waiting task. So an event that comes before the run waits still counts, and a lost one costs at most
 * the safety net's wait. Waking a run that has moved on does nothing.
 */
export async function awaitRecord(event: unknown, env: AwaitRecordEnv): Promise<AwaitResult> {
  const input = parseInput(eventSchema, event);
  const waits = new RecordWaits(dynamo, env.TABLE_NAME);
  const now = new Date().toISOString();
  if ('taskToken' in input) {
    const product = scopedId(input.provisionedProductId, locationOf(input), hubLocation(input.executionArn));
    const item = await waits.register(product, input.executionArn, input.taskToken, now);
    // Every event on the item came after this run's ExecutePlan (expect); only one it has not acted on is news.
    const fresh = item.stackEventAt !== undefined && item.stackEventAt !== input.seenEventAt;
    if (fresh) await wake(waits, product, item, input.taskToken);
    return { waiting: !fresh };
  }
  const stack = STACK_ARN.exec(input.detail['stack-id']);
  if (!stack) return { ignored: 'not a Service Catalog stack' };
  // The place is the envelope's (EventBridge sets it); the stack must be there too, and the place allowed.
  const envelope = { accountId: input.account, region: input.region };
  if (stack[1] !== envelope.region || stack[2] !== envelope.accountId) return drop(DROP_REASONS.stackArnMismatch, envelope, input.detail['stack-id']);
  const hub = hubForEvent(envelope, env.SPOKES, env.AWS_REGION);
  if (!hub || !isAllowed(envelope, hub, env.SPOKES)) return drop(DROP_REASONS.notAllowed, envelope, input.detail['stack-id']);
  // A run waits on its own place's key: another account's product of the same id never wakes it.
  const provisionedProductId = scopedId(stack[3]!, envelope, hub);
  const status = input.detail['status-details'].status;
  const item = await waits.signal(provisionedProductId, status, now);
  if (!item) {
    logger.info('Stack event for a product no run expects', { provisionedProductId, status });
    return { ignored: 'no run expects this provisioned product' };
  }
  if (!item.taskToken) return { woke: false }; // kept: the run will see it when it waits
  await wake(waits, provisionedProductId, item, item.taskToken);
  return { woke: true };
}

function drop(reason: DropReason, envelope: PlanLocation, stackId: string): AwaitResult {
  logger.warn('Stack event dropped', { reason, account: envelope.accountId, region: envelope.region, stackId });
  countDroppedEvent(reason);
  return { ignored: reason };
}

async function wake(waits: RecordWaits, provisionedProductId: string, item: RecordWait, taskToken: string) {
  const output: RecordWake = { stackStatus: item.stackStatus, stackEventAt: item.stackEventAt };
  try {
    await stepFunctions.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    logger.info('Run woken by its stack', { provisionedProductId, stackStatus: item.stackStatus, executionArn: item.executionArn });
  } catch (error) {
    // The run has moved on, which is fine.
    if (!isEndedTaskError(error)) throw error;
    logger.info('Run had moved on', { provisionedProductId, error: (error as Error).name });
  }
  await waits.release(provisionedProductId, taskToken);
}
