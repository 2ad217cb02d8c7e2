import { InvalidInputError } from './errors';
import * as z from './zod';

/** Validates a handler's input, turning schema problems into one InvalidInputError that names each field. */
export function parseInput<S extends z.ZodMiniType>(schema: S, input: unknown): z.output<S> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
  throw new InvalidInputError(`Invalid input: ${problems.join('; ')}`);
}
