import { ConfigError, parseConfig } from '../../lib/config';

/** plangate:changeCalendar at synth (issue 23): a bad window or setting is refused, naming its key. */
const approvers = [{ email: 'alice@example.com' }, { email: 'bob@example.com' }];
const problemsOf = (calendar: unknown) => {
  try {
    parseConfig({ 'plangate:approvers': approvers, 'plangate:changeCalendar': calendar });
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
  ['an unknown onClosed', { windows: [freeze], onClosed: 'later' }, 'plangate:changeCalendar.onClosed: must be "reject" or "wait"'],
  ['a wait too long', { windows: [freeze], maxWaitHours: 5000 }, 'plangate:changeCalendar.maxWaitHours'],
  ['an unknown key', { windows: [freeze], holidays: 'DE' }, 'plangate:changeCalendar: unknown key(s) holidays'],
])('%s is refused, naming the key', (_, calendar, message) => {
  expect(problemsOf(calendar)).toContain(message);
});
