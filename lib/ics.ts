import { type CalendarWindow, calendarWindowSchema, isTimeZone, parseRrule } from '../lambdas/shared/contracts/change-calendar';
import * as z from '../lambdas/shared/contracts/zod';

/*
 * iCalendar (RFC 5545) events as change calendar windows: plangate:changeCalendar.icsFile at synth, and the SSM Change
 * Calendar documents of local mode. A small parser of the few properties windows have (VEVENT's DTSTART, DTEND or
 * DURATION, SUMMARY, RRULE, TZID) rather than a library: none is installed, ical.js knows IANA zones only from shipped
 * VTIMEZONE data, and windows already recur in local wall-clock time (recurrence.ts). Whatever would change when an
 * event happens and windows cannot say (RDATE, EXDATE, RECURRENCE-ID, an RRULE outside our subset) is refused, naming
 * the event, rather than read loosely.
 */

export interface IcsCalendar {
  /** X-CALENDAR-TYPE as SSM Change Calendar writes it: DEFAULT_OPEN (events close it, the default) or DEFAULT_CLOSED. */
  calendarType: 'DEFAULT_OPEN' | 'DEFAULT_CLOSED';
  /** Deny windows for DEFAULT_OPEN, allow windows for DEFAULT_CLOSED. */
  windows: CalendarWindow[];
}

interface Property {
  name: string;
  params: Map<string, string>;
  value: string;
}

/** Content lines, folded lines joined (a line starting with a space or tab continues the one before). */
function contentLines(text: string): Property[] {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\n[ \t]/g, '')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const colon = line.search(/:(?=(?:[^"]*"[^"]*")*[^"]*$)/);
      const [name = '', ...params] = line.slice(0, colon < 0 ? line.length : colon).split(';');
      return {
        name: name.toUpperCase(),
        params: new Map(params.map((p) => [p.split('=')[0]!.toUpperCase(), p.slice(p.indexOf('=') + 1).replace(/^"|"$/g, '')])),
        value: colon < 0 ? '' : line.slice(colon + 1),
      };
    });
}

const textValue = (text: string) => text.replace(/\\([,;\\nN])/g, (_, c: string) => (c.toLowerCase() === 'n' ? ' ' : c));

/** A DATE or DATE-TIME value as a window's local date-time and zone: TZID's zone, UTC for a "Z" time or a floating one. */
function dateTime(property: Property, event: string): { local: string; timeZone: string } {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(property.value);
  if (!m) throw new Error(`event "${event}": ${property.name} ${property.value} is not an iCalendar date or date-time`);
  const tzid = property.params.get('TZID');
  if (tzid && !isTimeZone(tzid)) throw new Error(`event "${event}": ${property.name} names the time zone ${tzid}, which is not an IANA zone`);
  return { local: `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}`, timeZone: m[7] ? 'UTC' : (tzid ?? 'UTC') };
}

/** A window name from SUMMARY (or UID): what windows allow, the rest replaced by "-". */
const windowName = (text: string) =>
  text
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64) || 'event';

const UNSUPPORTED = ['RDATE', 'EXDATE', 'RECURRENCE-ID', 'EXRULE'];

/** The calendar's events as windows; throws an Error naming the event that cannot be one. */
export function parseIcs(text: string): IcsCalendar {
  const lines = contentLines(text);
  if (lines[0]?.name !== 'BEGIN' || lines[0].value.toUpperCase() !== 'VCALENDAR') throw new Error('not an iCalendar file (no BEGIN:VCALENDAR)');
  const type = lines.find((line) => line.name === 'X-CALENDAR-TYPE')?.value.toUpperCase() ?? 'DEFAULT_OPEN';
  if (type !== 'DEFAULT_OPEN' && type !== 'DEFAULT_CLOSED') throw new Error(`X-CALENDAR-TYPE ${type} is neither DEFAULT_OPEN nor DEFAULT_CLOSED`);
  const events: Property[][] = [];
  let current: Property[] | undefined;
  for (const line of lines) {
    if (line.name === 'BEGIN' && line.value.toUpperCase() === 'VEVENT') current = [];
    else if (line.name === 'END' && line.value.toUpperCase() === 'VEVENT' && current) {
      events.push(current);
      current = undefined;
    } else current?.push(line);
  }
  const names = new Map<string, number>();
  const windows = events.map((props) => {
    const get = (name: string) => props.find((p) => p.name === name);
    const summary = textValue(get('SUMMARY')?.value ?? get('UID')?.value ?? 'event');
    const unsupported = UNSUPPORTED.find((name) => get(name));
    if (unsupported) throw new Error(`event "${summary}": ${unsupported} is not supported (change calendar windows cannot express it)`);
    const startProperty = get('DTSTART');
    if (!startProperty) throw new Error(`event "${summary}" has no DTSTART`);
    const start = dateTime(startProperty, summary);
    const endProperty = get('DTEND');
    const end = endProperty && dateTime(endProperty, summary);
    if (end && end.timeZone !== start.timeZone) throw new Error(`event "${summary}": DTSTART and DTEND are in different time zones`);
    const allDay = !startProperty.value.includes('T');
    const duration = get('DURATION')?.value ?? (end ? undefined : allDay ? 'P1D' : undefined);
    if (!end && !duration) throw new Error(`event "${summary}" has neither DTEND nor DURATION`);
    const rrule = get('RRULE')?.value;
    const rule = rrule === undefined ? undefined : parseRrule(rrule);
    if (typeof rule === 'string') throw new Error(`event "${summary}": RRULE ${rrule} is not supported: ${rule}`);
    // Two events of the same summary keep apart: a window's name says which one closed the calendar.
    const base = windowName(summary);
    const seen = (names.get(base) ?? 0) + 1;
    names.set(base, seen);
    const window = {
      name: seen > 1 ? `${base.slice(0, 60)}-${seen}` : base,
      kind: type === 'DEFAULT_OPEN' ? 'deny' : 'allow',
      start: start.local,
      ...(end ? { end: end.local } : { duration }),
      timeZone: start.timeZone,
      ...(rrule ? { rrule } : {}),
    };
    const parsed = z.safeParse(calendarWindowSchema, window);
    if (!parsed.success) throw new Error(`event "${summary}": ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    return parsed.data;
  });
  return { calendarType: type, windows };
}
