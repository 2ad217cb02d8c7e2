import type { APIGatewayProxyEvent } from 'aws-lambda';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { readSecret } from '../shared/adapters/secrets';
import { activeSession } from '../shared/adapters/sessions';
import { postToSlack } from '../shared/adapters/slack/post';
import { APPROVAL_BASE_URL, parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { logger } from '../shared/runtime/logger';
import { decisionDeps } from '../shared/services/decision-deps';
import { page } from '../shared/web/answers';
import { messagePage } from '../shared/web/page';
import { APPROVAL_API_ENV, type ApprovalApiDeps, handleApprovalRequest } from './approval-api';

const env = parseEnvironment(APPROVAL_API_ENV, process.env);
const { SLACK_SIGNING_SECRET_ID: signingSecretId, SLACK_WEBHOOK_SECRET_ID: webhookSecretId } = env;

const deps: ApprovalApiDeps = {
  ...decisionDeps(env, process.env),
  approvers: env.APPROVERS,
  // With plangate:signIn, the pages look sessions up; the sign-in function makes them.
  signIn: env.SIGN_IN_MODE && {
    required: env.SIGN_IN_MODE === 'required',
    baseUrl: parseEnvironment({ APPROVAL_BASE_URL }, process.env).APPROVAL_BASE_URL,
    session: (sessionId: string) => activeSession(dynamo, env.TABLE_NAME, sessionId, new Date()),
  },
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
