import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';

const globToRegExp = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/**
 * The approver who asked for the run, if any: `requestedBy` is their email, or an IAM/STS principal ARN
 * (CloudTrail's user identity) matching one of their `iamPrincipals` patterns, or an Identity Center session named by
 * their email. They may not approve it.
 */
export function approverWhoRequested(requestedBy: string | undefined, approvers: Approver[]): Approver | undefined {
  if (!requestedBy) return undefined;
  return approvers.find((a) => isRequester(requestedBy, [a.email], a.iamPrincipals ?? []));
}

/**
 * Whether `requestedBy` (an email, or an IAM/STS principal ARN) is one of these people: an email equal to it or to its
 * Identity Center session name, or an IAM principal pattern (`*` for any run of characters) matching it.
 */
export function isRequester(requestedBy: string, emails: string[], principalPatterns: string[]): boolean {
  const who = requestedBy.trim().toLowerCase();
  // IAM Identity Center names a signed-in person's session by their user name, usually their email.
  const session = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/[^/]+\/([^/]+)$/.exec(requestedBy.trim())?.[1]?.toLowerCase();
  return (
    emails.some((email) => email.toLowerCase() === who || email.toLowerCase() === session) ||
    principalPatterns.some((pattern) => globToRegExp(pattern).test(requestedBy.trim()))
  );
}

/** The approver one of whose `iamPrincipals` patterns matches a signed caller's ARN (exactly, `*` for any run of characters). */
export function approverWithPrincipal(principalArn: string, approvers: Approver[]): Approver | undefined {
  return approvers.find((a) => (a.iamPrincipals ?? []).some((pattern) => globToRegExp(pattern).test(principalArn)));
}

/** Approvers whose approval is still missing: not yet approved, and not the requester (who may not approve). */
export function waitingOn(record: Pick<ApprovalRecord, 'approvers' | 'approverEmails' | 'selfApprover' | 'creator'>): Approver[] {
  const approved = new Set(record.approverEmails ?? []);
  return record.approvers.filter((a) => !approved.has(a.email.toLowerCase()) && !mayNotApprove(record, a.email));
}

/** The requester the run names, and the plan's creator as CloudTrail recorded it, may reject but not approve. */
export function mayNotApprove(record: Pick<ApprovalRecord, 'selfApprover' | 'creator'>, email: string): boolean {
  const who = email.toLowerCase();
  return record.selfApprover?.toLowerCase() === who || record.creator?.approverEmail?.toLowerCase() === who;
}
