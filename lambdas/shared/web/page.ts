import escapeHtml from 'escape-html';
import type { ApprovalRecord } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import { CSRF_FIELD } from '../contracts/session';
import type { ResourceChangeSummary } from '../contracts/steps';
import { mayNotApprove } from '../domain/approvers';
import {
  approverName,
  describeCalendar,
  describeCounts,
  describeDecider,
  describeEmergency,
  describeExecuteWindow,
  describePreviousRun,
  describeProgress,
  describeRisk,
  describeWhere,
  detailFacts,
  detailTarget,
  planTitle,
  recreates,
  relativeTime,
  utcTime,
  WHAT_REJECTING_DOES,
  whatApprovingDoes,
  whatTheDecisionMeans,
} from '../domain/describe';
import { requirementLines } from '../domain/requirements-text';
import { oneLine } from '../domain/text';
import { describeWindowAction, windowOf } from '../domain/window-schedule';

/**
 * Tagged template that HTML-escapes every interpolated value unless it is already rendered Html; text is also put on
 * one line without control, bidi or invisible characters, as in every other channel.
 */
export class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}
type Part = Html | string | number | undefined | null | Part[];

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  const render = (v: Part): string =>
    v instanceof Html ? v.value : Array.isArray(v) ? v.map(render).join('') : escapeHtml(oneLine(String(v ?? '')));
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]!) : ''), ''));
}

/*
 * No JavaScript (the CSP allows none): the layout is CSS only. Long ARNs and ids wrap anywhere, tables have a
 * fixed layout so they never outgrow the page, and below 40rem the changes table turns into one card per change.
 */
const STYLE = `
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1a1a1a;line-height:1.45;overflow-wrap:anywhere}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%;margin:1rem 0;table-layout:fixed}
th,td{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top;font-size:.9rem}
#facts th{width:11rem}.c-action{width:6.5rem}.c-replacement{width:8.5rem}.c-risk{width:34%}
tr.risk-high{background:#fdecea}tr.risk-medium{background:#fff6e0}tr.met{background:#e8f3ea}.badge{font-weight:600}.muted{color:#555}
.details ul{margin:0;padding-left:1.2rem}.details li{margin:.15rem 0}
.recreate{background:#fdecea;border-left:.25rem solid #b3261e;padding-left:.3rem;font-weight:600}
textarea{width:100%;min-height:4rem}button{font-size:1rem;padding:.5rem 1.2rem;margin:.25rem .5rem .25rem 0;cursor:pointer}
button.approve{background:#1f7a34;color:#fff;border:0}button.reject{background:#b3261e;color:#fff;border:0}
.notice{padding:1rem;border-radius:.3rem;background:#f2f2f2}.final{background:#e8f3ea}.final.rejected{background:#fdecea}
@media (max-width:40rem){
#facts th,#facts td{display:block;width:auto;border:0;padding:.1rem 0}#facts td{padding-bottom:.5rem}
#changes thead,#requirements thead{display:none}
#changes,#changes tbody,#changes tr,#changes td,#requirements,#requirements tbody,#requirements tr,#requirements td{display:block;width:auto}
#changes tbody{border:1px solid #ccc;margin-bottom:.75rem}#changes td{border:0;padding:.25rem .6rem}#changes td:empty{display:none}
#changes td[data-label]::before,#requirements td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
button{width:100%;margin:.25rem 0}
}`;

/** A name with its id (`orders-service (prod-5ejdthn2xkq6a)`), or the id alone when Service Catalog gave no name. */
const named = (name: string | undefined, id: string | undefined): Html => (name ? html`${isolated(name)} (${id ?? ''})` : html`${id ?? ''}`);

/** Untrusted text (a plan's name, a requester, a comment) in a bidi isolate: right-to-left text cannot reorder what is around it. */
export const isolated = (text: string | undefined): Html => html`<bdi>${text}</bdi>`;

export function layout(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${title} · PlanGate</title><style>${new Html(STYLE)}</style></head>
<body>${body}</body></html>`.value;
}

/** "in 23 h", with the absolute UTC time in the markup and on hover (and after it, for phones, with `utc`). */
export function time(at: Date | string, now: Date, utc = false): Html {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return html`${String(at)}`;
  const absolute = utcTime(date);
  return html`<time datetime="${date.toISOString()}" title="${absolute}">${relativeTime(date, now)}</time>${utc ? html` <span class="muted">(${absolute})</span>` : ''}`;
}

function detailItems(change: ResourceChangeSummary): Html {
  const items = (change.details ?? []).map(
    (d) => html`<li${recreates(d) ? new Html(' class="recreate"') : ''}><code>${detailTarget(d)}</code>: ${detailFacts(d).join(', ')}</li>`,
  );
  const more = change.detailsUnlisted ? html`<li class="muted">+${change.detailsUnlisted} more</li>` : '';
  return items.length || more ? html`<tr class="details"><td colspan="4" data-label="Details"><ul>${items}${more}</ul></td></tr>` : html``;
}

/** One group per change: the change, then what it changes in the resource. */
function changeGroups(changes: ResourceChangeSummary[]): Html {
  return html`${changes.map(
    (c) => html`<tbody><tr class="risk-${c.risk.toLowerCase()}"><td class="badge" data-label="Action">${c.action}</td>
<td data-label="Resource"><span class="logical-id">${c.logicalResourceId}</span><br><span class="muted">${c.resourceType}</span>${
      c.physicalResourceId ? html`<br><span class="muted">${c.physicalResourceId}</span>` : ''
    }</td>
<td data-label="Replacement">${c.replacement ?? ''}</td><td data-label="Risk">${c.risk}${c.reason ? `: ${c.reason}` : ''}</td></tr>
${detailItems(c)}</tbody>`,
  )}`;
}

/** The plan's provisioning parameters (domain/parameters.ts): those it sets first, then those it keeps. */
function parametersTable(plan: ApprovalRecord['review']['plan']): Html {
  const parameters = plan?.parameters ?? [];
  if (!parameters.length) return html``;
  return html`<h2>Parameters</h2><p class="muted">Set by this plan first, then kept as they are; secret-looking values hidden.</p>
<table id="parameters"><tbody>${parameters.map(
    (p) => html`<tr><td><code>${p.key}</code></td><td>${p.kept ? 'kept' : p.masked ? '(hidden)' : html`<code>${p.value}</code>`}</td></tr>`,
  )}</tbody></table>${plan?.parametersUnlisted ? html`<p class="muted">+${plan.parametersUnlisted} more</p>` : ''}`;
}

/** `beforeChanges`: what comes between the facts and the changes (the decision form, so a phone shows it before the long table). */
function planDetails(record: ApprovalRecord, now: Date, beforeChanges: Html = html``): Html {
  const { review } = record;
  const plan = review.plan;
  const summary = review.summary;
  const unlisted = summary?.unlisted ?? 0;
  const where = describeWhere(record.executionArn, review);
  return html`<table id="facts"><tbody>
${where ? html`<tr><th>Account and region</th><td id="where">${isolated(where)}</td></tr>` : ''}
<tr><th>Plan</th><td>${isolated(planTitle(review))}</td></tr>
<tr><th>Provisioned product</th><td>${plan?.provisionedProductName ?? '(unknown)'} (${plan?.provisionedProductId ?? 'new'})</td></tr>
<tr><th>Product / version</th><td id="product">${named(plan?.productName, plan?.productId)} / ${named(plan?.provisioningArtifactName, plan?.provisioningArtifactId)}</td></tr>
<tr><th>Requested by</th><td>${isolated(record.requestedBy ?? '(not given)')} <span class="muted">(as the run's input says)</span></td></tr>
${record.creator ? html`<tr><th>Created by</th><td id="creator">${isolated(record.creator.arn)} <span class="muted">(verified: CloudTrail recorded it)</span></td></tr>` : ''}
<tr><th>Requested</th><td id="requested">${time(record.requestedAt, now)}</td></tr>
${record.status === 'PENDING' ? html`<tr><th>Expires</th><td id="expires">${time(new Date(record.expiresAt * 1000), now, true)}</td></tr>` : ''}
<tr><th>Changes</th><td>${describeCounts(summary)}</td></tr>
<tr><th>Risk</th><td class="badge">${describeRisk(summary)}</td></tr>
<tr><th>Rule</th><td>${review.policy?.rule ?? ''}</td></tr>
${review.calendar ? html`<tr><th>Change calendar</th><td id="calendar">${describeCalendar(review.calendar)}</td></tr>` : ''}
${review.emergency ? html`<tr><th>Emergency change</th><td id="emergency">${isolated(describeEmergency(review.emergency))}</td></tr>` : ''}
${windowOf(record) ? html`<tr><th>Execution window</th><td id="execute-window">${describeExecuteWindow(windowOf(record)!)}</td></tr>` : ''}
${record.windowActions?.length ? html`<tr><th>Window actions</th><td id="window-actions">${record.windowActions.map((a) => html`${isolated(describeWindowAction(a))}<br>`)}</td></tr>` : ''}
</tbody></table>
${requirementsTable(record)}
${beforeChanges}
<h2>Resource changes</h2>
<p class="muted">Riskiest first: removals and replacements lead. Under each change, what it changes; highlighted details re-create the resource.</p>
<table id="changes"><thead><tr><th class="c-action">Action</th><th>Resource</th><th class="c-replacement">Replacement</th><th class="c-risk">Risk</th></tr></thead>
${changeGroups(summary?.changes ?? [])}</table>
${unlisted ? html`<p class="muted">… and ${unlisted} more changes not listed.</p>` : ''}
${parametersTable(plan)}`;
}

/** With approval rules: each requirement, by stage, with why it applies, who can meet it and how far it is. */
function requirementsTable(record: ApprovalRecord): Html {
  const lines = requirementLines(record);
  if (!lines.length) return html``;
  return html`<h2>Who must approve</h2>
<p class="muted">Every rule that matches the plan applies. Stages are asked in order; ${describeProgress(record)}.</p>
<table id="requirements"><thead><tr><th>Stage</th><th>Rule</th><th>Needs</th><th>Why</th><th>Who can meet it</th><th>So far</th></tr></thead><tbody>
${lines.map(
  (
    l,
  ) => html`<tr${l.met ? html` class="met"` : ''}><td data-label="Stage">${String(l.stage)}</td><td data-label="Rule">${l.rule}</td><td data-label="Needs">${l.needs}</td>
<td data-label="Why">${l.why.join('; ')}</td><td data-label="Who">${l.who.join(', ') || 'any approver'}</td><td data-label="So far">${l.progress}${l.met ? ' ✓' : ''}</td></tr>`,
)}</tbody></table>`;
}

/** Who has approved, when, and what they said; a decision that met the quorum carries the full list. */
function earlierApprovals(record: ApprovalRecord, now: Date): Html {
  const decided = record.decision && record.decision.channel !== 'rule' ? record.decision.approvals : undefined;
  const approvals = decided ?? record.approvals ?? [];
  if (!approvals.length) return html``;
  return html`<h2>${record.status === 'PENDING' ? 'Approvals so far' : 'Approvals'}</h2><ul id="approvals">${approvals.map(
    (a) =>
      html`<li><strong>${approverName(a.approver)}</strong> approved ${time(a.decidedAt, now)} (${a.channel}${a.signedIn ? ', signed in' : ''})${
        a.comment ? html`: “${isolated(a.comment)}”` : ''
      }</li>`,
  )}</ul>`;
}

/** Who is signed in (plangate:signIn), the forms' CSRF token, and where signing out posts. */
export interface PageSession {
  email: string;
  csrfToken: string;
  signOutUrl: string;
}

/** "Signed in as …" with the sign-out button (a form: signing out changes state, so it posts, with the CSRF token). */
export function signedInBar(session: PageSession): Html {
  return html`<form method="post" action="${session.signOutUrl}" id="signed-in" class="muted">Signed in as <strong>${session.email}</strong>
<input type="hidden" name="${CSRF_FIELD}" value="${session.csrfToken}"> <button type="submit">Sign out</button></form>`;
}

/** The hidden field that makes a signed-in page's form count (the session's CSRF token). */
const csrfField = (session: PageSession | undefined): Html =>
  session ? html`<input type="hidden" name="${CSRF_FIELD}" value="${session.csrfToken}">` : html``;

/** The page an approver sees for a pending approval. The form posts back to the same URL, with the CSRF token when signed in. */
export function pendingPage(record: ApprovalRecord, approver: Approver, now: Date, session?: PageSession): string {
  const own = mayNotApprove(record, approver.email);
  const counted = (record.approverEmails ?? []).includes(approver.email.toLowerCase());
  const approving = whatApprovingDoes(record, approver.email);
  return layout(
    `Approve ${planTitle(record.review)}?`,
    html`${session ? signedInBar(session) : ''}<h1>Approve plan ${isolated(planTitle(record.review))}?</h1>
<p>You are deciding as <strong>${approverName(approver)}</strong>. Your decision is recorded with your name.</p>
<p class="notice" id="progress">${describeProgress(record)}. One rejection ends the request.</p>
${previousRunNotice(record)}
${own ? html`<p class="notice" id="self">You asked for this change or created the plan, so you cannot approve it; another approver must. You may still reject it.</p>` : ''}
${counted ? html`<p class="notice">You have approved this plan; it waits for the other approvals.</p>` : ''}
${earlierApprovals(record, now)}
${planDetails(
  record,
  now,
  html`<h2>Your decision</h2>
<ul id="next">${approving ? html`<li>${approving}</li>` : ''}<li>${WHAT_REJECTING_DOES}</li></ul>
<form method="post" id="decide">${csrfField(session)}
<label for="comment">Comment (optional)</label>
<textarea id="comment" name="comment" maxlength="1000"></textarea>
<p>${
    approving
      ? html`<button class="approve" type="submit" name="decision" value="approve">Approve</button>
`
      : ''
  }<button class="reject" type="submit" name="decision" value="${CONFIRM_REJECT}">Reject…</button></p>
</form>`,
)}`,
  );
}

/** The page's Reject button: it asks for confirmation first (a form post with decision=reject decides at once, as before). */
export const CONFIRM_REJECT = 'confirm-reject';

/** The confirmation a rejection asks for on the page, without JavaScript: the same form, the comment kept. */
export function confirmRejectPage(record: ApprovalRecord, comment: string | undefined, session?: PageSession): string {
  return layout(
    'Reject?',
    html`${session ? signedInBar(session) : ''}<h1>Reject plan ${isolated(planTitle(record.review))}?</h1><p class="notice" id="confirm-reject">${WHAT_REJECTING_DOES}</p>
<form method="post">${csrfField(session)}<input type="hidden" name="confirm" value="yes"><textarea name="comment" maxlength="1000">${comment}</textarea>
<p><button class="reject" name="decision" value="reject">Yes, reject</button> <a href="">Back</a></p></form>`,
  );
}

/** After an approval that does not complete the quorum yet. */
export function progressPage(record: ApprovalRecord, heading: string, now: Date): string {
  return layout(
    heading,
    html`<h1>${heading}</h1><p class="notice" id="progress">${describeProgress(record)}. The plan runs once the approvals are complete; one rejection ends the request.</p>
${earlierApprovals(record, now)}${planDetails(record, now)}`,
  );
}

/** The channel's link: the same page, without the buttons, since a decision must name a person. */
export function viewOnlyPage(record: ApprovalRecord, now: Date): string {
  return layout(
    `Plan ${planTitle(record.review)}`,
    html`<h1>Plan ${isolated(planTitle(record.review))} is waiting for approval</h1>
<p class="notice">This page is shared with the channel. Approvers decide with their personal email link or with the Slack buttons.</p>
<p class="notice" id="progress">${describeProgress(record)}.</p>
${previousRunNotice(record)}
${earlierApprovals(record, now)}${planDetails(record, now)}`,
  );
}

/** The earlier, released request for the same plan: how it ended, and what its approvers said. */
function previousRunNotice(record: ApprovalRecord): Html {
  if (!record.previousRun) return html``;
  const [ended, ...rest] = describePreviousRun(record.previousRun);
  return html`<div class="notice" id="previous-run"><p><strong>${ended}</strong></p>${rest.map((line) => html`<p>${line}</p>`)}</div>`;
}

/** What the request's end means: how the run ended once Notify has written it, else what happens next. */
function finalState(record: ApprovalRecord): Html {
  const decision = record.decision?.decision;
  if (record.outcome)
    return html`<p class="notice final" id="final">How it ended: <strong>${record.outcome.outcome}</strong>. ${record.outcome.reason}</p>`;
  if (!decision) return html``;
  const heading = decision === 'APPROVED' ? 'Approved: the plan is running.' : 'Rejected: the plan will not run.';
  return html`<p class="notice final ${decision.toLowerCase()}" id="final"><strong>${heading}</strong> ${whatTheDecisionMeans(decision)}</p>`;
}

/** What a late, repeated or just-made decision shows: who decided what, when, and what it means for the plan. */
export function decidedPage(record: ApprovalRecord, heading: string, now: Date): string {
  const d = record.decision;
  return layout(
    heading,
    html`<h1>${heading}</h1>
<p class="notice">${
      d
        ? html`Plan ${isolated(planTitle(record.review))} was <strong>${d.decision.toLowerCase()}</strong> by ${describeDecider(d)}${
            d.channel !== 'rule' && d.signedIn ? ' (signed in)' : ''
          } ${time(d.decidedAt, now, true)}.
${d.channel !== 'rule' && d.comment ? html`<br>Comment: “${isolated(d.comment)}”` : ''}`
        : html`Plan ${isolated(planTitle(record.review))} is ${record.status.toLowerCase()}.`
    }</p>
${finalState(record)}
${earlierApprovals(record, now)}${planDetails(record, now)}`,
  );
}

export function expiredPage(record: ApprovalRecord): string {
  return layout(
    'Approval expired',
    html`<h1>This approval request has expired</h1>
<p class="notice">The request for plan ${isolated(planTitle(record.review))} expired at ${utcTime(new Date(record.expiresAt * 1000))}
without a decision. The plan was not executed.</p>`,
  );
}

/**
 * A request closed before anyone decided: the run ended (stopped, failed, released). Says why, and tells an approver
 * whose approval was counted just before the closing that it is on record but did not take effect.
 */
export function closedPage(record: ApprovalRecord, approver?: Approver): string {
  const theirs = approver && (record.approvals ?? []).find((a) => a.approver.email.toLowerCase() === approver.email.toLowerCase());
  return layout(
    'Approval request closed',
    html`<h1>This approval request was closed</h1>
<p class="notice" id="closed">The request for plan ${isolated(planTitle(record.review))} was closed before it was decided${
      record.outcome ? html`: ${record.outcome.reason}` : '.'
    }</p>${
      theirs
        ? html`
<p id="counted-before-closing">Your approval of ${utcTime(new Date(theirs.decidedAt))} is on record, but the request closed before it was complete, so it did not take effect: nothing was executed.</p>`
        : ''
    }
<p>Nothing you do here counts any more. If the change is still wanted, start a new run for the plan.</p>`,
  );
}

export function messagePage(title: string, message: string, session?: PageSession): string {
  return layout(title, html`${session ? signedInBar(session) : ''}<h1>${title}</h1><p class="notice">${message}</p>`);
}
