import {
  type CalendarWindow,
  type LocalDateTime,
  parseDuration,
  parseLocalDateTime,
  parseRrule,
  type Rrule,
  WEEKDAYS,
  wallMs,
} from '../contracts/change-calendar';

/*
 * A window's occurrences as UTC intervals. The wall-clock time is what recurs (RFC 5545): occurrences are expanded in
 * local time, then each start is converted to UTC with the zone's offset at that instant. A start in a daylight-saving
 * gap moves forward by the gap (read with the offset before it, RFC 5545 3.3.5); one in the overlap takes the first.
 * Written here rather than taken from a library: rrule 2.8.1 gets zoned rules wrong, ical.js knows no IANA zones
 * without shipped VTIMEZONE data, and rrule-temporal with temporal-polyfill adds about 237 KB to a bundle.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Enough periods for a daily rule over the years a start may name (2000-2100). */
const MAX_PERIODS = 40_000;

export interface Interval {
  start: number;
  end: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall-clock fields of a UTC instant in a zone. */
export function localFields(utcMs: number, timeZone: string): LocalDateTime {
  const parts = formatter(timeZone).formatToParts(new Date(utcMs));
  const field = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return { year: field('year'), month: field('month'), day: field('day'), hour: field('hour'), minute: field('minute'), second: field('second') };
}

/** The zone's offset from UTC at an instant, in milliseconds (local = UTC + offset). */
const offsetAt = (utcMs: number, timeZone: string) => wallMs(localFields(utcMs, timeZone)) - (utcMs - (((utcMs % 1000) + 1000) % 1000));

/** The UTC instant of a wall-clock time: in a gap, read with the offset before it; in an overlap, the earlier instant. */
export function wallToUtc(wall: number, timeZone: string): number {
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const candidates = [wall - before, wall - after].filter((utc) => utc + offsetAt(utc, timeZone) === wall);
  return candidates.length ? Math.min(...candidates) : wall - before;
}

/** "2027-01-04 08:00" in the zone. */
export function formatLocal(utcMs: number, timeZone: string): string {
  const t = localFields(utcMs, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${t.year}-${two(t.month)}-${two(t.day)} ${two(t.hour)}:${two(t.minute)}`;
}

/** Monday = 0. */
const weekdayOf = (wall: number) => (new Date(wall).getUTCDay() + 6) % 7;
const dayStart = (wall: number) => wall - (((wall % DAY) + DAY) % DAY);

/** Where period `k` of the rule begins and its candidate days (wall ms at 00:00), in order. */
function period(rule: Rrule, first: number, k: number): { begins: number; days: number[] } {
  const start = new Date(first);
  if (rule.freq === 'DAILY') {
    const day = first + k * rule.interval * DAY;
    return { begins: day, days: !rule.byDay || rule.byDay.some((d) => WEEKDAYS.indexOf(d.weekday) === weekdayOf(day)) ? [day] : [] };
  }
  if (rule.freq === 'WEEKLY') {
    const monday = first - weekdayOf(first) * DAY + k * rule.interval * 7 * DAY;
    const weekdays = rule.byDay ? rule.byDay.map((d) => WEEKDAYS.indexOf(d.weekday)) : [weekdayOf(first)];
    return { begins: monday, days: [...new Set(weekdays)].sort((a, b) => a - b).map((w) => monday + w * DAY) };
  }
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth() + k * rule.interval;
  const monthStart = Date.UTC(year, month, 1);
  const length = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const days = Array.from({ length }, (_, i) => monthStart + i * DAY);
  const byMonthDay = rule.byMonthDay ?? (rule.byDay ? undefined : [start.getUTCDate()]);
  const matching = days.filter((day, i) => {
    if (byMonthDay && !byMonthDay.some((n) => (n > 0 ? n - 1 : length + n) === i)) return false;
    if (!rule.byDay) return true;
    return rule.byDay.some(({ weekday, ordinal }) => {
      if (WEEKDAYS.indexOf(weekday) !== weekdayOf(day)) return false;
      if (ordinal === undefined) return true;
      return ordinal > 0 ? Math.floor(i / 7) + 1 === ordinal : Math.floor((length - 1 - i) / 7) + 1 === -ordinal;
    });
  });
  return { begins: monthStart, days: matching };
}

/** Occurrence starts in wall-clock ms, in order, from the window's start until `untilWall` (or the rule's end). */
function* occurrenceStarts(rule: Rrule | undefined, first: number, untilWall: number, timeZone: string): Generator<number> {
  yield first;
  if (!rule) return;
  const firstDay = dayStart(first);
  const firstTime = first - firstDay;
  const times = (rule.byHour ?? [Math.floor(firstTime / 3_600_000)])
    .flatMap((h) => (rule.byMinute ?? [Math.floor(firstTime / MINUTE) % 60]).map((m) => h * 3_600_000 + m * MINUTE + (firstTime % MINUTE)))
    .sort((a, b) => a - b);
  const last = rule.until ? (rule.until.utc ? Number.POSITIVE_INFINITY : wallMs(rule.until.at)) : Number.POSITIVE_INFINITY;
  const lastUtc = rule.until?.utc ? wallMs(rule.until.at) : Number.POSITIVE_INFINITY;
  let count = 1;
  for (let k = 0; k < MAX_PERIODS; k++) {
    const { begins, days } = period(rule, firstDay, k);
    if (begins > untilWall) return;
    for (const day of days) {
      for (const time of times) {
        const wall = day + time;
        if (wall <= first) continue;
        if (wall > untilWall || wall > last || wallToUtc(wall, timeZone) > lastUtc) return;
        if (rule.count !== undefined && count >= rule.count) return;
        count++;
        yield wall;
      }
    }
  }
}

/** The window's occurrences that overlap [fromUtc, toUtc), as UTC intervals in order of start. */
export function windowOccurrences(window: CalendarWindow, fromUtc: number, toUtc: number): Interval[] {
  const timeZone = window.timeZone ?? 'UTC';
  const first = wallMs(parseLocalDateTime(window.start)!);
  const rule = window.rrule === undefined ? undefined : parseRrule(window.rrule);
  if (typeof rule === 'string') throw new Error(`window ${window.name}: ${rule}`);
  const excluded = new Set((window.exdates ?? []).map((text) => wallMs(parseLocalDateTime(text)!)));
  const duration = window.duration === undefined ? undefined : parseDuration(window.duration)!;
  // With `end`, every occurrence lasts the first one's exact length; with `duration`, days are calendar days (RFC 5545 3.8.5.3).
  const exactLength = window.end === undefined ? 0 : wallToUtc(wallMs(parseLocalDateTime(window.end)!), timeZone) - wallToUtc(first, timeZone);
  // Wall time runs at most a day ahead of UTC, and an occurrence starting before `fromUtc` may still be running.
  const untilWall = toUtc + DAY;
  const intervals: Interval[] = [];
  for (const wall of occurrenceStarts(rule, first, untilWall, timeZone)) {
    if (excluded.has(wall)) continue;
    const start = wallToUtc(wall, timeZone);
    const end = duration ? wallToUtc(wall + duration.days * DAY, timeZone) + duration.seconds * 1000 : start + exactLength;
    if (start < toUtc && end > fromUtc) intervals.push({ start, end });
  }
  return intervals;
}
