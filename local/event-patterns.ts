/**
 * EventBridge event patterns, matched as the EventBridge user guide documents them ("Creating event patterns",
 * "Content filtering"): fields AND, values in a list OR; exact, prefix, suffix, equals-ignore-case, wildcard,
 * anything-but (of a value, a list, a prefix, a suffix, a wildcard or equals-ignore-case), numeric ranges, exists,
 * cidr and $or. An array in the event matches when any of its values does. No maintained JavaScript library
 * implements these, so this one is tested against the documentation's own examples (test/local/event-patterns.test.ts).
 * SNS subscription filter policies use the same syntax for message attributes.
 */

type Json = unknown;
type Obj = Record<string, Json>;

const isObject = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when the event matches the pattern. A malformed pattern throws, naming the problem. */
export function matchesPattern(pattern: Obj, event: Json): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Obj, value: Json): boolean {
  // An array of objects in the event: the pattern matches when any one of them does.
  if (Array.isArray(value))
    return value.length ? value.some((item) => isObject(item) && matchObject(pattern, item)) : matchObject(pattern, undefined);
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(rule) || rule.length < 2 || !rule.every(isObject)) throw new Error('$or takes a list of at least two patterns');
      if (!rule.some((alternative) => matchObject(alternative as Obj, value))) return false;
      continue;
    }
    const present = isObject(value) && Object.hasOwn(value, key);
    const field = present ? value[key] : undefined;
    if (Array.isArray(rule)) {
      if (!matchLeaf(rule, present, field)) return false;
    } else if (isObject(rule)) {
      if (!matchObject(rule, field)) return false;
    } else {
      throw new Error(`Pattern field ${key} must be a list of values or a nested pattern`);
    }
  }
  return true;
}

/** A leaf: the event's value (or each value of an array) against the pattern's list of alternatives. */
function matchLeaf(alternatives: Json[], present: boolean, field: Json): boolean {
  const values = !present ? [] : Array.isArray(field) ? field : [field];
  return alternatives.some((alternative) => {
    if (isObject(alternative) && 'exists' in alternative) {
      const leaves = values.filter((v) => !isObject(v));
      return alternative.exists === true ? leaves.length > 0 : values.length === 0;
    }
    return values.some((value) => matchValue(alternative, value));
  });
}

function matchValue(alternative: Json, value: Json): boolean {
  if (!isObject(alternative)) return alternative === value;
  const [operator, operand, ...extra] = Object.entries(alternative).flat();
  if (extra.length) throw new Error(`A matcher has exactly one operator, got ${Object.keys(alternative).join(', ')}`);
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && stringMatcher(operand, 'prefix')(value);
    case 'suffix':
      return typeof value === 'string' && stringMatcher(operand, 'suffix')(value);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof operand === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcard(operand)(value);
    case 'numeric':
      return typeof value === 'number' && numeric(operand, value);
    case 'cidr':
      return typeof value === 'string' && inCidr(operand, value);
    case 'anything-but':
      return !anythingBut(operand, value);
    default:
      throw new Error(`Unknown pattern operator ${String(operator)}`);
  }
}

/** What `anything-but` excludes: a value, a list of values, or a prefix, suffix, wildcard or equals-ignore-case. */
function anythingBut(operand: Json, value: Json): boolean {
  if (Array.isArray(operand)) return operand.includes(value);
  if (!isObject(operand)) return operand === value;
  const [operator, inner] = Object.entries(operand)[0] ?? [];
  if (typeof value !== 'string') return false;
  const list = Array.isArray(inner) ? inner : [inner];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return list.some((s) => stringMatcher(s, operator)(value));
    case 'equals-ignore-case':
      return list.some((s) => typeof s === 'string' && s.toLowerCase() === value.toLowerCase());
    case 'wildcard':
      return list.some((s) => wildcard(s)(value));
    default:
      throw new Error(`anything-but does not take ${String(operator)}`);
  }
}

/** `prefix`/`suffix` take a string, or `{ "equals-ignore-case": string }`. */
function stringMatcher(operand: Json, kind: 'prefix' | 'suffix'): (value: string) => boolean {
  const ignoreCase = isObject(operand) && typeof operand['equals-ignore-case'] === 'string';
  const text = ignoreCase ? (operand as Obj)['equals-ignore-case'] : operand;
  if (typeof text !== 'string') throw new Error(`${kind} takes a string`);
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  return (value) => (kind === 'prefix' ? fold(value).startsWith(fold(text)) : fold(value).endsWith(fold(text)));
}

/** `*` matches any run of characters; `\*` is a literal star. Case-sensitive. */
function wildcard(operand: Json): (value: string) => boolean {
  if (typeof operand !== 'string') throw new Error('wildcard takes a string');
  const source = operand
    .split(/(\\\*|\*)/)
    .map((part) => (part === '*' ? '.*' : part === '\\*' ? '\\*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => regex.test(value);
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '=': (a, b) => a === b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `numeric: [op, n]` or `[op, n, op, n]`. */
function numeric(operand: Json, value: number): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2) throw new Error('numeric takes [operator, number, ...]');
  for (let i = 0; i < operand.length; i += 2) {
    const compare = COMPARISONS[String(operand[i])];
    const bound = operand[i + 1];
    if (!compare || typeof bound !== 'number') throw new Error(`numeric: ${String(operand[i])} ${String(bound)} is not a comparison`);
    if (!compare(value, bound)) return false;
  }
  return true;
}

const ipv4 = (text: string): number | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
};

/** IPv4 CIDR blocks (IPv6 is not needed by PlanGate's rules and is refused rather than guessed). */
function inCidr(operand: Json, value: string): boolean {
  const [network, bits] = typeof operand === 'string' ? operand.split('/') : [];
  const base = network === undefined ? undefined : ipv4(network);
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32)
    throw new Error(`cidr takes an IPv4 block such as 10.0.0.0/24, got ${String(operand)}`);
  const address = ipv4(value);
  const size = 2 ** (32 - prefix);
  return address !== undefined && Math.floor(address / size) === Math.floor(base / size);
}
