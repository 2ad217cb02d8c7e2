import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { Approver } from '../../contracts/approver';
import type { HumanDecision, ResourceChangeSummary, ReviewResult } from '../../contracts/steps';
import {
  describeCalendar,
  describeChange,
  describeCounts,
  describeDetail,
  describeEmergency,
  describeExecuteWindow,
  describeRisk,
  describeWhere,
  planTitle,
  recreates,
} from '../../domain/describe';
import { planRefOf } from '../../domain/plan-location';
import { untrusted } from '../../domain/text';

/** Slack's limits (Block Kit reference): blocks per message, characters per section text and header. */
export const MAX_BLOCKS = 50;
export const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;
/** Changes per section, and at most this many changes in all: the page has the rest. */
const CHANGES_PER_SECTION = 10;
const MAX_LISTED_CHANGES = 40;
/**
 * Blocks besides the change sections: header, emergency, reminder, stage opened, requirements, fields, the changes' heading,
 * "+N more", actions.
 */
const OTHER_BLOCKS = 9;

export const APPROVE_ACTION = 'plangate_approve';
export const REJECT_ACTION = 'plangate_reject';

/** A message for an incoming webhook or a response_url. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
  replace_original?: boolean;
  response_type?: 'ephemeral' | 'in_channel';
}

/**
 * mrkdwn has no escape for its formatting characters, so where one could open or close formatting (not inside a word,
 * as in my_table) it becomes a look-alike; so do the colons of an emoji shortcode (":white_check_mark:", ":+1:"; not
 * "10:05:00", "AWS::SNS::Topic" or an ARN's "arn:aws:").
 */
const FORMATTING = /(?<![\p{L}\p{N}])[*_~`]|[*_~`](?![\p{L}\p{N}])/gu;
const LOOK_ALIKES: Record<string, string> = { '*': '\u2217', _: '\u02cd', '~': '\u223c', '`': '\u02cb' };
const SHORTCODE = /(?<![\p{L}\p{N}:]):((?=[\w+'-]*[^\d:])[\w+'-]+):/gu;

/**
 * Untrusted text for Slack's mrkdwn: on one line, without control or bidi characters, URLs defanged (Slack would
 * make them links), &, < and > escaped, and no formatting or emoji of its own (a plan name cannot show
 * "*:white_check_mark: Approved*").
 */
export function escapeMrkdwn(text: string): string {
  return untrusted(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(FORMATTING, (c) => LOOK_ALIKES[c]!)
    .replace(SHORTCODE, '\u2236$1\u2236');
}

/** Text already in mrkdwn: built by `mrkdwn`, which escapes every value in it, so only mentions stay live. */
export class Mrkdwn {
  constructor(readonly value: string) {}
}

/** Tagged template for mrkdwn: interpolated text is escaped, interpolated Mrkdwn (a mention) is kept. */
export function mrkdwn(strings: TemplateStringsArray, ...values: (string | number | Mrkdwn)[]): Mrkdwn {
  const render = (v: string | number | Mrkdwn) => (v instanceof Mrkdwn ? v.value : escapeMrkdwn(String(v)));
  return new Mrkdwn(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]!) : ''), ''));
}

/** Joins mrkdwn parts (mentions, escaped names) with a separator. */
export const joinMrkdwn = (parts: Mrkdwn[], separator = ', ') => new Mrkdwn(parts.map((p) => p.value).join(escapeMrkdwn(separator)));

/** A real mention (<@U0BOB0002>) for an approver with a Slack id; their name, escaped, for one without. */
export function mention(approver: Approver): Mrkdwn {
  const id = approver.slackUserId;
  return id && /^[UW][A-Z0-9]{2,20}$/.test(id) ? new Mrkdwn(`<@${id}>`) : mrkdwn`${approver.name ?? approver.email}`;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
export const section = (text: string): SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text, MAX_SECTION_TEXT) } });
// Plain text shows ":white_check_mark:" as an emoji unless told not to.
const header = (text: string): HeaderBlock => ({
  type: 'header',
  text: { type: 'plain_text', text: clip(untrusted(text), MAX_HEADER_TEXT), emoji: false },
});
const fields = (pairs: [string, string][]): SectionBlock => ({
  type: 'section',
  fields: pairs.map(([name, value]) => ({ type: 'mrkdwn', text: clip(`*${name}*\n${escapeMrkdwn(value)}`, 2000) })),
});

/**
 * What an Approve or Reject button carries: the plan and the run whose request it was posted for, so a click on an
 * earlier request's message never decides a later run's request for the same plan.
 */
export const buttonValue = (planId: string, executionArn: string) => `${planId} ${executionArn}`;

export function parseButtonValue(value: string | undefined): { planId: string; executionArn?: string } | undefined {
  const [planId, executionArn, ...rest] = (value ?? '').split(' ');
  if (!planId || rest.length) return undefined;
  return { planId, executionArn };
}

/** The request posted to the channel: what changes (removals and replacements first), and how to decide. */
export function approvalRequestMessage(input: {
  review: ReviewResult;
  /** The run that asks: its buttons decide its request only. */
  executionArn: string;
  pageUrl: string;
  expiresAt: Date;
  interactive: boolean;
  /** For the reminder: the progress so far and whose decision is still missing. */
  reminder?: string;
  /** When a vote opened a later stage: which, and what it waits on. */
  stageOpened?: string;
  /** With approval rules: each requirement, with why and who. */
  requirements?: string[];
}): SlackMessage {
  const { review, executionArn, pageUrl, expiresAt, interactive, reminder, stageOpened, requirements } = input;
  const title = planTitle(review);
  const sections = changeSections((review.summary?.changes ?? []).slice(0, MAX_LISTED_CHANGES), MAX_BLOCKS - OTHER_BLOCKS);
  const more = (review.summary?.total ?? 0) - sections.listed;
  const headline = `${reminder ? 'Reminder: approval' : 'Approval'} needed: ${title}`;
  const blocks: KnownBlock[] = [
    header(headline),
    // An emergency change stands out before anything else: it skips the change calendar, not the approvals.
    ...(review.emergency ? [section(`:rotating_light: *Emergency change* ${escapeMrkdwn(describeEmergency(review.emergency))}`)] : []),
    ...(reminder ? [section(`:alarm_clock: ${escapeMrkdwn(reminder)}`)] : []),
    ...(stageOpened ? [section(`:arrow_forward: ${escapeMrkdwn(stageOpened)}`)] : []),
    ...(requirements?.length ? [section(`*Who must approve*\n${requirements.map((r) => `• ${escapeMrkdwn(r)}`).join('\n')}`)] : []),
    fields([
      ...whereField(describeWhere(executionArn, review)),
      ['Plan', title],
      ['Provisioned product', `${review.plan?.provisionedProductName ?? '(unknown)'} (${review.plan?.provisionedProductId ?? 'new'})`],
      ['Requested by', review.requestedBy ?? '(not given)'],
      ['Expires', expiresAt.toISOString()],
      ['Risk', describeRisk(review.summary)],
      ['Rule', review.policy?.rule ?? '-'],
      ...(review.calendar ? [['Change calendar', describeCalendar(review.calendar)] as [string, string]] : []),
      ...(review.executeWindow ? [['Execution window', describeExecuteWindow(review.executeWindow)] as [string, string]] : []),
    ]),
    section(`*Changes:* ${escapeMrkdwn(describeCounts(review.summary))}. Riskiest first:`),
  ];
  blocks.push(...sections.blocks);
  if (more > 0)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `+${more} more on the <${pageUrl}|approval page>` }] } satisfies ContextBlock);
  const buttons: Button[] = [{ type: 'button', text: { type: 'plain_text', text: 'Open approval page' }, url: pageUrl, action_id: 'plangate_open' }];
  if (interactive) {
    buttons.push(
      {
        type: 'button',
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        action_id: APPROVE_ACTION,
        value: buttonValue(planRefOf(review, executionArn), executionArn),
        confirm: {
          title: { type: 'plain_text', text: 'Approve this plan?' },
          text: { type: 'mrkdwn', text: escapeMrkdwn(clip(`Approving lets PlanGate execute ${title}.`, 300)) },
          confirm: { type: 'plain_text', text: 'Approve' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
      {
        type: 'button',
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject' },
        action_id: REJECT_ACTION,
        value: buttonValue(planRefOf(review, executionArn), executionArn),
      },
    );
  }
  blocks.push({ type: 'actions', elements: buttons } satisfies ActionsBlock);
  return { text: escapeMrkdwn(headline), blocks: blocks.slice(0, MAX_BLOCKS) };
}

/** The account and Region a change lands in, first among the facts. */
const whereField = (where: string | undefined): [string, string][] => (where ? [['Where', where]] : []);

/** One change and, under it, its property details; details that re-create the resource in bold. */
function changeEntry(c: ResourceChangeSummary): string {
  const icon = c.risk === 'HIGH' ? ':warning: ' : c.risk === 'MEDIUM' ? ':small_orange_diamond: ' : '• ';
  const details = (c.details ?? []).map((d) => {
    const text = escapeMrkdwn(clip(describeDetail(d), 200));
    return recreates(d) ? `      ◦ :rotating_light: *${text}*` : `      ◦ ${text}`;
  });
  if (c.detailsUnlisted) details.push(`      ◦ +${c.detailsUnlisted} more`);
  return [`${icon}${escapeMrkdwn(clip(describeChange(c), 280))}`, ...details].join('\n');
}

/** Packs change entries into sections within Slack's text limit and the blocks left; says how many fitted. */
function changeSections(changes: ResourceChangeSummary[], maxSections: number): { blocks: SectionBlock[]; listed: number } {
  const texts: string[][] = [];
  let listed = 0;
  for (const entry of changes.map(changeEntry)) {
    const current = texts.at(-1);
    if (current && current.length < CHANGES_PER_SECTION && [...current, entry].join('\n').length <= MAX_SECTION_TEXT) current.push(entry);
    else if (texts.length < maxSections) texts.push([entry]);
    else break;
    listed++;
  }
  return { blocks: texts.map((entries) => section(entries.join('\n'))), listed };
}

/** Replaces the request once decided, so nobody clicks a stale button. */
export function decidedMessage(review: ReviewResult, decision: HumanDecision): SlackMessage {
  const who = mention(decision.approver).value;
  const verb = decision.decision === 'APPROVED' ? ':white_check_mark: Approved' : ':x: Rejected';
  const comment = decision.comment ? `\n> ${escapeMrkdwn(clip(decision.comment, 1000))}` : '';
  const text = `${verb} by ${who} at ${decision.decidedAt} (${decision.channel})${comment}`;
  return {
    replace_original: true,
    text: `${decision.decision}: ${escapeMrkdwn(planTitle(review))}`,
    blocks: [header(`${decision.decision === 'APPROVED' ? 'Approved' : 'Rejected'}: ${planTitle(review)}`), section(text)],
  };
}

/** A short reply only the clicking user sees: plain text is escaped; Mrkdwn (with mentions) is sent as built. */
export function ephemeral(text: string | Mrkdwn): SlackMessage {
  const rendered = text instanceof Mrkdwn ? text.value : escapeMrkdwn(text);
  return { response_type: 'ephemeral', replace_original: false, text: rendered, blocks: [section(rendered)] };
}

/** How a run ended, for the channel; failures carry the record's errors. */
export function outcomeMessage(detail: {
  outcome: string;
  reason: string;
  accountId?: string;
  accountName?: string;
  region?: string;
  planId?: string;
  planName?: string;
  provisionedProductName?: string;
  recordId?: string;
  approver?: string;
  recordErrors: { code?: string; description?: string }[];
  recordErrorsUnlisted?: number;
}): SlackMessage {
  const title = detail.planName ? `${detail.planName} (${detail.planId})` : (detail.planId ?? '(no plan id)');
  const blocks: KnownBlock[] = [
    header(`PlanGate ${detail.outcome}: ${title}`),
    section(escapeMrkdwn(detail.reason)),
    fields([
      ...whereField(detail.accountId && detail.region ? describeWhere('', detail) : undefined),
      ['Provisioned product', detail.provisionedProductName ?? '-'],
      ['Record', detail.recordId ?? '-'],
      ['Decision by', detail.approver ?? '-'],
    ]),
  ];
  // As many errors as one section holds, then how many more there are.
  const lines: string[] = [];
  let length = 0;
  for (const e of detail.recordErrors) {
    const line = `• *${escapeMrkdwn(clip(e.code ?? 'Error', 100))}*: ${escapeMrkdwn(clip(e.description ?? '', 300))}`;
    if (length + line.length > MAX_SECTION_TEXT - 200) break;
    lines.push(line);
    length += line.length + 1;
  }
  const more = detail.recordErrors.length - lines.length + (detail.recordErrorsUnlisted ?? 0);
  if (lines.length)
    blocks.push(section(`*Record errors*\n${lines.join('\n')}${more > 0 ? `\n+${more} more (see the record in Service Catalog)` : ''}`));
  return { text: `PlanGate ${detail.outcome}: ${escapeMrkdwn(title)}`, blocks };
}
