import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { ApprovalStore } from '../../lambdas/shared/adapters/approval-store';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import type { HumanDecision } from '../../lambdas/shared/contracts/steps';
import { decisionNewsEmail, whoToTell } from '../../lambdas/shared/domain/decision-news';
import { type DecisionDeps, recordDecision } from '../../lambdas/shared/services/decision';
import { tellDecision } from '../../lambdas/shared/services/tell-decision';
import { historyTable, openRequest } from '../support/history-table';

/** When someone approves or rejects, the requester and the other approvers asked hear it: once per decision. */
const sns = mockClient(SNSClient);
const NOW = new Date('2026-12-01T10:00:00.000Z');
const alice = { email: 'alice@example.com', name: 'Alice' };
const bob = { email: 'bob@example.com', name: 'Bob' };
const carol = { email: 'Carol@Example.com', name: 'Carol' };
const approvers = [alice, bob, carol];
const request = (over: Partial<ApprovalRecord> = {}) =>
  openRequest('plan-a', '2026-12-01T09:00:00.000Z', { approvers, selfApprover: 'carol@example.com', expiresAt: 1_900_000_000, ...over });
const decision = (approver = alice, verdict: 'APPROVED' | 'REJECTED' = 'APPROVED'): HumanDecision => ({
  decision: verdict,
  approver,
  channel: 'web',
  comment: 'looks fine',
  requestedAt: '2026-12-01T09:00:00.000Z',
  decidedAt: NOW.toISOString(),
});

describe('who hears it, and what', () => {
  test('the other approvers asked and the requester (an approver), as configured, never the one who decided', () => {
    const record = { ...request(), pk: 'PLAN#plan-a' };
    expect(whoToTell(record, decision(alice), approvers)).toEqual([bob, carol]);
    // The requester rejecting their own request: the others hear it.
    expect(whoToTell(record, decision(carol, 'REJECTED'), approvers)).toEqual([alice, bob]);
  });

  test('the email names who decided what, the comment and where the request stands', () => {
    const record = { ...request({ approvals: [{ approver: alice, channel: 'web', decidedAt: NOW.toISOString() }] }), pk: 'PLAN#plan-a' };
    const counted = decisionNewsEmail(record, decision(), 'counted');
    expect(counted.subject).toBe('[PlanGate] Alice approved: orders-update (plan-a)');
    expect(counted.body).toContain('Alice <alice@example.com> approved plan orders-update (plan-a) (web, 2026-12-01T10:00:00.000Z).');
    expect(counted.body).toContain('Comment: looks fine');
    expect(counted.body).toContain('The request still waits for approvals: 1 of 2 approvals, by Alice.');
    expect(decisionNewsEmail(record, decision(bob, 'REJECTED'), 'decided').body).toContain('The request has ended: the plan will not be executed.');
  });
});

describe('sending', () => {
  let slack: Server;
  let slackPosts: string[];
  beforeAll(async () => {
    slack = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        slackPosts.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => slack.close(resolve)));
  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    slackPosts = [];
  });
  const deps = () => ({
    topicArn: 'arn:aws:sns:us-east-1:0:approvals',
    approvers,
    slackWebhookUrl: async () => `http://127.0.0.1:${(slack.address() as AddressInfo).port}/hook`,
  });

  test('one email per person, filtered to them by the approver attribute, and one line in the channel', async () => {
    await tellDecision(deps(), { ...request(), pk: 'PLAN#plan-a' }, decision(), 'counted');
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => p.MessageAttributes?.approver?.StringValue)).toEqual(['bob@example.com', 'Carol@Example.com']);
    expect(published.every((p) => p.TopicArn === 'arn:aws:sns:us-east-1:0:approvals')).toBe(true);
    expect(slackPosts).toHaveLength(1);
    expect(JSON.parse(slackPosts[0]!).text).toContain(':white_check_mark: Alice approved orders-update (plan-a) (web); 0 of 2 approvals');
  });

  test('a decision from a Slack click is not posted to the channel again (its message is updated already)', async () => {
    await tellDecision(deps(), { ...request(), pk: 'PLAN#plan-a' }, { ...decision(), channel: 'slack' }, 'decided');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
    expect(slackPosts).toEqual([]);
  });
});

describe('once per decision', () => {
  let local: Awaited<ReturnType<typeof historyTable>>;
  let store: ApprovalStore;
  let told: string[];
  let failTask: boolean;
  let deps: DecisionDeps;
  beforeAll(async () => {
    local = await historyTable();
  });
  afterAll(() => local.close());
  beforeEach(async () => {
    store = new ApprovalStore(local.documents, await local.create());
    told = [];
    failTask = false;
    deps = {
      store,
      now: () => NOW,
      verifiedGroups: async () => [],
      askOpenedStage: async () => {},
      completeTask: async () => {
        if (failTask) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      },
      tellDecision: async (_record, d, news) => {
        told.push(`${d.approver.name} ${d.decision} ${news}`);
      },
    };
  });
  const vote = async (d: HumanDecision) => recordDecision(deps, (await store.get('plan-a'))!, d);

  test('Alice approves a two-approval plan: told once; her retry tells nobody; Bob completes it: told once', async () => {
    await store.claim(request());
    expect((await vote(decision(alice))).result).toBe('counted');
    expect((await vote(decision(alice))).result).toBe('already-counted');
    expect(told).toEqual(['Alice APPROVED counted']);
    expect((await vote(decision(bob))).result).toBe('decided');
    expect(told).toEqual(['Alice APPROVED counted', 'Bob APPROVED decided']);
  });

  test('a rejection whose task could not be completed tells nobody; made again, it tells once', async () => {
    await store.claim(request());
    failTask = true;
    expect((await vote(decision(bob, 'REJECTED'))).result).toBe('try-again');
    expect(told).toEqual([]);
    failTask = false;
    expect((await vote(decision(bob, 'REJECTED'))).result).toBe('decided');
    expect((await vote(decision(bob, 'REJECTED'))).result).toBe('already-decided');
    expect(told).toEqual(['Bob REJECTED decided']);
  });

  test('a failure to tell never undoes the decision', async () => {
    await store.claim(request());
    deps.tellDecision = async () => {
      throw new Error('SNS is down');
    };
    expect((await vote(decision(bob, 'REJECTED'))).result).toBe('decided');
    expect((await store.get('plan-a'))?.status).toBe('REJECTED');
  });
});
