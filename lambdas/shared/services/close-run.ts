import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { ApprovalStore, type NotifyChannel } from '../adapters/approval-store';
import { emailApprover } from '../adapters/approver-email';
import { dynamo } from '../adapters/clients/dynamodb';
import { eventBridge } from '../adapters/clients/eventbridge';
import { sns } from '../adapters/clients/sns';
import { readSecret } from '../adapters/secrets';
import { outcomeMessage } from '../adapters/slack/blocks';
import { postToSlack } from '../adapters/slack/post';
import { type ApprovalRecord, refOf } from '../contracts/approval-record';
import {
  APPROVAL_TOPIC_ARN,
  type EnvironmentOf,
  EVENT_BUS_NAME,
  EVENT_SOURCE,
  EVIDENCE_BUCKET,
  EVIDENCE_KEY_ID,
  OUTCOME_TOPIC_ARN,
  SLACK_WEBHOOK_SECRET_ID,
  TABLE_NAME,
} from '../contracts/environment';
import { TransientError } from '../contracts/errors';
import { OUTCOME_DETAIL_TYPE, type OutcomeDetail } from '../contracts/events';
import { METRIC } from '../contracts/metrics';
import type { RunState } from '../contracts/steps';
import { planTitle, snsSubject } from '../domain/describe';
import { describeOutcome, type OutcomeReport } from '../domain/outcome';
import { untrusted } from '../domain/text';
import { logger } from '../runtime/logger';
import { count, countRunEnded } from '../runtime/metrics';
import { addRunKeys } from '../runtime/run-keys';
import { writeEvidence } from './evidence';

/** What closing a run needs: the approval table, both topics, the bus, and Slack if configured. */
export const CLOSE_RUN_ENV = {
  TABLE_NAME,
  OUTCOME_TOPIC_ARN,
  APPROVAL_TOPIC_ARN,
  EVENT_BUS_NAME,
  EVENT_SOURCE,
  SLACK_WEBHOOK_SECRET_ID,
  EVIDENCE_BUCKET,
  EVIDENCE_KEY_ID,
};
export type CloseRunEnv = EnvironmentOf<typeof CLOSE_RUN_ENV>;

export interface Ending {
  /** The run's state document: Notify's input, or what the CloseRun function knows of a run that ended outside it. */
  state: RunState;
  /** The plan whose approval record this run may own, by its key id (a spoke plan's planRef). */
  planId?: string;
  /** The execution's own error and cause, for an ending outside the workflow's paths. */
  error?: string;
  cause?: string;
  /**
   * Who is closing: its claims on the notification channels are its own, so its retry (Step Functions retrying
   * Notify, EventBridge or Lambda retrying CloseRun, an operator repeating a release) may take them again.
   */
  closer: 'Notify' | 'CloseRun' | 'Release';
}

/**
 * The one place a run is closed, however it ended: Notify calls it for the endings the workflow drives, the CloseRun
 * function for executions that failed, timed out or were stopped outside it. Closing is idempotent (both may run):
 *   1. the approval record the run owns gets its outcome, once; its task token goes; a request nobody decided becomes
 *      CLOSED; the plan is released when the run did not execute it (ApprovalStore.close);
 *   2. when this call closed a request that was waiting, every approver who was asked hears it is closed;
 *   3. the outcome goes out by email, EventBridge and Slack, each channel once: a closer sends a channel only after
 *      claiming it on the record (ApprovalStore.claimNotification), so two closers racing never both send it.
 *      A duplicate run only puts its event, logs and counts: no email, no Slack post.
 *   4. last, the run's evidence bundle is written, once, and never fails the closing (services/evidence.ts).
 */
export async function closeRun(ending: Ending, env: CloseRunEnv, now = new Date()): Promise<OutcomeDetail> {
  const store = new ApprovalStore(dynamo, env.TABLE_NAME);
  let report = describeOutcome(ending.state, now);
  const { outcome } = ending.state;
  const executionArn = ending.state.run.executionArn;
  addRunKeys({ planId: ending.planId, executionArn });
  const closing =
    ending.planId && outcome !== 'DUPLICATE'
      ? await store.close(ending.planId, executionArn, {
          outcome,
          reason: report.detail.reason,
          recordId: report.detail.recordId,
          idempotencyToken: report.detail.idempotencyToken,
          error: ending.error,
          cause: ending.cause,
          finishedAt: report.detail.finishedAt,
        })
      : undefined;
  const record = closing?.record;
  if (closing && !closing.closedNow && closing.record.outcome) {
    const recorded = closing.record.outcome;
    // Closed before (Notify, then the rule, or a retry): report what was recorded then.
    report = describeOutcome(
      { ...ending.state, outcome: recorded.outcome, review: ending.state.review ?? closing.record.review },
      now,
      recorded.reason,
    );
  }
  if (closing?.closedNow && record?.status === 'CLOSED') await tellApproversClosed(record, env);
  // Once per run: a run with a record is counted by the call that closed it (Notify and CloseRun may both close it).
  if (!closing || closing.closedNow) countRunEnded(outcome);

  /**
   * Sends one channel once. On the run's record the channel is claimed first (no claim, no send) and marked sent
   * after; a send that fails or is not taken gives the claim up, so the next closing sends it. Without a record
   * (no plan reviewed, or the run owns none) there is nothing to note it on: it is sent.
   */
  const once = async (channel: NotifyChannel, send: () => Promise<boolean>) => {
    if (!record) return void (await send());
    if (!(await store.claimNotification(refOf(record), executionArn, channel, ending.closer, now))) return;
    let sent = false;
    try {
      sent = await send();
    } finally {
      if (!sent) await store.dropNotificationClaim(refOf(record), executionArn, channel, ending.closer);
    }
    if (sent) await store.markNotified(refOf(record), executionArn, channel, now.toISOString());
  };
  if (outcome === 'DUPLICATE') {
    // Duplicates are quiet: EventBridge delivers triggers at least once, so they are expected, not news.
    logger.info('Duplicate run ended', { planId: report.detail.planId, reason: report.detail.reason });
    count(METRIC.DuplicateRuns);
    await putOutcomeEvent(report, env);
    await writeEvidence({ detail: report.detail, state: ending.state, closer: ending.closer }, env);
    return report.detail;
  }
  await once('Email', async () => {
    await sns.send(new PublishCommand({ TopicArn: env.OUTCOME_TOPIC_ARN, Subject: report.subject, Message: report.body }));
    return true;
  });
  await once('Event', async () => {
    await putOutcomeEvent(report, env);
    return true;
  });
  // Last, and never failing the close: Slack being down must not hold up or repeat the notification.
  if (env.SLACK_WEBHOOK_SECRET_ID) {
    const secretId = env.SLACK_WEBHOOK_SECRET_ID;
    try {
      await once('Slack', async () => postToSlack(await readSecret(secretId), outcomeMessage(report.detail)));
    } catch (error) {
      logger.warn('Slack outcome not posted', { error: (error as Error).message });
    }
  }
  await writeEvidence({ detail: report.detail, record, state: ending.state, closer: ending.closer }, env);
  logger.info('Run closed', {
    outcome: report.detail.outcome,
    planId: report.detail.planId,
    recordId: report.detail.recordId,
    released: record?.released,
  });
  return report.detail;
}

async function putOutcomeEvent(report: OutcomeReport, env: CloseRunEnv) {
  const put = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: env.EVENT_BUS_NAME,
          Source: env.EVENT_SOURCE,
          DetailType: OUTCOME_DETAIL_TYPE,
          Detail: JSON.stringify(report.detail),
          Resources: [report.detail.executionArn],
        },
      ],
    }),
  );
  // PutEvents reports per-entry failures in a 200 response. A TransientError, which the state machine and the
  // rule's target retry, so a lost event is sent again rather than ending the run unnotified.
  if (put.FailedEntryCount) {
    const entry = put.Entries?.[0];
    throw new TransientError(`EventBridge rejected the outcome event: ${entry?.ErrorCode} ${entry?.ErrorMessage}`, { cause: entry });
  }
}

/** Each approver who was asked learns the request is closed, and why: their link no longer works. */
async function tellApproversClosed(record: ApprovalRecord, env: CloseRunEnv) {
  const title = planTitle(record.review);
  const body = [
    `The approval request for plan ${untrusted(title)} was closed before it was decided.`,
    `Why: ${untrusted(record.outcome?.reason)}`,
    'The plan was not executed.',
    '',
    'Nothing more is needed from you: your link no longer works.',
  ].join('\n');
  const subject = snsSubject(`[PlanGate] Approval request closed: ${title}`);
  for (const approver of record.approvers) await emailApprover(env.APPROVAL_TOPIC_ARN, approver.email, { subject, body });
}
