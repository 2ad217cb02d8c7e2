import { GetCalendarStateCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SsmCalendarState } from '../../contracts/calendar-policy';
import { tracer } from '../../runtime/tracer';

/**
 * Created once per container, traced. Only deployments with plangate:changeCalendar.ssmCalendars use it, so
 * ssm-calendars.ts loads this module on the first check (the others never load the SSM client).
 */
export const ssm = tracer.captureAWSv3Client(new SSMClient({}));

/** One calendar at a time: GetCalendarState answers for several calendars together, without saying which is CLOSED. */
export async function getCalendarState(calendar: string, at: Date): Promise<SsmCalendarState> {
  const { State, NextTransitionTime } = await ssm.send(new GetCalendarStateCommand({ CalendarNames: [calendar], AtTime: at.toISOString() }));
  return {
    calendar,
    // Anything but OPEN is not a yes.
    state: State === 'OPEN' ? 'OPEN' : 'CLOSED',
    ...(NextTransitionTime ? { nextTransition: new Date(NextTransitionTime).toISOString() } : {}),
  };
}
