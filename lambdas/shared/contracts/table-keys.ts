/*
 * The approval table's partition keys (`pk`). One table, six kinds of item:
 *   planKey     the approval record of the one run that owns the plan (contracts/approval-record.ts). The audit
 *               trail: never deleted.
 *   runKey      an earlier run's record, moved here unchanged when a new run claimed the released plan.
 *   creatorKey  who created the plan, as CloudTrail recorded it (the verified requester), written once.
 *   linkKey     one approver's personal link, by the link's SHA-256 only, so read access to the table does not hand
 *               out working links.
 *   recordKey   the run waiting for a provisioned product's record, and the newest status change of the stack behind
 *               it (adapters/record-waits.ts).
 *   breakGlass  one person's break-glass uses (usesKey), and the index of open break-glass reviews (adapters/break-glass-store.ts).
 *   sessionKey  a signed-in approver's session (plangate:signIn), by the SHA-256 of the cookie's id only; DynamoDB's TTL
 *               removes it after it expires (contracts/session.ts).
 * The functions, the command line and local mode's printed commands all read items by these keys.
 */
export const planKey = (planId: string) => `PLAN#${planId}`;
export const creatorKey = (planId: string) => `CREATOR#${planId}`;
export const runKey = (planId: string, executionArn: string) => `${planKey(planId)}#RUN#${executionArn}`;
/** `linkHash`: the hex SHA-256 of the link id. */
export const linkKey = (linkHash: string) => `LINK#${linkHash}`;
export const recordKey = (provisionedProductId: string) => `RECORD#${provisionedProductId}`;
/** A person's break-glass uses (`who`: the approver's email), and the one index of open break-glass reviews. */
export const breakGlassUsesKey = (who: string) => `BREAKGLASS#USES#${who.toLowerCase()}`;
export const breakGlassIndexKey = 'BREAKGLASS#OPEN_REVIEWS';
/** `sessionHash`: the hex SHA-256 of the session id the cookie holds. */
export const sessionKey = (sessionHash: string) => `SESSION#${sessionHash}`;

/*
 * The history index (HISTORY_INDEX): approval records only (the current one under planKey and archived ones under runKey)
 * carry its two attributes, so the index is sparse: links, creators and record waits are never in it. Partitioned by the
 * month the request opened, sorted by when it opened then the plan, so a month's requests read newest first in one query.
 */
export const HISTORY_INDEX = 'History';
/** `MONTH#2026-12`: the partition, the UTC month of `requestedAt`. */
export const historyMonthKey = (requestedAt: string) => `MONTH#${requestedAt.slice(0, 7)}`;
/** The index attributes of an approval record, from its `requestedAt` and its key id (contracts/approval-record.ts refOf). */
export const historyKeys = (requestedAt: string, ref: string) => ({ historyMonth: historyMonthKey(requestedAt), historyAt: `${requestedAt}#${ref}` });
