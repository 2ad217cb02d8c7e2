/**
 * Everything local mode would have sent: emails (SNS publishes), events on the bus (with the rules they matched),
 * Slack posts, and events a rule could not deliver (their dead-letter queue).
 */
export interface OutboxEntry {
  id: number;
  channel: 'email' | 'eventbridge' | 'slack' | 'dlq';
  recipient: string;
  subject?: string;
  body: string;
  /** Every http(s) URL found in the body, e.g. the approval links. */
  urls: string[];
  /** For an event: the rules it matched, by logical id. */
  rules?: string[];
  sentAt: string;
}

export class Outbox {
  private readonly entries: OutboxEntry[] = [];

  constructor(private readonly onAdd: (entry: OutboxEntry) => void = () => undefined) {}

  add(entry: Omit<OutboxEntry, 'id' | 'urls' | 'sentAt'>): OutboxEntry {
    const added: OutboxEntry = {
      id: this.entries.length + 1,
      ...entry,
      urls: entry.body.match(/https?:\/\/[^\s"'<>]+/g) ?? [],
      sentAt: new Date().toISOString(),
    };
    this.entries.push(added);
    this.onAdd(added);
    return added;
  }

  /** Oldest first. */
  list(): OutboxEntry[] {
    return [...this.entries];
  }
}
