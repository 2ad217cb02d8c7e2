import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import type { BreakGlassPolicy, BreakGlassReview, BreakGlassUse } from '../contracts/break-glass';
import type { ApprovalDecision } from '../contracts/steps';
import { approverWithPrincipal, isRequester } from './approvers';
import { approverName, describeCounts, describeRisk, describeWhere, planTitle, snsSubject } from './describe';
import { untrusted } from './text';

const DAY_MS = 86_400_000;

/**
 * Who a signed caller is for break-glass: one of plangate:breakGlass.requesters, and an approver (their iamPrincipals
 * name the person the use counts against and the review excludes). Else why not.
 */
export function breakGlassUser(principal: string, policy: BreakGlassPolicy, approvers: Approver[]): { approver: Approver } | { refused: string } {
  if (!isRequester(principal, [], policy.requesters))
    return { refused: `${principal} is not a break-glass requester (plangate:breakGlass.requesters)` };
  const approver = approverWithPrincipal(principal, approvers);
  if (!approver) return { refused: `${principal} is a break-glass requester but no approver's iamPrincipals match it, so it names no person` };
  return { approver };
}

/**
 * The rate limit: at most `max` uses in any 24 hours. Given the earlier uses (epoch ms), either the uses to store with
 * this one (those older than a day dropped), or when the next use is allowed (a day after the oldest that counts).
 */
export function takeUse(uses: number[], now: Date, max: number): { uses: number[] } | { nextAt: Date } {
  const recent = uses.filter((at) => at > now.getTime() - DAY_MS).sort((a, b) => a - b);
  if (recent.length >= max) return { nextAt: new Date(recent[recent.length - max]! + DAY_MS) };
  return { uses: [...recent, now.getTime()] };
}

/** A break-glass approval executed after it lapsed: why it may not execute; undefined when it may (or is no break-glass). */
export function lapsedBreakGlass(decision: ApprovalDecision | undefined, now: Date): string | undefined {
  if (!decision || decision.channel === 'rule' || !decision.breakGlass) return undefined;
  const { validUntil } = decision.breakGlass;
  if (now.getTime() <= Date.parse(validUntil)) return undefined;
  return (
    `the break-glass approval by ${decision.approver.email} at ${decision.decidedAt} was valid until ${validUntil} ` +
    `(plangate:breakGlass.validityMinutes) and it is ${now.toISOString()}; start a new run to approve it again`
  );
}

/** Why `closer` may not close the plan's break-glass review; undefined when they may. */
export function reviewRefusal(record: Pick<ApprovalRecord, 'planId' | 'breakGlassReview'>, closer: Approver): string | undefined {
  const review = record.breakGlassReview;
  if (!review) return `Plan ${record.planId} has no break-glass review`;
  if (review.status === 'CLOSED')
    return `The break-glass review of plan ${record.planId} was closed by ${review.closedBy?.email} at ${review.closedAt}`;
  if (review.user.toLowerCase() === closer.email.toLowerCase()) {
    return `You broke glass on plan ${record.planId}, so a different approver must review it`;
  }
  return undefined;
}

/** What every approver is told at once, by email and on Slack: no link, nothing left to decide, a review to do. */
export function breakGlassNotice(record: ApprovalRecord, approver: Approver, use: BreakGlassUse, principal: string, review: BreakGlassReview) {
  const where = describeWhere(record.executionArn, record.review);
  const lines = [
    `Break-glass: ${approverName(approver)} approved this plan outright, without the usual approvals.`,
    '',
    `Reason: ${untrusted(use.reason)}`,
    ...(use.ticket ? [`Ticket: ${untrusted(use.ticket)}`] : []),
    `Signed by: ${principal}`,
    `Valid until: ${use.validUntil} (executed later, it is refused)`,
    ...(where ? [`Where: ${untrusted(where)}`] : []),
    `Plan: ${untrusted(planTitle(record.review))}`,
    `Changes: ${describeCounts(record.review.summary)}`,
    `Risk: ${describeRisk(record.review.summary)}`,
    '',
    `A follow-up review is open until ${review.dueAt}: an approver other than ${approver.email} closes it with`,
    `  plangate review ${record.planRef ?? record.planId} --comment "..."`,
  ];
  return { subject: snsSubject(`[PlanGate] BREAK-GLASS approval: ${planTitle(record.review)}`), body: lines.join('\n') };
}

/** The review a break-glass approval at `at` opens. */
export function openedReview(user: Approver, at: Date, reviewWithinHours: number): BreakGlassReview {
  return {
    status: 'OPEN',
    user: user.email.toLowerCase(),
    openedAt: at.toISOString(),
    dueAt: new Date(at.getTime() + reviewWithinHours * 3_600_000).toISOString(),
  };
}

/** Whether a record's review is open past its due time (and its break-glass decision stands). */
export const isOverdue = (record: Pick<ApprovalRecord, 'breakGlassReview' | 'decision'>, now: Date) =>
  record.breakGlassReview?.status === 'OPEN' &&
  record.decision?.channel !== 'rule' &&
  record.decision?.breakGlass !== undefined &&
  Date.parse(record.breakGlassReview.dueAt) < now.getTime();
