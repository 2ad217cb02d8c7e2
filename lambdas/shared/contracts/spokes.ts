import * as z from './zod';

/*
 * Several accounts (issue 21): what the hub stack, the spoke stack, the functions and local mode agree on. The hub is
 * the account and Region PlanGate is deployed to; a spoke is a member account and Region whose plans it gates.
 */

/** The hub's event bus, which the spokes forward their CloudTrail and stack events to. */
export const HUB_BUS_NAME = 'plangate-hub';
/** The stack (and StackSet) deployed to each spoke account and Region. */
export const SPOKE_STACK_NAME = 'PlanGateSpoke';
/** One role per spoke account and Region: IAM names are per account, and a StackSet deploys per account and Region. */
export const spokeRoleName = (region: string) => `plangate-spoke-${region}`;
export const spokeRoleArn = (accountId: string, region: string, partition = 'aws') =>
  `arn:${partition}:iam::${accountId}:role/${spokeRoleName(region)}`;

export const accountIdSchema = /* @__PURE__ */ (() => z.string().check(z.regex(/^\d{12}$/, 'accountId must be 12 digits')))();
export const regionSchema = /* @__PURE__ */ (() =>
  z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must be a Region name such as eu-west-1')))();

/** Where a plan lives. */
export interface PlanLocation {
  accountId: string;
  region: string;
}

/** A configured spoke account (plangate:spokeAccounts), with the Regions PlanGate gates there. */
export const spokeAccountSchema = /* @__PURE__ */ (() =>
  z.object({
    accountId: accountIdSchema,
    name: z.optional(z.string()),
    regions: z.array(regionSchema),
    /** What approval rules' `environment` selector matches. */
    environment: z.optional(z.string()),
  }))();
export type SpokeAccount = z.infer<typeof spokeAccountSchema>;

/**
 * The allow-list the functions get in their SPOKES environment variable (absent: no spokes, today's behaviour).
 * `hubAccountId` is the account PlanGate is deployed to (its Region is the functions' AWS_REGION). `anyAccountRegions` is
 * set when plangate:spokeAccounts is "*": any account of the organization, in those Regions.
 */
export const spokesSchema = /* @__PURE__ */ (() =>
  z.object({
    hubAccountId: accountIdSchema,
    organizationId: z.string(),
    accounts: z.array(spokeAccountSchema),
    anyAccountRegions: z.optional(z.array(regionSchema)),
  }))();
export type Spokes = z.infer<typeof spokesSchema>;
