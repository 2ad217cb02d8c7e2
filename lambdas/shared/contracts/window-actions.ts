import { executeWindowSchema } from './execute-window';
import * as z from './zod';

/*
 * What approvers and operators did to a run waiting for its execution window (issue 23): each action is kept on the
 * approval record (`windowActions`, in order), a cancellation also as `cancelled`, which ExecutePlan checks.
 */

export const WINDOW_ACTIONS = ['reschedule', 'cancel', 'run-now'] as const;

/**
 * The most times one run's window may be rescheduled. Each reschedule is kept on the approval record (up to about
 * 3.5 KB with its reason and principal), and the record must stay within DynamoDB's 400 KB item limit, with room for
 * the closing write: past the limit, no write to it succeeds, and the run could not be closed
 * (test/lambdas/record-size.test.ts adds the largest record up).
 */
export const MAX_RESCHEDULES = 20;
export type WindowActionName = (typeof WINDOW_ACTIONS)[number];

export const windowActionSchema = /* @__PURE__ */ (() =>
  z.object({
    action: z.enum(WINDOW_ACTIONS),
    /** The approver's email, or (run-now) the operator's principal. */
    by: z.string(),
    /** The signed caller's ARN, as API Gateway verified it. */
    principal: z.string(),
    at: z.string(),
    reason: z.optional(z.string()),
    /** A reschedule's new window. */
    window: z.optional(executeWindowSchema),
  }))();
export type WindowAction = z.infer<typeof windowActionSchema>;

/** What the waiting task is completed with: the run executes, or (reschedule) waits again for the record's window. */
export const windowWakeSchema = /* @__PURE__ */ (() => z.object({ action: z.enum(['reschedule', 'run-now']) }))();
export type WindowWake = z.infer<typeof windowWakeSchema>;
