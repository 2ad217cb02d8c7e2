import { createHash } from 'node:crypto';
import { InvalidInputError } from '../contracts/errors';
import type { PlanLocation, Spokes } from '../contracts/spokes';
import { parseStartInput, runInputOf } from '../contracts/steps';

/*
 * Where a plan lives (issue 21): the hub (the account and Region PlanGate is deployed to) or a configured spoke. A hub
 * plan keeps today's keys and clients; a spoke plan is keyed by account, Region and id, and reached through its role.
 */

/** A plan's place, resolved against the allow-list: its configured account name, and whether it is the hub's. */
export interface ResolvedLocation extends PlanLocation {
  accountName?: string;
  /** The account's environment (plangate:spokeAccounts), which approval rules may select. */
  environment?: string;
  hub: boolean;
}

/** The account and Region an ARN names (`arn:<partition>:<service>:<region>:<account>:...`), when it names both. */
export function locationOfArn(arn: string): PlanLocation | undefined {
  const [prefix, , , region, accountId] = arn.split(':');
  if (prefix !== 'arn' || !region || !accountId || !/^\d{12}$/.test(accountId)) return undefined;
  return { accountId, region };
}

export const sameLocation = (a: PlanLocation, b: PlanLocation) => a.accountId === b.accountId && a.region === b.region;

/** Whether the allow-list admits a location: the hub always, a spoke only in a configured account and Region. */
export function isAllowed(location: PlanLocation, hub: PlanLocation, spokes: Spokes | undefined): boolean {
  if (sameLocation(location, hub)) return true;
  if (!spokes) return false;
  const account = spokes.accounts.find((a) => a.accountId === location.accountId);
  if (account) return account.regions.includes(location.region);
  return spokes.anyAccountRegions?.includes(location.region) ?? false;
}

/**
 * Where a run's plan is: the account and Region it names (absent: the hub's), checked against the allow-list before
 * anything is called there. Outside it: InvalidInputError, naming the account and Region. `hub` is unknown only where
 * the run's ARN is not a real one (tests): then only a run naming no place is admitted.
 */
export function resolveLocation(
  requested: Partial<PlanLocation>,
  hub: PlanLocation | undefined,
  spokes: Spokes | undefined,
): ResolvedLocation | undefined {
  if (!hub && requested.accountId === undefined && requested.region === undefined) return undefined;
  const accountId = requested.accountId ?? hub?.accountId;
  const region = requested.region ?? hub?.region;
  if (!hub || !accountId || !region || !isAllowed({ accountId, region }, hub, spokes)) {
    throw new InvalidInputError(
      `Account ${accountId ?? "(the hub's)"} in Region ${region ?? "(the hub's)"} is not one PlanGate gates (plangate:spokeAccounts); nothing was called there`,
    );
  }
  const account = spokes?.accounts.find((a) => a.accountId === accountId);
  return {
    accountId,
    region,
    ...(account?.name === undefined ? {} : { accountName: account.name }),
    ...(account?.environment === undefined ? {} : { environment: account.environment }),
    hub: sameLocation({ accountId, region }, hub),
  };
}

/** Whether a located plan is elsewhere than the hub; a place given with no known hub counts as elsewhere (fail closed). */
export const isSpoke = (location: PlanLocation | undefined, hub: PlanLocation | undefined) =>
  location !== undefined && !(hub && sameLocation(location, hub));

/**
 * The id a plan (or a provisioned product) is keyed by in the approval table: a hub plan's own id, so the records
 * written before spokes keep their keys; a spoke's `<accountId>:<region>:<id>` (Service Catalog ids have no `:`), so
 * the same id in two accounts gives two keys.
 */
export function scopedId(id: string, location: PlanLocation | undefined, hub: PlanLocation | undefined): string {
  return location && isSpoke(location, hub) ? `${location.accountId}:${location.region}:${id}` : id;
}

/**
 * The hub's place: the run's own (its state machine is the hub's), or else the SPOKES hub account in the function's
 * Region (for functions that events start). Unknown without either.
 */
export function hubLocation(executionArn: string | undefined, spokes?: Spokes, functionRegion?: string): PlanLocation | undefined {
  const ofRun = executionArn === undefined ? undefined : locationOfArn(executionArn);
  if (ofRun) return ofRun;
  return spokes && functionRegion ? { accountId: spokes.hubAccountId, region: functionRegion } : undefined;
}

/**
 * An assumed role's session name and source identity: `plangate-<execution name>`, in STS's charset, at most 64. A name
 * that had to be clipped or changed ends with a digest of the whole, so two runs never share a session.
 */
export function sessionNameOf(executionArn: string): string {
  const name = executionArn.split(':').pop() ?? '';
  const session = `plangate-${name}`;
  if (/^[\w+=,.@-]{1,64}$/.test(session)) return session;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${session.replace(/[^\w+=,.@-]/g, '-').slice(0, 64 - digest.length - 1)}-${digest}`;
}

/**
 * The key id of a run's plan, from what its review or run input names (an account or Region left out is the hub's),
 * against the run's hub. Naming neither: the plan's own id, as before spokes.
 */
export function planRefOf(named: { planId: string; accountId?: string; region?: string }, executionArn: string): string {
  const hub = hubLocation(executionArn);
  if (named.accountId === undefined && named.region === undefined) return named.planId;
  const location = { accountId: named.accountId ?? hub?.accountId ?? '', region: named.region ?? hub?.region ?? '' };
  return scopedId(named.planId, location, hub);
}

/** A place named in full (a review's), or undefined (a run reviewed before spokes). */
export const locationOf = (named: { accountId?: string; region?: string }): PlanLocation | undefined =>
  named.accountId && named.region ? { accountId: named.accountId, region: named.region } : undefined;

/** The key id of the plan a run's raw input names, or undefined when it names none validly (nothing was claimed). */
export function planRefOfInput(input: unknown, executionArn: string): string | undefined {
  const start = parseStartInput(input);
  if (!start.success) return undefined;
  try {
    return planRefOf(runInputOf(start.data), executionArn);
  } catch {
    return undefined;
  }
}

/**
 * The hub, for an event EventBridge delivered: without spokes, only the hub's own events arrive (the envelope's place
 * is the hub's, as before); with them, the SPOKES hub account in the function's Region.
 */
export function hubForEvent(envelope: PlanLocation, spokes: Spokes | undefined, functionRegion: string | undefined): PlanLocation | undefined {
  if (!spokes) return envelope;
  return functionRegion ? { accountId: spokes.hubAccountId, region: functionRegion } : undefined;
}
