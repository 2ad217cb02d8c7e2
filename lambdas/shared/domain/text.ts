/**
 * Text from plans, people and AWS, made safe for plain-text channels (email subjects and bodies, Slack fallback
 * text), and kept within what each channel carries. HTML pages escape on top of this.
 */

/**
 * Control characters (C0 and C1, line breaks and tabs included), Unicode bidi controls (which can make text read
 * backwards, e.g. U+202E), zero-width and other invisible characters (soft hyphen, combining grapheme joiner,
 * Mongolian vowel separator) and tag characters (U+E0000-E007F, which can carry hidden text). Line breaks become
 * spaces; the rest is removed.
 */
const BREAKS = /[\r\n\t\v\f\u0085\u2028\u2029]+/g;
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: single code points and ranges, each meant alone
  /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u{e0000}-\u{e007f}]/gu;

/** Every character oneLine removes or replaces: what a terminal or JSON output must not pass on raw either. */
export const HIDDEN = new RegExp(`[\\u2028\\u2029]|${INVISIBLE.source}`, 'gu');

/** One line, with nothing invisible: untrusted text cannot start a line of its own or hide what it says. */
export function oneLine(text: string): string {
  return text.replace(BREAKS, ' ').replace(INVISIBLE, '');
}

/** A host name that mail and chat clients link without a scheme: "www.…", or any "a.b" followed by a path or a port. */
const SCHEMELESS_HOST = /(?<![\w@./:-])(?:www\.[a-z0-9-]+(?:\.[a-z0-9-]+)*|[a-z0-9-]+(?:\.[a-z0-9-]+)+(?=\/|:\d))/gi;

/**
 * An untrusted value for a plain-text channel: one line, and any URL in it defanged (`https[:]//…`, and without a
 * scheme `www.evil[.]example/approve`) so mail and chat clients do not make it a link that could pass for the
 * approval link.
 */
export function untrusted(text: string | undefined): string {
  return oneLine(text ?? '')
    .replace(/\b([a-z][a-z0-9+.-]{1,20}):\/\//gi, '$1[:]//')
    .replace(SCHEMELESS_HOST, (host) => host.replace(/\.(?=[^.]*$)/, '[.]'));
}

/** At most `max` characters, saying how many were left out. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `… (+${text.length - max} more characters)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

/** The first `max` items, and how many more there were: lists in messages and events stay within their limits. */
export function firstItems<T>(items: T[], max: number): { items: T[]; more: number } {
  return { items: items.slice(0, max), more: Math.max(0, items.length - max) };
}

/** "+N more" when N > 0, else nothing. */
export const moreText = (more: number, what = 'more') => (more > 0 ? `+${more} ${what}` : '');

/** A URL path segment, decoded; a malformed escape gives the empty string (which no id matches). */
export function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}
