import { clip } from '../../domain/text';
import { escapeMrkdwn, MAX_SECTION_TEXT, type SlackMessage } from './blocks';

/** The break-glass notice for the Slack channel: marked as such, every line escaped, nothing to click. */
export function breakGlassSlackMessage(notice: { subject: string; body: string }): SlackMessage {
  const text = notice.body
    .split('\n')
    .map((line) => escapeMrkdwn(line))
    .join('\n');
  return {
    text: notice.subject,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(notice.subject.replace(/^\[PlanGate\] /, ''), 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(`:rotating_light: ${text}`, MAX_SECTION_TEXT) } },
    ],
  };
}
