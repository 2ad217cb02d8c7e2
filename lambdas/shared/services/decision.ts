import type { ApprovalStore } from '../adapters/approval-store';
import { isEndedTaskError } from '../adapters/aws-errors';
import { type ApprovalRecord, refOf } from '../contracts/approval-record';
import { METRIC } from '../contracts/metrics';
import type { HumanDecision } from '../contracts/steps';
import { mayNotApprove } from '../domain/approvers';
import type { DecisionNews } from '../domain/decision-news';
import { admissionOfVote, describeWaiting, groupsOf, type Progress, progressOf, quorumPolicyOf, recordProgress } from '../domain/quorum';
import { approvalForState, bytesOf, fitList, STATE_BUDGET, withinBudget } from '../domain/state-budget';
import { clip } from '../domain/text';
import { logger } from '../runtime/logger';
import { seconds } from '../runtime/metrics';

export interface DecisionDeps {
  store: ApprovalStore;
  completeTask: (taskToken: string, output: HumanDecision) => Promise<void>;
  now: () => Date;
  /**
   * Which of the named groups the approver belongs to, verified now (Identity Center's membership where a group names
   * one). Throws when it cannot tell: the vote is then not counted.
   */
  verifiedGroups: (email: string, groups: string[]) => Promise<string[]>;
  /** Asks the approvers of a stage that has just opened (once per stage, whichever vote opened it). */
  askOpenedStage: (record: ApprovalRecord, progress: Progress) => Promise<void>;
  /** Tells the requester and the other approvers of a decision (services/tell-decision.ts), once: after its write. */
  tellDecision?: (record: ApprovalRecord, decision: HumanDecision, news: DecisionNews) => Promise<void>;
}

/** What delivering a decision to the run's task takes. */
export type TaskDeps = Pick<DecisionDeps, 'store' | 'completeTask' | 'now' | 'tellDecision'>;

export type DecisionResult =
  | { result: 'decided'; record: ApprovalRecord; decision: HumanDecision }
  /** An approval counted towards a quorum that is not met yet. */
  | { result: 'counted'; record: ApprovalRecord }
  | { result: 'already-counted'; record: ApprovalRecord }
  | { result: 'self-approval'; record: ApprovalRecord }
  /** The approver's requirements are in a stage that has not opened yet. */
  | { result: 'later-stage'; record: ApprovalRecord; opensAt: number; open: number }
  /** Nothing the request still waits on is theirs to meet (their groups' requirements are met, or they are in none). */
  | { result: 'not-needed'; record: ApprovalRecord }
  | { result: 'already-decided'; record: ApprovalRecord }
  | { result: 'expired'; record: ApprovalRecord }
  /** The run ended (stopped, failed, released) before a decision: nothing counts any more. */
  | { result: 'closed'; record: ApprovalRecord }
  | { result: 'try-again' };

/** Why an approval was not counted because of the request's stages or requirements, with what it still waits on. */
export function stageRefusal(outcome: Extract<DecisionResult, { result: 'later-stage' | 'not-needed' }>): { title: string; text: string } {
  const waiting = describeWaiting(recordProgress(outcome.record));
  return outcome.result === 'later-stage'
    ? { title: `Stage ${outcome.opensAt} opens when stage ${outcome.open} is complete`, text: `Your approval was not counted: ${waiting}.` }
    : {
        title: 'Your approval is not needed',
        text: `Your approval was not counted: what this request still waits on is not yours to meet (${waiting}).`,
      };
}

/**
 * The decision as the run's state carries it (the approval record keeps it whole): approvers without their IAM
 * principals, approvals without their groups or signed-in identity; if the comments of a full quorum would not fit the decision's share,
 * the earlier ones clipped, and if approval rules made the quorum larger than even that fits, the first approvals that
 * fit, the rest counted.
 */
export function decisionForState(decision: HumanDecision): HumanDecision {
  // The record keeps who was signed in; the state has no room for it.
  const approvals = decision.approvals?.map(({ groups: _, signedIn: __, ...a }) => approvalForState(a));
  const { signedIn: _signedIn, ...decided } = decision;
  const compact = { ...approvalForState(decided), approvals };
  if (bytesOf(compact) <= STATE_BUDGET.decision) return compact;
  const clipped = approvals?.map((a) => (a.comment ? { ...a, comment: clip(a.comment, 200) } : a)) ?? [];
  const fitted = fitList(clipped, STATE_BUDGET.decision, (kept, dropped) => ({
    ...compact,
    approvals: kept,
    ...(dropped ? { approvalsUnlisted: dropped } : {}),
  }));
  return withinBudget('decision', fitted);
}

export const isExpired = (record: ApprovalRecord, now: Date) =>
  record.status === 'EXPIRED' || (record.status === 'PENDING' && record.expiresAt * 1000 <= now.getTime());

/** The run ended before anyone decided (its record is CLOSED), or it ended at all while the request was open. */
export const isClosed = (record: ApprovalRecord) => record.status === 'CLOSED' || (record.status === 'PENDING' && record.outcome !== undefined);

/** What a decision that could not be made tells the approver about the record as it now is. */
export const closed = (record: ApprovalRecord, now: Date): DecisionResult =>
  isClosed(record)
    ? { result: 'closed', record }
    : record.status === 'PENDING' || isExpired(record, now)
      ? { result: 'expired', record }
      : { result: 'already-decided', record };

/**
 * Records one decision, from the web page or Slack alike: once only (conditional write), then completes the
 * run's waiting task. An approval counts towards the quorum once per approver; the one that completes it
 * decides. A task that has ended takes the decision back: it goes to the run's next approval task if the
 * run has one (after the reminder), and otherwise is reported as expired or to be tried again.
 */
export async function recordDecision(
  deps: DecisionDeps,
  record: ApprovalRecord,
  decision: HumanDecision,
  handedOver = false,
): Promise<DecisionResult> {
  if (record.status !== 'PENDING' || isClosed(record) || isExpired(record, deps.now())) return closed(record, deps.now());
  const nowSeconds = () => Math.floor(deps.now().getTime() / 1000);
  // This run's record as it now is: a new run may have claimed the plan since it was read.
  const reread = async () => (await deps.store.getRun(refOf(record), record.executionArn)) ?? record;
  const email = decision.approver.email.toLowerCase();
  if (decision.decision === 'APPROVED') {
    if (mayNotApprove(record, email)) return { result: 'self-approval', record };
    // The request's policy is fixed when it opens; only its approvals change.
    const policy = quorumPolicyOf(record);
    const before = progressOf(policy, record.approvals ?? []);
    let groups: string[];
    try {
      groups = await deps.verifiedGroups(email, groupsOf(policy));
    } catch (error) {
      // Membership that cannot be checked counts for nothing (fail closed): the approver is asked to try again.
      logger.error('Could not check group membership', { planId: record.planId, error: (error as Error).name });
      return { result: 'try-again' };
    }
    const verdict = admissionOfVote(policy, record.approvals ?? [], { ...decision, groups });
    if (!verdict.admitted) {
      // Counted before and not delivered yet (a passing failure): the checks below deliver it.
      if (!(record.approverEmails ?? []).includes(email)) {
        return verdict.reason === 'later-stage'
          ? { result: 'later-stage', record, opensAt: verdict.opensAt, open: verdict.open }
          : { result: 'not-needed', record };
      }
    } else {
      decision = { ...decision, groups, stage: verdict.stage };
    }
    let counted = verdict.admitted ? await deps.store.addApproval(refOf(record), record.executionArn, decision, nowSeconds()) : undefined;
    // Only this call's own write tells anyone: a retry that finds the approval counted already tells nobody again.
    const countedNow = counted !== undefined;
    if (!counted) {
      const current = await reread();
      if (current.status !== 'PENDING' || isExpired(current, deps.now())) return closed(current, deps.now());
      // CloudTrail's record of who created the plan arrived in between, and it names this approver.
      if (mayNotApprove(current, email)) return { result: 'self-approval', record: current };
      // Counted before, but not delivered (a passing failure, or the reminder hand-over): deliver it now.
      if (!progressOf(policy, current.approvals ?? []).complete || !(current.approverEmails ?? []).includes(email))
        return { result: 'already-counted', record: current };
      counted = current;
    }
    const after = progressOf(policy, counted.approvals ?? []);
    if (!after.complete) {
      if (opened(before, after)) await askOpenedStage(deps, counted, after);
      if (countedNow) await tell(deps, counted, decision, 'counted');
      return { result: 'counted', record: counted };
    }
    const mine = counted.approvals?.find((a) => a.approver.email.toLowerCase() === email);
    decision = { ...decision, groups: mine?.groups, stage: mine?.stage, approvals: counted.approvals ?? [] };
  }

  const taskToken = await deps.store.decide(refOf(record), record.executionArn, decision, nowSeconds());
  if (!taskToken) {
    // Another click won the conditional write (or time ran out, or the run was closed): report what happened.
    return closed(await reread(), deps.now());
  }
  return deliverDecision(deps, record, decision, taskToken, handedOver ? undefined : (current) => recordDecision(deps, current, decision, true));
}

/**
 * Completes the run's task with a decision the record now holds (its conditional write gave `taskToken`). A task that
 * has ended takes the decision back: `handOver` makes it again on the run's next approval task if the run has one
 * (after the reminder); otherwise it is reported as expired or to be tried again.
 */
export async function deliverDecision(
  deps: TaskDeps,
  record: ApprovalRecord,
  decision: HumanDecision,
  taskToken: string,
  handOver?: (current: ApprovalRecord) => Promise<DecisionResult>,
): Promise<DecisionResult> {
  const reread = async () => (await deps.store.getRun(refOf(record), record.executionArn)) ?? record;
  try {
    await deps.completeTask(taskToken, decisionForState(decision));
  } catch (error) {
    const name = (error as Error).name;
    await deps.store.undoDecision(refOf(record), record.executionArn, decision.decidedAt);
    const current = await reread();
    if (isEndedTaskError(error)) {
      logger.warn('Approval task had already ended', { planId: record.planId, error: name });
      const newerTask = current.status === 'PENDING' && current.taskToken && current.taskToken !== taskToken;
      if (newerTask && handOver && !isClosed(current)) return handOver(current);
      if (isClosed(current) || current.status === 'EXPIRED' || isExpired(current, deps.now())) return closed(current, deps.now());
    } else {
      logger.error('Could not complete approval task', { planId: record.planId, error: name });
    }
    return { result: 'try-again' };
  }
  try {
    await deps.store.forgetTaskToken(refOf(record), record.executionArn);
  } catch (error) {
    // The decision stands and the run goes on; only the housekeeping failed (Notify removes the token at the end too).
    logger.warn('Could not remove the task token after deciding', { planId: record.planId, error: (error as Error).name });
  }
  logger.info('Approval decided', {
    planId: record.planId,
    decision: decision.decision,
    approver: decision.approver.email,
    channel: decision.channel,
  });
  seconds(METRIC.ApprovalWaitSeconds, (Date.parse(decision.decidedAt) - Date.parse(record.requestedAt)) / 1000);
  // Once: decide() accepted this decision and the task took it (a decision taken back and made again reaches here once).
  await tell(deps, { ...record, approvals: decision.approvals ?? record.approvals, status: decision.decision, decision }, decision, 'decided');
  return { result: 'decided', record: { ...record, status: decision.decision, decision }, decision };
}

/** Whether a vote opened a stage: a later stage, or the floor of plangate:requiredApprovals once every rule is met. */
const opened = (before: Progress, after: Progress) => after.stage !== before.stage || (after.floorOpen && !before.floorOpen);

/** Asking the next stage must never undo the vote that opened it: a failure is logged, and the reminder asks again. */
async function askOpenedStage(deps: DecisionDeps, record: ApprovalRecord, progress: Progress) {
  try {
    await deps.askOpenedStage(record, progress);
  } catch (error) {
    logger.error('Could not ask the approvers of the stage that opened', {
      planId: record.planId,
      stage: progress.stage,
      error: (error as Error).name,
    });
  }
}

/** Telling people must never undo the decision: a failure is logged (the Slack post and the outcome still go out). */
async function tell(deps: TaskDeps, record: ApprovalRecord, decision: HumanDecision, news: DecisionNews) {
  try {
    await deps.tellDecision?.(record, decision, news);
  } catch (error) {
    logger.error('Could not tell the approvers of a decision', { planId: record.planId, news, error: (error as Error).name });
  }
}
