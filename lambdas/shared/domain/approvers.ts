import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';

const globToRegExp = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/**
 * The approver who asked for the run, if any: `requestedBy` is their email, or an IAM/STS principal ARN
 * (CloudTrail's user identity) matching one of their `iamPrincipals` patterns. They may not approve it.
 */
export function approverWhoRequested(requestedBy: string | undefined, approvers: Approver[]): Approver | undefined {
  if (!requestedBy) return undefined;
  const who = requestedBy.trim().toLowerCase();
  return approvers.find(
    (a) => a.email.toLowerCase() === who || (a.iamPrincipals ?? []).some((pattern) => globToRegExp(pattern).test(requestedBy.trim())),
  );
}

/** The approver one of whose `iamPrincipals` patterns matches a signed caller's ARN (exactly, `*` for any run of characters). */
export function approverWithPrincipal(principalArn: string, approvers: Approver[]): Approver | undefined {
  return approvers.find((a) => (a.iamPrincipals ?? []).some((pattern) => globToRegExp(pattern).test(principalArn)));
}

/** Approvers whose approval is still missing: not yet approved, and not the requester (who may not approve). */
export function waitingOn(record: Pick<ApprovalRecord, 'approvers' | 'approverEmails' | 'selfApprover'>): Approver[] {
  const approved = new Set(record.approverEmails ?? []);
  const self = record.selfApprover?.toLowerCase();
  return record.approvers.filter((a) => !approved.has(a.email.toLowerCase()) && a.email.toLowerCase() !== self);
}
