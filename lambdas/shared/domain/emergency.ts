import type { CalendarPolicy } from '../contracts/calendar-policy';
import type { Creator, Emergency, ReviewedPlan, RunInput } from '../contracts/steps';
import { isRequester } from './approvers';
import { describeCounts, describeRisk, describeWhere, planTitle, snsSubject } from './describe';
import { untrusted } from './text';

/**
 * An emergency change's mark, or why it is refused: only a requester of plangate:changeCalendar.emergency.requesters may
 * ask for one, as the run input names them (`requestedBy`) or as CloudTrail recorded the plan's creator.
 */
export function emergencyOf(input: RunInput, calendar: CalendarPolicy | undefined, creator?: Creator): Emergency | { refused: string } | undefined {
  if (input.changeClass !== 'emergency') return undefined;
  const requesters = calendar?.emergency?.requesters;
  if (!requesters) return { refused: 'changeClass "emergency" is not allowed: plangate:changeCalendar.emergency is not configured' };
  const patterns = requesters.filter((r) => r.startsWith('arn:'));
  const emails = requesters.filter((r) => !r.startsWith('arn:'));
  const allowed = [input.requestedBy, creator?.arn].find((who) => who && isRequester(who, emails, patterns));
  if (!allowed) {
    return {
      refused: `changeClass "emergency" is allowed only to the requesters of plangate:changeCalendar.emergency.requesters, and ${
        input.requestedBy ? `requestedBy ${input.requestedBy}` : 'a run without requestedBy'
      }${creator ? ` (created by ${creator.arn})` : ''} is not one`,
    };
  }
  return { reason: input.emergencyReason ?? '', requestedBy: allowed };
}

/**
 * The notice every approver and plangate:changeCalendar.emergency.notify get at once: no link; the approvals come as
 * usual, or, for a plan the rules auto-approve, none are asked for.
 */
export function emergencyNotice(
  review: ReviewedPlan,
  emergency: Emergency,
  executionArn: string,
  autoApproved = false,
): { subject: string; body: string } {
  const where = describeWhere(executionArn, review);
  const lines = [
    'An emergency change is under way: it skips the change calendar, and every approval rule still applies.',
    '',
    `Reason: ${untrusted(emergency.reason)}`,
    `Requested by: ${untrusted(emergency.requestedBy)}`,
    ...(where ? [`Where: ${untrusted(where)}`] : []),
    `Plan: ${untrusted(planTitle(review))}`,
    `Changes: ${describeCounts(review.summary)}`,
    `Risk: ${describeRisk(review.summary)}`,
    '',
    autoApproved
      ? `No approval is asked for: the rules auto-approved it (${review.policy.rule}), so it executes now.`
      : 'The approvers asked receive their personal links in a separate email.',
  ];
  return { subject: snsSubject(`[PlanGate] Emergency change under way: ${planTitle(review)}`), body: lines.join('\n') };
}
