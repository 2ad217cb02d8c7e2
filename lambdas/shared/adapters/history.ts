import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { APPROVAL_STATUSES, type ApprovalRecord, type ApprovalStatus, approvalRecordSchema } from '../contracts/approval-record';
import { OUTCOMES, type Outcome } from '../contracts/steps';
import { HISTORY_INDEX, historyMonthKey } from '../contracts/table-keys';
import * as z from '../contracts/zod';

/*
 * Reads the approval table's history index (contracts/table-keys.ts): one query per month, newest month first, each
 * newest first. The index holds every approval record, the archived runs' too, so it reaches back as far as the
 * records do, not only Step Functions' 90 days.
 */

export interface HistoryFilters {
  /** A plan id or a spoke plan's `<accountId>:<region>:<planId>`. */
  plan?: string;
  status?: ApprovalStatus;
  outcome?: Outcome;
  /** Who approved or decided (an email). */
  approver?: string;
  /** Requested on or after this UTC day (YYYY-MM-DD). */
  from?: string;
  /** Requested on or before this UTC day (YYYY-MM-DD). */
  to?: string;
}

export interface HistoryPage {
  records: ApprovalRecord[];
  /** Opaque: where the next page starts; absent on the last page. */
  cursor?: string;
}

/** A cursor that does not decode to a place in the index: the caller answers 400. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/**
 * A request waits at most plangate:approvalTimeout, which is at most 7 days (lib/config.ts): the open ones opened in
 * the months these days touch.
 */
const LONGEST_WAIT_DAYS = 7;
/** The walk back stops after this many months with no request at all (give `from` to reach past a longer gap). */
export const EMPTY_MONTHS_ENDING_HISTORY = 24;

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

const cursorSchema = /* @__PURE__ */ (() =>
  z
    .strictObject({
      month: z.string().check(z.regex(MONTH)),
      /** DynamoDB's LastEvaluatedKey inside that month: the table key and the index's. */
      after: z.optional(
        z.strictObject({
          pk: z.string().check(z.regex(/^PLAN#/), z.maxLength(600)),
          historyMonth: z.string(),
          historyAt: z.string().check(z.maxLength(600)),
        }),
      ),
    })
    .check(z.refine((c) => !c.after || c.after.historyMonth === `MONTH#${c.month}`)))();
type Cursor = z.infer<typeof cursorSchema>;

export const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

export function decodeCursor(text: string): Cursor {
  try {
    if (!/^[A-Za-z0-9_-]{1,2000}$/.test(text)) throw new Error('not base64url');
    return z.parse(cursorSchema, JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursorError('The page cursor is not valid: open the history from its first page.');
  }
}

/** The filters as given by a person (query string or command line), or what is wrong with them. */
export function parseHistoryFilters(input: Record<string, string | undefined>): HistoryFilters | { error: string } {
  const filters: HistoryFilters = {};
  const text = (value: string | undefined) => value?.trim() || undefined;
  const plan = text(input.plan);
  if (plan) {
    if (!/^[A-Za-z0-9:_-]{1,100}$/.test(plan)) return { error: 'The plan is a plan id, or <accountId>:<region>:<planId>.' };
    filters.plan = plan;
  }
  const status = text(input.status)?.toUpperCase();
  if (status) {
    if (!(APPROVAL_STATUSES as readonly string[]).includes(status)) return { error: `The status is one of ${APPROVAL_STATUSES.join(', ')}.` };
    filters.status = status as ApprovalStatus;
  }
  const outcome = text(input.outcome)?.toUpperCase();
  if (outcome) {
    if (!(OUTCOMES as readonly string[]).includes(outcome)) return { error: `The outcome is one of ${OUTCOMES.join(', ')}.` };
    filters.outcome = outcome as Outcome;
  }
  const approver = text(input.approver)?.toLowerCase();
  if (approver) {
    if (approver.length > 254 || !approver.includes('@')) return { error: 'The approver is an email address.' };
    filters.approver = approver;
  }
  for (const bound of ['from', 'to'] as const) {
    const day = text(input[bound]);
    if (!day) continue;
    if (!DAY.test(day)) return { error: `"${bound}" is a day: YYYY-MM-DD.` };
    filters[bound] = day;
  }
  if (filters.from && filters.to && filters.from > filters.to) return { error: '"from" is after "to".' };
  return filters;
}

/** The month before `YYYY-MM`. */
export function previousMonth(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, '0')}`;
}

/** The filters as a FilterExpression (what the key condition cannot say). */
function filterExpression(filters: HistoryFilters) {
  const conditions: string[] = [];
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  if (filters.plan) {
    conditions.push('(planId = :plan OR planRef = :plan)');
    values[':plan'] = filters.plan;
  }
  if (filters.status) {
    conditions.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = filters.status;
  }
  if (filters.outcome) {
    conditions.push('outcome.outcome = :outcome');
    values[':outcome'] = filters.outcome;
  }
  if (filters.approver) {
    // approverEmails holds the approvals' emails in lower case; a rejection is only the decision's.
    conditions.push('(contains(approverEmails, :approver) OR decision.approver.email = :approver)');
    values[':approver'] = filters.approver;
  }
  return { conditions, values, names };
}

/** An index item as an approval record, without its task token (never shown); undefined if it is not one. */
function recordOf(item: Record<string, unknown>): ApprovalRecord | undefined {
  const parsed = approvalRecordSchema.safeParse(item);
  if (!parsed.success) return undefined;
  const { taskToken: _, ...record } = parsed.data;
  return record;
}

export class HistoryIndex {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** One month's matching records, newest first, from `after`, evaluating at most `limit` items. */
  private async month(month: string, filters: HistoryFilters, limit: number, after?: Record<string, unknown>) {
    const { conditions, values, names } = filterExpression(filters);
    const answer = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: HISTORY_INDEX,
        KeyConditionExpression: 'historyMonth = :month AND historyAt BETWEEN :low AND :high',
        ...(conditions.length ? { FilterExpression: conditions.join(' AND ') } : {}),
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: {
          ':month': `MONTH#${month}`,
          ':low': filters.from ?? '0',
          // `T` sorts before any digit: "<day>T~" is after every time of that day.
          ':high': filters.to ? `${filters.to}T~` : '~',
          ...values,
        },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: after,
      }),
    );
    return {
      records: (answer.Items ?? []).flatMap((item) => recordOf(item) ?? []),
      scanned: answer.ScannedCount ?? 0,
      next: answer.LastEvaluatedKey,
    };
  }

  /**
   * Up to `pageSize` requests matching the filters, newest first, and the cursor of the next page. Walks back month by
   * month from `to` (or now) to `from`, or until EMPTY_MONTHS_ENDING_HISTORY months in a row hold no request.
   */
  async page(filters: HistoryFilters, pageSize: number, now: Date, cursorText?: string): Promise<HistoryPage> {
    const start = cursorText ? decodeCursor(cursorText) : { month: (filters.to ?? now.toISOString()).slice(0, 7) };
    const floor = filters.from?.slice(0, 7);
    let month = start.month;
    let after: Record<string, unknown> | undefined = start.after;
    let emptyMonths = 0;
    const records: ApprovalRecord[] = [];
    while ((!floor || month >= floor) && emptyMonths < EMPTY_MONTHS_ENDING_HISTORY) {
      const found = await this.month(month, filters, pageSize - records.length, after);
      records.push(...found.records);
      emptyMonths = found.scanned === 0 && !after ? emptyMonths + 1 : 0;
      if (found.next) {
        after = found.next;
        if (records.length >= pageSize) return { records, cursor: encodeCursor({ month, after: found.next as Cursor['after'] }) };
        continue;
      }
      after = undefined;
      month = previousMonth(month);
      if (records.length >= pageSize) {
        const more = (!floor || month >= floor) && emptyMonths < EMPTY_MONTHS_ENDING_HISTORY;
        return { records, ...(more ? { cursor: encodeCursor({ month }) } : {}) };
      }
    }
    return { records };
  }

  /** The open requests (pending, not expired, not closed), newest first. */
  async pending(now: Date): Promise<ApprovalRecord[]> {
    const oldest = new Date(now.getTime() - LONGEST_WAIT_DAYS * 86_400_000).toISOString();
    const months = [...new Set([historyMonthKey(now.toISOString()), historyMonthKey(oldest)])].map((m) => m.slice('MONTH#'.length));
    const open = ['#status = :pending', 'expiresAt > :now', 'attribute_not_exists(outcome)'];
    const records: ApprovalRecord[] = [];
    for (const month of months) {
      let after: Record<string, unknown> | undefined;
      do {
        const found = await this.pendingMonth(month, open, now, after);
        records.push(...found.records);
        after = found.next;
      } while (after);
    }
    return records;
  }

  private async pendingMonth(month: string, open: string[], now: Date, after?: Record<string, unknown>) {
    const answer = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: HISTORY_INDEX,
        KeyConditionExpression: 'historyMonth = :month',
        FilterExpression: open.join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':month': `MONTH#${month}`, ':pending': 'PENDING', ':now': Math.floor(now.getTime() / 1000) },
        ScanIndexForward: false,
        ExclusiveStartKey: after,
      }),
    );
    return { records: (answer.Items ?? []).flatMap((item) => recordOf(item) ?? []), next: answer.LastEvaluatedKey };
  }
}
