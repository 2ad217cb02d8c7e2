import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApprovalStore } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { verifiedGroups } from '../shared/adapters/identity-store';
import { readSecret } from '../shared/adapters/secrets';
import { activeSession } from '../shared/adapters/sessions';
import { postToSlack } from '../shared/adapters/slack/post';
import { APPROVAL_BASE_URL, ASK_APPROVERS_ENV, parseEnvironment } from '../shared/contracts/environment';
import type { Groups } from '../shared/contracts/policies';
import { lambdaHandler } from '../shared/runtime/handler';
import { logger } from '../shared/runtime/logger';
import { APPROVAL_API_ENV, type ApprovalApiDeps, handleApprovalRequest, page } from './approval-api';
import { messagePage } from './page';

const env = parseEnvironment(APPROVAL_API_ENV, process.env);
const { SLACK_SIGNING_SECRET_ID: signingSecretId, SLACK_WEBHOOK_SECRET_ID: webhookSecretId } = env;
// With approval rules, the vote that opens a stage asks its approvers: the same variables as RequestApproval's.
const askEnv = env.APPROVAL_POLICY ? parseEnvironment(ASK_APPROVERS_ENV, process.env) : undefined;
const store = new ApprovalStore(dynamo, env.TABLE_NAME);
// With plangate:signIn, the pages look sessions up; the sign-in function makes them.
const signIn = env.SIGN_IN_MODE && {
  required: env.SIGN_IN_MODE === 'required',
  baseUrl: parseEnvironment({ APPROVAL_BASE_URL }, process.env).APPROVAL_BASE_URL,
  session: (sessionId: string) => activeSession(dynamo, env.TABLE_NAME, sessionId, new Date()),
};

const deps: ApprovalApiDeps = {
  store,
  verifiedGroups: (email, groups) => verifiedGroups(email, pick(env.GROUPS ?? {}, groups), env.IDENTITY_STORE_ID),
  askOpenedStage: async (record, progress) => {
    if (!askEnv) return;
    // Loaded on first use, with the SNS client: only a vote that opens a stage asks anyone.
    const { askOpenedStage } = await import('../shared/services/ask-approvers');
    await askOpenedStage({ store, env: askEnv, approvers: env.APPROVERS, groups: env.GROUPS, now: new Date() }, record, progress);
  },
  tellDecision: async (record, decision, news) => {
    // Loaded on first use, as asking a stage is: only a decision tells anyone.
    const { tellDecision } = await import('../shared/services/tell-decision');
    const slackWebhookUrl = async () => (webhookSecretId ? readSecret(webhookSecretId) : undefined);
    await tellDecision({ topicArn: env.APPROVAL_TOPIC_ARN, approvers: env.APPROVERS, slackWebhookUrl }, record, decision, news);
  },
  completeTask: async (taskToken, output) => {
    // Loaded on first use: viewing a request, the most common call, never completes its task.
    const { stepFunctions, SendTaskSuccessCommand } = await import('../shared/adapters/clients/step-functions');
    await stepFunctions.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  },
  now: () => new Date(),
  approvers: env.APPROVERS,
  signIn,
  slack: {
    signingSecret: async () => (signingSecretId ? readSecret(signingSecretId) : undefined),
    webhookUrl: async () => (webhookSecretId ? readSecret(webhookSecretId) : undefined),
    approvers: env.APPROVERS,
    post: postToSlack,
  },
};

export const handler = lambdaHandler(async (event: APIGatewayProxyEvent) => {
  try {
    return await handleApprovalRequest(event, deps);
  } catch (error) {
    logger.error('Approval request failed', { error: error as Error });
    return page(500, messagePage('Something went wrong', 'Nothing was recorded. Please try again in a minute.'));
  }
});

/** The named groups of plangate:groups (a name it lacks has no members). */
const pick = (groups: Groups, names: string[]): Groups => Object.fromEntries(names.flatMap((n) => (groups[n] ? [[n, groups[n]]] : [])));
