import { Aws, aws_events as events, aws_iam as iam, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { HUB_BUS_NAME, type Spokes, spokeRoleName } from '../lambdas/shared/contracts/spokes';
import type { FunctionName } from './functions';
import type { SpokesProps } from './workflow-props';

/*
 * The hub's side of several accounts (README "Several accounts"): the bus the spokes forward to, the roles the
 * spokes trust, and the allow-list the functions get. Only built when spokes are configured.
 */

/** The functions that call Service Catalog, and so assume a spoke's role for a spoke's plan. */
export const SPOKE_CALLERS = ['ReviewPlan', 'ExecutePlan', 'CheckRecord', 'ExpireApproval'] as const satisfies readonly FunctionName[];
export type SpokeCaller = (typeof SPOKE_CALLERS)[number];

export const isSpokeCaller = (name: FunctionName): name is SpokeCaller => (SPOKE_CALLERS as readonly FunctionName[]).includes(name);

/**
 * Their roles' names, fixed so that the spoke role can trust them by ARN (built from the hub's account and Region,
 * which the spoke stack takes as parameters). Per Region: IAM names are per account, and a hub is per Region.
 */
export const hubRoleName = (name: SpokeCaller, region: string) => `plangate-hub-${name}-${region}`;

/** Each event kind a spoke forwards: the only sources and detail types the hub bus admits. */
export const FORWARDED_EVENTS = [
  { source: 'aws.servicecatalog', detailType: 'AWS API Call via CloudTrail' },
  { source: 'aws.cloudformation', detailType: 'CloudFormation Stack Status Change' },
] as const;

/** The spoke allow-list, as the functions' SPOKES variable holds it (lambdas/shared/contracts/spokes.ts). */
export function spokesVariable(scope: Construct, spokes: SpokesProps): string {
  const value: Spokes = {
    hubAccountId: Aws.ACCOUNT_ID,
    organizationId: spokes.organizationId,
    accounts: spokes.accounts,
    ...(spokes.anyAccountRegions ? { anyAccountRegions: spokes.anyAccountRegions } : {}),
  };
  return Stack.of(scope).toJsonString(value);
}

/**
 * The bus the spokes' rules put their events on. Its policy admits PutEvents from the organization's principals
 * only, and only of the two kinds the spokes forward: no member account can start a run by any other event.
 */
export function hubBus(scope: Construct, organizationId: string): events.EventBus {
  const bus = new events.EventBus(scope, 'HubBus', { eventBusName: HUB_BUS_NAME, description: 'PlanGate: events forwarded by the spokes' });
  for (const [i, { source, detailType }] of FORWARDED_EVENTS.entries()) {
    bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `OrganizationForwards${i}`,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': organizationId, 'events:source': source, 'events:detail-type': detailType } },
      }),
    );
  }
  return bus;
}

/**
 * Lets a function assume the spoke roles (the function checks the allow-list first), recording the run: in the
 * organization's accounts only, so a look-alike role in a mistyped or foreign account (or any account, with "*") is refused.
 */
export function allowSpokeRoles(role: iam.IRole, organizationId: string): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      // No sts:TagSession: the functions pass no session tags.
      actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      resources: [`arn:${Aws.PARTITION}:iam::*:role/${spokeRoleName('*')}`],
      conditions: { StringEquals: { 'aws:ResourceOrgID': organizationId } },
    }),
  );
}
