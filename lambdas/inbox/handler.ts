import type { APIGatewayProxyEvent } from 'aws-lambda';
import { dynamo } from '../shared/adapters/clients/dynamodb';
import { HistoryIndex } from '../shared/adapters/history';
import { activeSession } from '../shared/adapters/sessions';
import { APPROVAL_BASE_URL, parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { logger } from '../shared/runtime/logger';
import { DECISION_ENV, decisionDeps } from '../shared/services/decision-deps';
import { decisionAnswer, page } from '../shared/web/answers';
import { messagePage } from '../shared/web/page';
import { type SignedInPagesDeps, signedInPages } from './routes';

const env = parseEnvironment({ ...DECISION_ENV, APPROVAL_BASE_URL }, process.env);

const deps: SignedInPagesDeps = {
  ...decisionDeps(env, process.env),
  history: new HistoryIndex(dynamo, env.TABLE_NAME),
  baseUrl: env.APPROVAL_BASE_URL,
  // Every page here is a signed-in approver's: the sign-in function makes the sessions, this only looks them up.
  signIn: {
    required: true,
    baseUrl: env.APPROVAL_BASE_URL,
    session: (sessionId: string) => activeSession(dynamo, env.TABLE_NAME, sessionId, new Date()),
  },
};

export const handler = lambdaHandler(async (event: APIGatewayProxyEvent) => {
  try {
    const answer = await signedInPages(event, deps, page, (decided) =>
      'statusCode' in decided ? page(decided.statusCode, decided.html) : decisionAnswer(decided.outcome, decided.approver, deps.now()),
    );
    return answer ?? page(404, messagePage('Page not found', 'There is nothing at this address.'));
  } catch (error) {
    logger.error('Signed-in page failed', { error: error as Error });
    return page(500, messagePage('Something went wrong', 'Nothing was recorded. Please try again in a minute.'));
  }
});
