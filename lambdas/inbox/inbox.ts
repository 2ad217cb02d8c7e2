import type { ApprovalStore } from '../shared/adapters/approval-store';
import { type HistoryFilters, type HistoryIndex, InvalidCursorError, parseHistoryFilters } from '../shared/adapters/history';
import { type ApprovalRecord, refOf } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import { planRefSchema, type SignedIn } from '../shared/contracts/steps';
import { mayNotApprove } from '../shared/domain/approvers';
import { approverName, describeDecider, describeRisk, describeWhere, planTitle } from '../shared/domain/describe';
import { askedSoFar, describeWaiting, recordProgress } from '../shared/domain/quorum';
import { type DecisionDeps, type DecisionResult, isClosed, isExpired, recordDecision } from '../shared/services/decision';
import {
  closedPage,
  confirmRejectPage,
  decidedPage,
  expiredPage,
  type Html,
  html,
  isolated,
  layout,
  messagePage,
  type PageSession,
  pendingPage,
  signedInBar,
  time,
  viewOnlyPage,
} from '../shared/web/page';

/*
 * What a signed-in approver sees besides a personal link: the inbox (what waits for them), the history of every request,
 * and each request's page at /requests/{planRef}, deciding as the signed-in person. The identity is verified by the
 * caller (the session); these functions never read cookies or headers.
 */

/** A person the session has verified, as a page shows them (with the sign-out form and the forms' CSRF token). */
export type SignedInIdentity = PageSession;

/** A page and its status; the caller adds the security headers (approval-api.ts page). */
export interface Answer {
  statusCode: number;
  html: string;
}

export interface InboxDeps {
  history: Pick<HistoryIndex, 'pending' | 'page'>;
  now: () => Date;
  /** The API's base URL, with its stage and a final `/`: the pages' links are built on it. */
  baseUrl: string;
}

export const HISTORY_PAGE_SIZE = 25;

/** The page of one request for a signed-in approver, by its key id (a hub plan's id, a spoke plan's planRef). */
export const requestPath = (record: Pick<ApprovalRecord, 'planId' | 'planRef'>, baseUrl: string) =>
  `${baseUrl}requests/${encodeURIComponent(refOf(record))}`;

/** The approver the identity is on this request, if it is one of its approvers. */
const approverOn = (record: ApprovalRecord, identity: SignedInIdentity): Approver | undefined =>
  record.approvers.find((a) => a.email.toLowerCase() === identity.email.toLowerCase());

/**
 * Whether an open request waits for this person: they have been asked (an addressee, or a member of a group of a stage
 * opened yet), have not approved yet, and may approve (not the requester or the plan's creator).
 */
export function waitsFor(record: ApprovalRecord, email: string, now: Date): boolean {
  const who = email.toLowerCase();
  if (record.status !== 'PENDING' || isClosed(record) || isExpired(record, now)) return false;
  if ((record.approverEmails ?? []).includes(who) || mayNotApprove(record, who)) return false;
  return askedSoFar(record).some((a) => a.email.toLowerCase() === who);
}

/** Links are absolute, on the API's base URL: behind API Gateway every path sits under its stage (`/prod/`). */
const nav = (baseUrl: string) => html`<nav><a href="${baseUrl}">Waiting for you</a> · <a href="${baseUrl}history">History</a></nav>`;

/** The requests waiting for the signed-in approver, newest first. */
export async function inboxPage(identity: SignedInIdentity, deps: InboxDeps): Promise<string> {
  const now = deps.now();
  const waiting = (await deps.history.pending(now)).filter((r) => waitsFor(r, identity.email, now));
  const items = waiting.map(
    (r) => html`<li class="request"><a href="${requestPath(r, deps.baseUrl)}"><strong>${isolated(planTitle(r.review))}</strong></a>
<br>${isolated(describeWhere(r.executionArn, r.review) ?? 'this account')} · Risk <span class="badge">${describeRisk(r.review.summary)}</span>
<br>Still missing: ${describeWaiting(recordProgress(r))} · Requested ${time(r.requestedAt, now)} by ${isolated(r.requestedBy ?? '(not given)')} · Expires ${time(new Date(r.expiresAt * 1000), now, true)}</li>`,
  );
  return layout(
    'Waiting for you',
    html`${signedInBar(identity)}${nav(deps.baseUrl)}<h1>Waiting for you</h1>
${items.length ? html`<ul id="inbox">${items}</ul>` : html`<p class="notice" id="inbox-empty">Nothing is waiting for your approval.</p>`}`,
  );
}

/** How a request ended, or where it stands, in a few words. */
function standing(record: ApprovalRecord): string {
  if (record.outcome) return `${record.status}, ${record.outcome.outcome}`;
  return record.status;
}

/** Who decided: the approvers who approved (and who rejected), or the rule. */
function deciders(record: ApprovalRecord): string {
  const d = record.decision;
  if (d?.channel === 'rule') return describeDecider(d);
  const names = (d?.approvals ?? record.approvals ?? []).map((a) => approverName(a.approver));
  if (d?.decision === 'REJECTED') names.push(`${approverName(d.approver)} (rejected)`);
  return names.join(', ');
}

/** The history page's link to the next page: the same filters and the cursor. */
function nextLink(filters: HistoryFilters, cursor: string, baseUrl: string): Html {
  const query = new URLSearchParams({ ...(filters as Record<string, string>), cursor });
  return html`<p><a id="older" href="${baseUrl}history?${query.toString()}">Older requests</a></p>`;
}

const FILTER_FIELDS: [keyof HistoryFilters, string, string][] = [
  ['plan', 'Plan', 'text'],
  ['status', 'Status', 'text'],
  ['outcome', 'Outcome', 'text'],
  ['approver', 'Approver (email)', 'email'],
  ['from', 'From (YYYY-MM-DD)', 'date'],
  ['to', 'To (YYYY-MM-DD)', 'date'],
];

/**
 * Every request, newest first, from the approval table's history index (not Step Functions: it reaches back as far as the
 * records do), filtered by plan, status, outcome, approver and period, paged by an opaque cursor.
 */
export async function historyPage(query: Record<string, string | undefined>, deps: InboxDeps): Promise<Answer> {
  const filters = parseHistoryFilters(query);
  if ('error' in filters) return { statusCode: 400, html: messagePage('Bad request', filters.error) };
  const now = deps.now();
  let found: Awaited<ReturnType<HistoryIndex['page']>>;
  try {
    found = await deps.history.page(filters, HISTORY_PAGE_SIZE, now, query.cursor || undefined);
  } catch (error) {
    if (error instanceof InvalidCursorError) return { statusCode: 400, html: messagePage('Bad request', error.message) };
    throw error;
  }
  const rows = found.records.map(
    (r) => html`<tr><td data-label="Requested">${time(r.requestedAt, now, true)}</td>
<td data-label="Plan"><a href="${requestPath(r, deps.baseUrl)}">${isolated(planTitle(r.review))}</a><br><span class="muted">${isolated(describeWhere(r.executionArn, r.review) ?? '')}</span></td>
<td data-label="Risk">${r.review.summary?.risk ?? ''}</td><td data-label="Status">${standing(r)}</td><td data-label="Decided by">${isolated(deciders(r))}</td></tr>`,
  );
  const form = html`<form method="get" action="${deps.baseUrl}history" id="filters">${FILTER_FIELDS.map(
    ([name, label, type]) => html`<label>${label} <input name="${name}" type="${type}" value="${filters[name] ?? ''}"></label> `,
  )}<button type="submit">Filter</button></form>`;
  return {
    statusCode: 200,
    html: layout(
      'History',
      html`${nav(deps.baseUrl)}<h1>History</h1>${form}
${
  rows.length
    ? html`<table id="history"><thead><tr><th>Requested</th><th>Plan</th><th>Risk</th><th>Status</th><th>Decided by</th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p class="notice" id="history-empty">No request matches.</p>`
}
${found.cursor ? nextLink(filters, found.cursor, deps.baseUrl) : ''}`,
    ),
  };
}

/** The request a /requests/{planRef} path names, or the answer when there is none. */
async function requestOf(ref: string, store: Pick<ApprovalStore, 'get'>): Promise<ApprovalRecord | Answer> {
  const parsed = planRefSchema.safeParse(ref);
  const record = parsed.success ? await store.get(parsed.data) : undefined;
  return record ?? { statusCode: 404, html: messagePage('Request not found', 'There is no approval request for this plan.') };
}

/** GET /requests/{planRef}: the approval page, as the signed-in approver (or view only, for someone who is not one). */
export async function requestPage(ref: string, identity: SignedInIdentity, deps: Pick<DecisionDeps, 'store' | 'now'>): Promise<Answer> {
  const record = await requestOf(ref, deps.store);
  if ('statusCode' in record) return record;
  const now = deps.now();
  if (isClosed(record)) return { statusCode: 410, html: closedPage(record) };
  if (isExpired(record, now)) return { statusCode: 410, html: expiredPage(record) };
  if (record.status !== 'PENDING') return { statusCode: 200, html: decidedPage(record, 'Already decided', now) };
  const approver = approverOn(record, identity);
  return { statusCode: 200, html: approver ? pendingPage(record, approver, now, identity) : viewOnlyPage(record, now) };
}

/** The page's Reject button on /requests/{planRef}: asks once more, as the personal link's page does (page.ts confirmRejectPage). */
export async function confirmRejectRequest(
  ref: string,
  identity: SignedInIdentity,
  comment: string | undefined,
  deps: Pick<DecisionDeps, 'store' | 'now'>,
) {
  const shown = await requestPage(ref, identity, deps);
  const record = shown.statusCode === 200 ? await requestOf(ref, deps.store) : shown;
  if ('statusCode' in record) return record;
  if (!approverOn(record, identity)) return { statusCode: 403, html: notAnApprover() };
  return { statusCode: 200, html: confirmRejectPage(record, comment, identity) };
}

const notAnApprover = () => messagePage('You are not an approver of this request', 'Only the approvers it names can see and decide it here.');

/**
 * POST /requests/{planRef}: one decision, as the signed-in approver, exactly as a personal link's (decision.ts). Returns
 * the decision's result for the caller to answer as a link's decision is answered, or a page when there is no decision.
 */
export async function decideRequest(
  ref: string,
  identity: SignedInIdentity & { signedIn: SignedIn },
  form: { decision: 'APPROVED' | 'REJECTED'; comment?: string },
  deps: DecisionDeps,
): Promise<{ approver: Approver; outcome: DecisionResult } | Answer> {
  const record = await requestOf(ref, deps.store);
  if ('statusCode' in record) return record;
  const approver = approverOn(record, identity);
  if (!approver) return { statusCode: 403, html: notAnApprover() };
  const outcome = await recordDecision(deps, record, {
    decision: form.decision,
    approver,
    signedIn: identity.signedIn,
    comment: form.comment,
    channel: 'web',
    requestedAt: record.requestedAt,
    decidedAt: deps.now().toISOString(),
  });
  return { approver, outcome };
}
