import { ConfigError, parseConfig } from '../../lib/config';

/** plangate:changeCalendar at synth (issue 23): a bad window or setting is refused, naming its key. */
const approvers = [{ email: 'alice@example.com' }, { email: 'bob@example.com' }];
const problemsOf = (calendar: unknown, context: Record<string, unknown> = {}) => {
  try {
    parseConfig({ 'plangate:approvers': approvers, 'plangate:changeCalendar': calendar, ...context });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};
const freeze = { name: 'year-end', kind: 'deny', start: '2026-12-24T00:00', end: '2027-01-04T08:00', timeZone: 'Europe/Berlin' };

test('a valid calendar parses', () => {
  expect(parseConfig({ 'plangate:approvers': approvers, 'plangate:changeCalendar': { windows: [freeze], onClosed: 'wait' } }).changeCalendar).toEqual(
    {
      windows: [freeze],
      onClosed: 'wait',
    },
  );
});

test.each([
  ['an unknown time zone', { windows: [{ ...freeze, timeZone: 'Europe/Gotham' }] }, 'plangate:changeCalendar.windows.0.timeZone'],
  ['an end before the start', { windows: [{ ...freeze, end: '2026-12-01T00:00' }] }, 'plangate:changeCalendar.windows.0.end'],
  [
    'an unknown onClosed',
    { windows: [freeze], onClosed: 'later' },
    'plangate:changeCalendar.onClosed: must be "reject", "wait" or "require-freeze-approval"',
  ],
  ['a wait too long', { windows: [freeze], maxWaitHours: 5000 }, 'plangate:changeCalendar.maxWaitHours'],
  ['an unknown key', { windows: [freeze], holidays: 'DE' }, 'plangate:changeCalendar: unknown key(s) holidays'],
])('%s is refused, naming the key', (_, calendar, message) => {
  expect(problemsOf(calendar)).toContain(message);
});

describe('freeze approvals and emergency changes', () => {
  const groups = { 'plangate:groups': { 'change-board': { members: ['alice@example.com'] } } };
  const frozen = { windows: [freeze], onClosed: 'require-freeze-approval' };

  test('a calendar asking for freeze approvals from a group that exists, and emergency requesters, parses', () => {
    const calendar = {
      ...frozen,
      freezeApprovers: { group: 'change-board', count: 1 },
      emergency: { requesters: ['oncall@example.com', 'arn:aws:sts::111122223333:assumed-role/Oncall/*'], notify: ['incidents@example.com'] },
    };
    expect(parseConfig({ 'plangate:approvers': approvers, 'plangate:changeCalendar': calendar, ...groups }).changeCalendar).toEqual(calendar);
  });

  test.each([
    ['require-freeze-approval without freezeApprovers', frozen, 'plangate:changeCalendar.freezeApprovers: is required with onClosed'],
    [
      'freezeApprovers from an undefined group',
      { ...frozen, freezeApprovers: { group: 'cab', count: 1 } },
      'plangate:changeCalendar.freezeApprovers.group: names group cab, which plangate:groups does not define',
    ],
    [
      'more freeze approvals than the group has members',
      { ...frozen, freezeApprovers: { group: 'change-board', count: 2 } },
      'plangate:changeCalendar.freezeApprovers.count: asks for 2 approvals from group change-board, which has 1 member(s)',
    ],
    [
      'freezeApprovers with another onClosed',
      { windows: [freeze], freezeApprovers: { group: 'change-board', count: 1 } },
      'plangate:changeCalendar.freezeApprovers: applies only with onClosed "require-freeze-approval"',
    ],
    ['emergency without requesters', { windows: [freeze], emergency: { requesters: [] } }, 'plangate:changeCalendar.emergency.requesters'],
    [
      'an emergency notify that is not an email',
      { windows: [freeze], emergency: { requesters: ['oncall@example.com'], notify: ['#incidents'] } },
      'plangate:changeCalendar.emergency.notify.0: must be an email address',
    ],
  ])('%s is refused, naming the key', (_, calendar, message) => {
    expect(problemsOf(calendar, groups)).toContain(message);
  });
});
