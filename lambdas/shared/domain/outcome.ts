import type { OutcomeDetail } from '../contracts/events';
import { executedOf, type Outcome, parseStartInput, type RunState } from '../contracts/steps';
import { approverName, describeDecider, describeEmergency, describeProgress, describeWhere, planTitle, snsSubject } from './describe';
import { fitList, STATE_BUDGET, withinBudget } from './state-budget';
import { clip, firstItems, moreText, oneLine, untrusted } from './text';

/** The outcome of a run as every channel reports it: email text and the EventBridge event's detail. */
export interface OutcomeReport {
  subject: string;
  body: string;
  detail: OutcomeDetail;
}

/*
 * Limits that keep every outbound payload within its service's: SNS messages and EventBridge entries (256 KiB),
 * Step Functions state (256 KiB; the detail is Notify's output). 100 errors of at most 1,000 characters, a reason
 * of at most 4,000, and the other fields' own limits stay far below.
 */
export const MAX_LISTED_ERRORS = 100;
const MAX_ERROR_CHARS = 1_000;
export const MAX_REASON_CHARS = 4_000;

const HEADLINES: Record<Outcome, string> = {
  SUCCEEDED: 'Plan executed successfully',
  FAILED: 'Plan execution failed',
  REJECTED: 'Plan rejected',
  DENIED: 'Plan denied by rule',
  EXPIRED: 'Approval expired',
  INVALID_INPUT: 'Run input was invalid',
  PLAN_NOT_READY: 'Plan not ready',
  PLAN_CHANGED: 'Plan changed after approval; not executed',
  DUPLICATE: 'Duplicate run ignored',
  TIMED_OUT: 'Plan execution did not finish in time',
  INTERNAL_ERROR: 'Run stopped by an internal error',
  ABORTED: 'Run stopped',
  RUN_FAILED: 'Run failed',
  RUN_TIMED_OUT: 'Run timed out',
  RELEASED: 'Plan released by an operator',
  SPOKE_UNREACHABLE: 'Spoke account unreachable',
  FROZEN: 'Change calendar closed; not executed',
  APPROVAL_STALE: 'Approval too old at execution; not executed',
  WINDOW_MISSED: 'Execution window missed; not executed',
  CANCELLED: 'Cancelled before its execution window; not executed',
};

/** The message a Catch recorded: a Lambda error's `errorMessage` from its JSON Cause, or the Cause itself. */
export function caughtMessage(state: Pick<RunState, 'error'>): string | undefined {
  const { error } = state;
  if (!error) return undefined;
  if (!error.Cause) return error.Error;
  try {
    const cause = JSON.parse(error.Cause) as { errorType?: string; errorMessage?: string };
    if (cause.errorMessage) return cause.errorMessage;
  } catch {
    // Not a Lambda error payload: the Cause is plain text.
  }
  return error.Cause;
}

const seconds = (from?: string, to?: string) => (from && to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000)) : undefined);

function reasonFor(state: RunState): string {
  const { approval, record } = state;
  const execution = executedOf(state.execution);
  const caught = caughtMessage(state);
  switch (state.outcome) {
    case 'SUCCEEDED':
      return `Record ${record?.recordId} SUCCEEDED.`;
    case 'FAILED': {
      const { items, more: beyond } = firstItems(record?.recordErrors ?? [], 10);
      const more = beyond + (record?.recordErrorsUnlisted ?? 0);
      const errors = items.map((e) => `${e.code ?? 'Error'}: ${e.description ?? ''}`).join('; ');
      return `Record ${record?.recordId} FAILED${errors ? `: ${errors}` : '.'}${more ? ` (${moreText(more, 'more errors')})` : ''}`;
    }
    case 'REJECTED': {
      const comment = commentOf(state);
      return `Rejected by ${approver(state)} at ${approval?.decidedAt}${comment ? `: "${comment}"` : '.'}`;
    }
    case 'EXPIRED':
      return expiryReason(state);
    case 'SPOKE_UNREACHABLE':
      // From CheckRecord: the plan was executed there before its account became unreachable.
      if (!execution) return caught ?? 'No further detail was recorded.';
      return (
        `The plan was executed (record ${execution.recordId}), then PlanGate could not reach its account to follow the record: it may ` +
        `still be running; check the record in Service Catalog there. ${caught ?? ''}`
      ).trim();
    case 'TIMED_OUT':
      return `Record ${record?.recordId ?? execution?.recordId} was still ${record?.status ?? 'running'} when PlanGate stopped waiting. Check it in Service Catalog.`;
    default:
      return caught ?? 'No further detail was recorded.';
  }
}

const commentOf = ({ approval }: RunState) => (approval && approval.channel !== 'rule' ? approval.comment : undefined);

/** Who decided: every approver counted towards the quorum, the one who rejected, or the rule. */
function approver(state: RunState): string | undefined {
  const { approval } = state;
  if (!approval) return undefined;
  if (approval.channel !== 'rule' && approval.decision === 'APPROVED' && approval.approvals?.length) {
    const more = approval.approvalsUnlisted ? ` and ${approval.approvalsUnlisted} more` : '';
    return `${approval.approvals.map((a) => approverName(a.approver)).join(', ')}${more}`;
  }
  return describeDecider(approval);
}

/** The final word on an expired request: how far it got, who had not approved, and what became of the plan. */
function expiryReason(state: RunState): string {
  const { expiry } = state;
  const parts = ['Nobody completed the approval before the request expired. The plan was not executed.'];
  if (expiry) {
    parts.push(`Progress: ${describeProgress(expiry)}.`);
    const more = expiry.undecidedUnlisted ? ` (${moreText(expiry.undecidedUnlisted, 'more')})` : '';
    if (expiry.undecided.length) parts.push(`Not approved by: ${expiry.undecided.join(', ')}${more}.`);
    if (expiry.planDeleted) parts.push('The plan was deleted (plangate:deleteExpiredPlans).');
    if (expiry.planDeleted === false) parts.push(`Deleting the plan failed: ${expiry.deleteError}.`);
  }
  const caught = caughtMessage(state);
  if (caught && caught !== 'States.Timeout') parts.push(`Closing the approval failed: ${caught}.`);
  return parts.join(' ');
}

/** Reported plan id: the reviewed one, else whatever the input carried (shortened, since it may be junk). */
function planIdOf(state: RunState): string | undefined {
  if (state.review) return state.review.planId;
  const input = state.input;
  const raw = input !== null && typeof input === 'object' ? (input as { planId?: unknown }).planId : undefined;
  return raw === undefined ? undefined : untrusted(String(raw)).slice(0, 100);
}

/**
 * Where the plan is: as reviewed, or else as the run input names it (a run that ended before its review, say with its
 * spoke unreachable; only well-formed values). Nothing for a run that named no place and was not reviewed.
 */
function placeOf(state: RunState): Pick<OutcomeDetail, 'accountId' | 'accountName' | 'region'> {
  const { review } = state;
  if (review?.accountId && review.region) {
    return { accountId: review.accountId, ...(review.accountName === undefined ? {} : { accountName: review.accountName }), region: review.region };
  }
  const start = parseStartInput(state.input);
  const named: { accountId?: string; region?: string } = start.success
    ? 'request' in start.data
      ? { ...start.data.request, accountId: start.data.sentBy.account }
      : start.data
    : {};
  return { ...(named.accountId ? { accountId: named.accountId } : {}), ...(named.region ? { region: named.region } : {}) };
}

/** How the run ended, for every channel. `reason` replaces the one derived from the state (a recorded outcome's). */
export function describeOutcome(state: RunState, now: Date, reason = reasonFor(state)): OutcomeReport {
  const finishedAt = now.toISOString();
  const { review, approval, record, run } = state;
  const execution = executedOf(state.execution);
  const planId = planIdOf(state);
  const errors = firstItems(record?.recordErrors ?? [], MAX_LISTED_ERRORS);
  const unlisted = errors.more + (record?.recordErrorsUnlisted ?? 0);
  const place = placeOf(state);
  const detail: OutcomeDetail = {
    outcome: state.outcome,
    // One line: the reason quotes errors from AWS, whose control characters would take six bytes each in JSON.
    reason: clip(oneLine(reason), MAX_REASON_CHARS),
    ...place,
    planId,
    planName: review?.plan?.planName,
    provisionedProductId: record?.provisionedProductId ?? review?.plan?.provisionedProductId,
    provisionedProductName: record?.provisionedProductName ?? review?.plan?.provisionedProductName,
    recordId: record?.recordId ?? execution?.recordId,
    recordStatus: record?.status ?? execution?.recordStatus,
    recordErrors: errors.items.map((e) => ({
      code: e.code && clip(e.code, 200),
      description: e.description && clip(e.description, MAX_ERROR_CHARS),
    })),
    idempotencyToken: execution?.idempotencyToken,
    decision: approval?.decision,
    approver: approver(state),
    comment: commentOf(state),
    requestedBy: review?.requestedBy,
    ...(review?.emergency ? { emergency: review.emergency } : {}),
    executionArn: run.executionArn,
    durationsSeconds: {
      review: seconds(run.startedAt, review?.reviewedAt),
      approval: seconds(approval?.requestedAt, approval?.decidedAt),
      execution: seconds(execution?.executedAt, record?.checkedAt),
      total: seconds(run.startedAt, finishedAt) ?? 0,
    },
    finishedAt,
  };
  // Notify's output is part of the run's state (and the event's detail): the errors that fit its share, the rest counted.
  const fitted = fitList(detail.recordErrors, STATE_BUDGET.notification, (recordErrors, dropped) => ({
    ...detail,
    recordErrors,
    ...(unlisted + dropped ? { recordErrorsUnlisted: unlisted + dropped } : {}),
  }));
  return {
    subject: snsSubject(`[PlanGate] ${state.outcome}: ${titleOf(state, planId)}`),
    body: emailBody(fitted, state, planId),
    detail: withinBudget('notification', fitted),
  };
}

const titleOf = (state: RunState, planId: string | undefined) => (state.review ? planTitle(state.review) : (planId ?? '(no plan id)'));

/** The outcome email: every value that came from a plan, a person or AWS on one line of its own field. */
function emailBody(detail: OutcomeDetail, state: RunState, planId: string | undefined): string {
  const title = untrusted(titleOf(state, planId));
  const d = detail.durationsSeconds;
  const lines = [
    `${HEADLINES[detail.outcome]}: ${title}`,
    '',
    untrusted(detail.reason),
    '',
    ...(detail.accountId && detail.region ? [`Where: ${untrusted(describeWhere('', detail))}`] : []),
    `Outcome: ${detail.outcome}`,
    `Plan: ${title}`,
    `Provisioned product: ${untrusted(detail.provisionedProductName ?? '-')} (${untrusted(detail.provisionedProductId ?? '-')})`,
    `Record: ${detail.recordId ?? '-'}${detail.recordStatus ? ` (${detail.recordStatus})` : ''}`,
    `Requested by: ${untrusted(detail.requestedBy ?? '-')}`,
    ...(detail.emergency ? [`Emergency change: ${untrusted(describeEmergency(detail.emergency))}`] : []),
    `Decision: ${detail.decision ? `${detail.decision} by ${untrusted(detail.approver)}` : '-'}`,
    `Time taken: review ${fmt(d.review)}, approval ${fmt(d.approval)}, execution ${fmt(d.execution)}, total ${fmt(d.total)}`,
    `Run: ${detail.executionArn}`,
  ];
  if (detail.recordErrors.length) {
    lines.push('', 'Record errors:', ...detail.recordErrors.map((e) => `  - ${untrusted(e.code ?? 'Error')}: ${untrusted(e.description)}`));
    if (detail.recordErrorsUnlisted) lines.push(`  ${moreText(detail.recordErrorsUnlisted, 'more errors')} (see the record in Service Catalog)`);
  }
  const outputs = firstItems(state.record?.recordOutputs ?? [], 50);
  // The product's own outputs (a service URL, say) stay usable: one line each, but not defanged.
  if (outputs.items.length)
    lines.push('', 'Outputs:', ...outputs.items.map((o) => `  ${oneLine(o.key ?? '')} = ${oneLine(clip(o.value ?? '', 500))}`));
  if (outputs.more) lines.push(`  ${moreText(outputs.more, 'more outputs')}`);
  return lines.join('\n');
}

function fmt(s: number | undefined): string {
  if (s === undefined) return '-';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}
