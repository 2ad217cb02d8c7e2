/**
 * JSON.parse keeps the last of a key given twice, so `{"decision":"reject","decision":"approve"}` would approve. A
 * request body with a repeated key is ambiguous, as a repeated form field is, and is refused. No parser among the
 * dependencies reports duplicates, and the check is small: one pass over text that JSON.parse has already accepted.
 */

/** The first key given twice in one object of `text` (valid JSON), or undefined. Keys compare decoded ("\u0061" is "a"). */
export function repeatedKey(text: string): string | undefined {
  // One entry per open object (its keys so far) or array (null); `expectKey` is true right after "{" or a "," in an object.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') {
      open.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      open.push(null);
      expectKey = false;
    } else if (c === '}' || c === ']') {
      open.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = open.at(-1) instanceof Set;
    } else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const keys = open.at(-1);
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
    }
  }
  return undefined;
}
