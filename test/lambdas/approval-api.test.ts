import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient, SFNServiceException, TaskTimedOut } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import { encodeEnvironment } from '../../lambdas/shared/contracts/environment';
import { toApiGatewayEvent } from '../../local/api-gateway';
import { review } from './fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
// A decision is told to the other approvers by email (services/tell-decision.ts).
const sns = mockClient(SNSClient);
const LINK = 'A'.repeat(43);
const path = `/approvals/${LINK}`;
const linkKey = `LINK#${createHash('sha256').update(LINK).digest('hex')}`;

let plan: Partial<ApprovalRecord>;
const pending = (): Partial<ApprovalRecord> => ({
  pk: 'PLAN#plan-abc',
  planId: 'plan-abc',
  executionArn: 'arn:run-1',
  status: 'PENDING',
  taskToken: 'SECRET-TASK-TOKEN',
  requestedAt: '2026-11-22T10:00:00.000Z',
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
  requestedBy: 'dev@example.com',
  approvers: [
    { email: 'alice@example.com', name: 'Alice' },
    { email: 'bob@example.com', name: 'Bob' },
  ],
  review: review(),
});

let handler: typeof import('../../lambdas/approval-api/handler').handler;
beforeAll(async () => {
  // The deployed handler reads its environment once, at start-up.
  Object.assign(
    process.env,
    encodeEnvironment({ TABLE_NAME: 'approvals', APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:0:approvals', APPROVERS: pending().approvers }),
  );
  ({ handler } = await import('../../lambdas/approval-api/handler'));
});

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  plan = pending();
  ddb.on(GetCommand).callsFake(async ({ Key }) => {
    if (Key.pk === linkKey)
      return {
        Item: { pk: linkKey, planId: 'plan-abc', approver: { email: 'bob@example.com', name: 'Bob' }, createdAt: '2026-11-22T10:00:00.000Z' },
      };
    if (Key.pk === 'PLAN#plan-abc') return { Item: plan };
    return {};
  });
  ddb
    .on(UpdateCommand)
    .callsFake(async (input) =>
      input.ReturnValues === 'ALL_OLD'
        ? { Attributes: plan }
        : input.ReturnValues === 'ALL_NEW'
          ? { Attributes: { ...plan, approvals: input.ExpressionAttributeValues?.[':approval'] } }
          : {},
    );
  sfn.on(SendTaskSuccessCommand).resolves({});
});

const call = async (method: string, p: string, body?: string, contentType = 'application/x-www-form-urlencoded') =>
  (await handler(
    toApiGatewayEvent({ method, path: p, body, headers: body === undefined ? {} : { 'Content-Type': contentType } }),
    {} as Context,
  )) as APIGatewayProxyResult;
const decisionUpdates = () => ddb.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression?.includes('decision = :decision'));
const section = (body: string, id: string) => new RegExp(`<[^>]+id="${id}"[^>]*>([\\s\\S]*?)</(ul|td|p)>`).exec(body)?.[1] ?? '';
/** What a reader sees: tags dropped, entities decoded. */
const text = (markup: string) =>
  markup
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

describe('GET', () => {
  test('shows the plan, removals first, with Approve and Reject buttons, and changes nothing', async () => {
    const res = await call('GET', path);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Approve plan <bdi>orders-update (plan-abc)</bdi>?');
    expect(res.body).toContain('You are deciding as <strong>Bob &lt;bob@example.com&gt;</strong>');
    expect(res.body.indexOf('OldTopic')).toBeLessThan(res.body.indexOf('Queue'));
    expect(res.body).toMatch(/<button class="approve" type="submit" name="decision" value="approve">/);
    expect(res.body).not.toContain('SECRET-TASK-TOKEN');
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  test('sends headers that keep the link out of caches, referrers and frames', async () => {
    const res = await call('GET', path);
    expect(res.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': expect.stringContaining("default-src 'none'"),
    });
  });

  test('escapes everything that comes from the plan', async () => {
    const hostile = review();
    hostile.plan!.planName = '<script>alert(1)</script>';
    hostile.summary!.changes[0]!.logicalResourceId = '<img src=x onerror=alert(2)>';
    hostile.requestedBy = '"><b>me</b>';
    plan = { ...pending(), review: hostile, requestedBy: hostile.requestedBy };
    const res = await call('GET', path);
    expect(res.body).not.toMatch(/<script>|<img|<b>me/);
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(res.body).toContain('&quot;&gt;&lt;b&gt;me&lt;/b&gt;');
  });

  test('a bidi override or invisible character in the plan’s name is removed, and the name is isolated from the text around it', async () => {
    const hostile = review();
    hostile.plan!.planName = 'orders\u202E\u2066 devorppa \u00ad\u034f\u180e\u{E0041}\u{E0042}\u05D0';
    plan = { ...pending(), review: hostile, requestedBy: 'dev\u202e@example.com' };
    const { body } = await call('GET', path);
    // biome-ignore lint/suspicious/noMisleadingCharacterClass: single code points, each meant alone
    expect(body).not.toMatch(/[\u00ad\u034f\u180e\u202a-\u202e\u2066-\u2069]|\u{E0041}/u);
    expect(body).toContain('<h1>Approve plan <bdi>orders devorppa \u05D0 (plan-abc)</bdi>?</h1>');
    expect(body).toContain(`<th>Requested by</th><td><bdi>dev@example.com</bdi> <span class="muted">(as the run's input says)</span></td>`);
  });

  test('shows who decided, when the approval is already decided', async () => {
    plan = {
      ...pending(),
      status: 'APPROVED',
      decision: {
        decision: 'APPROVED',
        approver: { email: 'alice@example.com' },
        channel: 'web',
        requestedAt: '',
        decidedAt: '2026-11-22T10:05:00.000Z',
      },
    };
    const res = await call('GET', path);
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /was <strong>approved<\/strong> by alice@example.com <time datetime="2026-11-22T10:05:00.000Z" title="2026-11-22 10:05 UTC">[^<]+ ago<\/time>/,
    );
    expect(res.body).not.toContain('<form');
  });

  test('says the request expired once its time is up', async () => {
    plan = { ...pending(), expiresAt: Math.floor(Date.now() / 1000) - 1 };
    const res = await call('GET', path);
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('This approval request has expired');
  });
});

describe('links that do not work', () => {
  test.each([
    ['an unknown link', `/approvals/${'B'.repeat(43)}`],
    ['a tampered (shortened) link', `/approvals/${LINK.slice(1)}`],
    ['a link with junk in it', `/approvals/${'%'.repeat(43)}`],
    ['a path that is no link', '/somewhere/else'],
  ])('%s gets a readable 404', async (_, p) => {
    const res = await call('GET', p);
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('This approval link is not valid');
  });

  test('a wrong method gets 405 with the methods allowed', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await call(method, path);
      expect(res.statusCode).toBe(405);
      expect(res.headers?.Allow).toBe('GET, POST');
    }
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
  });
});

describe('POST', () => {
  test('records the decision once, completes the task, then forgets the token', async () => {
    const res = await call('POST', path, 'decision=approve&comment=%20looks%20good%20');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('was <strong>approved</strong> by Bob &lt;bob@example.com&gt;');
    expect(decisionUpdates()[0]!.args[0].input).toMatchObject({
      Key: { pk: 'PLAN#plan-abc' },
      ConditionExpression: 'executionArn = :executionArn AND #status = :pending AND expiresAt > :now AND attribute_not_exists(outcome)',
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'APPROVED' }),
    });
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input;
    expect(sent.taskToken).toBe('SECRET-TASK-TOKEN');
    expect(JSON.parse(sent.output!)).toMatchObject({
      decision: 'APPROVED',
      approver: { email: 'bob@example.com', name: 'Bob' },
      comment: 'looks good',
      channel: 'web',
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE taskToken' });
  });

  test('accepts the same fields as JSON', async () => {
    const res = await call('POST', path, JSON.stringify({ decision: 'reject', comment: 'too risky' }), 'application/json; charset=utf-8');
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!)).toMatchObject({
      decision: 'REJECTED',
      comment: 'too risky',
    });
  });

  test.each([
    ['no decision', 'comment=hi', 'application/x-www-form-urlencoded', 400, 'The decision must be &quot;approve&quot; or &quot;reject&quot;.'],
    ['an unknown decision', 'decision=maybe', 'application/x-www-form-urlencoded', 400, 'The decision must be'],
    ['malformed JSON', '{"decision":', 'application/json', 400, 'The request body is not a JSON object.'],
    ['a JSON array', '["approve"]', 'application/json', 400, 'not a JSON object'],
    ['a comment that is not text', '{"decision":"approve","comment":5}', 'application/json', 400, 'The comment must be text.'],
    [
      'a JSON key given twice',
      '{"decision":"reject","decision":"approve"}',
      'application/json',
      400,
      'The key &quot;decision&quot; is given more than once.',
    ],
    [
      'a JSON key given twice, once escaped',
      '{"comment":"a","decision":"approve","comm\\u0065nt":"b"}',
      'application/json',
      400,
      'The key &quot;comment&quot; is given',
    ],
    ['a comment over 1000 characters', `decision=approve&comment=${'x'.repeat(1001)}`, 'application/x-www-form-urlencoded', 400, 'longer than 1000'],
    ['an unsupported content type', 'decision=approve', 'text/plain', 415, 'application/x-www-form-urlencoded or application/json'],
    ['a body over 10 kB', `decision=approve&comment=${'x'.repeat(10_001)}`, 'application/x-www-form-urlencoded', 413, 'larger than 10000 bytes'],
  ])('refuses %s with a readable page and decides nothing', async (_, body, type, status, message) => {
    const res = await call('POST', path, body, type);
    expect(res.statusCode).toBe(status);
    expect(res.body).toContain(message);
    expect(decisionUpdates()).toHaveLength(0);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  test('a late click on a decided approval gets 409 saying who decided', async () => {
    plan = {
      ...pending(),
      status: 'REJECTED',
      decision: {
        decision: 'REJECTED',
        approver: { email: 'carol@example.com', name: 'Carol' },
        comment: 'no',
        channel: 'web',
        requestedAt: '',
        decidedAt: '2026-11-22T10:05:00.000Z',
      },
    };
    const res = await call('POST', path, 'decision=approve');
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('was <strong>rejected</strong> by Carol &lt;carol@example.com&gt; <time datetime="2026-11-22T10:05:00.000Z"');
    expect(res.body).toContain('Comment: “<bdi>no</bdi>”');
    expect(decisionUpdates()).toHaveLength(0);
  });

  test('losing the race to another click gets 409 with the winner', async () => {
    const winner = {
      ...pending(),
      status: 'APPROVED' as const,
      decision: {
        decision: 'APPROVED' as const,
        approver: { email: 'alice@example.com' },
        channel: 'web' as const,
        requestedAt: '',
        decidedAt: 'then',
      },
    };
    ddb.on(UpdateCommand).callsFake(async () => {
      plan = winner;
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    });
    const res = await call('POST', path, 'decision=reject');
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('approved</strong> by alice@example.com');
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  test('an expired request gets 410 and decides nothing', async () => {
    plan = { ...pending(), expiresAt: Math.floor(Date.now() / 1000) - 1 };
    expect((await call('POST', path, 'decision=approve')).statusCode).toBe(410);
    expect(decisionUpdates()).toHaveLength(0);
  });

  const timedOut = () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} });
  const undo = {
    UpdateExpression: 'SET #status = :pending REMOVE decision',
    ConditionExpression:
      'executionArn = :executionArn AND decision.decidedAt = :decidedAt AND #status IN (:approved, :rejected) AND attribute_not_exists(outcome)',
  };

  test('a task that timed out at expiry gets 410, and the decision is taken back', async () => {
    sfn.on(SendTaskSuccessCommand).callsFake(async () => {
      plan = { ...plan, status: 'EXPIRED' }; // ExpireApproval closed the record meanwhile
      throw timedOut();
    });
    const res = await call('POST', path, 'decision=approve');
    expect(res.statusCode).toBe(410);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, undo);
  });

  test('a task that timed out at the reminder hands the decision to the run’s next task', async () => {
    sfn.on(SendTaskSuccessCommand).callsFake(async ({ taskToken }) => {
      if (taskToken === 'SECOND-TASK-TOKEN') return {};
      plan = { ...plan, taskToken: 'SECOND-TASK-TOKEN' }; // the reminder task re-armed the approval meanwhile
      throw timedOut();
    });
    const res = await call('POST', path, 'decision=approve');
    expect(res.statusCode).toBe(200);
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input.taskToken)).toEqual(['SECRET-TASK-TOKEN', 'SECOND-TASK-TOKEN']);
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[1]!.args[0].input.output!)).toMatchObject({
      decision: 'APPROVED',
      approver: { email: 'bob@example.com' },
    });
  });

  test('a task that ended with neither a newer task nor expiry asks to try again, and records nothing', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(timedOut());
    const res = await call('POST', path, 'decision=reject');
    expect(res.statusCode).toBe(503);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, undo);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  test('a passing Step Functions failure takes the decision back and asks to try again', async () => {
    sfn
      .on(SendTaskSuccessCommand)
      .rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: {} }));
    const res = await call('POST', path, 'decision=approve');
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['Retry-After']).toBe('5');
    expect(res.body).toContain('was not recorded');
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, undo);
  });
});

test('an unexpected failure gets a readable 500 page, not a bare gateway error', async () => {
  ddb.on(GetCommand).rejects(new Error('socket hang up'));
  const res = await call('GET', path);
  expect(res.statusCode).toBe(500);
  expect(res.body).toContain('Nothing was recorded. Please try again in a minute.');
  expect(res.body).not.toContain('socket hang up');
});

test('a decision that was delivered stands even if removing the token afterwards fails', async () => {
  ddb.on(UpdateCommand).callsFake(async (input) => {
    if (input.UpdateExpression === 'REMOVE taskToken') throw new Error('throttled');
    return input.ReturnValues === 'ALL_OLD'
      ? { Attributes: plan }
      : input.ReturnValues === 'ALL_NEW'
        ? { Attributes: { ...plan, approvals: input.ExpressionAttributeValues?.[':approval'] } }
        : {};
  });
  const res = await call('POST', path, 'decision=approve');
  expect(res.statusCode).toBe(200);
  expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
});

describe('quorum', () => {
  test('an approval short of the quorum is counted, shown as progress, and completes nothing', async () => {
    plan = { ...pending(), requiredApprovals: 2 };
    const res = await call('POST', path, 'decision=approve');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('1 of 2 approvals, by Bob');
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: expect.stringContaining(
        'AND NOT contains(approverEmails, :emailValue) AND (attribute_not_exists(creator.approverEmail) OR creator.approverEmail <> :emailValue)',
      ),
    });
    expect(decisionUpdates()).toHaveLength(0);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  test('the requester cannot approve: no Approve button, and a POST is refused', async () => {
    plan = { ...pending(), selfApprover: 'bob@example.com' };
    const view = await call('GET', path);
    expect(view.body).toContain('You asked for this change or created the plan, so you cannot approve it');
    expect(view.body).not.toContain('value="approve"');
    expect((await call('POST', path, 'decision=approve')).statusCode).toBe(403);
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
    // Rejecting their own request stays possible.
    expect((await call('POST', path, 'decision=reject')).statusCode).toBe(200);
  });
});

describe('what the page tells an approver', () => {
  const HOUR = 3600;
  const withDetails = () => {
    const r = review();
    r.summary!.changes.splice(1, 0, {
      action: 'MODIFY',
      logicalResourceId: 'OrdersDb',
      resourceType: 'AWS::RDS::DBInstance',
      replacement: 'TRUE',
      risk: 'HIGH',
      reason: 'replaces AWS::RDS::DBInstance (the existing resource is deleted)',
      details: [
        { attribute: 'PROPERTIES', name: 'DBName', requiresRecreation: 'ALWAYS', evaluation: 'STATIC' },
        {
          attribute: 'PROPERTIES',
          name: 'AllocatedStorage',
          requiresRecreation: 'CONDITIONALLY',
          evaluation: 'DYNAMIC',
          causingEntity: 'StorageParam',
        },
        { attribute: 'PROPERTIES', name: 'Tags<i>', requiresRecreation: 'NEVER', evaluation: 'STATIC', causingEntity: '<script>x</script>' },
      ],
      detailsUnlisted: 4,
    });
    return r;
  };

  test('lists each change’s property details under it, re-creating ones highlighted, escaped, with "+N more"', async () => {
    plan = { ...pending(), review: withDetails() };
    const { body } = await call('GET', path);
    const group = /<tbody><tr class="risk-high">(?:(?!<\/tbody>)[\s\S])*?OrdersDb[\s\S]*?<\/tbody>/.exec(body)![0];
    expect(text(group)).toContain('property DBName: requires recreation: ALWAYS, evaluation: STATIC, caused by: a direct template edit');
    expect(text(group)).toContain(
      'property AllocatedStorage: requires recreation: CONDITIONALLY, evaluation: DYNAMIC (value known only at execution), caused by: StorageParam',
    );
    expect(group.match(/<li class="recreate">/g)).toHaveLength(2);
    expect(group).toContain(
      '<li><code>property Tags&lt;i&gt;</code>: requires recreation: NEVER, evaluation: STATIC, caused by: &lt;script&gt;x&lt;/script&gt;</li>',
    );
    expect(text(group)).toContain('+4 more');
    // The details sit under their own change, not under the next one.
    expect(body.indexOf('DBName')).toBeGreaterThan(body.indexOf('OrdersDb'));
    expect(body.indexOf('DBName')).toBeLessThan(body.indexOf('>Queue<'));
  });

  test('shows the account and region from the run’s ARN, and times relative to now with the UTC time on hover', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 23 * HOUR + 30 * 60;
    const requestedAt = new Date(Date.now() - 5 * 60_000 - 10_000).toISOString();
    plan = { ...pending(), executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Workflow:run-1', expiresAt, requestedAt };
    const { body } = await call('GET', path);
    expect(text(section(body, 'where'))).toBe('account 111122223333, region eu-west-1');
    const expires = new Date(expiresAt * 1000);
    expect(section(body, 'expires')).toContain(
      `<time datetime="${expires.toISOString()}" title="${expires.toISOString().slice(0, 16).replace('T', ' ')} UTC">in 23 h</time>`,
    );
    expect(section(body, 'requested')).toMatch(/<time datetime="[^"]+" title="[^"]+ UTC">5 min ago<\/time>/);
  });

  test('says what approving does: one more approval needed, or yours is the last', async () => {
    plan = {
      ...pending(),
      requiredApprovals: 3,
      approvals: [{ approver: { email: 'alice@example.com', name: 'Alice' }, channel: 'web', decidedAt: new Date().toISOString() }],
      approverEmails: ['alice@example.com'],
    };
    expect(text(section((await call('GET', path)).body, 'next'))).toContain(
      'If you approve, yours is approval 2 of 3: one more approval is needed from other approvers before the plan runs.',
    );
    plan = { ...plan, requiredApprovals: 2 };
    const last = text(section((await call('GET', path)).body, 'next'));
    expect(last).toContain('Yours is the last approval needed: if you approve, the plan runs right away.');
    expect(last).toContain('If you reject, the request ends at once: the plan is not executed');
  });

  test('the requester is told only what rejecting does', async () => {
    plan = { ...pending(), selfApprover: 'bob@example.com' };
    const next = text(section((await call('GET', path)).body, 'next'));
    expect(next).not.toContain('approve,');
    expect(next).toContain('If you reject');
  });

  test('shows earlier approvals with their comments, escaped', async () => {
    const approval = {
      approver: { email: 'alice@example.com', name: 'Alice' },
      channel: 'slack' as const,
      decidedAt: new Date(Date.now() - 2 * HOUR * 1000).toISOString(),
      comment: 'ok <img src=x onerror=alert(1)>',
    };
    plan = { ...pending(), approvals: [approval], approverEmails: ['alice@example.com'] };
    const { body } = await call('GET', path);
    expect(body).not.toContain('<img');
    expect(text(section(body, 'approvals'))).toBe('Alice <alice@example.com> approved 2 h ago (slack): “ok <img src=x onerror=alert(1)>”');
    expect(section(body, 'approvals')).toContain('“<bdi>ok &lt;img src=x onerror=alert(1)&gt;</bdi>”');
  });

  test('after the last approval: the plan is running; after a rejection: it will not run', async () => {
    const approved = await call('POST', path, 'decision=approve');
    expect(text(section(approved.body, 'final'))).toMatch(/^Approved: the plan is running\. PlanGate is executing it now/);
    plan = pending();
    const rejected = await call('POST', path, 'decision=reject');
    expect(text(section(rejected.body, 'final'))).toMatch(
      /^Rejected: the plan will not run\. The plan will not be executed: PlanGate never runs a rejected plan\./,
    );
  });

  test('once the run has ended, the link shows how it ended', async () => {
    const decision = {
      decision: 'APPROVED' as const,
      approver: { email: 'bob@example.com', name: 'Bob' },
      channel: 'web' as const,
      requestedAt: '',
      decidedAt: new Date().toISOString(),
    };
    plan = {
      ...pending(),
      status: 'APPROVED',
      decision,
      outcome: { outcome: 'SUCCEEDED', reason: 'Record rec-1 SUCCEEDED.', finishedAt: new Date().toISOString() },
    };
    const res = await call('GET', path);
    expect(res.statusCode).toBe(200);
    expect(text(section(res.body, 'final'))).toBe('How it ended: SUCCEEDED. Record rec-1 SUCCEEDED.');
    // A decided request no longer expires.
    expect(res.body).not.toContain('id="expires"');
  });
});

describe('a request closed while a decision is made', () => {
  test('the last approval, counted just before a release closed the request, is reported as on record but without effect', async () => {
    const closedWithBob = (): Partial<ApprovalRecord> => ({
      ...pending(),
      status: 'CLOSED',
      requiredApprovals: 1,
      approvals: [{ approver: { email: 'bob@example.com', name: 'Bob' }, channel: 'web', decidedAt: new Date().toISOString() }],
      outcome: { outcome: 'RELEASED', reason: 'Released by arn:aws:iam::1:user/operator', finishedAt: new Date().toISOString() },
    });
    // The approval is counted; the release closes the record before the decision is written.
    ddb.on(UpdateCommand).callsFake(async (input) => {
      if (input.ReturnValues === 'ALL_NEW') {
        const counted = { ...plan, requiredApprovals: 1, approvals: input.ExpressionAttributeValues?.[':approval'] };
        plan = closedWithBob();
        return { Attributes: counted };
      }
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    });
    const res = await call('POST', path, 'decision=approve');
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('This approval request was closed');
    expect(text(section(res.body, 'counted-before-closing'))).toMatch(
      /^Your approval of .* UTC is on record, but the request closed before it was complete, so it did not take effect: nothing was executed\.$/,
    );
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  test('a decision never lands on another run’s request: every decision write names the run it was read for', async () => {
    await call('POST', path, 'decision=reject');
    for (const update of ddb.commandCalls(UpdateCommand)) {
      expect(update.args[0].input.ConditionExpression).toMatch(/^executionArn = :executionArn( AND |$)/);
      expect(update.args[0].input.ExpressionAttributeValues?.[':executionArn']).toBe('arn:run-1');
    }
    expect(ddb.commandCalls(UpdateCommand).length).toBeGreaterThan(0);
  });
});
