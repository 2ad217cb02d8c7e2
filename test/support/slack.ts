import { createHmac } from 'node:crypto';
import { DEFAULT_LOCAL_SIGNING_SECRET } from '../../local/server';

/** A Slack button click as Slack sends it: a block_actions payload, form-encoded, signed with v0. */
export function signedClick(
  click: { userId: string; action: 'plangate_approve' | 'plangate_reject'; planId: string; responseUrl: string },
  options: { secret?: string; skewSeconds?: number } = {},
): RequestInit {
  const payload = {
    type: 'block_actions',
    user: { id: click.userId },
    response_url: click.responseUrl,
    actions: [{ action_id: click.action, value: click.planId }],
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = String(Math.floor(Date.now() / 1000) + (options.skewSeconds ?? 0));
  const signature = `v0=${createHmac('sha256', options.secret ?? DEFAULT_LOCAL_SIGNING_SECRET)
    .update(`v0:${ts}:${body}`)
    .digest('hex')}`;
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': signature },
    body,
  };
}
