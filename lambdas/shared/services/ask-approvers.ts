import { type ApprovalStore, newLinkId } from '../adapters/approval-store';
import { emailApprover } from '../adapters/approver-email';
import { readSecret } from '../adapters/secrets';
import { approvalRequestMessage } from '../adapters/slack/blocks';
import { postToSlack } from '../adapters/slack/post';
import type { ApprovalRecord, PreviousRun } from '../contracts/approval-record';
import { refOf } from '../contracts/approval-record';
import type { Approver } from '../contracts/approver';
import type { ASK_APPROVERS_ENV, EnvironmentOf } from '../contracts/environment';
import { ANY_APPROVER, type Groups } from '../contracts/policies';
import { type ReviewedPlan, reviewedPlanSchema } from '../contracts/steps';
import * as z from '../contracts/zod';
import { composeApprovalEmail } from '../domain/approval-email';
import { mayNotApprove } from '../domain/approvers';
import { planRefOf } from '../domain/plan-location';
import { askedGroups, describeWaiting, type Progress } from '../domain/quorum';
import { describeRequirementLine, requirementLines } from '../domain/requirements-text';
import { logger } from '../runtime/logger';

export type AskApproversEnv = EnvironmentOf<typeof ASK_APPROVERS_ENV>;

/** The link an approver opens; the approval API serves it. */
export function approvalLink(baseUrl: string, linkId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/approvals/${linkId}`;
}

/**
 * The approvers the open stage asks: the members of the groups it waits on (every approver when the floor of
 * plangate:requiredApprovals is open, or before approval rules), in the order of plangate:approvers.
 */
export function approversAsked(progress: Progress, approvers: Approver[], groups: Groups | undefined): Approver[] {
  const asked = askedGroups(progress);
  if (asked.includes(ANY_APPROVER)) return approvers;
  const members = new Set(asked.flatMap((g) => groups?.[g]?.members ?? []).map((e) => e.toLowerCase()));
  return approvers.filter((a) => members.has(a.email.toLowerCase()));
}

/** The approvers a stage that has just opened asks who no earlier stage asked: the floor asks only those no rule did. */
export function newlyAsked(progress: Progress, approvers: Approver[], groups: Groups | undefined): Approver[] {
  const earlier = progress.requirements.filter((r) => r.group !== ANY_APPROVER && (progress.floorOpen || r.stage < (progress.stage ?? 0)));
  const askedBefore = new Set(earlier.flatMap((r) => groups?.[r.group]?.members ?? []).map((e) => e.toLowerCase()));
  return approversAsked(progress, approvers, groups).filter((a) => !askedBefore.has(a.email.toLowerCase()));
}

/**
 * Asks the approvers of a stage a vote has just opened, once: the vote that claims the round sends the links and
 * the Slack post, saying which stage opened and what it waits on.
 */
export async function askOpenedStage(
  ask: Pick<Ask, 'store' | 'env'> & { approvers: Approver[]; groups: Groups | undefined; now: Date },
  record: ApprovalRecord,
  progress: Progress,
) {
  const round = progress.floorOpen ? 'floor' : `stage ${progress.stage}`;
  if (!(await ask.store.claimAskRound(refOf(record), record.executionArn, round))) return;
  const asked = stillToApprove(record, newlyAsked(progress, ask.approvers, ask.groups));
  const opened = progress.floorOpen ? 'Every rule is met; plangate:requiredApprovals needs more approvals' : `Stage ${progress.stage} is open`;
  const next: Ask = {
    ...ask,
    review: z.parse(reviewedPlanSchema, record.review),
    executionArn: record.executionArn,
    expiresAt: new Date(record.expiresAt * 1000),
    stageOpened: `${opened}: ${describeWaiting(progress)}.`,
    previousRun: record.previousRun,
    requirements: requirementsText(record),
  };
  await sendLinks(next, asked);
  await postRequestToSlack(next);
  logger.info('Approval stage opened', { planId: record.planId, round, asked: asked.length });
}

/** Of the approvers asked, those whose approval is still missing: not yet approved, and not the requester or the plan's creator. */
export function stillToApprove(record: Pick<ApprovalRecord, 'approverEmails' | 'selfApprover' | 'creator'>, asked: Approver[]): Approver[] {
  const approved = new Set(record.approverEmails ?? []);
  return asked.filter((a) => !approved.has(a.email.toLowerCase()) && !mayNotApprove(record, a.email));
}

/** One round of asking for a decision: the first request, a stage that opened, or the reminder. */
export interface Ask {
  store: ApprovalStore;
  env: AskApproversEnv;
  review: ReviewedPlan;
  executionArn: string;
  expiresAt: Date;
  now: Date;
  /** The reminder's progress line (who has approved, who not); absent on the first request. */
  reminder?: string;
  /** When a vote opened a later stage: which, and what it waits on. */
  stageOpened?: string;
  /** The earlier, released request for the same plan, whose outcome the approvers are shown. */
  previousRun?: PreviousRun;
  /** With approval rules: each requirement, with why and who, and how far it is. */
  requirements?: string[];
}

/** A request's requirements as the emails list them (none before approval rules). */
export const requirementsText = (record: Parameters<typeof requirementLines>[0]) => requirementLines(record).map(describeRequirementLine);

/** The plan a link opens: a spoke plan's by its key too. */
function linkPlan(review: ReviewedPlan, executionArn: string) {
  const planRef = planRefOf(review, executionArn);
  return { planId: review.planId, ...(planRef === review.planId ? {} : { planRef }) };
}

/** One personal link per approver, by email. */
export async function sendLinks(
  { store, env, review, executionArn, expiresAt, now, reminder, stageOpened, previousRun, requirements }: Ask,
  approvers: Approver[],
) {
  for (const approver of approvers) {
    const linkId = newLinkId();
    await store.putLink(linkId, { ...linkPlan(review, executionArn), executionArn, approver, createdAt: now.toISOString() });
    const email = composeApprovalEmail({
      review,
      executionArn,
      approver,
      link: approvalLink(env.APPROVAL_BASE_URL, linkId),
      expiresAt,
      reminder,
      stageOpened,
      previousRun,
      requirements,
    });
    await emailApprover(env.APPROVAL_TOPIC_ARN, approver.email, email);
  }
}

/** Posts the request (or reminder) to the Slack channel, with a view-only link to the page (decisions need a person). */
export async function postRequestToSlack({ store, env, review, executionArn, expiresAt, now, reminder, stageOpened, requirements }: Ask) {
  const webhookSecretId = env.SLACK_WEBHOOK_SECRET_ID;
  if (!webhookSecretId) return;
  const linkId = newLinkId();
  await store.putLink(linkId, { ...linkPlan(review, executionArn), executionArn, createdAt: now.toISOString() });
  const message = approvalRequestMessage({
    review,
    executionArn,
    pageUrl: approvalLink(env.APPROVAL_BASE_URL, linkId),
    expiresAt,
    interactive: Boolean(env.SLACK_SIGNING_SECRET_ID),
    reminder,
    stageOpened,
    requirements,
  });
  try {
    await postToSlack(await readSecret(webhookSecretId), message);
  } catch (error) {
    // Slack must never stop the approval: the emails are already out.
    logger.warn('Slack request not posted', { error: (error as Error).message });
  }
}
