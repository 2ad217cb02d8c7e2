/** Plain-text descriptions of plans and changes, shared by emails, the approval page and notifications. */
import type { Approver } from '../contracts/approver';
import type { Approval, ApprovalDecision, ChangeSummary, ReviewResult } from '../contracts/steps';

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

/** Who decided: the approver, or the rule that approved without one. */
export function describeDecider(decision: ApprovalDecision): string {
  return decision.channel === 'rule' ? `rule: ${decision.rule}` : approverName(decision.approver);
}

/** "1 of 2 approvals, by Alice Martin" */
export function describeProgress(record: { approvals?: Approval[]; requiredApprovals?: number }): string {
  const approvals = record.approvals ?? [];
  const by = approvals.length ? `, by ${approvals.map((a) => a.approver.name ?? a.approver.email).join(', ')}` : '';
  return `${approvals.length} of ${record.requiredApprovals ?? 1} approvals${by}`;
}
