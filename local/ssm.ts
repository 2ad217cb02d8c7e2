import { type CalendarSubject, calendarState } from '../lambdas/shared/domain/change-calendar';
import { type IcsCalendar, parseIcs } from '../lib/ics';
import { AwsApiError } from './service-catalog';

/*
 * AWS Systems Manager Change Calendar as plangate:changeCalendar.ssmCalendars reads it (issue 23), over awsJson1_1
 * (X-Amz-Target: AmazonSSM.<Op>): CreateDocument of a ChangeCalendar document (DocumentFormat TEXT, an iCalendar text),
 * DeleteDocument, and GetCalendarState. As SSM has it, a DEFAULT_OPEN calendar (the default) is CLOSED during its
 * events, a DEFAULT_CLOSED one OPEN only during them; several calendars are OPEN only if all are.
 */

type Json = Record<string, unknown>;

const DOCUMENT_NAME = /^[a-zA-Z0-9_.-]{3,128}$/;
const DOCUMENT_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:document\/([a-zA-Z0-9_.-]{3,128})$/;
/** Events are what GetCalendarState evaluates: no scope, so any subject sees them all. */
const ANY_PLAN: CalendarSubject = { risk: 'HIGH', resourceTypes: [] };

interface CalendarDocument {
  createdAt: Date;
  calendar: IcsCalendar;
}

const validation = (message: string) => new AwsApiError('ValidationException', message);
/** SSM's ISO 8601 times have no milliseconds. */
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One calendar's state at an instant, and when it next changes. */
function stateOf({ calendarType, windows }: IcsCalendar, at: Date): { open: boolean; next?: number } {
  // DEFAULT_CLOSED without events never opens; its events are allow windows, which close it outside them.
  if (calendarType === 'DEFAULT_CLOSED' && windows.length === 0) return { open: false };
  const state = calendarState(windows, at, ANY_PLAN);
  return { open: state.open, ...(state.nextTransition ? { next: Date.parse(state.nextTransition) } : {}) };
}

export class SsmEmulator {
  private readonly documents = new Map<string, CalendarDocument>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** One SSM operation; throws AwsApiError as the service answers. */
  handle(operation: string, input: Json): unknown {
    if (operation === 'CreateDocument') return this.createDocument(input);
    if (operation === 'DeleteDocument') return this.deleteDocument(input);
    if (operation === 'GetCalendarState') return this.getCalendarState(input);
    throw new AwsApiError('UnknownOperationException', `Local mode does not serve AmazonSSM.${operation}`);
  }

  private createDocument(input: Json): unknown {
    const { Name, Content, DocumentType, DocumentFormat } = input;
    if (typeof Name !== 'string' || !DOCUMENT_NAME.test(Name)) throw validation(`Name must match ${DOCUMENT_NAME.source}`);
    if (typeof Content !== 'string' || !Content) throw validation('Content must not be empty');
    if (DocumentType !== 'ChangeCalendar') {
      throw new AwsApiError('InvalidDocumentType', 'Local mode keeps ChangeCalendar documents only (DocumentType ChangeCalendar)');
    }
    if (DocumentFormat !== 'TEXT') throw new AwsApiError('InvalidDocumentSchemaVersion', 'A ChangeCalendar document has DocumentFormat TEXT');
    if (this.documents.has(Name)) throw new AwsApiError('DocumentAlreadyExists', 'Document with same name already exists.');
    let calendar: IcsCalendar;
    try {
      calendar = parseIcs(Content);
    } catch (error) {
      throw new AwsApiError('InvalidDocumentContent', (error as Error).message);
    }
    const createdAt = this.now();
    this.documents.set(Name, { createdAt, calendar });
    return {
      DocumentDescription: {
        Name,
        DocumentType,
        DocumentFormat,
        DocumentVersion: '1',
        LatestVersion: '1',
        DefaultVersion: '1',
        Status: 'Active',
        CreatedDate: createdAt.getTime() / 1000,
      },
    };
  }

  private deleteDocument(input: Json): unknown {
    if (typeof input.Name !== 'string' || !this.documents.delete(input.Name))
      throw new AwsApiError('InvalidDocument', `Document ${String(input.Name)} does not exist.`);
    return {};
  }

  private getCalendarState(input: Json): unknown {
    const { CalendarNames, AtTime } = input;
    if (!Array.isArray(CalendarNames) || CalendarNames.length === 0) throw validation('CalendarNames must name at least one calendar');
    const at = AtTime === undefined ? this.now() : new Date(String(AtTime));
    if (Number.isNaN(at.getTime())) throw new AwsApiError('InvalidDocumentContent', `AtTime ${String(AtTime)} is not an ISO 8601 time`);
    const states = CalendarNames.map((name) => {
      const documentName = DOCUMENT_ARN.exec(String(name))?.[1] ?? String(name);
      const document = this.documents.get(documentName);
      if (!document) throw new AwsApiError('InvalidDocument', `Document ${String(name)} does not exist.`);
      return stateOf(document.calendar, at);
    });
    const open = states.every((state) => state.open);
    // Open: it closes when the first calendar does. Closed: it opens once every closed one has (if each says when).
    const nexts = (open ? states : states.filter((state) => !state.open)).map((state) => state.next ?? Number.NaN);
    const next = open ? Math.min(...nexts.filter(Number.isFinite)) : Math.max(...nexts);
    return {
      State: open ? 'OPEN' : 'CLOSED',
      AtTime: isoSeconds(at.getTime()),
      ...(Number.isFinite(next) ? { NextTransitionTime: isoSeconds(next) } : {}),
    };
  }
}
