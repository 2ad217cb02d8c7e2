import { emergencySchema, outcomeSchema, recordErrorSchema, runInputSchema } from './steps';
import * as z from './zod';

/*
 * PlanGate's EventBridge events: the public integration surface. Other systems send a review request and read the
 * outcome of each run, by these detail types and schemas; both carry the configured source (plangate:eventSource).
 */

/** The event `source` of review requests and outcome events unless plangate:eventSource says otherwise. */
export const DEFAULT_EVENT_SOURCE = 'plangate';

/** Asks PlanGate to review a plan; its detail is the run input. */
export const REVIEW_REQUESTED_DETAIL_TYPE = 'PlanGate Review Requested';
export const reviewRequestDetailSchema = runInputSchema;

/** Sent once per run when it ends, however it ended. */
export const OUTCOME_DETAIL_TYPE = 'PlanGate Run Finished';
export const outcomeDetailSchema = /* @__PURE__ */ (() =>
  z.object({
    outcome: outcomeSchema,
    reason: z.string(),
    /** Where the plan is: its account (and that account's configured name) and Region; absent when the run never knew. */
    accountId: z.optional(z.string()),
    accountName: z.optional(z.string()),
    region: z.optional(z.string()),
    planId: z.optional(z.string()),
    planName: z.optional(z.string()),
    provisionedProductId: z.optional(z.string()),
    provisionedProductName: z.optional(z.string()),
    recordId: z.optional(z.string()),
    recordStatus: z.optional(z.string()),
    /** The record's first errors (at most 100); recordErrorsUnlisted counts the rest. */
    recordErrors: z.array(recordErrorSchema),
    recordErrorsUnlisted: z.optional(z.number()),
    idempotencyToken: z.optional(z.string()),
    decision: z.optional(z.string()),
    approver: z.optional(z.string()),
    comment: z.optional(z.string()),
    requestedBy: z.optional(z.string()),
    /** Set for an emergency change (it skipped the change calendar): why, and who asked. */
    emergency: z.optional(emergencySchema),
    executionArn: z.string(),
    durationsSeconds: z.object({
      review: z.optional(z.number()),
      approval: z.optional(z.number()),
      execution: z.optional(z.number()),
      total: z.number(),
    }),
    finishedAt: z.string(),
  }))();
export type OutcomeDetail = z.infer<typeof outcomeDetailSchema>;
