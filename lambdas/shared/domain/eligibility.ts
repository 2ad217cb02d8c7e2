import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import type { Approval } from '../contracts/steps';
import { describeWaiting, groupsOf, progressOf, quorumPolicyOf } from './quorum';

/** Why an approval no longer counts at execution. */
export interface Ineligible {
  email: string;
  why: string;
}

/**
 * The approvals of a human decision that still count right before a windowed run executes (issue 23): the approver is
 * still in plangate:approvers, and counts only for the groups they are still in (`verifiedGroups`, which checks
 * Identity Center and throws when it cannot tell). Returns undefined when the quorum still holds, or what it lacks now.
 */
export async function staleQuorum(
  record: Pick<ApprovalRecord, 'review' | 'requiredApprovals' | 'approvals' | 'decision'>,
  approvers: Approver[],
  verifiedGroups: (email: string, groups: string[]) => Promise<string[]>,
): Promise<{ ineligible: Ineligible[]; waiting: string } | undefined> {
  const decision = record.decision;
  if (!decision || decision.channel === 'rule') return undefined;
  const policy = quorumPolicyOf(record);
  const approvals: Approval[] = record.approvals?.length ? record.approvals : [decision];
  const listed = new Set(approvers.map((a) => a.email.toLowerCase()));
  const names = groupsOf(policy);
  const ineligible: Ineligible[] = [];
  const kept: Approval[] = [];
  for (const approval of approvals) {
    const email = approval.approver.email.toLowerCase();
    if (!listed.has(email)) {
      ineligible.push({ email, why: 'no longer in plangate:approvers' });
      continue;
    }
    const had = approval.groups ?? [];
    if (!had.length || !names.length) {
      kept.push(approval);
      continue;
    }
    const now = new Set(
      await verifiedGroups(
        email,
        had.filter((g) => names.includes(g)),
      ),
    );
    const left = had.filter((g) => !now.has(g));
    if (left.length) ineligible.push({ email, why: `no longer in ${left.join(', ')}` });
    kept.push({ ...approval, groups: had.filter((g) => now.has(g)) });
  }
  if (!ineligible.length) return undefined;
  const progress = progressOf(policy, kept);
  if (progress.complete) return undefined;
  return { ineligible, waiting: policy.requirements ? describeWaiting(progress) : `${kept.length} of ${record.requiredApprovals ?? 1} approvals` };
}
