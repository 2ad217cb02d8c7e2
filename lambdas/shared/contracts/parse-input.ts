import { InvalidInputError } from './errors';
import * as z from './zod';

/** Validates a handler's input, turning schema problems into one InvalidInputError that names each field. */
export function parseInput<S extends z.ZodMiniType>(schema: S, input: unknown): z.output<S> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
  throw new InvalidInputError(`Invalid input: ${problems.join('; ')}`);
}

/** Why a run input that is not a JSON object cannot be used; undefined when it is one. */
export function notAnObject(input: unknown): string | undefined {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) return undefined;
  const kind = input === null ? 'null' : Array.isArray(input) ? 'a list' : input === undefined ? 'missing' : `a ${typeof input}`;
  return `The run input must be a JSON object with a planId; it was ${kind}.`;
}
