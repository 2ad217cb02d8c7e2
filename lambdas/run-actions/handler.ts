import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BreakGlassStore } from '../shared/adapters/break-glass-store';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { readSecret } from '../shared/adapters/secrets';
import { breakGlassSlackMessage } from '../shared/adapters/slack/break-glass';
import { postToSlack } from '../shared/adapters/slack/post';
import { WindowStore } from '../shared/adapters/window-store';
import { APPROVAL_TOPIC_ARN, parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { jsonResponse } from '../shared/runtime/http';
import { logger } from '../shared/runtime/logger';
import { decisionDeps } from '../shared/services/decision-deps';
import { handleRunAction, RUN_ACTIONS_ENV, type RunActionsDeps } from './run-actions';

const env = parseEnvironment(RUN_ACTIONS_ENV, process.env);
// With plangate:breakGlass, a break-glass approval tells every approver by email (the approval topic) and on Slack.
const breakGlassTopic = env.BREAK_GLASS && parseEnvironment({ APPROVAL_TOPIC_ARN }, process.env).APPROVAL_TOPIC_ARN;
const webhookSecretId = env.SLACK_WEBHOOK_SECRET_ID;

/** Step Functions is loaded on first use: a refused or malformed action never reaches a run. */
const stepFunctions = () => import('../shared/adapters/clients/step-functions');

const deps: RunActionsDeps = {
  ...decisionDeps(env, process.env),
  approvers: env.APPROVERS,
  breakGlass:
    env.BREAK_GLASS && breakGlassTopic
      ? {
          policy: env.BREAK_GLASS,
          store: new BreakGlassStore(dynamo, env.TABLE_NAME),
          tell: async (notice) => {
            const { emailApprover } = await import('../shared/adapters/approver-email');
            for (const approver of env.APPROVERS) await emailApprover(breakGlassTopic, approver.email, notice);
            if (webhookSecretId) await postToSlack(await readSecret(webhookSecretId), breakGlassSlackMessage(notice));
          },
        }
      : undefined,
  window: {
    windowStore: new WindowStore(dynamo, env.TABLE_NAME),
    completeWindow: async (taskToken, output) => {
      const { stepFunctions: client, SendTaskSuccessCommand } = await stepFunctions();
      await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    },
    cancelWindow: async (taskToken, cause) => {
      const { stepFunctions: client, SendTaskFailureCommand } = await stepFunctions();
      await client.send(new SendTaskFailureCommand({ taskToken, error: 'RunCancelledError', cause }));
    },
    operators: env.WINDOW_OPERATORS,
    now: () => new Date(),
  },
};

export const handler = lambdaHandler(async (event: APIGatewayProxyEvent) => {
  try {
    return await handleRunAction(event, deps);
  } catch (error) {
    logger.error('Run action failed', { error: error as Error });
    return jsonResponse(500, { error: 'Something went wrong; nothing may have changed. Look at the run (plangate status) and try again.' });
  }
});
