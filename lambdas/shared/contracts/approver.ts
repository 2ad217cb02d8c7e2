import * as z from './zod';

/** IAM or STS principal ARNs, `*` allowed: how an approver is recognised as the one who asked for a run. */
export const iamPrincipalPattern = /* @__PURE__ */ (() =>
  z.string().check(z.regex(/^arn:aws[a-z-]*:(iam|sts)::[0-9*]{1,12}:[^\s]+$/, 'must be an IAM or STS principal ARN (may contain *)')))();

/**
 * One approver, as `plangate:approvers` configures them and as every function receives the list (APPROVERS).
 * The configuration and the functions parse with this same schema.
 */
export const approverSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    email: z.email(),
    name: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))),
    slackUserId: z.optional(z.string().check(z.regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id such as U012AB3CD'))),
    iamPrincipals: z.optional(z.array(iamPrincipalPattern).check(z.maxLength(20))),
  }))();

export type Approver = z.infer<typeof approverSchema>;
