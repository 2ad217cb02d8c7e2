import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import type { OutcomeDetail } from '../../lambdas/shared/contracts/events';
import {
  buildBundle,
  buildManifest,
  bundleKey,
  canonicalJson,
  dayOfKey,
  daysBetween,
  manifestKey,
  sha256Hex,
} from '../../lambdas/shared/domain/evidence';
import { review as reviewOf } from './fixtures';

const review = { ...reviewOf(), planId: 'plan-0000000000001' };

describe('canonical JSON', () => {
  test('sorts keys at every depth and leaves no whitespace, so equal values give equal bytes', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
    expect(canonicalJson({ b: 2, a: 1 })).toBe(canonicalJson({ a: 1, b: 2 }));
  });

  test('sorts by UTF-16 code units, as RFC 8785 does, and escapes strings as JSON', () => {
    expect(canonicalJson({ é: 1, z: 2, A: 3, '\u20ac': 4 })).toBe('{"A":3,"z":2,"é":1,"€":4}');
    expect(canonicalJson({ text: 'line\nquote" tab\t' })).toBe('{"text":"line\\nquote\\" tab\\t"}');
  });

  test('writes numbers in their shortest form and leaves undefined members out, as JSON.stringify does', () => {
    expect(canonicalJson({ n: 1e21, m: 0.1, k: -0, u: undefined, list: [undefined, 1] })).toBe('{"k":0,"list":[null,1],"m":0.1,"n":1e+21}');
  });

  test('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/no JSON form/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/no JSON form/);
  });

  test('round-trips: the canonical form of the parsed bytes is the bytes', () => {
    const text = canonicalJson({ z: [{ b: 'é', a: 1.5 }], a: { nested: { x: false } } });
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });
});

describe('keys', () => {
  test('a bundle is filed by the UTC day its run ended, then the run', () => {
    const key = bundleKey('2026-12-02T23:59:59.999Z', 'arn:aws:states:us-east-1:111122223333:execution:sm:run-42');
    expect(key).toBe('bundles/2026/12/02/run-42.json');
    expect(dayOfKey(key)).toBe('2026-12-02');
    expect(dayOfKey(manifestKey('2026-01-31'))).toBe('2026-01-31');
    expect(dayOfKey('bundles/2026/12/02/nested/x.json')).toBeUndefined();
    expect(daysBetween('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });
});

const detail: OutcomeDetail = {
  outcome: 'SUCCEEDED',
  reason: 'Record rec-1 SUCCEEDED.',
  planId: 'plan-0000000000001',
  recordErrors: [],
  recordId: 'rec-1',
  recordStatus: 'SUCCEEDED',
  idempotencyToken: 'token-1',
  executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1',
  durationsSeconds: { total: 90 },
  finishedAt: '2026-12-02T10:01:30.000Z',
};
const record = {
  pk: 'PLAN#plan-0000000000001',
  planId: 'plan-0000000000001',
  executionArn: detail.executionArn,
  status: 'APPROVED',
  taskToken: 'secret-task-token',
  requestedAt: '2026-12-02T10:00:00.000Z',
  expiresAt: 0,
  requestedBy: 'dave@example.com',
  approvers: [{ email: 'alice@example.com' }],
  review,
  approvals: [
    {
      approver: { email: 'alice@example.com' },
      channel: 'cli',
      principal: 'arn:aws:iam::111122223333:role/alice',
      decidedAt: '2026-12-02T10:00:30.000Z',
    },
  ],
  outcome: {
    outcome: 'SUCCEEDED',
    reason: 'Record rec-1 SUCCEEDED.',
    recordId: 'rec-1',
    idempotencyToken: 'token-1',
    finishedAt: '2026-12-02T10:01:00.000Z',
  },
} as unknown as ApprovalRecord;

describe('bundle', () => {
  test('holds the plan as reviewed, the request, each approval with its verified identity, the execution and the outcome', () => {
    const bundle = buildBundle({ detail, record, startedAt: '2026-12-02T09:59:00.000Z', producer: { closer: 'Notify' } });
    expect(bundle).toMatchObject({
      schema: 'plangate.evidence/v1',
      run: { executionArn: detail.executionArn, startedAt: '2026-12-02T09:59:00.000Z', endedAt: '2026-12-02T10:01:00.000Z' },
      plan: {
        planId: 'plan-0000000000001',
        changesDigestSha256: 'digest-of-reviewed-changes',
        changes: { risk: 'HIGH', changes: [{ action: 'REMOVE', resourceType: 'AWS::SNS::Topic' }, { action: 'ADD' }] },
      },
      policy: { requirements: { requiredApprovals: 2 } },
      request: { requestedBy: 'dave@example.com', requestedAt: '2026-12-02T10:00:00.000Z' },
      approvals: [{ approver: { email: 'alice@example.com' }, channel: 'cli', principal: 'arn:aws:iam::111122223333:role/alice' }],
      execution: { idempotencyToken: 'token-1', recordId: 'rec-1', recordStatus: 'SUCCEEDED' },
      outcome: { outcome: 'SUCCEEDED', reason: 'Record rec-1 SUCCEEDED.' },
    });
    expect(canonicalJson(bundle)).not.toContain('secret-task-token');
  });

  test('closing twice builds the same bytes: the times come from the record, not the clock', () => {
    const later = { ...detail, finishedAt: '2026-12-03T00:00:05.000Z' };
    const first = canonicalJson(buildBundle({ detail, record, producer: { closer: 'Notify' } }));
    expect(canonicalJson(buildBundle({ detail: later, record, producer: { closer: 'Notify' } }))).toBe(first);
    expect(bundleKey(buildBundle({ detail: later, record, producer: { closer: 'Notify' } }).run.endedAt, detail.executionArn)).toBe(
      'bundles/2026/12/02/run-1.json',
    );
  });

  test('a run that owns no record (refused before its request) still has its outcome and place', () => {
    const bundle = buildBundle({
      detail: { ...detail, outcome: 'DENIED', accountId: '111122223333', region: 'eu-west-1' },
      producer: { closer: 'Notify' },
    });
    expect(bundle).toMatchObject({ plan: { accountId: '111122223333', region: 'eu-west-1' }, approvals: [], outcome: { outcome: 'DENIED' } });
  });
});

describe('manifest', () => {
  test('lists the day sorted by key, and chains to the previous day by its hash', () => {
    const previous = canonicalJson(buildManifest('2026-12-01', [], undefined));
    const manifest = buildManifest(
      '2026-12-02',
      [
        { key: 'bundles/2026/12/02/b.json', sha256: 'b'.repeat(64) },
        { key: 'bundles/2026/12/02/a.json', sha256: 'a'.repeat(64) },
      ],
      { key: manifestKey('2026-12-01'), sha256: sha256Hex(previous) },
    );
    expect(manifest.bundles.map((b) => b.key)).toEqual(['bundles/2026/12/02/a.json', 'bundles/2026/12/02/b.json']);
    expect(manifest.previousManifest).toEqual({ key: 'manifests/2026/12/01.json', sha256: sha256Hex(previous) });
    expect(JSON.parse(previous).previousManifest).toBeNull();
  });
});
