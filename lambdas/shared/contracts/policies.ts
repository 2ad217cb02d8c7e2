import { RISK_LEVELS } from './steps';
import * as z from './zod';

/*
 * Approval policies (issue 22): named groups of approvers (plangate:groups) and the rules that say which groups must
 * approve what (plangate:approvalRules). The configuration (lib/config.ts) and the functions (GROUPS, APPROVAL_POLICY)
 * parse them with these same schemas; lib/setting-rules.ts checks how they fit together.
 */

/** The pseudo-group of every configured approver: what plangate:requiredApprovals counts from. */
export const ANY_APPROVER = '*';
/** The rule name the floor of plangate:requiredApprovals is shown under. */
export const FLOOR_RULE = 'plangate:requiredApprovals';

const name = (what: string) =>
  z
    .string()
    .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, `${what} must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit`));

export const groupNameSchema = /* @__PURE__ */ (() => name('a group name'))();

export const groupSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    /** By email; each must be in plangate:approvers, which keeps their personal link and Slack id. */
    members: z.array(z.email()).check(z.minLength(1, 'must name at least one member'), z.maxLength(100)),
    /** An IAM Identity Center group, by display name: membership is checked again when a vote is cast. */
    identityCenterGroup: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  }))();
export type Group = z.infer<typeof groupSchema>;

export const groupsSchema = /* @__PURE__ */ (() => z.record(groupNameSchema, groupSchema))();
export type Groups = z.infer<typeof groupsSchema>;

const resourceTypePattern = /* @__PURE__ */ (() =>
  z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9]+::([A-Za-z0-9]+::)?([A-Za-z0-9]+|\*)$/,
        'must be a resource type such as AWS::IAM::Role, or a prefix such as AWS::IAM::*',
      ),
    ))();
const nonEmpty = <T extends z.ZodMiniType>(item: T) => z.array(item).check(z.minLength(1, 'must not be empty'), z.maxLength(100));

/** What a rule applies to; every selector given must match. A resource selector matches when any one change matches them all. */
export const selectorSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    resourceTypes: z.optional(nonEmpty(resourceTypePattern)),
    actions: z.optional(nonEmpty(z.enum(['ADD', 'MODIFY', 'REMOVE']))),
    replacement: z.optional(nonEmpty(z.enum(['True', 'Conditional']))),
    risk: z.optional(nonEmpty(z.enum(RISK_LEVELS))),
    accounts: z.optional(nonEmpty(z.string().check(z.regex(/^\d{12}$/, 'must be 12 digits')))),
    regions: z.optional(nonEmpty(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a Region name such as eu-west-1')))),
    /** The `environment` plangate:spokeAccounts gives an account (`production`, …). */
    environment: z.optional(nonEmpty(z.string().check(z.minLength(1), z.maxLength(64)))),
  }))();
export type Selector = z.infer<typeof selectorSchema>;

export const MAX_STAGE = 5;
/**
 * The most requirements ({"group", "count"}) all rules may name together: every one that applies travels whole in the
 * run's state (lambdas/shared/domain/state-budget.ts), and 50 rules of 5 would leave the plan's changes no room.
 */
export const MAX_REQUIREMENTS = 100;

export const approvalRuleSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    name: name('a rule name'),
    /** Absent: the rule always applies. */
    when: z.optional(selectorSchema),
    require: z
      .array(z.strictObject({ group: groupNameSchema, count: z.number().check(z.int(), z.minimum(1), z.maximum(10)) }))
      .check(z.minLength(1, 'must name at least one {"group", "count"}'), z.maxLength(5)),
    /** Stages are asked in order: stage 2's approvers only once every requirement of stage 1 is met. @default 1 */
    stage: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_STAGE))),
  }))();
export type ApprovalRule = z.infer<typeof approvalRuleSchema>;

/** What the functions get in APPROVAL_POLICY: the rules, in order, and whether requirements need distinct people. */
export const approvalPolicyConfigSchema = /* @__PURE__ */ (() =>
  z.object({
    rules: z.array(approvalRuleSchema).check(z.maxLength(50)),
    distinctApproversAcrossRules: z.boolean(),
  }))();
export type ApprovalPolicyConfig = z.infer<typeof approvalPolicyConfigSchema>;
