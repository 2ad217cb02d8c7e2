import escapeHtml from 'escape-html';
import type { ApprovalRecord } from '../shared/contracts/approval-record';
import type { Approver } from '../shared/contracts/approver';
import type { ResourceChangeSummary } from '../shared/contracts/steps';
import { approverName, describeCounts, describeDecider, describeProgress, describeRisk, planTitle } from '../shared/domain/describe';

/** Tagged template that HTML-escapes every interpolated value unless it is already rendered Html. */
class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}
type Part = Html | string | number | undefined | null | Part[];

function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  const render = (v: Part): string =>
    v instanceof Html ? v.value : Array.isArray(v) ? v.map(render).join('') : escapeHtml(String(v ?? ''));
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]!) : ''), ''));
}

const STYLE = `
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.5rem}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;font-size:.9rem}
tr.risk-high{background:#fdecea}tr.risk-medium{background:#fff6e0}.badge{font-weight:600}.muted{color:#555}
textarea{width:100%;min-height:4rem}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem;cursor:pointer}
button.approve{background:#1f7a34;color:#fff;border:0}button.reject{background:#b3261e;color:#fff;border:0}
.notice{padding:1rem;border-radius:.3rem;background:#f2f2f2}`;

export function layout(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${title} · PlanGate</title><style>${new Html(STYLE)}</style></head>
<body>${body}</body></html>`.value;
}

function changeRows(changes: ResourceChangeSummary[]): Html {
  return html`${changes.map((c) => {
    return html`<tr class="risk-${c.risk.toLowerCase()}"><td class="badge">${c.action}</td><td>${c.logicalResourceId}</td>
<td>${c.resourceType}</td><td>${c.physicalResourceId ?? ''}</td><td>${c.replacement ?? ''}</td><td>${c.risk}${c.reason ? `: ${c.reason}` : ''}</td></tr>`;
  })}`;
}

function planDetails(record: ApprovalRecord): Html {
  const { review } = record;
  const plan = review.plan;
  const summary = review.summary;
  const unlisted = summary?.unlisted ?? 0;
  return html`<table><tbody>
<tr><th>Plan</th><td>${planTitle(review)}</td></tr>
<tr><th>Provisioned product</th><td>${plan?.provisionedProductName ?? '(unknown)'} (${plan?.provisionedProductId ?? 'new'})</td></tr>
<tr><th>Product / artifact</th><td>${plan?.productId ?? ''} / ${plan?.provisioningArtifactId ?? ''}</td></tr>
<tr><th>Requested by</th><td>${record.requestedBy ?? '(not given)'}</td></tr>
<tr><th>Requested at</th><td>${record.requestedAt}</td></tr>
<tr><th>Expires at</th><td>${new Date(record.expiresAt * 1000).toISOString()}</td></tr>
<tr><th>Changes</th><td>${describeCounts(summary)}</td></tr>
<tr><th>Risk</th><td class="badge">${describeRisk(summary)}</td></tr>
<tr><th>Rule</th><td>${review.policy?.rule ?? ''}</td></tr>
</tbody></table>
<h2>Resource changes</h2>
<p class="muted">Riskiest first: removals and replacements lead.</p>
<table id="changes"><thead><tr><th>Action</th><th>Logical ID</th><th>Type</th><th>Physical ID</th><th>Replacement</th><th>Risk</th></tr></thead>
<tbody>${changeRows(summary?.changes ?? [])}</tbody></table>
${unlisted ? html`<p class="muted">… and ${unlisted} more changes not listed.</p>` : ''}`;
}

/** The page an approver sees for a pending approval. The form posts back to the same URL. */
export function pendingPage(record: ApprovalRecord, approver: Approver): string {
  const own = record.selfApprover?.toLowerCase() === approver.email.toLowerCase();
  const counted = (record.approverEmails ?? []).includes(approver.email.toLowerCase());
  return layout(
    `Approve ${planTitle(record.review)}?`,
    html`<h1>Approve plan ${planTitle(record.review)}?</h1>
<p>You are deciding as <strong>${approverName(approver)}</strong>. Your decision is recorded with your name.</p>
<p class="notice" id="progress">${describeProgress(record)}. One rejection ends the request.</p>
${own ? html`<p class="notice" id="self">You asked for this change, so you cannot approve it; another approver must. You may still reject it.</p>` : ''}
${counted ? html`<p class="notice">You have approved this plan; it waits for the other approvals.</p>` : ''}
${planDetails(record)}
<form method="post">
<label for="comment">Comment (optional)</label>
<textarea id="comment" name="comment" maxlength="1000"></textarea>
<p>${own || counted ? '' : html`<button class="approve" type="submit" name="decision" value="approve">Approve</button>
`}<button class="reject" type="submit" name="decision" value="reject">Reject</button></p>
</form>`,
  );
}

/** After an approval that does not complete the quorum yet. */
export function progressPage(record: ApprovalRecord, heading: string): string {
  return layout(heading, html`<h1>${heading}</h1><p class="notice" id="progress">${describeProgress(record)}. The plan runs once the approvals are complete.</p>${planDetails(record)}`);
}

/** The channel's link: the same page, without the buttons, since a decision must name a person. */
export function viewOnlyPage(record: ApprovalRecord): string {
  return layout(
    `Plan ${planTitle(record.review)}`,
    html`<h1>Plan ${planTitle(record.review)} is waiting for approval</h1>
<p class="notice">This page is shared with the channel. Approvers decide with their personal email link or with the Slack buttons.</p>
${planDetails(record)}`,
  );
}

/** What a late, repeated or just-made decision shows: who decided what, and when. */
export function decidedPage(record: ApprovalRecord, heading: string): string {
  const d = record.decision;
  return layout(
    heading,
    html`<h1>${heading}</h1>
<p class="notice">${
      d
        ? html`Plan ${planTitle(record.review)} was <strong>${d.decision.toLowerCase()}</strong> by ${describeDecider(d)} at ${d.decidedAt}.
${d.channel !== 'rule' && d.comment ? html`<br>Comment: “${d.comment}”` : ''}`
        : html`Plan ${planTitle(record.review)} is ${record.status.toLowerCase()}.`
    }</p>
${planDetails(record)}`,
  );
}

export function expiredPage(record: ApprovalRecord): string {
  return layout(
    'Approval expired',
    html`<h1>This approval request has expired</h1>
<p class="notice">The request for plan ${planTitle(record.review)} expired at ${new Date(record.expiresAt * 1000).toISOString()}
without a decision. The plan was not executed.</p>`,
  );
}

/** A request closed before anyone decided: the run ended (stopped, failed, released). Says why. */
export function closedPage(record: ApprovalRecord): string {
  return layout(
    'Approval request closed',
    html`<h1>This approval request was closed</h1>
<p class="notice" id="closed">The request for plan ${planTitle(record.review)} was closed before it was decided${
      record.outcome ? html`: ${record.outcome.reason}` : '.'
    }</p>
<p>Nothing you do here counts any more. If the change is still wanted, start a new run for the plan.</p>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, html`<h1>${title}</h1><p class="notice">${message}</p>`);
}
