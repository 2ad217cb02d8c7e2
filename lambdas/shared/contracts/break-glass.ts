import { iamPrincipalPattern } from './approver';
import * as z from './zod';

/*
 * Break-glass (plangate:breakGlass, off when absent): a listed requester approves a plan outright through the signed
 * command line, once in a while, loudly, and a different approver reviews it afterwards. The configuration (lib/config.ts)
 * and the functions (BREAK_GLASS) parse it with this same schema.
 */

const whole = (min: number, max: number) => z.number().check(z.int(), z.minimum(min), z.maximum(max));

export const breakGlassSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    /** IAM or STS principal ARN patterns (`*` for any run of characters), as approvers' iamPrincipals: who may break glass. */
    requesters: z.array(iamPrincipalPattern).check(z.minLength(1, 'must name at least one requester'), z.maxLength(50)),
    /** How long the approval holds: executed later (an execution window, a calendar wait), the run ends APPROVAL_STALE. */
    validityMinutes: z.optional(whole(1, 1_440)),
    /** Uses per person in any 24 hours. */
    maxUsesPerDay: z.optional(whole(1, 10)),
    /** Reviews still open this long after the use raise the BreakGlassReviewsOverdue alarm. */
    reviewWithinHours: z.optional(whole(1, 720)),
  }))();
export type BreakGlassPolicy = z.infer<typeof breakGlassSchema>;

export const BREAK_GLASS_DEFAULTS = { validityMinutes: 15, maxUsesPerDay: 1, reviewWithinHours: 72 } as const;

/** The settings with their defaults. */
export const breakGlassSettings = (policy: BreakGlassPolicy) => ({ ...BREAK_GLASS_DEFAULTS, ...policy });

/** The most a reason or a comment may hold, as a decision's comment. */
export const MAX_BREAK_GLASS_TEXT = 1_000;

/** On a break-glass decision (`decision.breakGlass`): why, the ticket, and until when the approval may execute. */
export const breakGlassUseSchema = /* @__PURE__ */ (() =>
  z.object({
    reason: z.string(),
    ticket: z.optional(z.string()),
    /** ISO 8601: executed later than this, the run ends APPROVAL_STALE. */
    validUntil: z.string(),
  }))();
export type BreakGlassUse = z.infer<typeof breakGlassUseSchema>;

/** The follow-up review of a break-glass approval, on its approval record (`breakGlassReview`): it outlives the run. */
export const breakGlassReviewSchema = /* @__PURE__ */ (() =>
  z.object({
    status: z.enum(['OPEN', 'CLOSED']),
    /** The break-glass user's email (the approver they are): they may not close it. */
    user: z.string(),
    openedAt: z.string(),
    /** openedAt plus reviewWithinHours: open after this, it counts as overdue. */
    dueAt: z.string(),
    closedBy: z.optional(z.object({ email: z.string(), principal: z.string() })),
    closedAt: z.optional(z.string()),
    comment: z.optional(z.string()),
  }))();
export type BreakGlassReview = z.infer<typeof breakGlassReviewSchema>;

/** The open reviews' index (one item, breakGlassIndexKey): what WatchRuns counts, each checked against its record. */
export const openReviewSchema = /* @__PURE__ */ (() => z.object({ planRef: z.string(), executionArn: z.string(), dueAt: z.string() }))();
export type OpenReview = z.infer<typeof openReviewSchema>;
