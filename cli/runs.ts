import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { HistoryIndex } from '../lambdas/shared/adapters/history';
import { type ApprovalRecord, refOf } from '../lambdas/shared/contracts/approval-record';
import { STATES } from '../lambdas/shared/contracts/state-names';
import { type AcceptLanguage, OUTCOMES, type Outcome, type RunInput } from '../lambdas/shared/contracts/steps';
import { planKey } from '../lambdas/shared/contracts/table-keys';
import { locationOfArn, planRefOfInput } from '../lambdas/shared/domain/plan-location';
import { describeWaiting, progressOf } from '../lambdas/shared/domain/quorum';
import { describeWindowAction } from '../lambdas/shared/domain/window-schedule';
import type { Aws, Target } from './aws';
import { CliError, EXIT } from './exit-codes';

/** A run as the command line shows it. */
export interface RunStatus {
  planId?: string;
  /** Where the plan is, when the run names a spoke's (or its record, reviewed since spokes, says): account, its name, Region. */
  accountId?: string;
  accountName?: string;
  region?: string;
  executionArn: string;
  /** Step Functions' status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED. */
  status: string;
  startedAt?: string;
  stoppedAt?: string;
  phase: string;
  /** The approval record's status and who has approved, when the run has one. */
  /** `waiting`, with approval rules: what the request still waits on ("waiting on security: 0 of 1 (stage 2 of 2)"). */
  approval?: { status: string; approvals: string[]; required: number; waiting?: string; decidedBy?: string };
  recordStatus?: string;
  outcome?: Outcome;
  reason?: string;
  /** A windowed run's window as it now is, and who rescheduled, cancelled or ran it now (issue 23). */
  executeWindow?: { notBefore: string; notAfter: string };
  windowActions?: string[];
}

/** The approval record's fields the command line shows: never the task token. */
const RECORD_FIELDS = [
  'planId',
  'executionArn',
  '#status',
  'approvals',
  'requiredApprovals',
  'decision',
  'outcome',
  'review.accountId',
  'review.accountName',
  'review.#region',
  'review.policy',
  'review.executeWindow',
  'executeWindow',
  'windowActions',
];
type RecordView = Pick<
  ApprovalRecord,
  'planId' | 'executionArn' | 'status' | 'approvals' | 'requiredApprovals' | 'decision' | 'outcome' | 'executeWindow' | 'windowActions'
> & {
  review?: Partial<Pick<ApprovalRecord['review'], 'accountId' | 'accountName' | 'region' | 'policy' | 'executeWindow'>>;
};

/**
 * A plan as the command line names it: its id (a hub plan), or `<accountId>:<region>:<planId>` (a spoke's, as the
 * approval table keys it). Returns the run input's fields.
 */
export function planOfRef(ref: string): Pick<RunInput, 'planId' | 'accountId' | 'region'> {
  const [accountId, region, planId] = ref.split(':');
  return planId === undefined ? { planId: ref } : { planId, accountId, region };
}

/**
 * The key a plan has in the approval table, by how the command line names it: a hub plan named by the hub's own account
 * and Region (as `start` takes it, running it as the hub plan it is) is keyed by its id alone. For a scoped name only,
 * the hub's place comes from the state machine's ARN; where that is unknown, the name is taken as it is.
 */
export async function planKeyOf(aws: Aws, ref: string): Promise<string> {
  const { planId, accountId, region } = planOfRef(ref);
  if (accountId === undefined) return ref;
  const hub = await aws
    .target()
    .then((target) => locationOfArn(target.stateMachineArn))
    .catch(() => undefined);
  return hub?.accountId === accountId && hub.region === region ? planId : ref;
}

/** The start of the name of a run `plangate start` starts for a plan (execution names take no `:`). */
const runNamePrefix = (ref: string) => `${ref.replace(/:/g, '_').slice(0, 60)}-`;

/** What a run is doing, by the state it last entered; any other state is its ending. */
export const PHASES: Record<string, string> = {
  [STATES.start]: 'reviewing the plan',
  [STATES.reviewPlan]: 'reviewing the plan',
  [STATES.waitForPlan]: 'waiting for the plan to be created',
  [STATES.autoApprove]: 'approved by a rule',
  [STATES.requestApproval]: 'waiting for approval',
  [STATES.remindApprovers]: 'waiting for approval (approvers reminded)',
  [STATES.expireApproval]: 'approval expired',
  [STATES.approved]: 'approved',
  [STATES.executeWindow]: 'approved',
  [STATES.scheduleWindow]: 'waiting for the execution window',
  [STATES.waitForWindow]: 'waiting for the execution window',
  [STATES.windowRescheduled]: 'waiting for the execution window',
  [STATES.executePlan]: 'executing the plan',
  [STATES.startPolling]: 'following the record',
  [STATES.checkRecord]: 'following the record',
  [STATES.recordFinished]: 'following the record',
  [STATES.waitForRecord]: 'following the record',
  [STATES.awaitRecordEvent]: 'following the record',
};
/** States only a deployment with a change calendar has (the definition without one has none of them). */
const CALENDAR_PHASES: Record<string, string> = {
  [STATES.calendarDeferred]: 'waiting for the change calendar to open',
  [STATES.waitForCalendar]: 'waiting for the change calendar to open',
};

const phaseOf = (state: string | undefined) => (state ? (PHASES[state] ?? CALENDAR_PHASES[state] ?? 'reporting the outcome') : 'starting');

/** Starts a run for a plan, as the caller (requestedBy is their principal ARN, so they may not approve it). */
export async function startRun(aws: Aws, target: Target, ref: string, acceptLanguage?: AcceptLanguage, executeWindow?: RunInput['executeWindow']) {
  const requestedBy = await aws.callerArn();
  const input: RunInput = {
    ...planOfRef(ref),
    requestedBy,
    ...(acceptLanguage ? { acceptLanguage } : {}),
    ...(executeWindow ? { executeWindow } : {}),
  };
  // Named after the plan, so `plangate status <planId>` finds a run that ended before it had an approval record.
  const name = `${runNamePrefix(ref)}${Date.now().toString(36)}`;
  const { executionArn } = await aws.sfn.send(
    new StartExecutionCommand({ stateMachineArn: target.stateMachineArn, name, input: JSON.stringify(input) }),
  );
  return { executionArn: executionArn!, requestedBy };
}

async function approvalRecord(aws: Aws, target: Target, planId: string): Promise<RecordView | undefined> {
  const { Item } = await aws.documents.send(
    new GetCommand({
      TableName: target.tableName,
      Key: { pk: planKey(planId) },
      ProjectionExpression: RECORD_FIELDS.join(', '),
      // Both are DynamoDB reserved words.
      ExpressionAttributeNames: { '#status': 'status', '#region': 'region' },
    }),
  );
  return Item as RecordView | undefined;
}

/** The run's last state and the record status its last check saw, from the newest history events. */
async function progress(aws: Aws, executionArn: string) {
  const { events = [] } = await aws.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100 }));
  const entered = events.find((e) => e.type?.endsWith('StateEntered'))?.stateEnteredEventDetails?.name;
  const check = events.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === STATES.checkRecord);
  let recordStatus: string | undefined;
  try {
    recordStatus = check && (JSON.parse(check.stateExitedEventDetails?.output ?? '{}') as { record?: { status?: string } }).record?.status;
  } catch {
    recordStatus = undefined;
  }
  return { phase: phaseOf(entered), recordStatus };
}

const ENDED_OUTSIDE: Record<string, Outcome> = { ABORTED: 'ABORTED', TIMED_OUT: 'RUN_TIMED_OUT', FAILED: 'RUN_FAILED' };

/** Everything about one run: Step Functions' view, its phase, and its approval record if it owns one. */
export async function describeRun(
  aws: Aws,
  target: Target,
  executionArn: string,
  known?: { planId?: string; record?: RecordView | null },
): Promise<RunStatus> {
  const execution = await aws.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const input = parse<unknown>(execution.input);
  const planRef = known?.planId ?? planRefOfInput(input, executionArn);
  const record = known?.record === undefined && planRef ? await approvalRecord(aws, target, planRef) : (known?.record ?? undefined);
  const planId = planRef ? planOfRef(planRef).planId : textOrUndefined((input as { planId?: unknown } | undefined)?.planId);
  const own = record?.executionArn === executionArn ? record : undefined;
  const running = execution.status === 'RUNNING';
  const { phase, recordStatus } = running ? await progress(aws, executionArn) : { phase: 'ended', recordStatus: undefined };
  const notification = parse<{ outcome?: Outcome; reason?: string; recordStatus?: string }>(execution.output);
  const outcome = running ? undefined : (notification?.outcome ?? own?.outcome?.outcome ?? ENDED_OUTSIDE[execution.status ?? '']);
  const named: { accountId?: string; region?: string } = planRef ? planOfRef(planRef) : {};
  const place = own?.review?.accountId ? own.review : named;
  return {
    planId,
    ...(place.accountId ? { accountId: place.accountId, region: place.region } : {}),
    ...(own?.review?.accountName ? { accountName: own.review.accountName } : {}),
    executionArn,
    status: execution.status ?? 'UNKNOWN',
    startedAt: execution.startDate?.toISOString(),
    stoppedAt: execution.stopDate?.toISOString(),
    phase,
    ...(own ? { approval: approvalOf(own) } : {}),
    recordStatus: recordStatus ?? notification?.recordStatus,
    ...windowOfRun(own),
    outcome,
    reason: running ? undefined : (notification?.reason ?? own?.outcome?.reason ?? execution.cause ?? execution.error),
  };
}

/** A windowed run's window (a reschedule's, else the input's) and its actions, described. */
function windowOfRun(record: RecordView | undefined): Pick<RunStatus, 'executeWindow' | 'windowActions'> {
  const window = record?.executeWindow ?? record?.review?.executeWindow;
  if (!window) return {};
  return { executeWindow: window, ...(record?.windowActions?.length ? { windowActions: record.windowActions.map(describeWindowAction) } : {}) };
}

/** The approval part of a run: its record's status, who approved, and what it still waits on. */
function approvalOf(own: RecordView): NonNullable<RunStatus['approval']> {
  return {
    status: own.status,
    approvals: (own.approvals ?? []).map((a) => a.approver.name ?? a.approver.email),
    required: own.requiredApprovals ?? 1,
    ...(own.review?.policy?.requirements ? { waiting: describeWaiting(progressOf(own.review.policy, own.approvals ?? [])) } : {}),
    decidedBy:
      own.decision && ('approver' in own.decision ? (own.decision.approver.name ?? own.decision.approver.email) : `rule: ${own.decision.rule}`),
  };
}

/** A plan's run: the one its approval record names, else the newest run started for it by name (`plangate start`). */
export async function findRun(aws: Aws, target: Target, ref: string): Promise<RunStatus> {
  if (ref.startsWith('arn:')) {
    if (!ref.includes(':execution:')) throw new CliError(`${ref} is not an execution ARN`, EXIT.usage);
    try {
      return await describeRun(aws, target, ref);
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') throw new CliError(`No run ${ref}`, EXIT.error);
      throw error;
    }
  }
  const record = await approvalRecord(aws, target, ref);
  if (record) return describeRun(aws, target, record.executionArn, { planId: ref, record });
  for await (const run of executions(aws, target, {})) {
    if (run.name?.startsWith(runNamePrefix(ref))) return describeRun(aws, target, run.executionArn!, { planId: ref, record: null });
  }
  throw new CliError(`No run found for plan ${ref}: it has no approval record, and no run was started for it with plangate start`, EXIT.error);
}

async function* executions(aws: Aws, target: Target, options: { running?: boolean; since?: Date }): AsyncGenerator<ExecutionListItem> {
  let nextToken: string | undefined;
  do {
    const page = await aws.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: target.stateMachineArn,
        statusFilter: options.running ? 'RUNNING' : undefined,
        maxResults: 100,
        nextToken,
      }),
    );
    for (const run of page.executions ?? []) {
      // Newest first: once one started before `since`, so did the rest.
      if (options.since && run.startDate && run.startDate < options.since) return;
      yield run;
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

/** A run of a record whose execution Step Functions no longer keeps (90 days after it ended): what the record says. */
export function runOfRecord(record: ApprovalRecord): RunStatus {
  const { planId, accountId, region } = planOfRef(refOf(record));
  const place = record.review.accountId ? record.review : { accountId, region };
  return {
    planId,
    ...(place.accountId ? { accountId: place.accountId, region: place.region } : {}),
    ...(record.review.accountName ? { accountName: record.review.accountName } : {}),
    executionArn: record.executionArn,
    status: EXECUTION_GONE,
    startedAt: record.requestedAt,
    stoppedAt: record.outcome?.finishedAt,
    phase: 'ended',
    approval: approvalOf(record),
    outcome: record.outcome?.outcome,
    reason: record.outcome?.reason,
  };
}

/** The status of a run whose execution Step Functions no longer keeps. */
export const EXECUTION_GONE = 'ENDED';

/**
 * Recent runs, newest first: every approval record of the period from the table's history index (so runs older than
 * Step Functions' 90 days are listed too, from their records), and the runs that have none (they ended before asking
 * for approval), from Step Functions. Each is described a few at a time.
 */
export async function listRuns(
  aws: Aws,
  target: Target,
  options: { pending: boolean; outcome?: Outcome; since: Date; limit: number },
): Promise<RunStatus[]> {
  const history = new HistoryIndex(aws.documents, target.tableName);
  const filters = {
    from: options.since.toISOString().slice(0, 10),
    ...(options.pending ? { status: 'PENDING' as const } : {}),
    ...(options.outcome ? { outcome: options.outcome } : {}),
  };
  const records: ApprovalRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await history.page(filters, options.limit - records.length, new Date(), cursor);
    records.push(...page.records.filter((r) => r.requestedAt >= options.since.toISOString()));
    cursor = page.cursor;
  } while (cursor && records.length < options.limit);

  const matches = (run: RunStatus) =>
    !(options.pending && run.approval?.status !== 'PENDING') && !(options.outcome && run.outcome !== options.outcome);
  const fromRecords: RunStatus[] = [];
  for (let i = 0; i < records.length; i += 8) {
    fromRecords.push(...(await Promise.all(records.slice(i, i + 8).map((record) => describeRecordRun(aws, target, record)))).filter(matches));
  }
  // Runs with no record in the index: those that ended before asking, and records written before the index (not backfilled).
  const recorded = new Set(records.map((r) => r.executionArn));
  const fromRuns: RunStatus[] = [];
  const limitthStart = () => mergeNewestFirst(fromRecords, fromRuns)[options.limit - 1]?.startedAt;
  let oldestListed = limitthStart();
  const batch: ExecutionListItem[] = [];
  const flush = async () => {
    fromRuns.push(...(await Promise.all(batch.splice(0).map((run) => describeRun(aws, target, run.executionArn!)))).filter(matches));
    oldestListed = limitthStart();
  };
  for await (const run of executions(aws, target, { running: options.pending, since: options.since })) {
    // Newest first: once older than the limit-th run found, the rest would not be listed.
    if (oldestListed && run.startDate && run.startDate.toISOString() < oldestListed) break;
    if (recorded.has(run.executionArn!)) continue;
    batch.push(run);
    if (batch.length === 8) await flush();
  }
  await flush();
  return mergeNewestFirst(fromRecords, fromRuns).slice(0, options.limit);
}

/** Two lists of runs, each newest first, as one; a run whose start is unknown keeps its place in its own list. */
function mergeNewestFirst(a: RunStatus[], b: RunStatus[]): RunStatus[] {
  const merged: RunStatus[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const [x, y] = [a[i], b[j]];
    if (!y || (x?.startedAt && y.startedAt && x.startedAt > y.startedAt)) merged.push(a[i++]!);
    else merged.push(b[j++]!);
  }
  return merged;
}

/** A recorded run: as Step Functions describes it, or from its record once Step Functions has forgotten it. */
async function describeRecordRun(aws: Aws, target: Target, record: ApprovalRecord): Promise<RunStatus> {
  try {
    return await describeRun(aws, target, record.executionArn, { planId: refOf(record), record });
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return runOfRecord(record);
    throw error;
  }
}

/**
 * Follows a run until it ends, reporting each change of phase, approvals or record status. Gives up (the run goes
 * on) after `timeoutMs`.
 */
export async function waitForRun(
  aws: Aws,
  target: Target,
  executionArn: string,
  options: { timeoutMs: number; pollMs: number; onProgress: (line: string) => void },
): Promise<RunStatus> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const run = await describeRun(aws, target, executionArn);
    if (run.status !== 'RUNNING') return run;
    const line = progressLine(run);
    if (line !== last) options.onProgress(line);
    last = line;
    if (Date.now() + options.pollMs > deadline) {
      throw new CliError(`Still running after the --timeout; the run goes on: plangate status ${executionArn}`, EXIT.stillRunning);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

/** "waiting for approval: 1 of 2 approvals, by Alice Martin" */
export function progressLine(run: RunStatus): string {
  const parts = [run.phase];
  if (run.approval && run.approval.status === 'PENDING' && run.approval.required > 0) {
    const by = run.approval.approvals.length ? `, by ${run.approval.approvals.join(', ')}` : '';
    parts.push(run.approval.waiting ?? `${run.approval.approvals.length} of ${run.approval.required} approvals${by}`);
  }
  if (run.recordStatus) parts.push(`record ${run.recordStatus}`);
  return parts.join(': ');
}

export const isOutcome = (value: string): value is Outcome => (OUTCOMES as readonly string[]).includes(value);

/** A value from a run's input, which whoever started the run wrote: text, or nothing (a number or object is not an id). */
const textOrUndefined = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function parse<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
