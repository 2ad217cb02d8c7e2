import { LOCAL_OIDC_CLIENT_ID, LOCAL_OIDC_PATH } from './oidc-provider';
import { LOCAL_REGION, type LocalWorkflow } from './template';

/**
 * The handlers' environment in local mode, in two parts.
 *
 * What the function code reads (the template's variables, the approval link base, Powertools' settings) is scoped:
 * the bundles get it as their own `process.env` (loadHandlers), so local mode leaves the process's untouched and two
 * local modes in one process do not see each other's.
 *
 * What the AWS SDK reads must be global: the SDK is not bundled (the Lambda runtime provides it, and so does
 * node_modules here), and the clients the bundles create with `new XClient({})` resolve their Region, credentials and
 * endpoints (AWS_ENDPOINT_URL_*) from the process's environment; nothing else reaches them without changing the
 * deployed code. pointAwsSdkAt sets those and gives back what it replaced. (So is AWS_LAMBDA_MAX_CONCURRENCY, which
 * the SDK reads too: local/invoke-store.ts.)
 */

/**
 * The function code's environment: exactly as in Lambda, but for the approval links, the identity provider (with
 * sign-in) and, with a time scale, the deadlines.
 */
export function handlerEnvironment(workflow: LocalWorkflow, baseUrl: string, timeScale: number | undefined): Record<string, string> {
  return {
    ...workflow.environment,
    ...scaledDeadlines(workflow, timeScale),
    APPROVAL_BASE_URL: `${baseUrl}/`,
    // With sign-in, the sign-in function trusts local mode's own identity provider instead of the Cognito user pool.
    ...(workflow.environment.SIGN_IN_ISSUER ? { SIGN_IN_ISSUER: `${baseUrl}${LOCAL_OIDC_PATH}`, SIGN_IN_CLIENT_ID: LOCAL_OIDC_CLIENT_ID } : {}),
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    // Metrics are written (and taken off stdout by LocalMetrics); there is no X-Ray here.
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
}

/** Points the AWS SDK's clients at local mode (and at no AWS account). Returns what puts the environment back. */
export function pointAwsSdkAt(baseUrl: string): () => void {
  const sdkEnvironment: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SERVICE_CATALOG: baseUrl,
    AWS_ENDPOINT_URL_SFN: baseUrl,
    AWS_ENDPOINT_URL_DYNAMODB: baseUrl,
    AWS_ENDPOINT_URL_SNS: baseUrl,
    AWS_ENDPOINT_URL_EVENTBRIDGE: baseUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: baseUrl,
    // AssumeRole into the spoke roles (issue 21).
    AWS_ENDPOINT_URL_STS: baseUrl,
    // Group membership checked when a vote is cast (issue 22).
    AWS_ENDPOINT_URL_IDENTITYSTORE: baseUrl,
    // SSM Change Calendars the change calendar names (issue 23).
    AWS_ENDPOINT_URL_SSM: baseUrl,
    // The evidence bucket and its signing key (issue 24).
    AWS_ENDPOINT_URL_S3: baseUrl,
    AWS_ENDPOINT_URL_KMS: baseUrl,
  };
  const replaced = Object.fromEntries(Object.keys(sdkEnvironment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, sdkEnvironment);
  return () => {
    for (const [name, value] of Object.entries(replaced)) {
      if (process.env[name] !== sdkEnvironment[name]) continue; // a later local mode's, which it gives back itself
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** With a time scale, the deadlines the functions compute themselves (approval expiry, poll timeout) shrink with it. */
function scaledDeadlines(workflow: LocalWorkflow, timeScale: number | undefined): Record<string, string> {
  if (timeScale === undefined) return {};
  const scaled: Record<string, string> = {};
  for (const name of ['APPROVAL_TIMEOUT_SECONDS', 'POLL_TIMEOUT_SECONDS']) {
    const seconds = Number(workflow.environment[name]);
    if (seconds) scaled[name] = String(Math.max(1, Math.ceil(seconds * timeScale)));
  }
  return scaled;
}
