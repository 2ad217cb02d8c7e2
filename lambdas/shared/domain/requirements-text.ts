import type { ApprovalRecord } from '../contracts/approval-record';
import { ANY_APPROVER } from '../contracts/policies';
import { progressOf, quorumPolicyOf } from './quorum';

/** One requirement of a request as every surface shows it: which rule, why it applies, who can meet it, and how far it is. */
export interface RequirementLine {
  stage: number;
  rule: string;
  /** "1 of security", "2 in all, from any approver" */
  needs: string;
  /** Why the rule applies: the changes (or the place) that made it match. */
  why: string[];
  /** Who can meet it: the group's members, by name (empty for any approver). */
  who: string[];
  /** "0 of 1", with who counted. */
  progress: string;
  met: boolean;
}

type Source = Pick<ApprovalRecord, 'review' | 'requiredApprovals' | 'approvals' | 'approvers' | 'groupMembers'>;

/** The request's requirements, by stage, for a record made with approval rules (none before rules). */
export function requirementLines(record: Source): RequirementLine[] {
  const policy = record.review.policy;
  if (!policy?.requirements) return [];
  const progress = progressOf(quorumPolicyOf(record), record.approvals ?? []);
  const nameOf = (email: string) => record.approvers.find((a) => a.email.toLowerCase() === email.toLowerCase())?.name ?? email;
  return progress.requirements.map((r) => {
    const applied = policy.rulesApplied?.find((a) => a.name === r.rule);
    const why = applied ? [...applied.because, ...(applied.becauseUnlisted ? [`and ${applied.becauseUnlisted} more`] : [])] : [];
    const any = r.group === ANY_APPROVER;
    return {
      stage: r.stage,
      rule: r.rule,
      needs: any ? `${r.count} in all, from any approver` : `${r.count} of ${r.group}`,
      why: any ? [`${policy.requiredApprovals} approval${policy.requiredApprovals === 1 ? '' : 's'} at least for this risk`] : why,
      who: any ? [] : (record.groupMembers?.[r.group] ?? []).map(nameOf),
      progress: `${Math.min(r.by.length, r.count)} of ${r.count}${r.by.length ? `, by ${r.by.map(nameOf).join(', ')}` : ''}`,
      met: r.met,
    };
  });
}

/** "Stage 2 · iam-changes: 1 of security (Carol Diaz), because AWS::IAM::Role AppRole added: 0 of 1" */
export const describeRequirementLine = (line: RequirementLine) =>
  `Stage ${line.stage} · ${line.rule}: ${line.needs}${line.who.length ? ` (${line.who.join(', ')})` : ''}${
    line.why.length ? `, because ${line.why.join('; ')}` : ''
  }: ${line.progress}${line.met ? ' (met)' : ''}`;
