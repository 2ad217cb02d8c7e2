import { executeWindowSchema } from './execute-window';
import * as z from './zod';

/*
 * What approvers and operators did to a run waiting for its execution window (issue 23): each action is kept on the
 * approval record (`windowActions`, in order), a cancellation also as `cancelled`, which ExecutePlan checks.
 */

export const WINDOW_ACTIONS = ['reschedule', 'cancel', 'run-now'] as const;

/**
 * The most times one run's window may be rescheduled. Each reschedule is kept on the approval record (up to about
 * 6 KB with a reason of 1,000 characters and the caller's ARN), and the record must stay within DynamoDB's 400 KB item
 * limit with room for the closing write: past it no write to the record succeeds, and the run could not be closed.
 * Unlike the record's other lists, which the configuration bounds, reschedules were limited by nothing.
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
