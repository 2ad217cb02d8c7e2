/** Plain-text descriptions of plans and changes, shared by emails, the approval page and notifications. */
import type { ApprovalRecord, PreviousRun } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import type { BreakGlassUse } from '../contracts/break-glass';
import type { Approval, ApprovalDecision, ChangeDetail, ChangeSummary, Emergency, ResourceChangeSummary, ReviewResult } from '../contracts/steps';
import { mayNotApprove } from './approvers';
import { describeWaiting, progressOf } from './quorum';

export function planTitle(review: Pick<ReviewResult, 'planId' | 'plan'>): string {
  const name = review.plan?.planName;
  return name ? `${name} (${review.planId})` : review.planId;
}

export function describeRisk(summary: ChangeSummary | undefined): string {
  if (!summary) return 'unknown';
  const { HIGH, MEDIUM, LOW } = summary.countsByRisk;
  return `${summary.risk} (${HIGH} high, ${MEDIUM} medium, ${LOW} low)`;
}

export function describeCounts(summary: ChangeSummary | undefined): string {
  if (!summary || summary.total === 0) return 'no resource changes';
  const parts = Object.entries(summary.countsByAction).map(([action, n]) => `${n} ${action.toLowerCase()}`);
  const replacements = summary.replacements ? `, ${summary.replacements} replacement(s)` : '';
  return `${summary.total} change(s): ${parts.join(', ')}${replacements}`;
}

export function describeChange(change: ChangeSummary['changes'][number]): string {
  const replace = change.replacement === 'TRUE' ? ' (REPLACEMENT)' : change.replacement === 'CONDITIONAL' ? ' (may replace)' : '';
  const physical = change.physicalResourceId ? ` [${change.physicalResourceId}]` : '';
  const risk = change.reason ? ` - ${change.risk} risk: ${change.reason}` : '';
  return `${change.action} ${change.logicalResourceId} ${change.resourceType}${physical}${replace}${risk}`;
}

/** SNS subjects must be ASCII without line breaks, under 100 characters. */
export function snsSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?').trim();
  return ascii.length > 99 ? `${ascii.slice(0, 96)}...` : ascii;
}

export const approverName = (a: Approver) => (a.name ? `${a.name} <${a.email}>` : a.email);

/** An emergency change, for every surface: who asked, why, and what it skips. */
export function describeEmergency(emergency: Emergency): string {
  return `requested by ${emergency.requestedBy} because: ${emergency.reason} (it skips the change calendar; every approval rule still applies)`;
}

/**
 * The change calendar as the review saw it: "open", or why it was closed and until when. Execution checks it again:
 * that check decides.
 */
export function describeCalendar(calendar: NonNullable<ReviewResult['calendar']>): string {
  const next = calendar.nextTransition ? ` (next change ${utcTime(new Date(calendar.nextTransition))})` : '';
  return calendar.open
    ? `open when reviewed${next}; checked again right before executing`
    : `closed when reviewed: ${calendar.reason ?? 'a deny window is active'}${next}; checked again right before executing`;
}

/** A run's execution window, for approvers: approving now executes only inside it, after the checks are made again. */
export function describeExecuteWindow(window: NonNullable<ReviewResult['executeWindow']>): string {
  return `not before ${utcTime(new Date(window.notBefore))}, not after ${utcTime(new Date(window.notAfter))}; the plan, the approvals' age and the calendar are checked again right before executing`;
}

/** Who decided: the approver, or the rule that approved without one. */
export function describeDecider(decision: ApprovalDecision): string {
  if (decision.channel === 'rule') return `rule: ${decision.rule}`;
  return decision.breakGlass ? describeBreakGlass(decision.approver, decision.breakGlass) : approverName(decision.approver);
}

/** "BREAK-GLASS by Alice <alice@…> (reason: …; ticket INC-1; valid until …)": every surface marks a break-glass approval so. */
export function describeBreakGlass(approver: Approver, use: BreakGlassUse): string {
  const ticket = use.ticket ? `; ticket ${use.ticket}` : '';
  return `BREAK-GLASS by ${approverName(approver)} (reason: ${use.reason}${ticket}; valid until ${use.validUntil})`;
}

/**
 * "1 of 2 approvals, by Alice Martin"; with approval rules, "1 approval, by Alice Martin; waiting on security: 0 of 1
 * (stage 2 of 2)".
 */
export function describeProgress(record: { approvals?: Approval[]; requiredApprovals?: number; review?: Pick<ReviewResult, 'policy'> }): string {
  const approvals = record.approvals ?? [];
  const by = approvals.length ? `, by ${approvals.map((a) => a.approver.name ?? a.approver.email).join(', ')}` : '';
  const policy = record.review?.policy;
  if (!policy?.requirements) return `${approvals.length} of ${record.requiredApprovals ?? 1} approvals${by}`;
  return `${approvals.length} approval${approvals.length === 1 ? '' : 's'}${by}; ${describeWaiting(progressOf(policy, approvals))}`;
}

/** The account and region a run belongs to, read from its execution ARN (arn:aws:states:<region>:<account>:execution:...). */
export function accountAndRegion(executionArn: string): { account: string; region: string } | undefined {
  const match = /^arn:[\w-]+:states:([a-z0-9-]+):(\d{12}):/.exec(executionArn);
  return match ? { region: match[1]!, account: match[2]! } : undefined;
}

/** Where a plan is, as its review says (a run reviewed before spokes: its own account and Region, the hub's). */
export function planPlace(
  executionArn: string,
  review?: Pick<ReviewResult, 'accountId' | 'region' | 'accountName'>,
): { accountId: string; region: string; accountName?: string } | undefined {
  if (review?.accountId && review.region) return { accountId: review.accountId, region: review.region, accountName: review.accountName };
  const run = accountAndRegion(executionArn);
  return run && { accountId: run.account, region: run.region };
}

/** "account 444455556666 (dev), region eu-west-1", or undefined when nothing says. The name is configuration, shown as is. */
export function describeWhere(executionArn: string, review?: Pick<ReviewResult, 'accountId' | 'region' | 'accountName'>): string | undefined {
  const where = planPlace(executionArn, review);
  return where && `account ${where.accountId}${where.accountName ? ` (${where.accountName})` : ''}, region ${where.region}`;
}

/** "2026-11-22 10:05 UTC": the absolute time, for a tooltip or an email. */
export const utcTime = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** "in 23 h", "5 min ago", "just now": how far a time is from now, rounded down to its largest unit. */
export function relativeTime(at: Date, now: Date): string {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return seconds > 0 ? 'in less than a minute' : 'just now';
  const span = abs < 3600 ? `${Math.floor(abs / 60)} min` : abs < 48 * 3600 ? `${Math.floor(abs / 3600)} h` : `${Math.floor(abs / 86_400)} days`;
  return seconds > 0 ? `in ${span}` : `${span} ago`;
}

/** A detail that re-creates the resource (ALWAYS), or may (CONDITIONALLY): what an approver must see first. */
export const recreates = (detail: ChangeDetail) => detail.requiresRecreation === 'ALWAYS' || detail.requiresRecreation === 'CONDITIONALLY';

/** What a detail changes: "property KeySchema", or the attribute ("tags", "metadata") when it is not a property. */
export function detailTarget(detail: ChangeDetail): string {
  if (detail.name)
    return detail.attribute && detail.attribute !== 'PROPERTIES' ? `${detail.attribute.toLowerCase()} ${detail.name}` : `property ${detail.name}`;
  return detail.attribute ? detail.attribute.toLowerCase() : '(unnamed attribute)';
}

/** The detail's facts, each as Service Catalog names it: recreation, evaluation, and what caused it. */
export function detailFacts(detail: ChangeDetail): string[] {
  const recreation = detail.requiresRecreation && `requires recreation: ${detail.requiresRecreation}`;
  const evaluation =
    detail.evaluation && `evaluation: ${detail.evaluation}${detail.evaluation === 'DYNAMIC' ? ' (value known only at execution)' : ''}`;
  const cause = `caused by: ${detail.causingEntity ?? 'a direct template edit'}`;
  return [recreation, evaluation, cause].filter((fact): fact is string => Boolean(fact));
}

/** "property KeySchema: requires recreation: ALWAYS, evaluation: STATIC, caused by: a direct template edit" */
export const describeDetail = (detail: ChangeDetail) => `${detailTarget(detail)}: ${detailFacts(detail).join(', ')}`;

/** The lines under a change: its details, re-creating ones marked "!" in a two-character gutter, and "+N more". */
export function describeDetails(change: ResourceChangeSummary): string[] {
  const lines = (change.details ?? []).map((d) => `${recreates(d) ? '! ' : '  '}${describeDetail(d)}`);
  return change.detailsUnlisted ? [...lines, `  +${change.detailsUnlisted} more`] : lines;
}

type Quorum = Pick<ApprovalRecord, 'approvals' | 'approverEmails' | 'requiredApprovals' | 'selfApprover' | 'creator'> &
  Partial<Pick<ApprovalRecord, 'review'>>;

/** What approving would do for this approver, or undefined when they cannot approve (their own request, or approved already). */
export function whatApprovingDoes(record: Quorum, approverEmail: string): string | undefined {
  const email = approverEmail.toLowerCase();
  if (mayNotApprove(record, email) || (record.approverEmails ?? []).includes(email)) return undefined;
  const policy = record.review?.policy;
  if (policy?.requirements) {
    return `If you approve, it counts towards each requirement of a group you belong to; this request is ${describeWaiting(progressOf(policy, record.approvals ?? []))}.`;
  }
  const required = record.requiredApprovals ?? 1;
  const after = required - (record.approvals ?? []).length - 1;
  if (after <= 0) return 'Yours is the last approval needed: if you approve, the plan runs right away.';
  const more = after === 1 ? 'one more approval is' : `${after} more approvals are`;
  return `If you approve, yours is approval ${required - after} of ${required}: ${more} needed from other approvers before the plan runs.`;
}

export const WHAT_REJECTING_DOES =
  'If you reject, the request ends at once: the plan is not executed, and the outcome, with your comment, goes to the notification list.';

/** What a closed request means for the plan: running, or never to run. */
export function whatTheDecisionMeans(decision: ApprovalDecision['decision']): string {
  return decision === 'APPROVED'
    ? 'PlanGate is executing it now and follows it to the end, then sends the outcome to the notification list. Open this link again to see how it ended.'
    : 'The plan will not be executed: PlanGate never runs a rejected plan. To make this change, create a new plan and request approval again.';
}

/**
 * How the earlier, released request for the same plan went: "An earlier request for this plan ended EXPIRED on
 * 2026-11-20 10:00 UTC: … Alice approved: “looks fine”." Plain text; the comments are the approvers' own words.
 */
export function describePreviousRun(previous: PreviousRun): string[] {
  const ended = previous.outcome ? `ended ${previous.outcome}` : `was ${previous.status?.toLowerCase() ?? 'closed'}`;
  const when = previous.finishedAt ? ` on ${utcTime(new Date(previous.finishedAt))}` : '';
  const lines = [`An earlier request for this plan ${ended}${when}${previous.reason ? `: ${previous.reason}` : '.'}`];
  if (previous.releasedBy) lines.push(`It was released by ${previous.releasedBy}.`);
  for (const d of previous.decisions ?? [])
    lines.push(`${d.by} ${d.decision === 'REJECTED' ? 'rejected' : 'approved'} it${d.comment ? `: “${d.comment}”` : '.'}`);
  return lines;
}
