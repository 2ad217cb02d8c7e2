import type { ApprovalRecord, ApprovalStore } from '../shared/approval-store';
import type { ApprovalDecision } from '../shared/run';
import { logger } from '../shared/runtime';

/** Step Functions' answers for a token whose task has ended or never existed. */
const ENDED_TASK_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export interface DecisionDeps {
  store: ApprovalStore;
  completeTask: (taskToken: string, output: ApprovalDecision) => Promise<void>;
  now: () => Date;
}

export type DecisionResult =
  | { result: 'decided'; record: ApprovalRecord }
  /** An approval counted towards a quorum that is not met yet. */
  | { result: 'counted'; record: ApprovalRecord }
  | { result: 'already-counted'; record: ApprovalRecord }
  | { result: 'self-approval'; record: ApprovalRecord }
  | { result: 'already-decided'; record: ApprovalRecord }
  | { result: 'expired'; record: ApprovalRecord }
  | { result: 'try-again' };

export const isExpired = (record: ApprovalRecord, now: Date) =>
  record.status === 'EXPIRED' || (record.status === 'PENDING' && record.expiresAt * 1000 <= now.getTime());

/**
 * Records one decision, from the web page or Slack alike: once only (conditional write), then completes the
 * run's waiting task. A task that already ended marks the approval expired; a passing failure takes the
 * decision back so it can simply be made again.
 */
export async function recordDecision(deps: DecisionDeps, record: ApprovalRecord, decision: ApprovalDecision): Promise<DecisionResult> {
  if (isExpired(record, deps.now())) return { result: 'expired', record };
  if (record.status !== 'PENDING') return { result: 'already-decided', record };
  const email = decision.approver.email.toLowerCase();
  if (decision.decision === 'APPROVED') {
    if (record.selfApprover?.toLowerCase() === email) return { result: 'self-approval', record };
    const counted = await deps.store.addApproval(record.planId, decision, Math.floor(deps.now().getTime() / 1000));
    if (!counted) {
      const current = (await deps.store.get(record.planId)) ?? record;
      if (current.status === 'PENDING' && !isExpired(current, deps.now())) return { result: 'already-counted', record: current };
      return current.status === 'PENDING' || current.status === 'EXPIRED' ? { result: 'expired', record: current } : { result: 'already-decided', record: current };
    }
    const approvals = counted.approvals ?? [];
    if (approvals.length < (record.requiredApprovals ?? 1)) return { result: 'counted', record: counted };
    decision = { ...decision, approvals };
  }

  const taskToken = await deps.store.decide(record.planId, decision, Math.floor(deps.now().getTime() / 1000));
  if (!taskToken) {
    // Another click won the conditional write (or time ran out): report what it decided.
    const current = (await deps.store.get(record.planId)) ?? record;
    return current.status === 'PENDING' || current.status === 'EXPIRED' ? { result: 'expired', record: current } : { result: 'already-decided', record: current };
  }
  try {
    await deps.completeTask(taskToken, decision);
  } catch (error) {
    const name = (error as Error).name;
    if (ENDED_TASK_ERRORS.has(name)) {
      logger.warn('Approval task had already ended', { planId: record.planId, error: name });
      await deps.store.expire(record.planId, record.executionArn);
      return { result: 'expired', record };
    }
    await deps.store.undoDecision(record.planId, decision.decidedAt);
    logger.error('Could not complete approval task', { planId: record.planId, error: name });
    return { result: 'try-again' };
  }
  try {
    await deps.store.forgetTaskToken(record.planId);
  } catch (error) {
    // The decision stands and the run goes on; only the housekeeping failed (Notify removes the token at the end too).
    logger.warn('Could not remove the task token after deciding', { planId: record.planId, error: (error as Error).name });
  }
  logger.info('Approval decided', { planId: record.planId, decision: decision.decision, approver: decision.approver.email, channel: decision.channel });
  return { result: 'decided', record: { ...record, status: decision.decision, decision } };
}
