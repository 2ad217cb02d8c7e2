import { approverWhoRequested } from './approvers';
import { type RiskLevel, riskRank } from './risk';
import type { Approver } from './run';

/** The approval rules from configuration (plangate:autoApproveUpTo, plangate:requiredApprovals). */
export interface ApprovalRules {
  /** Plans up to this risk run without a human decision; NONE asks a human for every plan. */
  autoApproveUpTo: RiskLevel | 'NONE';
  requiredApprovals: Record<RiskLevel, number>;
}

/** What the rules make of one reviewed plan, at `$.review.policy`. */
export interface ApprovalPolicy {
  /** True when the plan runs without asking anyone. */
  autoApproved: boolean;
  /** Distinct human approvals needed (0 when auto-approved). */
  requiredApprovals: number;
  /** The rule that applied, in words, for the approvers, the notification and the audit record. */
  rule: string;
  /** The approver who asked for the run: they may reject it but not approve it. */
  selfApprover?: string;
}

/** A plan that no set of approvers could approve: the run ends DENIED instead of waiting to expire. */
export class UnreachableQuorum {
  constructor(readonly reason: string) {}
}

/**
 * Applies the rules to a plan's risk and requester. Auto-approval comes first (no human is asked, so the
 * requester does not matter); otherwise the quorum must be reachable without the requester's own approval.
 */
export function approvalPolicy(
  risk: RiskLevel,
  rules: ApprovalRules,
  approvers: Approver[],
  requestedBy: string | undefined,
): ApprovalPolicy | UnreachableQuorum {
  if (rules.autoApproveUpTo !== 'NONE' && riskRank(risk) <= riskRank(rules.autoApproveUpTo)) {
    return { autoApproved: true, requiredApprovals: 0, rule: `${risk} risk is within plangate:autoApproveUpTo (${rules.autoApproveUpTo})` };
  }
  const required = rules.requiredApprovals[risk];
  const self = approverWhoRequested(requestedBy, approvers);
  const eligible = approvers.length - (self ? 1 : 0);
  if (eligible < required) {
    return new UnreachableQuorum(
      `${risk} risk needs ${required} approvals from different approvers, but only ${eligible} approver(s) other than the requester (${self?.email}) are configured`,
    );
  }
  return {
    autoApproved: false,
    requiredApprovals: required,
    rule: `${risk} risk needs ${required} approval${required === 1 ? '' : 's'} (plangate:requiredApprovals)`,
    selfApprover: self?.email,
  };
}
