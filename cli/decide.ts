import type { Aws } from './aws';
import { CliError, EXIT } from './exit-codes';

/** The approval API's answers, as exit codes. */
const EXIT_BY_STATUS: Record<number, number> = { 200: EXIT.ok, 403: EXIT.forbidden, 409: EXIT.conflict, 410: EXIT.gone, 429: EXIT.tooSoon };

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Approves or rejects as the caller: the approval API matches their principal to an approver. */
export function decide(aws: Aws, planId: string, decision: 'approve' | 'reject', comment?: string): Promise<ApiAnswer> {
  return aws.signedPost(`cli/plans/${encodeURIComponent(planId)}/decision`, { decision, ...(comment ? { comment } : {}) });
}

/** Closes and releases the approval of a plan whose run is gone, so a new run may claim it. */
export function release(aws: Aws, planId: string, reason?: string): Promise<ApiAnswer> {
  return aws.signedPost(`cli/plans/${encodeURIComponent(planId)}/release`, reason ? { reason } : {});
}

/** A successful answer's exit code; any other answer is a CliError with the API's own words. */
export function exitCodeOf(answer: ApiAnswer): number {
  const code = EXIT_BY_STATUS[answer.status];
  if (code === EXIT.ok) return code;
  // API Gateway's own refusals (a bad signature, a route IAM does not allow) carry only `message`; ours, `error` or `result`.
  const fromGateway = !('error' in answer.body) && !('result' in answer.body);
  const said = String(answer.body.error ?? answer.body.message ?? `HTTP ${answer.status}`);
  throw new CliError(fromGateway && answer.status === 403 ? `Not allowed by IAM: ${said}` : said, code ?? EXIT.error);
}
