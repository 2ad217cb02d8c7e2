import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowedResponseUrl, handleSlackInteraction } from '../../lambdas/approval-api/slack-interactions';
import type { ApprovalStore } from '../../lambdas/shared/adapters/approval-store';
import {
  approvalRequestMessage,
  buttonValue,
  ephemeral,
  escapeMrkdwn,
  MAX_BLOCKS,
  MAX_SECTION_TEXT,
  mention,
  mrkdwn,
  outcomeMessage,
  type SlackMessage,
} from '../../lambdas/shared/adapters/slack/blocks';
import { postToSlack } from '../../lambdas/shared/adapters/slack/post';
import { verifySlackSignature } from '../../lambdas/shared/adapters/slack/signature';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import type { HumanDecision } from '../../lambdas/shared/contracts/steps';
import { toApiGatewayEvent } from '../../local/api-gateway';
import { review } from './fixtures';

const sign = (secret: string, ts: string, body: string) => `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

describe('request signatures', () => {
  const now = 1_780_000_000;
  const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
  const check = (over: Partial<Parameters<typeof verifySlackSignature>[0]>) =>
    verifySlackSignature({
      signingSecret: 's3cret',
      timestamp: String(now),
      signature: sign('s3cret', String(now), body),
      rawBody: body,
      nowSeconds: now,
      ...over,
    });

  test('accepts a request signed with the signing secret', () => expect(check({})).toBe('valid'));
  test('refuses another secret, a changed body or a changed timestamp', () => {
    expect(check({ signature: sign('other', String(now), body) })).toBe('invalid');
    expect(check({ rawBody: `${body}x` })).toBe('invalid');
    expect(check({ signature: 'v0=short' })).toBe('invalid');
  });
  test('refuses timestamps more than 5 minutes from now, either way', () => {
    expect(check({ nowSeconds: now + 301 })).toBe('stale');
    expect(check({ nowSeconds: now - 301 })).toBe('stale');
    expect(check({ nowSeconds: now + 300 })).toBe('valid');
    expect(check({ timestamp: 'yesterday' })).toBe('stale');
  });
  test('refuses a request without the headers', () => expect(check({ signature: undefined })).toBe('missing'));
});

test('escapes &, < and > in mrkdwn, so nobody can @channel or forge links through a plan name', () => {
  expect(escapeMrkdwn('<!channel> & <https://evil|click>')).toBe('&lt;!channel&gt; &amp; &lt;https[:]//evil|click&gt;');
  const hostile = review();
  hostile.plan!.planName = '<!channel>';
  hostile.summary!.changes[0]!.logicalResourceId = '<https://evil|x>';
  const text = JSON.stringify(
    approvalRequestMessage({
      review: hostile,
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1',
      pageUrl: 'https://x/approvals/a',
      expiresAt: new Date(),
      interactive: true,
    }).blocks.slice(1),
  );
  expect(text).not.toMatch(/<!channel>|<https:\/\/evil/);
});

test('a plan name cannot bring its own formatting, emoji or links: it cannot make the request look approved', () => {
  const hostile = review();
  hostile.plan!.planName = '*:white_check_mark: APPROVED by Alice* :+1: _see_ www.evil.example/approve';
  const message = approvalRequestMessage({
    review: hostile,
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1',
    pageUrl: 'https://x/approvals/a',
    expiresAt: new Date('2026-11-22T10:05:00Z'),
    interactive: true,
  });
  // The header is plain text, which shows no formatting, and with `emoji: false` no emoji; the rest is mrkdwn.
  const text = JSON.stringify([message.text, ...message.blocks.slice(1)]);
  expect(text).not.toMatch(/\*:white_check_mark:|:\+1:|_see_|www\.evil\.example/);
  expect(text).toContain('\u2217\u2236white_check_mark\u2236 APPROVED by Alice\u2217 \u2236+1\u2236 \u02cdsee\u02cd www.evil[.]example/approve');
  expect(message.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', emoji: false } });
  // Formatting characters inside words, times and ARNs stay as they are.
  const plain = 'orders_table 2026-11-22T10:05:00Z arn:aws:iam::111122223333:user/ci AWS::SNS::Topic';
  expect(escapeMrkdwn(plain)).toBe(plain);
});

test('a plan too large for one message keeps to Slack limits and points at the page for the rest', () => {
  const big = review();
  big.summary = {
    total: 1000,
    countsByAction: { MODIFY: 1000 },
    replacements: 0,
    risk: 'HIGH',
    countsByRisk: { HIGH: 1000, MEDIUM: 0, LOW: 0 },
    unlisted: 700,
    changes: Array.from({ length: 300 }, (_, i) => ({
      action: 'MODIFY',
      logicalResourceId: `Resource${i}${'x'.repeat(400)}`,
      resourceType: 'AWS::S3::Bucket',
      risk: 'HIGH' as const,
    })),
  };
  const message = approvalRequestMessage({
    review: big,
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1',
    pageUrl: 'https://x/approvals/abc',
    expiresAt: new Date(),
    interactive: true,
  });
  expect(message.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
  for (const block of message.blocks) {
    const text = ('text' in block ? (block.text as { text?: string } | undefined)?.text : '') ?? '';
    expect(text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
  }
  expect(JSON.stringify(message.blocks)).toContain('+960 more on the <https://x/approvals/abc|approval page>');
  expect(message.blocks.at(-1)).toMatchObject({ type: 'actions' });
});

test('each change lists its property details under it, re-creating ones in bold, within Slack limits however many there are', () => {
  const withDetails = review();
  withDetails.summary!.changes[0]!.details = [
    { attribute: 'PROPERTIES', name: 'TopicName', requiresRecreation: 'ALWAYS', evaluation: 'STATIC', causingEntity: '<!here>' },
  ];
  const small = JSON.stringify(
    approvalRequestMessage({
      review: withDetails,
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1',
      pageUrl: 'https://x/a',
      expiresAt: new Date(),
      interactive: true,
    }).blocks,
  );
  expect(small).toContain(
    ':warning: REMOVE OldTopic AWS::SNS::Topic [arn:old] - HIGH risk: removes AWS::SNS::Topic\\n      ◦ :rotating_light: *property TopicName: requires recreation: ALWAYS, evaluation: STATIC, caused by: &lt;!here&gt;*\\n• ADD Queue',
  );

  const big = review();
  const detail = {
    attribute: 'PROPERTIES',
    name: 'x'.repeat(64),
    requiresRecreation: 'CONDITIONALLY',
    evaluation: 'DYNAMIC',
    causingEntity: 'y'.repeat(64),
  };
  big.summary = {
    ...big.summary!,
    total: 300,
    unlisted: 0,
    changes: Array.from({ length: 300 }, (_, i) => ({
      action: 'MODIFY',
      logicalResourceId: `Resource${i}${'x'.repeat(250)}`,
      resourceType: 'AWS::S3::Bucket',
      risk: 'HIGH' as const,
      details: Array(5).fill(detail),
      detailsUnlisted: 3,
    })),
  };
  const message = approvalRequestMessage({
    review: big,
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1',
    pageUrl: 'https://x/approvals/abc',
    expiresAt: new Date(),
    interactive: true,
    reminder: 'Still waiting',
  });
  expect(message.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
  const texts = message.blocks.map((block) => ('text' in block ? ((block.text as { text?: string } | undefined)?.text ?? '') : ''));
  for (const text of texts) expect(text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
  // Whole changes only: no section is cut off mid-entry, and the count of the rest matches what is shown.
  const shown = texts.join('\n').match(/:warning: MODIFY Resource/g)!.length;
  for (const text of texts.filter((t) => t.startsWith(':warning:'))) expect(text.endsWith('◦ +3 more')).toBe(true);
  expect(JSON.stringify(message.blocks)).toContain(`+${300 - shown} more on the <https://x/approvals/abc|approval page>`);
  expect(message.blocks.at(-1)).toMatchObject({ type: 'actions' });
});

test('the link button is always there; Approve and Reject only with a signing secret', () => {
  const actions = (interactive: boolean) =>
    (
      approvalRequestMessage({
        review: review(),
        executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1',
        pageUrl: 'https://x/a',
        expiresAt: new Date(),
        interactive,
      }).blocks.at(-1) as { elements: { action_id: string }[] }
    ).elements.map((e) => e.action_id);
  expect(actions(false)).toEqual(['plangate_open']);
  expect(actions(true)).toEqual(['plangate_open', 'plangate_approve', 'plangate_reject']);
});

test('outcome messages list record errors', () => {
  const message = outcomeMessage({
    outcome: 'FAILED',
    reason: 'Record rec-1 FAILED',
    planId: 'p',
    recordErrors: [{ code: 'E1', description: 'a <b>' }],
  });
  expect(JSON.stringify(message.blocks)).toContain('*E1*: a &lt;b&gt;');
});

test('response_url: Slack hooks only, and loopback only when the webhook itself is local', () => {
  expect(allowedResponseUrl('https://hooks.slack.com/actions/T/1/abc', 'https://hooks.slack.com/services/x')).toBe(true);
  expect(allowedResponseUrl('https://evil.example/actions', 'https://hooks.slack.com/services/x')).toBe(false);
  expect(allowedResponseUrl('http://hooks.slack.com/actions', 'https://hooks.slack.com/services/x')).toBe(false);
  expect(allowedResponseUrl('http://127.0.0.1:9/r', 'https://hooks.slack.com/services/x')).toBe(false);
  expect(allowedResponseUrl('http://127.0.0.1:9/r', 'http://127.0.0.1:8642/local/slack/webhook')).toBe(true);
  expect(allowedResponseUrl('http://10.0.0.5/r', 'http://127.0.0.1:8642/local/slack/webhook')).toBe(false);
});

describe('posting to Slack never fails the workflow', () => {
  let server: Server;
  let url: string;
  const answers: (number | 'hang')[] = [];
  let received = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      received++;
      const answer = answers.shift() ?? 200;
      if (answer === 'hang') return; // never answers
      res.writeHead(answer).end(answer === 200 ? 'ok' : 'error');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    answers.length = 0;
    received = 0;
  });

  test('retries once after a server error', async () => {
    answers.push(500, 200);
    await expect(postToSlack(url, { text: 't', blocks: [] })).resolves.toBe(true);
    expect(received).toBe(2);
  });
  test('gives up quietly after a bounded wait when Slack hangs', async () => {
    answers.push('hang', 'hang');
    const started = Date.now();
    await expect(postToSlack(url, { text: 't', blocks: [] }, { timeoutMs: 200 })).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
  test('does not retry a message Slack refuses', async () => {
    answers.push(400);
    await expect(postToSlack(url, { text: 't', blocks: [] })).resolves.toBe(false);
    expect(received).toBe(1);
  });
  test('survives an address where nothing listens', async () => {
    await expect(postToSlack('http://127.0.0.1:1/hook', { text: 't', blocks: [] })).resolves.toBe(false);
  });
});

describe('replies to a click', () => {
  const signingSecret = 'test-signing-secret';
  const bob = { email: 'bob@example.com', name: 'Bob', slackUserId: 'U0BOB0002' };
  // An approver without a Slack id, whose name must stay text.
  const carol = { email: 'carol@example.com', name: 'Carol <!channel> & co' };
  const clickEvent = (userId: string, value = 'plan-abc') => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: userId }, response_url: 'https://hooks.slack.com/actions/T/1/x', actions: [{ action_id: 'plangate_approve', value }] }))}`;
    const ts = String(Math.floor(Date.now() / 1000));
    return toApiGatewayEvent({
      method: 'POST',
      path: '/slack/interactions',
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': ts,
        'x-slack-signature': sign(signingSecret, ts, body),
      },
    });
  };

  test('the progress reply mentions approvers with a Slack id and escapes everyone else’s name', async () => {
    const earlier = { approver: carol, channel: 'web' as const, decidedAt: new Date().toISOString() };
    const record: ApprovalRecord = {
      pk: 'PLAN#plan-abc',
      planId: 'plan-abc',
      executionArn: 'arn:run',
      status: 'PENDING',
      requestedAt: new Date().toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      approvers: [bob, carol],
      review: review(),
      requiredApprovals: 3,
      approvals: [earlier],
      approverEmails: ['carol@example.com'],
    };
    const store = {
      get: async () => record,
      addApproval: async (_: string, _run: string, d: HumanDecision) => ({
        ...record,
        approvals: [earlier, { approver: d.approver, channel: d.channel, decidedAt: d.decidedAt }],
      }),
    } as unknown as ApprovalStore;
    const posted: SlackMessage[] = [];
    const slack = {
      signingSecret: async () => signingSecret,
      webhookUrl: async () => 'https://hooks.slack.com/services/x',
      approvers: [bob, carol],
      post: async (_: string, m: SlackMessage) => !!posted.push(m),
    };
    const res = await handleSlackInteraction(
      clickEvent('U0BOB0002'),
      { store, completeTask: async () => undefined, now: () => new Date(), verifiedGroups: async () => [], askOpenedStage: async () => undefined },
      slack,
    );
    expect(res.statusCode).toBe(200);
    const text = (posted[0]!.blocks[0] as { text: { text: string } }).text.text;
    expect(text).toBe('2 of 3 approvals, by Carol &lt;!channel&gt; &amp; co, <@U0BOB0002>.');
    expect(posted[0]!.text).toBe(text);
    expect(posted[0]!.response_type).toBe('in_channel');
  });

  test('a button from an earlier request for the plan decides nothing on a later run’s request', async () => {
    const record: ApprovalRecord = {
      pk: 'PLAN#plan-abc',
      planId: 'plan-abc',
      executionArn: 'arn:run-2',
      status: 'PENDING',
      requestedAt: new Date().toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      approvers: [bob, carol],
      review: review(),
      previousRun: { executionArn: 'arn:run-1', archivedAs: 'PLAN#plan-abc#RUN#arn:run-1' },
    };
    const addApproval = jest.fn();
    const store = { get: async () => record, addApproval } as unknown as ApprovalStore;
    const posted: SlackMessage[] = [];
    const slack = {
      signingSecret: async () => signingSecret,
      webhookUrl: async () => undefined,
      approvers: [bob, carol],
      post: async (_: string, m: SlackMessage) => !!posted.push(m),
    };
    const deps = {
      store,
      completeTask: async () => undefined,
      now: () => new Date(),
      verifiedGroups: async () => [],
      askOpenedStage: async () => undefined,
    };
    // The earlier run's button, and one posted before buttons named their run.
    for (const value of [buttonValue('plan-abc', 'arn:run-1'), 'plan-abc']) {
      expect((await handleSlackInteraction(clickEvent('U0BOB0002', value), deps, slack)).statusCode).toBe(200);
    }
    expect(addApproval).not.toHaveBeenCalled();
    expect(posted.map((m) => m.text)).toEqual(
      Array(2).fill('This message is from an earlier approval request for plan plan-abc, which is closed. Use the latest request.'),
    );
  });

  test('plain text in a reply stays escaped', () => {
    expect(ephemeral('Plan <@U0BOB0002> & <!here>').blocks[0]).toMatchObject({ text: { text: 'Plan &lt;@U0BOB0002&gt; &amp; &lt;!here&gt;' } });
    expect(mrkdwn`by ${mention(bob)} and ${mention(carol)}`.value).toBe('by <@U0BOB0002> and Carol &lt;!channel&gt; &amp; co');
  });
});

test('an emergency change is marked first in the request, and the change calendar and execution window are among its facts', () => {
  const urgent = review();
  urgent.emergency = { reason: 'payments down *now* <!channel>', requestedBy: 'oncall@example.com' };
  urgent.calendar = {
    open: false,
    reason: 'Change freeze year-end active until 2027-01-04 08:00 Europe/Berlin',
    checkedAt: '2026-12-24T10:00:00.000Z',
  };
  urgent.executeWindow = { notBefore: '2026-12-24T12:00:00Z', notAfter: '2026-12-24T14:00:00Z' };
  const message = approvalRequestMessage({
    review: urgent,
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1',
    pageUrl: 'https://x/a',
    expiresAt: new Date(),
    interactive: true,
  });
  const emergency = JSON.stringify(message.blocks[1]);
  expect(emergency).toContain(':rotating_light: *Emergency change* requested by oncall@example.com because: payments down ∗now∗ &lt;!channel&gt;');
  const facts = JSON.stringify(message.blocks.find((b) => b.type === 'section' && 'fields' in b));
  expect(facts).toContain('*Change calendar*\\nclosed when reviewed: Change freeze year-end active until 2027-01-04 08:00 Europe/Berlin');
  expect(facts).toContain('*Execution window*\\nnot before 2026-12-24 12:00 UTC');
  expect(
    JSON.stringify(
      approvalRequestMessage({
        review: review(),
        executionArn: 'arn:aws:states:us-east-1:1:execution:sm:r',
        pageUrl: 'https://x/a',
        expiresAt: new Date(),
        interactive: true,
      }).blocks,
    ),
  ).not.toMatch(/Emergency|Change calendar|Execution window/);
});
