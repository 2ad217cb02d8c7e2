import { METRIC } from '../../contracts/metrics';
import { logger } from '../../runtime/logger';
import { count } from '../../runtime/metrics';
import type { SlackMessage } from './blocks';

/**
 * Posts to Slack without ever failing or holding up the workflow: a short timeout, one retry, and a failure
 * is logged and counted (metric SlackPostFailed) instead of thrown. Returns whether Slack took the message.
 */
export async function postToSlack(url: string, message: SlackMessage, options: { timeoutMs?: number; attempts?: number } = {}): Promise<boolean> {
  const attempts = options.attempts ?? 2;
  let problem = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
      });
      if (res.ok) return true;
      problem = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
      if (res.status < 500 && res.status !== 429) break; // Slack refused the message itself: retrying will not help.
    } catch (error) {
      problem = (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message;
    }
  }
  logger.warn('Slack post failed', { problem, host: new URL(url).host });
  count(METRIC.SlackPostFailed);
  return false;
}
