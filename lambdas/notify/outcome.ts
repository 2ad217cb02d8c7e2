import { approverName, describeDecider, describeProgress, planTitle, snsSubject } from '../shared/domain/describe';
import type { Outcome, RunState } from '../shared/contracts/steps';

/** The outcome of a run as every channel reports it: email text and the EventBridge event's detail. */
export interface OutcomeReport {
  subject: string;
  body: string;
  detail: OutcomeDetail;
}

export interface OutcomeDetail {
  outcome: Outcome;
  reason: string;
  planId?: string;
  planName?: string;
  provisionedProductId?: string;
  provisionedProductName?: string;
  recordId?: string;
  recordStatus?: string;
  recordErrors: { code?: string; description?: string }[];
  idempotencyToken?: string;
  decision?: string;
  approver?: string;
  comment?: string;
  requestedBy?: string;
  executionArn: string;
  durationsSeconds: { review?: number; approval?: number; execution?: number; total: number };
  finishedAt: string;
}

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

const seconds = (from?: string, to?: string) =>
  from && to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000)) : undefined;

function reasonFor(state: RunState): string {
  const { approval, record, execution } = state;
  const caught = caughtMessage(state);
  switch (state.outcome) {
    case 'SUCCEEDED':
      return `Record ${record?.recordId} SUCCEEDED.`;
    case 'FAILED': {
      const errors = record?.recordErrors.map((e) => `${e.code ?? 'Error'}: ${e.description ?? ''}`).join('; ');
      return `Record ${record?.recordId} FAILED${errors ? `: ${errors}` : '.'}`;
    }
    case 'REJECTED': {
      const comment = commentOf(state);
      return `Rejected by ${approver(state)} at ${approval?.decidedAt}${comment ? `: "${comment}"` : '.'}`;
    }
    case 'EXPIRED':
      return expiryReason(state);
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
    return approval.approvals.map((a) => approverName(a.approver)).join(', ');
  }
  return describeDecider(approval);
}

/** The final word on an expired request: how far it got, who had not approved, and what became of the plan. */
function expiryReason(state: RunState): string {
  const { expiry } = state;
  const parts = ['Nobody completed the approval before the request expired. The plan was not executed.'];
  if (expiry) {
    parts.push(`Progress: ${describeProgress(expiry)}.`);
    if (expiry.undecided.length) parts.push(`Not approved by: ${expiry.undecided.join(', ')}.`);
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
  const raw = (state.input as { planId?: unknown } | null)?.planId;
  return raw === undefined ? undefined : String(raw).slice(0, 100);
}

export function describeOutcome(state: RunState, now: Date): OutcomeReport {
  const finishedAt = now.toISOString();
  const { review, approval, execution, record, run } = state;
  const planId = planIdOf(state);
  const detail: OutcomeDetail = {
    outcome: state.outcome,
    reason: reasonFor(state),
    planId,
    planName: review?.plan?.planName,
    provisionedProductId: record?.provisionedProductId ?? review?.plan?.provisionedProductId,
    provisionedProductName: record?.provisionedProductName ?? review?.plan?.provisionedProductName,
    recordId: record?.recordId ?? execution?.recordId,
    recordStatus: record?.status ?? execution?.recordStatus,
    recordErrors: record?.recordErrors ?? [],
    idempotencyToken: execution?.idempotencyToken,
    decision: approval?.decision,
    approver: approver(state),
    comment: commentOf(state),
    requestedBy: review?.requestedBy,
    executionArn: run.executionArn,
    durationsSeconds: {
      review: seconds(run.startedAt, review?.reviewedAt),
      approval: seconds(approval?.requestedAt, approval?.decidedAt),
      execution: seconds(execution?.executedAt, record?.checkedAt),
      total: seconds(run.startedAt, finishedAt) ?? 0,
    },
    finishedAt,
  };
  const title = review ? planTitle(review) : (planId ?? '(no plan id)');
  const d = detail.durationsSeconds;
  const lines = [
    `${HEADLINES[state.outcome]}: ${title}`,
    '',
    detail.reason,
    '',
    `Outcome: ${state.outcome}`,
    `Plan: ${title}`,
    `Provisioned product: ${detail.provisionedProductName ?? '-'} (${detail.provisionedProductId ?? '-'})`,
    `Record: ${detail.recordId ?? '-'}${detail.recordStatus ? ` (${detail.recordStatus})` : ''}`,
    `Requested by: ${detail.requestedBy ?? '-'}`,
    `Decision: ${detail.decision ? `${detail.decision} by ${detail.approver}` : '-'}`,
    `Time taken: review ${fmt(d.review)}, approval ${fmt(d.approval)}, execution ${fmt(d.execution)}, total ${fmt(d.total)}`,
    `Run: ${run.executionArn}`,
  ];
  const outputs = record?.recordOutputs ?? [];
  if (outputs.length) lines.push('', 'Outputs:', ...outputs.map((o) => `  ${o.key} = ${o.value}`));
  return { subject: snsSubject(`[PlanGate] ${state.outcome}: ${title}`), body: lines.join('\n'), detail };
}

function fmt(s: number | undefined): string {
  if (s === undefined) return '-';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}
