import { type Spokes, spokeRoleArn, spokesSchema } from '../lambdas/shared/contracts/spokes';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template';

/**
 * The accounts and Regions local mode emulates (issue 21): the hub (LOCAL_ACCOUNT, LOCAL_REGION) and every spoke the
 * functions' SPOKES allow-list names. With plangate:spokeAccounts "*" (anyAccountRegions), any account is a spoke in
 * those Regions, and its emulators are made on first use.
 */
export interface Location {
  account: string;
  region: string;
}

export const HUB: Location = { account: LOCAL_ACCOUNT, region: LOCAL_REGION };

export const locationKey = ({ account, region }: Location) => `${account}:${region}`;

/** SPOKES as the synthesized template sets it on the functions; undefined without spokes (today's single account). */
export function spokesOf(environment: Record<string, string>): Spokes | undefined {
  const text = environment.SPOKES;
  if (text === undefined) return undefined;
  const parsed = spokesSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`The functions' SPOKES is not the allow-list the contract describes: ${parsed.error.message}`);
  return parsed.data;
}

/** Whether the spoke stack (its role and rules) is deployed in this account and Region. */
export function isSpoke(spokes: Spokes | undefined, { account, region }: Location): boolean {
  if (!spokes) return false;
  if (spokes.anyAccountRegions?.includes(region) && /^\d{12}$/.test(account)) return true;
  return spokes.accounts.some((a) => a.accountId === account && a.regions.includes(region));
}

/** The spokes listed by account (those "*" admits are made on first use). */
export function listedSpokes(spokes: Spokes | undefined): Location[] {
  return (spokes?.accounts ?? []).flatMap((a) => a.regions.map((region) => ({ account: a.accountId, region })));
}

/** An account local mode emulates: the hub's, or a spoke's. */
export function isKnownLocation(spokes: Spokes | undefined, location: Location): boolean {
  return locationKey(location) === locationKey(HUB) || isSpoke(spokes, location);
}

/**
 * Whether an account belongs to the organization. Local mode knows only the allow-list: the hub, the accounts it
 * names, and, with "*", any account (it cannot tell members from others then, as the allow-list does not say).
 */
export function inOrganization(spokes: Spokes | undefined, account: string): boolean {
  if (account === LOCAL_ACCOUNT) return true;
  if (!spokes) return false;
  return spokes.anyAccountRegions !== undefined || spokes.accounts.some((a) => a.accountId === account);
}

/** Where a spoke role is deployed, by its ARN: undefined for any other role, or one SPOKES does not list. */
export function deployedSpokeRole(spokes: Spokes | undefined, roleArn: string): Location | undefined {
  const match = /^arn:aws:iam::(\d{12}):role\/plangate-spoke-([a-z0-9-]+)$/.exec(roleArn);
  if (!match) return undefined;
  const location = { account: match[1]!, region: match[2]! };
  return isSpoke(spokes, location) && spokeRoleArn(location.account, location.region) === roleArn ? location : undefined;
}
