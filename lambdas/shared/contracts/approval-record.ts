import { approverSchema } from './approver';
import { breakGlassReviewSchema } from './break-glass';
import { executeWindowSchema } from './execute-window';
import { approvalDecisionSchema, approvalSchema, creatorSchema, outcomeSchema, planIdSchema, planRefSchema, reviewResultSchema } from './steps';
import { windowActionSchema } from './window-actions';
import * as z from './zod';

/*
 * The approval table's items, keyed as table-keys.ts says. An approval record holds its status, the task token while
 * pending, the reviewed plan and its digest, the rule applied, every approval, the decision, the IdempotencyToken
 * used and the outcome; an archived run's record is the same, unchanged; a link record names one approver's link.
 * Items are read with these schemas (attributes they do not name are left out).
 */

const notifyClaimSchema = /* @__PURE__ */ (() => z.object({ by: z.string(), at: z.string() }))();

/** CLOSED: the run ended (stopped, failed, released) before anyone decided. */
export const APPROVAL_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CLOSED'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const approvalRecordSchema = /* @__PURE__ */ (() =>
  z.object({
    pk: z.string(),
    planId: planIdSchema,
    /** A spoke plan's `<accountId>:<region>:<planId>`, which keys it; absent for a hub plan (keyed by its id). */
    planRef: z.optional(planRefSchema),
    executionArn: z.string(),
    status: z.enum(APPROVAL_STATUSES),
    /** Present only while the approval is pending, or while an approved windowed run waits for its window. */
    taskToken: z.optional(z.string()),
    requestedAt: z.string(),
    /** Epoch seconds. */
    expiresAt: z.number(),
    requestedBy: z.optional(z.string()),
    approvers: z.array(approverSchema),
    review: reviewResultSchema,
    /** Distinct approvals needed for this plan's risk level (0 when a rule approved it). @default 1 */
    requiredApprovals: z.optional(z.number()),
    /** The members (emails) of the groups its requirements name, as plangate:groups had them when it opened: who can meet each. */
    groupMembers: z.optional(z.record(z.string(), z.array(z.string()))),
    /** The approver the run input names as who asked: they may not approve it. */
    selfApprover: z.optional(z.string()),
    /** Who created the plan, as CloudTrail recorded it (possibly after the request opened): they may not approve it either. */
    creator: z.optional(creatorSchema),
    /** Approvals taken back because CloudTrail showed, after they were given, that the approver created the plan. */
    voidedApprovals: z.optional(z.array(approvalSchema)),
    /** Approvals counted so far, in order, and who gave them (for the distinct-approver rule). */
    approvals: z.optional(z.array(approvalSchema)),
    approverEmails: z.optional(z.array(z.string())),
    decision: z.optional(approvalDecisionSchema),
    /** With a break-glass decision: its follow-up review, which a different approver closes (plangate review). */
    breakGlassReview: z.optional(breakGlassReviewSchema),
    /** The stages whose approvers have been asked after the first ("stage 2", "floor"): each is asked once. */
    askedRounds: z.optional(z.array(z.string())),
    /** When undecided approvers were reminded (the run's second approval task started). */
    remindedAt: z.optional(z.string()),
    expiredAt: z.optional(z.string()),
    /** A windowed run's window as it now is (a reschedule changes it); absent until the run first waits for it. */
    executeWindow: z.optional(executeWindowSchema),
    /** Reschedules, cancellations and run-nows of the waiting run, in order (contracts/window-actions.ts). */
    windowActions: z.optional(z.array(windowActionSchema)),
    /** The cancellation of the waiting run: ExecutePlan refuses to execute once it is here. */
    cancelled: z.optional(windowActionSchema),
    /** Written just before ExecuteProvisionedProductPlan, so the token is on record even if the run dies there. */
    execution: z.optional(
      z.object({
        idempotencyToken: z.string(),
        startedAt: z.string(),
        /** Service Catalog refused the run's first and only execute call (nothing ran), so the plan may be released. */
        refused: z.optional(z.object({ error: z.string(), at: z.string() })),
      }),
    ),
    /** How the run ended. Written once, when the run is closed: nothing changes the record's decision after it. */
    outcome: z.optional(
      z.object({
        outcome: outcomeSchema,
        reason: z.string(),
        recordId: z.optional(z.string()),
        idempotencyToken: z.optional(z.string()),
        /** The execution's error and cause, for endings outside the workflow's own paths. */
        error: z.optional(z.string()),
        cause: z.optional(z.string()),
        finishedAt: z.string(),
      }),
    ),
    /** True once a new run may claim the plan: its run ended without executing it, or an operator released it. */
    released: z.optional(z.boolean()),
    releasedBy: z.optional(z.string()),
    /** When each channel of the outcome notification was sent, so closing twice notifies once. */
    notifiedEmailAt: z.optional(z.string()),
    notifiedEventAt: z.optional(z.string()),
    notifiedSlackAt: z.optional(z.string()),
    /** Which closer is sending each channel, and since when (ApprovalStore.claimNotification); gone once it is sent. */
    notifyEmailClaim: z.optional(notifyClaimSchema),
    notifyEventClaim: z.optional(notifyClaimSchema),
    notifySlackClaim: z.optional(notifyClaimSchema),
    /** The record of the earlier, released run for this plan, kept under this key when this run claimed the plan. */
    previousRun: z.optional(
      z.object({
        executionArn: z.string(),
        archivedAs: z.string(),
        /** How it ended, for the approvers of this run (records claimed before these were kept lack them). */
        status: z.optional(z.enum(APPROVAL_STATUSES)),
        outcome: z.optional(outcomeSchema),
        reason: z.optional(z.string()),
        finishedAt: z.optional(z.string()),
        releasedBy: z.optional(z.string()),
        /** Its approvals and decision, with their comments. */
        decisions: z.optional(z.array(z.object({ by: z.string(), decision: z.string(), comment: z.optional(z.string()) }))),
      }),
    ),
  }))();
export type ApprovalRecord = z.infer<typeof approvalRecordSchema>;
export type PreviousRun = NonNullable<ApprovalRecord['previousRun']>;

/** The id an approval record or link is keyed by: a spoke plan's planRef, a hub plan's id. */
export const refOf = (item: { planId: string; planRef?: string }) => item.planRef ?? item.planId;

/** What a new run keeps of the earlier, released run for the same plan, so its approvers see how that one went. */
export function previousRunOf(earlier: ApprovalRecord, archivedAs: string): PreviousRun {
  const approvals = (earlier.approvals ?? []).map((a) => ({ by: a.approver.name ?? a.approver.email, decision: 'APPROVED', comment: a.comment }));
  const d = earlier.decision;
  const decided =
    d && d.channel !== 'rule' && !d.approvals ? [{ by: d.approver.name ?? d.approver.email, decision: d.decision, comment: d.comment }] : [];
  return {
    executionArn: earlier.executionArn,
    archivedAs,
    status: earlier.status,
    outcome: earlier.outcome?.outcome,
    reason: earlier.outcome?.reason,
    finishedAt: earlier.outcome?.finishedAt,
    releasedBy: earlier.releasedBy,
    decisions: [...approvals, ...decided],
  };
}

/** CREATOR#<planId>: who created the plan, from CloudTrail's record, written once by the PlanCreated function. */
export const creatorRecordSchema = /* @__PURE__ */ (() =>
  z.object({ pk: z.string(), planId: planIdSchema, creator: creatorSchema, recordedAt: z.string() }))();
export type CreatorRecord = z.infer<typeof creatorRecordSchema>;

export const linkRecordSchema = /* @__PURE__ */ (() =>
  z.object({
    pk: z.string(),
    planId: planIdSchema,
    /** A spoke plan's key (as on its approval record). */
    planRef: z.optional(planRefSchema),
    /** Whose personal link this is; absent for a view-only link (the one posted to a Slack channel). */
    approver: z.optional(approverSchema),
    /** The run whose request the link was sent for: it decides nothing for another run. Absent on links made before. */
    executionArn: z.optional(z.string()),
    createdAt: z.string(),
  }))();
export type LinkRecord = z.infer<typeof linkRecordSchema>;
