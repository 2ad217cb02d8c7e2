import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { calendarState } from '../../lambdas/shared/domain/change-calendar';
import { parseConfig } from '../../lib/config';
import { parseIcs } from '../../lib/ics';

/** plangate:changeCalendar.icsFile (issue 23): an .ics file's events become deny windows at synth. */
const ics = (...events: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...events.flatMap((e) => ['BEGIN:VEVENT', e, 'END:VEVENT']), 'END:VCALENDAR'].join('\r\n');
const subject = { risk: 'HIGH' as const, resourceTypes: [] };

test('events become deny windows: SUMMARY names them, TZID, UTC and all-day dates keep their times, RRULE passes through', () => {
  const calendar = parseIcs(
    ics(
      'SUMMARY:Year-end freeze\r\nDTSTART;TZID=Europe/Berlin:20261224T000000\r\nDTEND;TZID=Europe/Berlin:20270104T080000',
      'SUMMARY:Black Friday\r\nDTSTART:20261127T060000Z\r\nDURATION:PT18H',
      'SUMMARY:Board day\r\nDTSTART;VALUE=DATE:20261210',
      // A folded line (RFC 5545 3.1) continues the one before.
      'SUMMARY:Weekly maint\r\n enance\r\nDTSTART;TZID=Europe/Berlin:20261205T220000\r\nDTEND;TZID=Europe/Berlin:20261206T020000\r\nRRULE:FREQ=WEEKLY;BYDAY=SA',
    ),
  );
  expect(calendar.windows).toEqual([
    { name: 'Year-end-freeze', kind: 'deny', start: '2026-12-24T00:00:00', end: '2027-01-04T08:00:00', timeZone: 'Europe/Berlin' },
    { name: 'Black-Friday', kind: 'deny', start: '2026-11-27T06:00:00', duration: 'PT18H', timeZone: 'UTC' },
    { name: 'Board-day', kind: 'deny', start: '2026-12-10T00:00:00', duration: 'P1D', timeZone: 'UTC' },
    {
      name: 'Weekly-maintenance',
      kind: 'deny',
      start: '2026-12-05T22:00:00',
      end: '2026-12-06T02:00:00',
      timeZone: 'Europe/Berlin',
      rrule: 'FREQ=WEEKLY;BYDAY=SA',
    },
  ]);
  // The Saturday a week later, 23:00 in Berlin: the weekly window is active.
  expect(calendarState(calendar.windows, new Date('2026-12-12T22:00:00Z'), subject)).toMatchObject({
    open: false,
    reason: expect.stringContaining('Weekly-maintenance'),
  });
});

test.each([
  [
    'an RRULE outside what windows expand',
    'SUMMARY:Patch Tuesday\r\nDTSTART:20261208T100000Z\r\nDURATION:PT4H\r\nRRULE:FREQ=YEARLY',
    'event "Patch Tuesday": RRULE FREQ=YEARLY',
  ],
  ['an EXDATE', 'SUMMARY:Sprint\r\nDTSTART:20261208T100000Z\r\nDURATION:PT4H\r\nEXDATE:20261215T100000Z', 'event "Sprint": EXDATE is not supported'],
  ['an unknown zone', 'SUMMARY:Odd\r\nDTSTART;TZID=Mars/Olympus:20261208T100000\r\nDURATION:PT4H', 'Mars/Olympus, which is not an IANA zone'],
  ['no end', 'SUMMARY:Open-ended\r\nDTSTART:20261208T100000Z', 'event "Open-ended" has neither DTEND nor DURATION'],
])('%s is refused, naming the event', (_, event, message) => {
  expect(() => parseIcs(ics(event))).toThrow(message);
});

test('a DEFAULT_CLOSED calendar (SSM Change Calendar) makes its events allow windows', () => {
  const calendar = parseIcs(
    ics('SUMMARY:Window\r\nDTSTART:20261208T100000Z\r\nDURATION:PT4H').replace('VERSION:2.0', 'VERSION:2.0\r\nX-CALENDAR-TYPE:DEFAULT_CLOSED'),
  );
  expect(calendar).toMatchObject({ calendarType: 'DEFAULT_CLOSED', windows: [{ kind: 'allow', name: 'Window' }] });
});

describe('plangate:changeCalendar.icsFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plangate-ics-'));
  const approvers = [{ email: 'alice@example.com' }, { email: 'bob@example.com' }];
  const config = (calendar: unknown) => parseConfig({ 'plangate:approvers': approvers, 'plangate:changeCalendar': calendar });

  test('is read at synth relative to the app directory; its events join the windows and the file name is not passed on', () => {
    writeFileSync(
      join(dir, 'freezes.ics'),
      ics('SUMMARY:Year-end\r\nDTSTART;TZID=Europe/Berlin:20261224T000000\r\nDTEND;TZID=Europe/Berlin:20270104T080000'),
    );
    const own = { name: 'own', kind: 'deny', start: '2026-11-01T00:00', end: '2026-11-02T00:00' };
    expect(config({ windows: [own], icsFile: relative(process.cwd(), join(dir, 'freezes.ics')) }).changeCalendar).toEqual({
      windows: [own, { name: 'Year-end', kind: 'deny', start: '2026-12-24T00:00:00', end: '2027-01-04T08:00:00', timeZone: 'Europe/Berlin' }],
    });
  });

  test('a missing file or an event windows cannot express fails the synth, naming the key, the file and the event', () => {
    expect(() => config({ windows: [], icsFile: 'no-such.ics' })).toThrow(/plangate:changeCalendar.icsFile: no-such.ics: ENOENT/);
    writeFileSync(join(dir, 'yearly.ics'), ics('SUMMARY:Audit\r\nDTSTART:20261208T100000Z\r\nDURATION:P1D\r\nRRULE:FREQ=YEARLY'));
    expect(() => config({ windows: [], icsFile: join(dir, 'yearly.ics') })).toThrow(/icsFile: .*yearly.ics: event "Audit": RRULE FREQ=YEARLY/);
  });
});
