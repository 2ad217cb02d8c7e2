import type { PreviousRun } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import type { ReviewResult } from '../contracts/steps';
import {
  describeCalendar,
  describeChange,
  describeCounts,
  describeDetails,
  describeEmergency,
  describeExecuteWindow,
  describePreviousRun,
  describeRisk,
  describeWhere,
  planTitle,
  snsSubject,
} from './describe';
import { fitList } from './state-budget';
import { clip, untrusted } from './text';

/** Sets the approval link apart from everything the plan's own text could say. */
const RULE = '-'.repeat(64);

/** How many changes an email lists before pointing at the page for the rest. */
const LISTED_IN_EMAIL = 15;
/**
 * The most a requirement line and all of them take in an email, so that a hundred requirements naming groups of a
 * hundred people stay far within what SNS takes (256 KiB a message): the page lists them all.
 */
const REQUIREMENT_LINE_CHARS = 1_000;
const REQUIREMENTS_BYTES = 48 * 1024;

/** The personal approval request an approver receives by email. */
export function composeApprovalEmail(input: {
  review: ReviewResult;
  /** The run's ARN: it names the account and region. */
  executionArn?: string;
  approver: Approver;
  link: string;
  expiresAt: Date;
  /** For the reminder: the progress so far and whose approval is still missing. */
  reminder?: string;
  /** When a vote opened a later stage: which, and what it waits on. */
  stageOpened?: string;
  /** With approval rules: each requirement, as domain/requirements-text.ts describes it. */
  requirements?: string[];
  /** The earlier, released request for the same plan, if there was one. */
  previousRun?: PreviousRun;
}): { subject: string; body: string } {
  const { review, approver, link, expiresAt, reminder, stageOpened, previousRun, requirements } = input;
  const where = input.executionArn && describeWhere(input.executionArn, review);
  const plan = review.plan;
  const summary = review.summary;
  const listed = summary?.changes.slice(0, LISTED_IN_EMAIL) ?? [];
  const more = (summary?.total ?? 0) - listed.length;
  const lines = [
    `Hello ${untrusted(approver.name ?? approver.email)},`,
    '',
    `A Service Catalog plan is waiting for your decision.`,
    ...(reminder ? ['', `Reminder: ${untrusted(reminder)}`] : []),
    ...(stageOpened ? ['', untrusted(stageOpened)] : []),
    ...(previousRun ? ['', ...describePreviousRun(previousRun).map((line) => untrusted(line))] : []),
    '',
    // Values from the plan and the requester are untrusted: each stays on its own line, with no working links.
    // Where the change lands, first.
    ...(where ? [`Where: ${untrusted(where)}`] : []),
    `Plan: ${untrusted(planTitle(review))}`,
    `Provisioned product: ${untrusted(plan?.provisionedProductName ?? '(unknown)')} (${untrusted(plan?.provisionedProductId ?? 'new')})`,
    `Requested by: ${untrusted(review.requestedBy ?? '(not given)')} (as the run's input says)`,
    ...(review.creator ? [`Created by: ${untrusted(review.creator.arn)} (verified: CloudTrail recorded it)`] : []),
    ...(review.calendar ? [`Change calendar: ${untrusted(describeCalendar(review.calendar))}`] : []),
    ...(review.emergency ? [`Emergency change: ${untrusted(describeEmergency(review.emergency))}`] : []),
    ...(review.executeWindow ? [`Execution window: ${describeExecuteWindow(review.executeWindow)}`] : []),
    `Changes: ${describeCounts(summary)}`,
    `Risk: ${describeRisk(summary)}`,
    ...(requirements?.length
      ? [
          'Who must approve (every matching rule applies; stages are asked in order; one rejection ends the request):',
          ...fitList(
            requirements.map((r) => `  - ${clip(untrusted(r), REQUIREMENT_LINE_CHARS)}`),
            REQUIREMENTS_BYTES,
            (kept, dropped) => [...kept, ...(dropped ? [`  ... and ${dropped} more requirements on the approval page`] : [])],
          ),
        ]
      : [
          `Approvals needed: ${review.policy?.requiredApprovals ?? 1} from different approvers (one rejection ends the request)`,
          `Rule: ${review.policy?.rule ?? '-'}`,
        ]),
    '',
    ...(listed.length
      ? [
          'Riskiest changes first (removals and replacements lead); under each, what it changes ("!" marks what re-creates the resource):',
          ...listed.flatMap((c) => [`  - ${untrusted(describeChange(c))}`, ...describeDetails(c).map((d) => `    ${untrusted(d)}`)]),
        ]
      : []),
    ...(more > 0 ? [`  ... and ${more} more on the approval page`] : []),
    '',
    RULE,
    'YOUR APPROVAL LINK. Review and decide here, and nowhere else: PlanGate sends you only this link for this',
    'plan. It is yours alone; do not forward it.',
    '',
    link,
    RULE,
    '',
    `The request expires at ${expiresAt.toISOString()}. Nothing is executed without an approval.`,
  ];
  const subject = `[PlanGate] ${reminder ? 'Reminder: approval' : 'Approval'} needed: ${planTitle(review)}`;
  return { subject: snsSubject(subject), body: lines.join('\n') };
}
