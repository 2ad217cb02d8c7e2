import type { ExecuteWindow } from '../contracts/execute-window';
import type { ApprovalDecision } from '../contracts/steps';

/** Why a windowed run may not execute now, as its outcome and its reason; undefined when it may. */
export type WindowRefusal = { outcome: 'WINDOW_MISSED' | 'APPROVAL_STALE'; reason: string };

const HOUR_MS = 3_600_000;

/**
 * The Revalidate step's own checks for a run with an executeWindow, right before executing (the plan's digest and status
 * and the calendar are checked beside it): still within the window, and every approval younger than validityHours.
 */
export function revalidateWindow(
  window: ExecuteWindow,
  decision: ApprovalDecision | undefined,
  now: Date,
  validityHours: number,
): WindowRefusal | undefined {
  if (now.getTime() > Date.parse(window.notAfter)) {
    return { outcome: 'WINDOW_MISSED', reason: `its execution window ended at ${window.notAfter} (it is ${now.toISOString()})` };
  }
  const oldest = approvalsOf(decision).reduce<Dated | undefined>((a, b) => (a && Date.parse(a.at) <= Date.parse(b.at) ? a : b), undefined);
  if (oldest && now.getTime() - Date.parse(oldest.at) > validityHours * HOUR_MS) {
    return {
      outcome: 'APPROVAL_STALE',
      reason: `the approval by ${oldest.by} at ${oldest.at} is older than ${validityHours} hours (plangate:approvalValidityHours); start a new run to approve it again`,
    };
  }
  return undefined;
}

type Dated = { by: string; at: string };

/** A rule's approval is one decision; a human decision lists every approval counted (or is the only one). */
function approvalsOf(decision: ApprovalDecision | undefined): Dated[] {
  if (!decision) return [];
  if (decision.channel === 'rule') return [{ by: 'the auto-approval rule', at: decision.decidedAt }];
  const counted = decision.approvals?.length ? decision.approvals : [decision];
  return counted.map((a) => ({ by: a.approver.email, at: a.decidedAt }));
}
