import { z } from 'zod';
import type { Approver } from './run';
import { requireEnv } from './runtime';

const approversSchema = z
  .array(z.object({ email: z.string(), name: z.string().optional(), slackUserId: z.string().optional(), iamPrincipals: z.array(z.string()).optional() }))
  .min(1);

/** The configured approvers, from the APPROVERS environment variable the construct sets. */
export function configuredApprovers(): Approver[] {
  try {
    return approversSchema.parse(JSON.parse(requireEnv('APPROVERS')));
  } catch {
    throw new Error('Environment variable APPROVERS must be a JSON list of {email, name?, slackUserId?}');
  }
}

const globToRegExp = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/**
 * The approver who asked for the run, if any: `requestedBy` is their email, or an IAM/STS principal ARN
 * (CloudTrail's user identity) matching one of their `iamPrincipals` patterns. They may not approve it.
 */
export function approverWhoRequested(requestedBy: string | undefined, approvers: Approver[]): Approver | undefined {
  if (!requestedBy) return undefined;
  const who = requestedBy.trim().toLowerCase();
  return approvers.find(
    (a) => a.email.toLowerCase() === who || (a.iamPrincipals ?? []).some((pattern) => globToRegExp(pattern).test(requestedBy.trim())),
  );
}
