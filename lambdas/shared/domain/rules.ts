import type { ResourceChange } from '@aws-sdk/client-service-catalog';
import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import { FREEZE_RULE } from '../contracts/calendar-policy';
import { ANY_APPROVER, type ApprovalPolicyConfig, type ApprovalRule, FLOOR_RULE, type Groups } from '../contracts/policies';
import type { ApprovalPolicy, ApprovalRules, Creator, Requirement, RiskLevel } from '../contracts/steps';
import { approverWhoRequested } from './approvers';
import { planTitle } from './describe';
import { maxMatching } from './quorum';
import { matchesType, riskRank } from './risk';
import { clip, oneLine } from './text';

/** A plan that no set of approvers could approve: the run ends DENIED instead of waiting to expire. */
export class UnreachableQuorum {
  constructor(readonly reason: string) {}
}

/** What the approval rules of plangate:approvalRules look at, besides the plan's risk. */
export interface PolicyContext {
  policy: ApprovalPolicyConfig;
  groups: Groups;
  /** All the plan's resource changes (not only those the summary lists). */
  changes: ResourceChange[];
  /** Where the plan is, and that account's environment (plangate:spokeAccounts); absent for a plan of the hub without spokes. */
  location?: { accountId: string; region: string; environment?: string };
  /**
   * With plangate:changeCalendar onClosed `require-freeze-approval`, while the calendar is closed at review: the extra
   * approvals of freezeApprovers, and why (the calendar's reason). Like a rule with a `when`, it rules out auto-approval.
   */
  freeze?: { group: string; count: number; because: string };
}

/** How many changes a requirement names as the reason it applies; the rest are counted. */
const LISTED_REASONS = 3;
/**
 * The most the reasons of all matching rules take in the run's state, so that fifty matching rules still leave most of
 * the review's share to the changes: up to six rules list three reasons of 200 characters each, more rules fewer.
 */
const REASONS_BYTES = 12 * 1024;

/**
 * Applies the rules to a plan's risk and requester. Auto-approval comes first (no human is asked, so the
 * requester does not matter), unless a rule with a `when` matches; otherwise every requirement must be reachable
 * without the requester's own approval (nor the plan creator's).
 */
export function approvalPolicy(
  risk: RiskLevel,
  rules: ApprovalRules,
  approvers: Approver[],
  requestedBy: string | undefined,
  creator?: Creator,
  context?: PolicyContext,
): ApprovalPolicy | UnreachableQuorum {
  const matched = context ? matchingRules(risk, context) : [];
  const conditional = matched.filter(({ rule }) => rule.when);
  const autoApprovable = !conditional.length && !context?.freeze;
  if (rules.autoApproveUpTo !== 'NONE' && riskRank(risk) <= riskRank(rules.autoApproveUpTo) && autoApprovable) {
    return { autoApproved: true, requiredApprovals: 0, rule: `${risk} risk is within plangate:autoApproveUpTo (${rules.autoApproveUpTo})` };
  }
  const floor = rules.requiredApprovals[risk];
  const self = approverWhoRequested(requestedBy, approvers);
  const excluded = [...new Set([self?.email, creator?.approverEmail].filter((e): e is string => Boolean(e)).map((e) => e.toLowerCase()))];
  const who = creator?.approverEmail ? "the requester and the plan's creator" : 'the requester';
  const eligible = (group: string) =>
    (group === ANY_APPROVER ? approvers.map((a) => a.email) : (context?.groups[group]?.members ?? []))
      .map((e) => e.toLowerCase())
      .filter((e) => !excluded.includes(e));
  const others = eligible(ANY_APPROVER).length;
  if (others < floor) {
    return new UnreachableQuorum(
      `${risk} risk needs ${floor} approvals from different approvers, but only ${others} approver(s) other than ${who} (${excluded.join(', ')}) are configured`,
    );
  }
  const floorText = `${risk} risk needs ${floor} approval${floor === 1 ? '' : 's'} (plangate:requiredApprovals)`;
  if (!context) return { autoApproved: false, requiredApprovals: floor, rule: floorText, selfApprover: self?.email };

  const requirements: Requirement[] = matched.flatMap(({ rule }) =>
    rule.require.map(({ group, count }) => ({ rule: rule.name, group, count, stage: rule.stage ?? 1 })),
  );
  const lastStage = Math.max(1, ...requirements.map((r) => r.stage));
  const { freeze } = context;
  if (freeze) requirements.push({ rule: FREEZE_RULE, group: freeze.group, count: freeze.count, stage: lastStage });
  requirements.push({ rule: FLOOR_RULE, group: ANY_APPROVER, count: floor, stage: lastStage });
  const unreachable = unreachableRequirement(requirements, eligible, context.policy.distinctApproversAcrossRules);
  if (unreachable) {
    const { rule, group, count } = unreachable;
    const members = eligible(group).length;
    return new UnreachableQuorum(
      `rule ${rule} needs ${count} approval${count === 1 ? '' : 's'} from group ${group}, but ${
        context.policy.distinctApproversAcrossRules ? 'with distinct approvers for every requirement (plangate:distinctApproversAcrossRules) ' : ''
      }${members === 0 ? 'it has no member' : `it has ${members} member(s)`} other than ${who}${excluded.length ? ` (${excluded.join(', ')})` : ''} to meet it`,
    );
  }
  const applied = [
    ...matched.map(({ rule, because, becauseUnlisted }) => ({ name: rule.name, stage: rule.stage ?? 1, because, becauseUnlisted })),
    ...(freeze ? [{ name: FREEZE_RULE, stage: lastStage, because: [clip(freeze.because, 200)] }] : []),
  ];
  return {
    autoApproved: false,
    requiredApprovals: floor,
    rule: applied.length ? `rules ${applied.map((r) => r.name).join(', ')} apply; ${floorText}` : floorText,
    selfApprover: self?.email,
    requirements,
    rulesApplied: applied,
    distinctApprovers: context.policy.distinctApproversAcrossRules,
  };
}

/** The rules that match the plan, in order, each with why. */
export function matchingRules(risk: RiskLevel, context: PolicyContext) {
  const matches = context.policy.rules.flatMap((rule) => {
    const reasons = whyRuleMatches(rule, risk, context);
    return reasons ? [{ rule, reasons }] : [];
  });
  // Each rule's share of the reasons' room, in characters (at most 3 bytes each in JSON once oneLine has run).
  const room = Math.floor(REASONS_BYTES / 3 / Math.max(1, matches.length));
  return matches.map(({ rule, reasons }) => {
    const because = listedReasons(reasons, room);
    return { rule, because, ...(reasons.length > because.length ? { becauseUnlisted: reasons.length - because.length } : {}) };
  });
}

/** The first reasons, each clipped to 200 characters, together about `room` characters (the first always, clipped to it). */
function listedReasons(reasons: string[], room: number): string[] {
  const listed: string[] = [];
  let left = room;
  for (const reason of reasons.slice(0, LISTED_REASONS)) {
    const text = clip(reason, Math.min(200, left));
    if (listed.length && text !== clip(reason, 200)) break;
    listed.push(text);
    left -= text.length;
  }
  return listed;
}

/** The reasons a rule matches ("AWS::IAM::Role AppRole added", "account 111122223333"), or undefined when it does not. */
function whyRuleMatches(rule: ApprovalRule, risk: RiskLevel, { changes, location }: PolicyContext): string[] | undefined {
  const when = rule.when;
  if (!when) return ['always (the rule has no "when")'];
  const place: string[] = [];
  if (when.risk) {
    if (!when.risk.includes(risk)) return undefined;
    place.push(`${risk} risk`);
  }
  if (when.accounts) {
    if (!location || !when.accounts.includes(location.accountId)) return undefined;
    place.push(`account ${location.accountId}`);
  }
  if (when.regions) {
    if (!location || !when.regions.includes(location.region)) return undefined;
    place.push(`Region ${location.region}`);
  }
  if (when.environment) {
    if (!location?.environment || !when.environment.includes(location.environment)) return undefined;
    place.push(`environment ${location.environment}`);
  }
  if (!when.resourceTypes && !when.actions && !when.replacement) return place;
  const matching = changes.filter(
    (c) =>
      (!when.resourceTypes || when.resourceTypes.some((p) => matchesType(p, c.ResourceType ?? ''))) &&
      (!when.actions || when.actions.some((a) => a === c.Action)) &&
      (!when.replacement || when.replacement.some((r) => r.toUpperCase() === c.Replacement)),
  );
  return matching.length ? [...matching.map(describeMatch), ...place] : undefined;
}

const ACTION_WORDS: Record<string, string> = { ADD: 'added', MODIFY: 'modified', REMOVE: 'removed' };

/** "AWS::IAM::Role AppRole added (replacement)" */
function describeMatch(change: ResourceChange): string {
  const replacing = { TRUE: ' (replacement)', CONDITIONAL: ' (may be replaced)' }[change.Replacement?.toUpperCase() ?? ''] ?? '';
  const action = ACTION_WORDS[change.Action ?? ''] ?? (change.Action ?? 'changed').toLowerCase();
  return oneLine(`${change.ResourceType ?? '(unknown type)'} ${change.LogicalResourceId ?? '(unnamed)'} ${action}${replacing}`);
}

/**
 * Why an open request can no longer be approved by anyone, once the plan's creator is known (CloudTrail's record
 * arrived after the review, so the review could not leave them out): the requirement its other approvers cannot meet,
 * in words, or undefined while some set of them still can. A group the record does not list members for is taken as
 * reachable (the request waits, as before), and an Identity Center group can only shrink its listed members, so
 * "unreachable" here is certain.
 */
export function unreachableNow(
  record: Pick<ApprovalRecord, 'review' | 'approvers' | 'groupMembers' | 'requiredApprovals' | 'selfApprover' | 'creator'>,
): string | undefined {
  const policy = record.review.policy;
  if (!policy || policy.autoApproved) return undefined;
  const excluded = [record.selfApprover, record.creator?.approverEmail].filter((e): e is string => Boolean(e)).map((e) => e.toLowerCase());
  const listed = (group: string) => (group === ANY_APPROVER ? record.approvers.map((a) => a.email) : record.groupMembers?.[group]);
  const eligible = (group: string) => (listed(group) ?? []).map((e) => e.toLowerCase()).filter((e) => !excluded.includes(e));
  const requirements = (
    policy.requirements ?? [{ rule: FLOOR_RULE, group: ANY_APPROVER, count: record.requiredApprovals ?? policy.requiredApprovals, stage: 1 }]
  ).filter((r) => listed(r.group) !== undefined);
  const unreachable = unreachableRequirement(requirements, eligible, policy.distinctApprovers ?? false);
  if (!unreachable) return undefined;
  const { rule, group, count } = unreachable;
  const others = eligible(group).length;
  const names = [...new Set(excluded)];
  const who =
    names.length === 2
      ? `the requester and the plan's creator (${names.join(', ')})`
      : `${record.creator?.approverEmail ? "the plan's creator" : 'the requester'} (${names.join(', ')})`;
  const needs = `${rule} needs ${count} approval${count === 1 ? '' : 's'} from ${group === ANY_APPROVER ? 'the approvers' : `group ${group}`}`;
  return others < count
    ? `${needs}, but only ${others} of them other than ${who} may approve`
    : `${needs}, and with distinct approvers for every requirement (plangate:distinctApproversAcrossRules) too few people other than ${who} remain for all of them`;
}

/** Why a request unreachableNow found ends DENIED, as the run's cause and the outcome's reason. */
export const unapprovableCause = (record: Pick<ApprovalRecord, 'review'>, reason: string) =>
  `Plan ${planTitle(record.review)} cannot be approved any more: ${reason}`;

/**
 * The first requirement no approvers could meet: too few eligible members in its group, or, with distinct approvers,
 * too few people for all the requirements together (a matching of people to the seats they may fill).
 */
function unreachableRequirement(requirements: Requirement[], eligible: (group: string) => string[], distinct: boolean): Requirement | undefined {
  const short = requirements.find((r) => eligible(r.group).length < r.count);
  if (short || !distinct) return short;
  const seats = requirements.filter((r) => r.group !== ANY_APPROVER);
  const people = [...new Set(seats.flatMap((r) => eligible(r.group)))];
  const { unfilled } = maxMatching(
    seats,
    people.map((email) => seats.flatMap((r, i) => (eligible(r.group).includes(email) ? [i] : []))),
  );
  return unfilled;
}
