import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Approver } from '../contracts/approver';
import { PAGE_HEADERS } from '../runtime/http';
import { type DecisionResult, stageRefusal } from '../services/decision';
import { closedPage, decidedPage, expiredPage, messagePage, progressPage } from './page';

/** A page, with the headers every page gets (links are capabilities: no referrer, no framing, no caching). */
export const page = (statusCode: number, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { ...PAGE_HEADERS, ...headers },
  body,
});

/** The page that answers a decision from the web (a personal link, or a signed-in approver's request page). */
export function decisionAnswer(outcome: DecisionResult, approver: Approver, now: Date): APIGatewayProxyResult {
  switch (outcome.result) {
    case 'decided':
      return page(200, decidedPage(outcome.record, outcome.record.status === 'APPROVED' ? 'Approved' : 'Rejected', now));
    case 'counted':
      return page(200, progressPage(outcome.record, 'Your approval is counted', now));
    case 'already-counted':
      return page(409, progressPage(outcome.record, 'You have already approved this plan', now));
    case 'self-approval':
      return page(
        403,
        messagePage(
          'You cannot approve your own request',
          'You asked for this change, so another approver must approve it. You may still reject it.',
        ),
      );
    case 'already-decided':
      return page(409, decidedPage(outcome.record, 'Already decided', now));
    case 'expired':
      return page(410, expiredPage(outcome.record));
    case 'closed':
      return page(410, closedPage(outcome.record, approver));
    case 'later-stage':
    case 'not-needed': {
      const { title, text } = stageRefusal(outcome);
      return page(409, messagePage(title, text));
    }
    case 'try-again':
      return page(503, messagePage('Please try again', 'Your decision could not be delivered just now and was not recorded.'), {
        'Retry-After': '5',
      });
  }
}
