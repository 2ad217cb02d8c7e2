import type { SsmCalendarState } from '../contracts/calendar-policy';
import { isTransient } from '../runtime/transient';

/**
 * The SSM Change Calendars' states at an instant (plangate:changeCalendar.ssmCalendars), failing closed: a calendar
 * that cannot be read (missing, not shared with this account, permission denied) is CLOSED, saying why, so the plan is
 * not executed. Transient errors (throttling, 5xx, network) are thrown as they are: the state machine retries them,
 * and a run whose retries run out fails without executing.
 */
export async function readSsmCalendars(calendars: readonly string[] | undefined, at: Date): Promise<SsmCalendarState[]> {
  if (!calendars?.length) return [];
  const { getCalendarState } = await import('./clients/ssm');
  return Promise.all(
    calendars.map(async (calendar): Promise<SsmCalendarState> => {
      try {
        return await getCalendarState(calendar, at);
      } catch (error) {
        if (isTransient(error)) throw error;
        return { calendar, state: 'CLOSED', error: `${(error as Error).name}: ${(error as Error).message}` };
      }
    }),
  );
}
