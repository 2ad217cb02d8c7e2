import { z } from 'zod';
import type { Approver } from './run';
import { requireEnv } from './runtime';

const approversSchema = z
  .array(z.object({ email: z.string(), name: z.string().optional(), slackUserId: z.string().optional() }))
  .min(1);

/** The configured approvers, from the APPROVERS environment variable the construct sets. */
export function configuredApprovers(): Approver[] {
  try {
    return approversSchema.parse(JSON.parse(requireEnv('APPROVERS')));
  } catch {
    throw new Error('Environment variable APPROVERS must be a JSON list of {email, name?, slackUserId?}');
  }
}
