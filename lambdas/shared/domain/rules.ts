import type { Approver } from '../contracts/approver';
import type { ApprovalPolicy, ApprovalRules, Creator, RiskLevel } from '../contracts/steps';
import { approverWhoRequested } from './approvers';
import { riskRank } from './risk';

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
  creator?: Creator,
): ApprovalPolicy | UnreachableQuorum {
  if (rules.autoApproveUpTo !== 'NONE' && riskRank(risk) <= riskRank(rules.autoApproveUpTo)) {
    return { autoApproved: true, requiredApprovals: 0, rule: `${risk} risk is within plangate:autoApproveUpTo (${rules.autoApproveUpTo})` };
  }
  const required = rules.requiredApprovals[risk];
  const self = approverWhoRequested(requestedBy, approvers);
  const excluded = [...new Set([self?.email, creator?.approverEmail].filter((e): e is string => Boolean(e)).map((e) => e.toLowerCase()))];
  const eligible = approvers.length - excluded.length;
  if (eligible < required) {
    return new UnreachableQuorum(
      `${risk} risk needs ${required} approvals from different approvers, but only ${eligible} approver(s) other than ${
        creator?.approverEmail ? "the requester and the plan's creator" : 'the requester'
      } (${excluded.join(', ')}) are configured`,
    );
  }
  return {
    autoApproved: false,
    requiredApprovals: required,
    rule: `${risk} risk needs ${required} approval${required === 1 ? '' : 's'} (plangate:requiredApprovals)`,
    selfApprover: self?.email,
  };
}
