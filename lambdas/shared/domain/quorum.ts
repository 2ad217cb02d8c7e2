import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import { ANY_APPROVER, FLOOR_RULE } from '../contracts/policies';
import type { Approval, ApprovalPolicy, Requirement } from '../contracts/steps';

/*
 * Where a request stands: which requirements its approvals meet, which stage is open, and whether a new approval
 * would count. One pure function of the policy and the approvals, used by every function and surface alike.
 */

/** The part of a policy (or of an approval record made before approval rules) that decides the quorum. */
export type QuorumPolicy = Pick<ApprovalPolicy, 'requirements' | 'distinctApprovers'> & { requiredApprovals?: number };

export interface RequirementProgress extends Requirement {
  /** The approvers counted towards it, by email, in the order they approved. */
  by: string[];
  met: boolean;
}

export interface Progress {
  requirements: RequirementProgress[];
  /** The open stage: the first with a requirement unmet (undefined once complete). */
  stage?: number;
  /** Whether the floor (any approver) is what the request still waits on, every rule's requirement being met. */
  floorOpen: boolean;
  complete: boolean;
}

/** An approval record's quorum policy: its review's, with the record's own count (records made before rules have only that). */
export const quorumPolicyOf = (record: Pick<ApprovalRecord, 'review' | 'requiredApprovals'>): QuorumPolicy => ({
  requirements: record.review.policy?.requirements,
  distinctApprovers: record.review.policy?.distinctApprovers,
  requiredApprovals: record.requiredApprovals ?? 1,
});

/** Where a record's request stands. */
export const recordProgress = (record: Pick<ApprovalRecord, 'review' | 'requiredApprovals' | 'approvals'>) =>
  progressOf(quorumPolicyOf(record), record.approvals ?? []);

/** A policy's requirements; before approval rules: `requiredApprovals` from any approver, at stage 1. */
export function requirementsOf(policy: QuorumPolicy): Requirement[] {
  return policy.requirements ?? [{ rule: FLOOR_RULE, group: ANY_APPROVER, count: policy.requiredApprovals ?? 1, stage: 1 }];
}

/** Whether an approval counts for a group: every approval counts for any approver; a group's, if its member voted. */
const countsFor = (approval: Approval, group: string) => group === ANY_APPROVER || (approval.groups ?? []).includes(group);

/**
 * Assigns people to seats, each person to at most one seat they may fill, as many as possible: Kuhn's augmenting
 * paths from each seat in turn, trying people in order, so the same input always gives the same assignment. A seat
 * filled stays filled as later seats are, so the earlier seats are filled first: as many of them as any assignment could.
 * `fits[p]` lists the seats (indexes of `seats`, each seat taking `count` people) person p may fill.
 */
export function maxMatching<S extends { count: number }>(seats: S[], fits: number[][]) {
  const slots = seats.flatMap((seat, i) => Array.from({ length: seat.count }, () => i));
  const holder: (number | undefined)[] = slots.map(() => undefined);
  const slotOf: (number | undefined)[] = fits.map(() => undefined);
  const fill = (slot: number, seen: Set<number>): boolean => {
    for (let person = 0; person < fits.length; person++) {
      if (seen.has(person) || !fits[person]!.includes(slots[slot]!)) continue;
      seen.add(person);
      const other = slotOf[person];
      if (other === undefined || fill(other, seen)) {
        slotOf[person] = slot;
        holder[slot] = person;
        return true;
      }
    }
    return false;
  };
  // A seat no one could take now cannot be taken by its next slot either.
  const full = new Set<number>();
  for (let slot = 0; slot < slots.length; slot++) if (!full.has(slots[slot]!) && !fill(slot, new Set())) full.add(slots[slot]!);
  const heldBy = seats.map((_, i) => slots.flatMap((seat, slot) => (seat === i && holder[slot] !== undefined ? [holder[slot]!] : [])));
  return { heldBy, unfilled: seats.find((seat, i) => heldBy[i]!.length < seat.count) };
}

/**
 * Which requirements the approvals meet. One person counts for every group they belong to, unless the policy asks
 * for distinct approvers: then each approval fills one seat of one requirement (a matching). The floor of
 * plangate:requiredApprovals counts every approval.
 */
export function progressOf(policy: QuorumPolicy, approvals: Approval[]): Progress {
  const requirements = requirementsOf(policy);
  const emails = approvals.map((a) => a.approver.email.toLowerCase());
  let counted: string[][];
  if (policy.distinctApprovers) {
    // Earlier stages' seats first, so that a person in two stages' groups fills the stage that is open.
    const seats = requirements.filter((r) => r.group !== ANY_APPROVER).sort((a, b) => a.stage - b.stage);
    const { heldBy } = maxMatching(
      seats,
      approvals.map((a) => seats.flatMap((r, i) => (countsFor(a, r.group) ? [i] : []))),
    );
    counted = requirements.map((r) => (r.group === ANY_APPROVER ? emails : heldBy[seats.indexOf(r)]!.map((p) => emails[p]!)));
  } else {
    counted = requirements.map((r) => approvals.filter((a) => countsFor(a, r.group)).map((a) => a.approver.email.toLowerCase()));
  }
  const progress = requirements.map((r, i) => ({
    ...r,
    by: counted[i]!.slice(0, r.group === ANY_APPROVER ? undefined : r.count),
    met: counted[i]!.length >= r.count,
  }));
  const rulesUnmet = progress.filter((r) => !r.met && r.group !== ANY_APPROVER);
  const floorUnmet = progress.some((r) => !r.met && r.group === ANY_APPROVER);
  const unmet = rulesUnmet.length ? rulesUnmet : progress.filter((r) => !r.met);
  return {
    requirements: progress,
    ...(unmet.length ? { stage: Math.min(...unmet.map((r) => r.stage)) } : {}),
    floorOpen: !rulesUnmet.length && floorUnmet,
    complete: !unmet.length,
  };
}

/** The groups of a request's requirements, ANY_APPROVER aside: those whose membership a vote is checked against. */
export const groupsOf = (policy: QuorumPolicy) => [...new Set(requirementsOf(policy).map((r) => r.group))].filter((g) => g !== ANY_APPROVER);

export type Admission =
  | { admitted: true; stage: number }
  /** The voter's requirements are all in a later stage. */
  | { admitted: false; reason: 'later-stage'; opensAt: number; open: number }
  /** Nothing the request still waits on is theirs to meet. */
  | { admitted: false; reason: 'not-needed' };

/**
 * Whether an approval by a member of `groups` counts now: it must help meet something the open stage waits on. The
 * floor (any approver) takes any approval once it is open, and before that, approvals of people already asked (an
 * earlier stage's) add to it; a later stage's member waits for their stage.
 */
export function admission(progress: Progress, groups: string[]): Admission {
  const open = progress.stage;
  if (open === undefined) return { admitted: false, reason: 'not-needed' };
  const mine = (r: RequirementProgress) => countsFor({ groups } as Approval, r.group);
  const unmetOpen = progress.requirements.filter((r) => !r.met && r.stage === open && r.group !== ANY_APPROVER);
  if (progress.floorOpen || unmetOpen.some(mine)) return { admitted: true, stage: open };
  const floorUnmet = progress.requirements.some((r) => !r.met && r.group === ANY_APPROVER);
  const asked = progress.requirements.some((r) => r.group !== ANY_APPROVER && r.stage <= open && mine(r));
  if (floorUnmet && asked) return { admitted: true, stage: open };
  const later = progress.requirements.filter((r) => !r.met && r.group !== ANY_APPROVER && r.stage > open && mine(r));
  if (later.length) return { admitted: false, reason: 'later-stage', opensAt: Math.min(...later.map((r) => r.stage)), open };
  return { admitted: false, reason: 'not-needed' };
}

/** The groups whose members the open stage asks (ANY_APPROVER when the floor is open): who gets a link now. */
export function askedGroups(progress: Progress): string[] {
  if (progress.stage === undefined) return [];
  if (progress.floorOpen) return [ANY_APPROVER];
  return [...new Set(progress.requirements.filter((r) => !r.met && r.stage === progress.stage && r.group !== ANY_APPROVER).map((r) => r.group))];
}

/**
 * Who a request has asked so far, from its record: every approver without approval rules, or once the floor is open;
 * with rules, the members (as the record kept them when it opened) of the groups of every stage opened yet.
 */
export function askedSoFar(record: Pick<ApprovalRecord, 'review' | 'requiredApprovals' | 'approvals' | 'approvers' | 'groupMembers'>): Approver[] {
  if (!record.review.policy?.requirements) return record.approvers;
  const progress = recordProgress(record);
  if (progress.floorOpen || progress.stage === undefined) return record.approvers;
  const opened = progress.requirements.filter((r) => r.stage <= progress.stage! && r.group !== ANY_APPROVER);
  const members = new Set(opened.flatMap((r) => record.groupMembers?.[r.group] ?? []).map((e) => e.toLowerCase()));
  return record.approvers.filter((a) => members.has(a.email.toLowerCase()));
}

/** "security: 0 of 1" for each requirement of the request, met ones marked. */
export const describeRequirementProgress = (r: RequirementProgress) =>
  `${r.group === ANY_APPROVER ? 'any approver' : r.group}: ${Math.min(r.by.length, r.count)} of ${r.count}${r.met ? ' (met)' : ''}`;

/** "waiting on security: 0 of 1" (stage 2 of 2), or "complete". */
export function describeWaiting(progress: Progress): string {
  if (progress.complete) return 'every requirement is met';
  const open = progress.requirements.filter((r) => !r.met && r.stage === progress.stage && (progress.floorOpen || r.group !== ANY_APPROVER));
  const stages = Math.max(...progress.requirements.map((r) => r.stage));
  const stage = stages > 1 ? ` (stage ${progress.stage} of ${stages})` : '';
  return `waiting on ${open.map(describeRequirementProgress).join(', ')}${stage}`;
}

/**
 * Whether a vote counts now, given the request's policy and the approvals so far. With distinct approvers, a vote
 * may also count by freeing someone who approved before for another seat: it counts when it fills more seats of the
 * open stage and those before (without this a person in two groups could hold the only seat another could take).
 */
export function admissionOfVote(policy: QuorumPolicy, approvals: Approval[], vote: Approval): Admission {
  const before = progressOf(policy, approvals);
  const verdict = admission(before, vote.groups ?? []);
  if (verdict.admitted || !policy.distinctApprovers || before.stage === undefined) return verdict;
  const open = before.stage;
  const seatsFilled = (progress: Progress) =>
    progress.requirements.filter((r) => r.group !== ANY_APPROVER && r.stage <= open).reduce((n, r) => n + Math.min(r.by.length, r.count), 0);
  return seatsFilled(progressOf(policy, [...approvals, vote])) > seatsFilled(before) ? { admitted: true, stage: open } : verdict;
}
