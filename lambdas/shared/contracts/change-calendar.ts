import { RISK_LEVELS } from './steps';
import * as z from './zod';

/*
 * Change calendar windows (issue 23): deny and allow windows with iCalendar semantics, `start`/`end` being wall-clock
 * date-times in the window's time zone. lambdas/shared/domain/change-calendar.ts evaluates them.
 */

export const MAX_WINDOWS = 50;

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A local date-time's fields, or undefined when the text is not one or names no real date (2027-02-30T10:00). */
export function parseLocalDateTime(text: string): LocalDateTime | undefined {
  const m = LOCAL_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return { year, month, day, hour, minute, second };
}
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Wall-clock milliseconds: the local date-time read as if it were UTC, so that local arithmetic is plain arithmetic. */
export const wallMs = (t: LocalDateTime) => Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);

const localDateTime = /* @__PURE__ */ (() =>
  z.string().check(
    z.refine((text) => parseLocalDateTime(text) !== undefined, 'must be a local date-time such as 2026-12-24T00:00 (no offset, no Z)'),
    z.refine((text) => Number(text.slice(0, 4)) >= 2000 && Number(text.slice(0, 4)) <= 2100, 'must be a date from 2000 to 2100'),
  ))();

/** An ISO 8601 duration as RFC 5545 has it: weeks and days are calendar days (nominal), hours to seconds exact. */
export interface Duration {
  days: number;
  seconds: number;
}
export function parseDuration(text: string): Duration | undefined {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m || text === 'P') return undefined;
  const [weeks, days, hours, minutes, seconds] = [1, 2, 3, 4, 5].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number];
  const duration = { days: weeks * 7 + days, seconds: hours * 3600 + minutes * 60 + seconds };
  return duration.days + duration.seconds > 0 ? duration : undefined;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The RRULE subset PlanGate expands itself (lambdas/shared/domain/recurrence.ts). */
export interface Rrule {
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY';
  interval: number;
  /** `ordinal` only with MONTHLY: 1 = the first such weekday of the month, -1 the last. */
  byDay?: { weekday: Weekday; ordinal?: number }[];
  byMonthDay?: number[];
  byHour?: number[];
  byMinute?: number[];
  count?: number;
  /** A local date-time in the window's zone, or (with `utc`) a UTC one. */
  until?: { at: LocalDateTime; utc: boolean };
}

const RRULE_PARTS = ['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYHOUR', 'BYMINUTE', 'COUNT', 'UNTIL'];

const numberList = (value: string, min: number, max: number, noZero = false) => {
  const numbers = value.split(',').map((n) => (/^[+-]?\d{1,2}$/.test(n) ? Number(n) : Number.NaN));
  return numbers.every((n) => n >= min && n <= max && !(noZero && n === 0)) ? numbers : undefined;
};

/** The rule, or why it is not one PlanGate can expand. */
export function parseRrule(text: string): Rrule | string {
  const parts = new Map<string, string>();
  for (const part of text.split(';')) {
    const [key = '', value, ...rest] = part.split('=');
    if (!value || rest.length) return `"${part}" is not NAME=VALUE`;
    if (!RRULE_PARTS.includes(key)) return `${key} is not supported (supported: ${RRULE_PARTS.join(', ')}; DTSTART is the window's start)`;
    if (parts.has(key)) return `${key} is given twice`;
    parts.set(key, value);
  }
  const freq = parts.get('FREQ');
  if (freq !== 'DAILY' && freq !== 'WEEKLY' && freq !== 'MONTHLY') return 'FREQ must be DAILY, WEEKLY or MONTHLY';
  const rule: Rrule = { freq, interval: 1 };
  const interval = parts.get('INTERVAL');
  if (interval !== undefined) {
    if (!/^\d{1,3}$/.test(interval) || Number(interval) < 1) return 'INTERVAL must be a whole number from 1 to 999';
    rule.interval = Number(interval);
  }
  const byDay = parts.get('BYDAY');
  if (byDay !== undefined) {
    const days = byDay.split(',').map((d) => /^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$/.exec(d));
    if (days.some((d) => !d)) return 'BYDAY must list weekdays such as SA or MO,TU (with MONTHLY also 1MO or -1FR)';
    rule.byDay = days.map((d) => ({ weekday: d![2] as Weekday, ...(d![1] ? { ordinal: Number(d![1]) } : {}) }));
    if (freq !== 'MONTHLY' && rule.byDay.some((d) => d.ordinal)) return 'BYDAY with a number (1MO) needs FREQ=MONTHLY';
  }
  const lists = [
    ['BYMONTHDAY', -31, 31, true],
    ['BYHOUR', 0, 23, false],
    ['BYMINUTE', 0, 59, false],
  ] as const;
  for (const [key, min, max, noZero] of lists) {
    const value = parts.get(key);
    if (value === undefined) continue;
    const numbers = numberList(value, min, max, noZero);
    if (!numbers) return `${key} must list numbers from ${min} to ${max}${noZero ? ' other than 0' : ''}`;
    if (key === 'BYMONTHDAY') rule.byMonthDay = numbers;
    else if (key === 'BYHOUR') rule.byHour = numbers;
    else rule.byMinute = numbers;
  }
  if (rule.byMonthDay && freq !== 'MONTHLY') return 'BYMONTHDAY needs FREQ=MONTHLY';
  const count = parts.get('COUNT');
  const until = parts.get('UNTIL');
  if (count !== undefined && until !== undefined) return 'COUNT and UNTIL must not both be given';
  if (count !== undefined) {
    if (!/^\d{1,4}$/.test(count) || Number(count) < 1) return 'COUNT must be a whole number from 1 to 9999';
    rule.count = Number(count);
  }
  if (until !== undefined) {
    const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(until);
    const at = m && parseLocalDateTime(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '23'}:${m[5] ?? '59'}:${m[6] ?? '59'}`);
    if (!m || !at) return 'UNTIL must be a date (20271231), a local date-time (20271231T235959) or a UTC one (20271231T225959Z)';
    rule.until = { at, utc: m[7] === 'Z' };
  }
  return rule;
}

const timeZone = /* @__PURE__ */ (() =>
  z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin or UTC (this runtime does not know it)')))();

const nonEmpty = <T extends z.ZodMiniType>(item: T) => z.array(item).check(z.minLength(1, 'must not be empty'), z.maxLength(100));

export const windowScopeSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    risk: z.optional(nonEmpty(z.enum(RISK_LEVELS))),
    resourceTypes: z.optional(
      nonEmpty(
        z
          .string()
          .check(
            z.regex(
              /^[A-Za-z0-9]+::([A-Za-z0-9]+::)?([A-Za-z0-9]+|\*)$/,
              'must be a resource type such as AWS::IAM::Role, or a prefix such as AWS::IAM::*',
            ),
          ),
      ),
    ),
    accounts: z.optional(nonEmpty(z.string().check(z.regex(/^\d{12}$/, 'must be 12 digits')))),
    regions: z.optional(nonEmpty(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a Region name such as eu-west-1')))),
  }))();
export type WindowScope = z.infer<typeof windowScopeSchema>;

/** `end` normalised to seconds, so that local date-times compare as text. */
const withSeconds = (text: string) => (text.length === 16 ? `${text}:00` : text);

export const calendarWindowSchema = /* @__PURE__ */ (() =>
  z
    .strictObject({
      name: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "_", "." or "-"')),
      kind: z.enum(['deny', 'allow']),
      start: localDateTime,
      end: z.optional(localDateTime),
      duration: z.optional(
        z.string().check(z.refine((text) => parseDuration(text) !== undefined, 'must be a positive ISO 8601 duration such as PT4H, P1D or P1DT12H')),
      ),
      timeZone: z.optional(timeZone),
      rrule: z.optional(
        z.string().check(
          z.superRefine((text, ctx) => {
            const rule = parseRrule(text);
            if (typeof rule === 'string') ctx.issues.push({ code: 'custom', message: `is not a supported RRULE: ${rule}`, input: text });
          }),
        ),
      ),
      exdates: z.optional(z.array(localDateTime).check(z.maxLength(50))),
      scope: z.optional(windowScopeSchema),
    })
    .check(
      z.superRefine((window, ctx) => {
        if ((window.end === undefined) === (window.duration === undefined))
          ctx.issues.push({ code: 'custom', message: 'give exactly one of end and duration', input: window, path: ['end'] });
        else if (window.end !== undefined && withSeconds(window.end) <= withSeconds(window.start))
          ctx.issues.push({ code: 'custom', message: `end (${window.end}) must be after start (${window.start})`, input: window, path: ['end'] });
      }),
    ))();
export type CalendarWindow = z.infer<typeof calendarWindowSchema>;

export const changeCalendarSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    windows: z.array(calendarWindowSchema).check(z.maxLength(MAX_WINDOWS)),
  }))();
export type ChangeCalendar = z.infer<typeof changeCalendarSchema>;
