import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApprovalStore } from '../shared/adapters/approval-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { readSecret } from '../shared/adapters/secrets';
import { postToSlack } from '../shared/adapters/slack/post';
import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { logger } from '../shared/runtime/logger';
import { APPROVAL_API_ENV, type ApprovalApiDeps, handleApprovalRequest, page } from './approval-api';
import { messagePage } from './page';

const env = parseEnvironment(APPROVAL_API_ENV, process.env);
const { SLACK_SIGNING_SECRET_ID: signingSecretId, SLACK_WEBHOOK_SECRET_ID: webhookSecretId } = env;

const deps: ApprovalApiDeps = {
  store: new ApprovalStore(dynamo, env.TABLE_NAME),
  completeTask: async (taskToken, output) => {
    // Loaded on first use: viewing a request, the most common call, never completes its task.
    const { stepFunctions, SendTaskSuccessCommand } = await import('../shared/adapters/clients/step-functions');
    await stepFunctions.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  },
  now: () => new Date(),
  approvers: env.APPROVERS,
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
