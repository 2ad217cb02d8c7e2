import { type CalendarWindow, changeCalendarSchema } from '../../lambdas/shared/contracts/change-calendar';
import { type CalendarSubject, calendarState } from '../../lambdas/shared/domain/change-calendar';
import { windowOccurrences } from '../../lambdas/shared/domain/recurrence';

const subject: CalendarSubject = { risk: 'LOW', resourceTypes: ['AWS::SQS::Queue'], accountId: '111122223333', region: 'eu-west-1' };
const at = (iso: string) => new Date(iso);

/** Saturdays 22:00-02:00 in Berlin, the week before and after each of 2027's daylight-saving changes. */
const saturdayNights: CalendarWindow = {
  name: 'saturday-nights',
  kind: 'deny',
  start: '2027-01-02T22:00',
  duration: 'PT4H',
  timeZone: 'Europe/Berlin',
  rrule: 'FREQ=WEEKLY;BYDAY=SA',
};

describe('a weekly window in Europe/Berlin across the 2027 daylight-saving changes', () => {
  // Clocks go forward on Sunday 28 March 2027 and back on Sunday 31 October 2027: the window stays at 22:00 local.
  test.each([
    ['2027-03-20', '2027-03-20T21:00:00.000Z', '2027-03-21T01:00:00.000Z'],
    ['2027-03-27 (the night clocks go forward)', '2027-03-27T21:00:00.000Z', '2027-03-28T01:00:00.000Z'],
    ['2027-04-03', '2027-04-03T20:00:00.000Z', '2027-04-04T00:00:00.000Z'],
    ['2027-10-23', '2027-10-23T20:00:00.000Z', '2027-10-24T00:00:00.000Z'],
    ['2027-10-30 (the night clocks go back)', '2027-10-30T20:00:00.000Z', '2027-10-31T00:00:00.000Z'],
    ['2027-11-06', '2027-11-06T21:00:00.000Z', '2027-11-07T01:00:00.000Z'],
  ])('Saturday %s runs from %s to %s', (_, start, end) => {
    const from = Date.parse(start);
    const [occurrence] = windowOccurrences(saturdayNights, from, from + 1);
    expect(occurrence && { start: new Date(occurrence.start).toISOString(), end: new Date(occurrence.end).toISOString() }).toEqual({ start, end });
    expect(calendarState([saturdayNights], new Date(from - 60_000), subject)).toMatchObject({ open: true, nextTransition: start });
    expect(calendarState([saturdayNights], new Date(from), subject)).toMatchObject({ open: false, nextTransition: end });
    expect(calendarState([saturdayNights], new Date(Date.parse(end)), subject).open).toBe(true);
  });

  test('the night clocks go forward lasts 4 real hours and ends at 03:00 local', () => {
    expect(calendarState([saturdayNights], at('2027-03-27T23:30Z'), subject)).toEqual({
      open: false,
      active: [{ name: 'saturday-nights', kind: 'deny', endsAt: '2027-03-28T01:00:00.000Z', timeZone: 'Europe/Berlin' }],
      reason: 'Change freeze saturday-nights active until 2027-03-28 03:00 Europe/Berlin',
      nextTransition: '2027-03-28T01:00:00.000Z',
    });
  });
});

describe('calendarState', () => {
  const yearEnd: CalendarWindow = { name: 'year-end', kind: 'deny', start: '2026-12-20T00:00', end: '2027-01-04T08:00', timeZone: 'Europe/Berlin' };
  const weekdays: CalendarWindow = {
    name: 'office-hours',
    kind: 'allow',
    start: '2026-01-05T09:00',
    end: '2026-01-05T17:00',
    rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
  };

  test('no window: open, nothing active, no transition', () => {
    expect(calendarState([], at('2027-01-01T00:00Z'), subject)).toEqual({ open: true, active: [] });
  });

  test('a freeze names itself and when it ends in its own zone', () => {
    expect(calendarState([yearEnd], at('2027-01-01T12:00Z'), subject)).toEqual({
      open: false,
      active: [{ name: 'year-end', kind: 'deny', endsAt: '2027-01-04T07:00:00.000Z', timeZone: 'Europe/Berlin' }],
      reason: 'Change freeze year-end active until 2027-01-04 08:00 Europe/Berlin',
      nextTransition: '2027-01-04T07:00:00.000Z',
    });
  });

  test('a one-off window that is over changes nothing any more', () => {
    expect(calendarState([yearEnd], at('2027-01-04T07:00Z'), subject)).toEqual({ open: true, active: [] });
  });

  test('allow windows only: open while one is active, closed between them, saying when it opens', () => {
    // Friday 1 January 2027 is a weekday: open until 17:00 UTC.
    expect(calendarState([weekdays], at('2027-01-01T10:00Z'), subject)).toMatchObject({ open: true, nextTransition: '2027-01-01T17:00:00.000Z' });
    expect(calendarState([weekdays], at('2027-01-01T18:00Z'), subject)).toEqual({
      open: false,
      active: [],
      reason: 'Outside the allowed windows (office-hours); the calendar opens 2027-01-04 09:00 UTC',
      nextTransition: '2027-01-04T09:00:00.000Z',
    });
  });

  test('deny wins over an active allow window, and the calendar opens when the freeze ends inside office hours', () => {
    const state = calendarState([weekdays, yearEnd], at('2026-12-21T10:00Z'), subject);
    expect(state.open).toBe(false);
    expect(state.active.map((w) => w.name)).toEqual(['office-hours', 'year-end']);
    expect(state.reason).toBe('Change freeze year-end active until 2027-01-04 08:00 Europe/Berlin');
    // The freeze ends 07:00 UTC on Monday 4 January, before office hours: open from 09:00.
    expect(state.nextTransition).toBe('2027-01-04T09:00:00.000Z');
  });

  test('a window crossing midnight is active on both sides of it', () => {
    const night: CalendarWindow = { name: 'batch', kind: 'deny', start: '2027-05-01T23:00', duration: 'PT3H', rrule: 'FREQ=DAILY' };
    expect(calendarState([night], at('2027-05-10T23:30Z'), subject)).toMatchObject({ open: false, nextTransition: '2027-05-11T02:00:00.000Z' });
    expect(calendarState([night], at('2027-05-11T01:59Z'), subject).open).toBe(false);
    expect(calendarState([night], at('2027-05-11T02:00Z'), subject)).toMatchObject({ open: true, nextTransition: '2027-05-11T23:00:00.000Z' });
  });

  test('back-to-back occurrences read as one freeze until the last ends', () => {
    const days: CalendarWindow = { name: 'close', kind: 'deny', start: '2027-03-29T00:00', duration: 'P1D', rrule: 'FREQ=DAILY;COUNT=3' };
    expect(calendarState([days], at('2027-03-29T12:00Z'), subject)).toMatchObject({
      active: [{ name: 'close', endsAt: '2027-04-01T00:00:00.000Z' }],
      nextTransition: '2027-04-01T00:00:00.000Z',
    });
  });

  test('exdates leave an occurrence out', () => {
    const skipped = { ...saturdayNights, exdates: ['2027-04-03T22:00'] };
    expect(calendarState([skipped], at('2027-04-03T21:00Z'), subject).open).toBe(true);
    expect(calendarState([skipped], at('2027-03-28T12:00Z'), subject).nextTransition).toBe('2027-04-10T20:00:00.000Z');
  });

  test('end and duration: P1D is a calendar day (23 hours across the spring change), end is the first occurrence’s exact length', () => {
    const byDuration: CalendarWindow = { name: 'd', kind: 'deny', start: '2027-03-27T12:00', duration: 'P1D', timeZone: 'Europe/Berlin' };
    const byEnd: CalendarWindow = {
      name: 'e',
      kind: 'deny',
      start: '2027-03-20T12:00',
      end: '2027-03-21T12:00',
      timeZone: 'Europe/Berlin',
      rrule: 'FREQ=WEEKLY',
    };
    expect(calendarState([byDuration], at('2027-03-27T12:00Z'), subject).active[0]?.endsAt).toBe('2027-03-28T10:00:00.000Z');
    // The occurrence of 27 March lasts 24 real hours, ending 13:00 local on the 28th.
    expect(calendarState([byEnd], at('2027-03-27T12:00Z'), subject).active[0]?.endsAt).toBe('2027-03-28T11:00:00.000Z');
  });

  test('COUNT and UNTIL end the recurrence', () => {
    const counted: CalendarWindow = { ...saturdayNights, start: '2027-03-20T22:00', rrule: 'FREQ=WEEKLY;BYDAY=SA;COUNT=2' };
    expect(calendarState([counted], at('2027-03-28T12:00Z'), subject)).toEqual({ open: true, active: [] });
    const until: CalendarWindow = { ...saturdayNights, rrule: 'FREQ=WEEKLY;BYDAY=SA;UNTIL=20270403T235959' };
    expect(calendarState([until], at('2027-04-03T21:00Z'), subject).open).toBe(false);
    expect(calendarState([until], at('2027-04-04T12:00Z'), subject).nextTransition).toBeUndefined();
  });

  test('MONTHLY with an ordinal weekday: the last Friday of each month', () => {
    const lastFriday: CalendarWindow = {
      name: 'month-end',
      kind: 'deny',
      start: '2027-01-29T00:00',
      duration: 'P1D',
      rrule: 'FREQ=MONTHLY;BYDAY=-1FR',
    };
    expect(calendarState([lastFriday], at('2027-02-01T00:00Z'), subject).nextTransition).toBe('2027-02-26T00:00:00.000Z');
    expect(calendarState([lastFriday], at('2027-04-01T00:00Z'), subject).nextTransition).toBe('2027-04-30T00:00:00.000Z');
  });

  test('a start in the spring-forward gap moves forward by the gap', () => {
    const early: CalendarWindow = {
      name: 'early',
      kind: 'deny',
      start: '2027-03-26T02:30',
      duration: 'PT1H',
      timeZone: 'Europe/Berlin',
      rrule: 'FREQ=DAILY',
    };
    const [inGap] = windowOccurrences(early, Date.parse('2027-03-28T00:00Z'), Date.parse('2027-03-28T06:00Z'));
    // 02:30 does not exist on 28 March; read with the winter offset it is 01:30 UTC, 03:30 summer time.
    expect(inGap && new Date(inGap.start).toISOString()).toBe('2027-03-28T01:30:00.000Z');
  });

  describe('scope', () => {
    const iamFreeze: CalendarWindow = { ...yearEnd, scope: { resourceTypes: ['AWS::IAM::*'], risk: ['HIGH'] } };
    test.each([
      ['an IAM change of HIGH risk', false, { ...subject, risk: 'HIGH', resourceTypes: ['AWS::SQS::Queue', 'AWS::IAM::Role'] }],
      ['an IAM change of LOW risk', true, { ...subject, resourceTypes: ['AWS::IAM::Role'] }],
      ['a HIGH-risk change with no IAM type', true, { ...subject, risk: 'HIGH' }],
    ] as [string, boolean, CalendarSubject][])('a freeze on HIGH-risk IAM changes: %s is open = %s', (_, open, who) => {
      expect(calendarState([iamFreeze], at('2027-01-01T12:00Z'), who).open).toBe(open);
    });

    test('accounts and Regions must match the subject; a subject without them is out of scope', () => {
      const scoped = (scope: CalendarWindow['scope']) => [{ ...yearEnd, scope }];
      expect(calendarState(scoped({ accounts: ['111122223333'] }), at('2027-01-01T12:00Z'), subject).open).toBe(false);
      expect(calendarState(scoped({ accounts: ['444455556666'] }), at('2027-01-01T12:00Z'), subject).open).toBe(true);
      expect(calendarState(scoped({ regions: ['us-east-1'] }), at('2027-01-01T12:00Z'), subject).open).toBe(true);
      expect(calendarState(scoped({ regions: ['eu-west-1'] }), at('2027-01-01T12:00Z'), { risk: 'LOW', resourceTypes: [] }).open).toBe(true);
    });

    test('an allow window out of scope does not close the calendar', () => {
      const prodOnly: CalendarWindow = { ...weekdays, scope: { accounts: ['444455556666'] } };
      expect(calendarState([prodOnly], at('2027-01-02T12:00Z'), subject)).toEqual({ open: true, active: [] });
    });
  });
});

describe('changeCalendarSchema', () => {
  const issues = (window: Record<string, unknown>) => {
    const result = changeCalendarSchema.safeParse({ windows: [{ name: 'w', kind: 'deny', start: '2027-01-01T00:00', ...window }] });
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  test('accepts the windows of the issue', () => {
    expect(issues({ end: '2027-01-04T08:00', timeZone: 'Europe/Berlin' })).toEqual([]);
    expect(issues({ duration: 'PT64H', rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;BYHOUR=22;BYMINUTE=0', exdates: ['2027-01-09T22:00'] })).toEqual([]);
    expect(
      issues({ duration: 'P1D', scope: { risk: ['HIGH'], resourceTypes: ['AWS::IAM::*'], accounts: ['111122223333'], regions: ['eu-west-1'] } }),
    ).toEqual([]);
  });

  test.each([
    ['an unknown time zone', { duration: 'PT1H', timeZone: 'Europe/Atlantis' }, 'windows.0.timeZone: must be an IANA time zone'],
    ['end before start', { end: '2026-12-31T23:00' }, 'windows.0.end: end (2026-12-31T23:00) must be after start (2027-01-01T00:00)'],
    ['both end and duration', { end: '2027-01-02T00:00', duration: 'PT1H' }, 'windows.0.end: give exactly one of end and duration'],
    ['neither end nor duration', {}, 'windows.0.end: give exactly one of end and duration'],
    ['an offset in start', { start: '2027-01-01T00:00+01:00', duration: 'PT1H' }, 'windows.0.start: must be a local date-time'],
    ['a date that does not exist', { start: '2027-02-30T00:00', duration: 'PT1H' }, 'windows.0.start: must be a local date-time'],
    ['a zero duration', { duration: 'PT0S' }, 'windows.0.duration: must be a positive ISO 8601 duration'],
    [
      'DTSTART inside the rrule',
      { duration: 'PT1H', rrule: 'DTSTART=20270101T000000;FREQ=DAILY' },
      'windows.0.rrule: is not a supported RRULE: DTSTART',
    ],
    [
      'an unsupported FREQ',
      { duration: 'PT1H', rrule: 'FREQ=YEARLY' },
      'windows.0.rrule: is not a supported RRULE: FREQ must be DAILY, WEEKLY or MONTHLY',
    ],
    ['an unknown key', { duration: 'PT1H', note: 'x' }, 'windows.0: Unrecognized key: "note"'],
    ['a bad account', { duration: 'PT1H', scope: { accounts: ['1234'] } }, 'windows.0.scope.accounts.0: must be 12 digits'],
  ])('rejects %s, naming the field', (_, window, message) => {
    expect(issues(window).join('\n')).toContain(message);
  });

  test('at most 50 windows', () => {
    const windows = Array.from({ length: 51 }, (_, i) => ({ name: `w${i}`, kind: 'deny', start: '2027-01-01T00:00', duration: 'PT1H' }));
    expect(changeCalendarSchema.safeParse({ windows }).success).toBe(false);
    expect(changeCalendarSchema.safeParse({ windows: windows.slice(0, 50) }).success).toBe(true);
  });
});
