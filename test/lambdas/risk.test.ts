import type { ResourceChange } from '@aws-sdk/client-service-catalog';
import fc from 'fast-check';
import { summarizeChanges } from '../../lambdas/shared/domain/plan-summary';
import { changesDigest, classifyChange, DEFAULT_SENSITIVE_RESOURCE_TYPES, planRisk, riskRank } from '../../lambdas/shared/domain/risk';

const change = (over: Partial<ResourceChange>): ResourceChange => ({
  Action: 'MODIFY',
  LogicalResourceId: 'R',
  ResourceType: 'AWS::SQS::Queue',
  ...over,
});

describe('classifying a change', () => {
  test.each<[string, Partial<ResourceChange>, string, string | undefined]>([
    ['a removal', { Action: 'REMOVE' }, 'HIGH', 'removes AWS::SQS::Queue'],
    ['a replacement', { Replacement: 'TRUE' }, 'HIGH', 'replaces AWS::SQS::Queue (the existing resource is deleted)'],
    [
      'a change to a database',
      { ResourceType: 'AWS::RDS::DBInstance', Replacement: 'FALSE' },
      'HIGH',
      'changes AWS::RDS::DBInstance, a sensitive resource type (AWS::RDS::*)',
    ],
    ['a new IAM role', { Action: 'ADD', ResourceType: 'AWS::IAM::Role' }, 'HIGH', 'adds AWS::IAM::Role, a sensitive resource type (AWS::IAM::*)'],
    [
      'a conditional replacement',
      { Replacement: 'CONDITIONAL' },
      'MEDIUM',
      'may replace AWS::SQS::Queue, depending on values known only at execution',
    ],
    ['a dynamic value', { Details: [{ Evaluation: 'DYNAMIC' }] }, 'MEDIUM', 'has values known only at execution (DYNAMIC)'],
    ['a static property change', { Replacement: 'FALSE', Details: [{ Evaluation: 'STATIC' }] }, 'LOW', undefined],
    ['an addition', { Action: 'ADD' }, 'LOW', undefined],
  ])('%s', (_, over, level, reason) => {
    expect(classifyChange(change(over))).toEqual({ level, reason });
  });

  test('the default sensitive list covers databases, storage, keys and identity', () => {
    for (const type of [
      'AWS::RDS::DBCluster',
      'AWS::DynamoDB::Table',
      'AWS::S3::Bucket',
      'AWS::EFS::FileSystem',
      'AWS::KMS::Key',
      'AWS::IAM::Policy',
    ]) {
      expect(classifyChange(change({ ResourceType: type })).level).toBe('HIGH');
    }
    expect(DEFAULT_SENSITIVE_RESOURCE_TYPES).toContain('AWS::DynamoDB::*');
  });

  test('a configured list replaces the default one', () => {
    expect(classifyChange(change({ ResourceType: 'AWS::SQS::Queue' }), ['AWS::SQS::Queue']).level).toBe('HIGH');
    expect(classifyChange(change({ ResourceType: 'AWS::S3::Bucket' }), ['AWS::SQS::Queue']).level).toBe('LOW');
  });
});

const arbitraryChange: fc.Arbitrary<ResourceChange> = fc.record({
  Action: fc.constantFrom('ADD', 'MODIFY', 'REMOVE'),
  LogicalResourceId: fc.string({ minLength: 1, maxLength: 12 }),
  ResourceType: fc.constantFrom('AWS::SQS::Queue', 'AWS::S3::Bucket', 'AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::SNS::Topic'),
  Replacement: fc.option(fc.constantFrom('TRUE', 'FALSE', 'CONDITIONAL'), { nil: undefined }),
  Details: fc.array(fc.record({ Evaluation: fc.constantFrom('STATIC', 'DYNAMIC') }), { maxLength: 2 }),
}) as fc.Arbitrary<ResourceChange>;

describe('properties', () => {
  test('every removal and every replacement is HIGH, and every non-LOW change says why', () => {
    fc.assert(
      fc.property(arbitraryChange, (c) => {
        const risk = classifyChange(c);
        if (c.Action === 'REMOVE' || c.Replacement === 'TRUE') expect(risk.level).toBe('HIGH');
        expect(risk.level === 'LOW').toBe(risk.reason === undefined);
      }),
    );
  });

  test('the plan is as risky as its riskiest change, and the summary lists changes riskiest first', () => {
    fc.assert(
      fc.property(fc.array(arbitraryChange, { maxLength: 30 }), (changes) => {
        const summary = summarizeChanges(changes);
        const worst = planRisk(changes.map((c) => classifyChange(c)));
        expect(summary.risk).toBe(worst);
        const ranks = summary.changes.map((c) => riskRank(c.risk));
        expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
        expect(summary.countsByRisk.HIGH + summary.countsByRisk.MEDIUM + summary.countsByRisk.LOW).toBe(changes.length);
      }),
    );
  });

  test('the digest changes whenever the changes do, and not when key order does', () => {
    fc.assert(
      fc.property(fc.array(arbitraryChange, { minLength: 1, maxLength: 10 }), arbitraryChange, (changes, extra) => {
        const reordered = changes.map((c) => Object.fromEntries(Object.entries(c).reverse()) as ResourceChange);
        expect(changesDigest(reordered)).toBe(changesDigest(changes));
        expect(changesDigest([...changes, extra])).not.toBe(changesDigest(changes));
      }),
    );
  });
});
