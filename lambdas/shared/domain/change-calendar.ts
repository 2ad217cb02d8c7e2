import type { CalendarWindow, WindowScope } from '../contracts/change-calendar';
import type { RiskLevel } from '../contracts/steps';
import { formatLocal, type Interval, windowOccurrences } from './recurrence';
import { matchesType } from './risk';

/*
 * Whether the change calendar lets a change through at an instant (issue 23). As Argo CD's sync windows: no window
 * that applies → open; an active deny window → closed; allow windows that apply → open only while one is active;
 * deny wins over allow.
 */

/** How far ahead the next transition is looked for. */
export const HORIZON_DAYS = 400;
const DAY = 86_400_000;

export interface CalendarSubject {
  risk: RiskLevel;
  /** The types of the plan's changes: a window scoped to resource types applies when any one matches. */
  resourceTypes: string[];
  accountId?: string;
  region?: string;
}

export interface ActiveWindow {
  name: string;
  kind: CalendarWindow['kind'];
  /** When the window (with any occurrence it runs straight into) ends, in UTC; absent when that is beyond the horizon. */
  endsAt?: string;
  timeZone: string;
}

export interface CalendarState {
  open: boolean;
  active: ActiveWindow[];
  /** Why the calendar is closed ("Change freeze year-end active until 2027-01-04 08:00 Europe/Berlin"). */
  reason?: string;
  /** The next instant the answer changes, in UTC; absent when it does not change within HORIZON_DAYS. */
  nextTransition?: string;
}

/** Whether a window applies to the subject: every selector it gives must match. */
export function windowApplies(scope: WindowScope | undefined, subject: CalendarSubject): boolean {
  if (!scope) return true;
  if (scope.risk && !scope.risk.includes(subject.risk)) return false;
  if (scope.resourceTypes && !subject.resourceTypes.some((type) => scope.resourceTypes!.some((pattern) => matchesType(pattern, type)))) return false;
  if (scope.accounts && !(subject.accountId && scope.accounts.includes(subject.accountId))) return false;
  if (scope.regions && !(subject.region && scope.regions.includes(subject.region))) return false;
  return true;
}

/** Overlapping or touching intervals joined, so that back-to-back occurrences read as one stretch. */
function merged(intervals: Interval[]): Interval[] {
  const joined: Interval[] = [];
  for (const interval of [...intervals].sort((a, b) => a.start - b.start)) {
    const last = joined.at(-1);
    if (last && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
    else joined.push({ ...interval });
  }
  return joined;
}

interface Expanded {
  window: CalendarWindow;
  timeZone: string;
  stretches: Interval[];
}

const activeAt = (stretches: Interval[], t: number) => stretches.find((s) => s.start <= t && t < s.end);

function openAt(expanded: Expanded[], t: number): boolean {
  const active = expanded.filter((e) => activeAt(e.stretches, t));
  if (active.some((e) => e.window.kind === 'deny')) return false;
  return !expanded.some((e) => e.window.kind === 'allow') || active.length > 0;
}

export function calendarState(windows: readonly CalendarWindow[], at: Date, subject: CalendarSubject): CalendarState {
  const now = at.getTime();
  const horizon = now + HORIZON_DAYS * DAY;
  const expanded: Expanded[] = windows
    .filter((window) => windowApplies(window.scope, subject))
    .map((window) => ({ window, timeZone: window.timeZone ?? 'UTC', stretches: merged(windowOccurrences(window, now, horizon)) }));

  const active = expanded.flatMap(({ window, timeZone, stretches }) => {
    const stretch = activeAt(stretches, now);
    if (!stretch) return [];
    return [{ name: window.name, kind: window.kind, timeZone, ...(stretch.end < horizon ? { endsAt: new Date(stretch.end).toISOString() } : {}) }];
  });
  const open = openAt(expanded, now);
  const boundaries = [...new Set(expanded.flatMap((e) => e.stretches.flatMap((s) => [s.start, s.end])))]
    .filter((t) => t > now && t <= horizon)
    .sort((a, b) => a - b);
  const next = boundaries.find((t) => openAt(expanded, t) !== open);
  return {
    open,
    active,
    ...(open ? {} : { reason: closedReason(active, expanded, next) }),
    ...(next === undefined ? {} : { nextTransition: new Date(next).toISOString() }),
  };
}

function closedReason(active: ActiveWindow[], expanded: Expanded[], next: number | undefined): string {
  const until = (w: ActiveWindow) => (w.endsAt ? ` until ${formatLocal(Date.parse(w.endsAt), w.timeZone)} ${w.timeZone}` : '');
  const denies = active.filter((w) => w.kind === 'deny');
  if (denies.length) return denies.map((w) => `Change freeze ${w.name} active${until(w)}`).join('; ');
  const allows = expanded.filter((e) => e.window.kind === 'allow');
  const zone = (allows.find((e) => e.stretches.some((s) => s.start === next)) ?? allows[0])?.timeZone ?? 'UTC';
  const opens = next === undefined ? '' : `; the calendar opens ${formatLocal(next, zone)} ${zone}`;
  return `Outside the allowed windows (${allows.map((e) => e.window.name).join(', ')})${opens}`;
}
