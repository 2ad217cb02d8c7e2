import { createHash } from 'node:crypto';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import { encodeEnvironment } from '../../lambdas/shared/contracts/environment';
import { toApiGatewayEvent } from '../../local/api-gateway';
import { review } from './fixtures';

/* The approval API with plangate:requireSignIn: links need their addressee signed in (issue 25). */

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const LINK = 'B'.repeat(43);
const path = `/approvals/${LINK}`;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const BASE = 'https://api.example.com/prod/';
const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc';
const sessionId = (who: string) => who.padEnd(43, 'S');
const SESSIONS: Record<string, { email: string; subject: string; signedOutAt?: string }> = {
  [sessionId('bob')]: { email: 'bob@example.com', subject: 'sub-bob' },
  [sessionId('alice')]: { email: 'alice@example.com', subject: 'sub-alice' },
  [sessionId('gone')]: { email: 'bob@example.com', subject: 'sub-bob', signedOutAt: '2026-11-22T10:00:00.000Z' },
};

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
  requiredApprovals: 1,
  approvers: [
    { email: 'alice@example.com', name: 'Alice' },
    { email: 'bob@example.com', name: 'Bob' },
  ],
  review: review(),
});

let handler: typeof import('../../lambdas/approval-api/handler').handler;
/** GET / is the Inbox function's, with the same sessions. */
let inbox: typeof import('../../lambdas/inbox/handler').handler;
beforeAll(async () => {
  Object.assign(
    process.env,
    encodeEnvironment({
      TABLE_NAME: 'approvals',
      APPROVERS: pending().approvers,
      APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:approvals',
      SIGN_IN_MODE: 'required',
      APPROVAL_BASE_URL: BASE,
    }),
  );
  ({ handler } = await import('../../lambdas/approval-api/handler'));
  ({ handler: inbox } = await import('../../lambdas/inbox/handler'));
});
afterAll(() => {
  delete process.env.SIGN_IN_MODE;
  delete process.env.APPROVAL_BASE_URL;
});

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  plan = pending();
  ddb.on(GetCommand).callsFake(async ({ Key }) => {
    if (Key.pk === `LINK#${sha(LINK)}`) {
      return {
        Item: { pk: Key.pk, planId: 'plan-abc', executionArn: 'arn:run-1', approver: { email: 'bob@example.com', name: 'Bob' }, createdAt: '2026' },
      };
    }
    if (Key.pk === 'PLAN#plan-abc') return { Item: plan };
    const session = Object.entries(SESSIONS).find(([id]) => Key.pk === `SESSION#${sha(id)}`)?.[1];
    if (session) {
      const csrfToken = `csrf-${session.subject}`;
      return { Item: { pk: Key.pk, issuer: ISSUER, csrfToken, createdAt: '2026', sessionTtl: Math.floor(Date.now() / 1000) + 600, ...session } };
    }
    return {};
  });
  ddb.on(UpdateCommand).callsFake(async (input) => {
    const values = input.ExpressionAttributeValues ?? {};
    if (input.ReturnValues === 'ALL_OLD') return { Attributes: plan };
    return input.ReturnValues === 'ALL_NEW' ? { Attributes: { ...plan, approvals: values[':approval'], approverEmails: values[':email'] } } : {};
  });
  sfn.on(SendTaskSuccessCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
});

const call = async (method: string, p: string, options: { session?: string; body?: string } = {}) =>
  (await (p === '/' ? inbox : handler)(
    toApiGatewayEvent({
      method,
      path: p,
      body: options.body,
      headers: {
        ...(options.session ? { Cookie: `other=1; plangate_session=${options.session}` } : {}),
        ...(options.body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      },
    }),
    {} as Context,
  )) as APIGatewayProxyResult;
const decided = () => ddb.commandCalls(UpdateCommand).find((c) => c.args[0].input.UpdateExpression?.includes('decision = :decision'));

describe('with plangate:requireSignIn', () => {
  test('a link opened signed out leads to the sign-in, coming back to the link', async () => {
    const res = await call('GET', path);
    expect(res.statusCode).toBe(303);
    expect(res.headers?.Location).toBe(`${BASE}auth/sign-in?next=%2Fapprovals%2F${LINK}`);
    expect(res.body).not.toContain('orders-update');
  });

  test('a signed-out session is no session', async () => {
    expect((await call('GET', path, { session: sessionId('gone') })).statusCode).toBe(303);
  });

  test('signed in, the page says who, offers sign-out, and its form carries the CSRF token', async () => {
    const res = await call('GET', path, { session: sessionId('bob') });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Signed in as <strong>bob@example.com</strong>');
    expect(res.body).toContain(`action="${BASE}auth/sign-out"`);
    expect(res.body.match(/<input type="hidden" name="csrf" value="csrf-sub-bob">/g)).toHaveLength(2);
  });

  test('the addressee signed in decides, and the record keeps their verified identity', async () => {
    const res = await call('POST', path, { session: sessionId('bob'), body: 'decision=approve&csrf=csrf-sub-bob' });
    expect(res.statusCode).toBe(200);
    const decision = decided()!.args[0].input.ExpressionAttributeValues?.[':decision'];
    expect(decision).toMatchObject({ approver: { email: 'bob@example.com' }, signedIn: { issuer: ISSUER, subject: 'sub-bob' } });
    // The run's state does not carry it (the record does).
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!);
    expect(output.signedIn).toBeUndefined();
  });

  test('someone else signed in cannot decide on the link: a readable refusal, nothing recorded', async () => {
    const res = await call('POST', path, { session: sessionId('alice'), body: 'decision=approve&csrf=csrf-sub-alice' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This link was sent to bob@example.com; you are signed in as alice@example.com.');
    expect(decided()).toBeUndefined();
  });

  test('someone else signed in opening the link is told whose it is, with no buttons', async () => {
    const res = await call('GET', path, { session: sessionId('alice') });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This link was sent to bob@example.com; you are signed in as alice@example.com.');
    expect(res.body).not.toContain('value="approve"');
  });

  test('a decision without the CSRF token, or with another session’s, is refused', async () => {
    for (const body of ['decision=approve', 'decision=approve&csrf=csrf-sub-alice']) {
      const res = await call('POST', path, { session: sessionId('bob'), body });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('security token is missing or old');
    }
    expect(decided()).toBeUndefined();
  });

  test('a decision posted signed out is refused', async () => {
    const res = await call('POST', path, { body: 'decision=reject' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Sign in first');
    expect(decided()).toBeUndefined();
  });

  test('with approval groups, a member of a required group may decide as themself on a request’s link', async () => {
    plan = { ...pending(), groupMembers: { platform: ['alice@example.com'] } };
    const res = await call('POST', path, { session: sessionId('alice'), body: 'decision=reject&csrf=csrf-sub-alice' });
    expect(res.statusCode).toBe(200);
    const decision = decided()!.args[0].input.ExpressionAttributeValues?.[':decision'];
    expect(decision).toMatchObject({ approver: { email: 'alice@example.com' }, signedIn: { subject: 'sub-alice' } });
  });
});

describe('GET / (the Inbox function)', () => {
  test('signed out, it leads to the sign-in', async () => {
    const res = await call('GET', '/');
    expect(res.statusCode).toBe(303);
    expect(res.headers?.Location).toBe(`${BASE}auth/sign-in?next=%2F`);
  });

  test('signed in, it shows who and the sign-out, with every page’s security headers', async () => {
    const res = await call('GET', '/', { session: sessionId('alice') });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Signed in as <strong>alice@example.com</strong>');
    expect(res.body).toContain('Nothing is waiting for your approval.');
    expect(res.body).toContain('<button type="submit">Sign out</button>');
    expect(res.headers).toMatchObject({ 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' });
  });
});
