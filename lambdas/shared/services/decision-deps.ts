import { ApprovalStore } from '../adapters/approval-store';
import { dynamo } from '../adapters/clients/dynamodb';
import { verifiedGroups } from '../adapters/identity-store';
import { readSecret } from '../adapters/secrets';
import {
  APPROVAL_POLICY,
  APPROVAL_TOPIC_ARN,
  APPROVERS,
  ASK_APPROVERS_ENV,
  type EnvironmentOf,
  GROUPS,
  IDENTITY_STORE_ID,
  parseEnvironment,
  SLACK_WEBHOOK_SECRET_ID,
  TABLE_NAME,
} from '../contracts/environment';
import type { Groups } from '../contracts/policies';
import type { DecisionDeps } from './decision';

/** What every function that takes decisions reads (the approval page, the inbox, the command line): lib's takesDecisions sets it. */
export const DECISION_ENV = { TABLE_NAME, APPROVERS, GROUPS, APPROVAL_POLICY, IDENTITY_STORE_ID, APPROVAL_TOPIC_ARN, SLACK_WEBHOOK_SECRET_ID };
export type DecisionEnv = EnvironmentOf<typeof DECISION_ENV>;

/**
 * Recording a decision, wired to AWS once per container: the table, group membership checked in the identity store,
 * asking a stage that opens and telling a decision (both by email and Slack), and completing the run's task. The SDK
 * clients only some decisions need are loaded by the first that does: viewing a request, the most common call, never
 * completes a task or tells anyone.
 */
export function decisionDeps(env: DecisionEnv, source: Record<string, string | undefined>): DecisionDeps {
  const store = new ApprovalStore(dynamo, env.TABLE_NAME);
  // With approval rules, the vote that opens a stage asks its approvers: the same variables as RequestApproval's.
  const askEnv = env.APPROVAL_POLICY ? parseEnvironment(ASK_APPROVERS_ENV, source) : undefined;
  const webhookSecretId = env.SLACK_WEBHOOK_SECRET_ID;
  return {
    store,
    verifiedGroups: (email, groups) => verifiedGroups(email, pick(env.GROUPS ?? {}, groups), env.IDENTITY_STORE_ID),
    askOpenedStage: async (record, progress) => {
      if (!askEnv) return;
      const { askOpenedStage } = await import('./ask-approvers');
      await askOpenedStage({ store, env: askEnv, approvers: env.APPROVERS, groups: env.GROUPS, now: new Date() }, record, progress);
    },
    tellDecision: async (record, decision, news) => {
      const { tellDecision } = await import('./tell-decision');
      const slackWebhookUrl = async () => (webhookSecretId ? readSecret(webhookSecretId) : undefined);
      await tellDecision({ topicArn: env.APPROVAL_TOPIC_ARN, approvers: env.APPROVERS, slackWebhookUrl }, record, decision, news);
    },
    completeTask: async (taskToken, output) => {
      const { stepFunctions, SendTaskSuccessCommand } = await import('../adapters/clients/step-functions');
      await stepFunctions.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    },
    now: () => new Date(),
  };
}

/** The named groups of plangate:groups (a name it lacks has no members). */
const pick = (groups: Groups, names: string[]): Groups => Object.fromEntries(names.flatMap((n) => (groups[n] ? [[n, groups[n]]] : [])));
