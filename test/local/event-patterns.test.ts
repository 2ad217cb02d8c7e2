import { matchesPattern } from '../../local/event-patterns';

/**
 * Local mode routes events with these semantics, so they are checked against the EventBridge user guide's own
 * examples ("Creating Amazon EventBridge event patterns" and "Content filtering in Amazon EventBridge event patterns").
 */
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

test('fields AND together, values in a list OR (the guide’s EC2 example)', () => {
  const pattern = { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } };
  expect(matchesPattern(pattern, ec2Event)).toBe(true);
  expect(matchesPattern({ ...pattern, detail: { state: ['running', 'terminated'] } }, ec2Event)).toBe(true);
  expect(matchesPattern({ ...pattern, detail: { state: ['running'] } }, ec2Event)).toBe(false);
  expect(matchesPattern({ ...pattern, source: ['aws.s3'] }, ec2Event)).toBe(false);
});

test('an array in the event matches when it shares a value with the pattern', () => {
  const event = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };
  expect(matchesPattern({ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] }, event)).toBe(true);
  expect(matchesPattern({ resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] }, event)).toBe(false);
});

test.each<[string, object, object, boolean]>([
  ['prefix', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' }, true],
  ['prefix, no match', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' }, false],
  ['prefix ignoring case', { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { detail: { service: 'eventbridge' } }, true],
  ['suffix', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' }, true],
  ['suffix is case-sensitive', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' }, false],
  ['suffix ignoring case', { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { detail: { FileName: 'image.PNG' } }, true],
  ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] }, ec2Event, true],
  ['anything-but a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'running' } }, true],
  ['anything-but a string, excluded', { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'initializing' } }, false],
  ['anything-but a number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 123 } }, false],
  [
    'anything-but a list of strings',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    { detail: { state: 'overloaded' } },
    false,
  ],
  ['anything-but a list of numbers', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, { detail: { 'x-limit': 150 } }, true],
  ['anything-but a prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, { detail: { state: 'initializing' } }, false],
  ['anything-but a suffix', { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } }, { detail: { FileName: 'notes.md' } }, true],
  [
    'anything-but ignoring case',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } },
    { detail: { state: 'STOPPED' } },
    false,
  ],
  [
    'anything-but a wildcard',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    { detail: { FilePath: 'src/lib/x.ts' } },
    false,
  ],
  ['anything-but does not match a missing field', { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: {} }, false],
  [
    'numeric ranges',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
    { detail: { 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 } },
    true,
  ],
  ['numeric, out of range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, { detail: { 'c-count': 6 } }, false],
  ['numeric matches numbers only', { detail: { 'c-count': [{ numeric: ['>', 0] }] } }, { detail: { 'c-count': '6' } }, false],
  ['cidr', { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, { detail: { sourceIPAddress: '10.0.0.255' } }, true],
  ['cidr, outside the block', { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, { detail: { sourceIPAddress: '10.0.1.0' } }, false],
  ['exists', { detail: { state: [{ exists: true }] } }, { detail: { state: 'initializing' } }, true],
  ['exists, missing', { detail: { state: [{ exists: true }] } }, { detail: {} }, false],
  ['exists: false, missing', { detail: { 'c-count': [{ exists: false }] } }, { detail: {} }, true],
  ['exists: false, present', { detail: { 'c-count': [{ exists: false }] } }, { detail: { 'c-count': 1 } }, false],
  ['exists on an intermediate node does not match', { detail: [{ exists: true }] }, { detail: { state: 'x' } }, false],
  ['an empty string', { detail: { eventVersion: [''] } }, { detail: { eventVersion: '' } }, true],
  ['null', { detail: { responseElements: [null] } }, { detail: { responseElements: null } }, true],
  ['null is not a missing field', { detail: { responseElements: [null] } }, { detail: {} }, false],
  [
    'wildcard',
    { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' },
    true,
  ],
  [
    'wildcard, no match',
    { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default' },
    false,
  ],
  ['wildcard with an escaped star', { name: [{ wildcard: 'a\\*b*' }] }, { name: 'a*bc' }, true],
  ['wildcard with an escaped star, no match', { name: [{ wildcard: 'a\\*b*' }] }, { name: 'axbc' }, false],
])('%s', (_, pattern, event, expected) => {
  expect(matchesPattern(pattern as Record<string, unknown>, event)).toBe(expected);
});

test('$or matches when any alternative does, at any level (the guide’s examples)', () => {
  const nested = {
    detail: {
      $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }, { 'x-limit': [{ numeric: ['=', 3.018e2] }] }],
    },
  };
  expect(matchesPattern(nested, { detail: { 'd-count': 3 } })).toBe(true);
  expect(matchesPattern(nested, { detail: { 'c-count': 9, 'd-count': 11 } })).toBe(false);
  const top = { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] };
  expect(matchesPattern(top, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
  expect(matchesPattern(top, { source: 'aws.cloudwatch', metricName: 'DiskWrites' })).toBe(false);
});

test('a nested pattern reaches into an array of objects', () => {
  expect(matchesPattern({ detail: { items: { status: ['FAILED'] } } }, { detail: { items: [{ status: 'OK' }, { status: 'FAILED' }] } })).toBe(true);
  expect(matchesPattern({ detail: { items: { status: ['FAILED'] } } }, { detail: { items: [{ status: 'OK' }] } })).toBe(false);
});

test.each([
  [{ source: 'aws.ec2' }, 'must be a list of values'],
  [{ source: [{ startsWith: 'aws.' }] }, 'Unknown pattern operator startsWith'],
  [{ $or: [{ source: ['a'] }] }, '$or takes a list of at least two patterns'],
  [{ n: [{ numeric: ['>>', 1] }] }, 'numeric: >> 1 is not a comparison'],
])('a malformed pattern is refused, naming the problem: %j', (pattern, message) => {
  expect(() => matchesPattern(pattern, { source: 'aws.ec2', n: 1 })).toThrow(message);
});
