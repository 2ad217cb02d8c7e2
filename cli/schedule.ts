import type { WindowActionName } from '../lambdas/shared/contracts/window-actions';
import type { Aws } from './aws';
import { type ApiAnswer, exitCodeOf } from './decide';
import { CliError, EXIT } from './exit-codes';

/*
 * `plangate reschedule|cancel|run-now`: a run waiting for its execution window (issue 23), through the approval API's
 * signed routes. Reschedule and cancel are an approver's, run-now an operator's (plangate:windowOperators).
 */

/** What the route takes: a reason, and (reschedule) the new window. */
export interface WindowActionRequest {
  reason?: string;
  notBefore?: string;
  notAfter?: string;
}

export function windowAction(aws: Aws, planKey: string, action: WindowActionName, request: WindowActionRequest): Promise<ApiAnswer> {
  const body = Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined));
  return aws.signedPost(`cli/plans/${encodeURIComponent(planKey)}/${action}`, body);
}

/** The answer's exit code: a window the API refused is bad arguments (2), a run not waiting a conflict (5), as the others. */
export function windowExitCode(answer: ApiAnswer): number {
  if (answer.status === 202) return EXIT.ok;
  if (answer.status === 400 && 'error' in answer.body) throw new CliError(String(answer.body.error), EXIT.usage);
  return exitCodeOf(answer);
}

/** The answer's message, then the run's window and every action on it, one per line. */
export function windowLines(body: Record<string, unknown>): string[] {
  const window = body.executeWindow as { notBefore: string; notAfter: string } | undefined;
  const actions = (body.actions as string[] | undefined) ?? [];
  return [
    String(body.message ?? ''),
    ...(window ? [`Window: not before ${window.notBefore}, not after ${window.notAfter}`] : []),
    ...actions.map((action) => `  ${action}`),
  ];
}
