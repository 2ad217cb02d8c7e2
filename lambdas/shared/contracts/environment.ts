import { approverSchema, iamPrincipalPattern } from './approver';
import { breakGlassSchema } from './break-glass';
import { calendarPolicySchema } from './calendar-policy';
import { MAX_APPROVAL_VALIDITY_HOURS } from './execute-window';
import { approvalPolicyConfigSchema, groupsSchema } from './policies';
import { regionSchema, spokesSchema } from './spokes';
import { acceptLanguageSchema, approvalRulesSchema } from './steps';
import * as z from './zod';

/**
 * The functions' environment: every variable's name and schema, in one place. The construct sets variables with
 * encodeEnvironment(), and each handler reads the ones it uses once, at start-up, with parseEnvironment().
 */

/** A JSON-encoded value. Marked free of side effects, so esbuild drops the variables a function does not read. */
/* @__NO_SIDE_EFFECTS__ */
function json<T extends z.ZodMiniType>(schema: T) {
  return z.codec(z.string(), schema, {
    decode: (text, ctx) => {
      try {
        return JSON.parse(text);
      } catch (error) {
        ctx.issues.push({ code: 'invalid_format', format: 'json', input: text, message: `is not JSON (${(error as Error).message})` });
        return z.NEVER;
      }
    },
    encode: (value) => JSON.stringify(value),
  });
}

const wholeSeconds = /* @__PURE__ */ (() =>
  z.codec(z.string().check(z.regex(/^\d+$/, 'must be a whole number of seconds')), z.number().check(z.int(), z.minimum(1)), {
    decode: Number,
    encode: String,
  }))();

const flag = /* @__PURE__ */ (() =>
  z.codec(z.enum(['true', 'false'], { error: 'must be "true" or "false"' }), z.boolean(), {
    decode: (text) => text === 'true',
    encode: (value) => (value ? 'true' : 'false'),
  }))();

const percent = /* @__PURE__ */ (() =>
  z.codec(z.string().check(z.regex(/^\d+$/, 'must be a whole number')), z.number().check(z.int(), z.minimum(1), z.maximum(99)), {
    decode: Number,
    encode: String,
  }))();

const hours = /* @__PURE__ */ (() =>
  z.codec(
    z.string().check(z.regex(/^\d+$/, 'must be a whole number of hours')),
    z.number().check(z.int(), z.minimum(1), z.maximum(MAX_APPROVAL_VALIDITY_HOURS)),
    { decode: Number, encode: String },
  ))();

const text = /* @__PURE__ */ (() => z.string().check(z.minLength(1)))();
const arn = /* @__PURE__ */ (() => z.string().check(z.regex(/^arn:aws[a-z-]*:[a-z0-9-]+:/, 'must be an ARN')))();

/** The approval table (approval records and link hashes). */
export const TABLE_NAME = /* @__PURE__ */ text;
/** plangate:approvers. */
export const APPROVERS = /* @__PURE__ */ (() => json(z.array(approverSchema).check(z.minLength(1))))();
/** plangate:autoApproveUpTo and plangate:requiredApprovals. */
export const APPROVAL_RULES = /* @__PURE__ */ json(approvalRulesSchema);
/** plangate:groups, set only with plangate:approvalRules. */
export const GROUPS = /* @__PURE__ */ (() => z.optional(json(groupsSchema)))();
/** plangate:approvalRules and plangate:distinctApproversAcrossRules; absent: requiredApprovals from any approver, as before rules. */
export const APPROVAL_POLICY = /* @__PURE__ */ (() => z.optional(json(approvalPolicyConfigSchema)))();
/** plangate:identityStoreId: the IAM Identity Center identity store groups' membership is checked in at each vote. */
export const IDENTITY_STORE_ID = /* @__PURE__ */ (() =>
  z.optional(z.string().check(z.regex(/^d-[0-9a-f]{10}$|^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/, 'must be an identity store id'))))();
/** plangate:changeCalendar, set only when it is configured. */
export const CHANGE_CALENDAR = /* @__PURE__ */ (() => z.optional(json(calendarPolicySchema)))();
/** plangate:changeCalendar.emergency.notify (set only with emergency changes configured): told of each one, with every approver. */
export const EMERGENCY_NOTIFY = /* @__PURE__ */ (() => z.optional(json(z.array(z.email()))))();
/** plangate:breakGlass, set only when it is configured. */
export const BREAK_GLASS = /* @__PURE__ */ (() => z.optional(json(breakGlassSchema)))();
/** plangate:windowOperators, set only when it is configured: who may run a run waiting for its window now. */
export const WINDOW_OPERATORS = /* @__PURE__ */ (() => z.optional(json(z.array(iamPrincipalPattern))))();
/** plangate:approvalValidityHours, set only when it is configured (contracts/execute-window.ts has the default). */
export const APPROVAL_VALIDITY_HOURS = /* @__PURE__ */ (() => z.optional(hours))();
export const DEFAULT_ACCEPT_LANGUAGE = /* @__PURE__ */ acceptLanguageSchema;
/** Resource types (or `Prefix::*`) whose every change is HIGH risk. */
export const SENSITIVE_RESOURCE_TYPES = /* @__PURE__ */ (() => json(z.array(z.string())))();
/** Resource types (or `Prefix::*`) a plan may not change at all. */
export const DENIED_RESOURCE_TYPES = /* @__PURE__ */ (() => json(z.array(z.string())))();
export const APPROVAL_TOPIC_ARN = /* @__PURE__ */ arn;
/** The approval API's base URL; approval links are built on it. */
export const APPROVAL_BASE_URL = /* @__PURE__ */ (() => z.url())();
export const APPROVAL_TIMEOUT_SECONDS = /* @__PURE__ */ wholeSeconds;
export const DELETE_EXPIRED_PLANS = /* @__PURE__ */ flag;
export const POLL_INITIAL_INTERVAL_SECONDS = /* @__PURE__ */ wholeSeconds;
export const POLL_MAX_INTERVAL_SECONDS = /* @__PURE__ */ wholeSeconds;
export const POLL_TIMEOUT_SECONDS = /* @__PURE__ */ wholeSeconds;
export const OUTCOME_TOPIC_ARN = /* @__PURE__ */ arn;
export const EVENT_BUS_NAME = /* @__PURE__ */ text;
/** `source` of review requests and outcome events. */
export const EVENT_SOURCE = /* @__PURE__ */ text;
/** Secret ids only: the values are read at run time and never reach the template or the environment. */
export const SLACK_WEBHOOK_SECRET_ID = /* @__PURE__ */ (() => z.optional(text))();
export const SLACK_SIGNING_SECRET_ID = /* @__PURE__ */ (() => z.optional(text))();
/** The workflow's state machine, whose running executions WatchRuns counts. */
export const STATE_MACHINE_ARN = /* @__PURE__ */ arn;
/** The share of the approval timeout (percent) past which an open approval counts as overdue. */
export const APPROVAL_ALARM_PERCENT = /* @__PURE__ */ percent;
/**
 * Set only with plangate:signIn: `optional` (links work as before; GET / shows who is signed in) or `required`
 * (plangate:requireSignIn: a link decides only for its signed-in addressee).
 */
export const SIGN_IN_MODE = /* @__PURE__ */ (() => z.optional(z.enum(['optional', 'required'])))();
/** The OpenID Connect issuer the sign-in function trusts (the Cognito user pool's; local mode's own provider). */
export const SIGN_IN_ISSUER = /* @__PURE__ */ (() => z.url())();
/** Its client id: the audience of the ID tokens. */
export const SIGN_IN_CLIENT_ID = /* @__PURE__ */ text;
/** The user pool's name for the organization's identity provider (Cognito's `identity_provider` parameter). */
export const SIGN_IN_IDENTITY_PROVIDER = /* @__PURE__ */ (() => z.optional(text))();
/** plangate:signIn.allowedEmailDomains: only these domains' verified emails may sign in. */
export const SIGN_IN_EMAIL_DOMAINS = /* @__PURE__ */ (() => json(z.array(z.string()).check(z.minLength(1))))();
/** The spokes' allow-list (contracts/spokes.ts), set only when spokes are configured. */
export const SPOKES = /* @__PURE__ */ (() => z.optional(json(spokesSchema)))();
/** The evidence bucket (Object Lock) and the asymmetric KMS key that signs what goes in it (issue 24). */
export const EVIDENCE_BUCKET = /* @__PURE__ */ (() => z.optional(text))();
export const EVIDENCE_KEY_ID = /* @__PURE__ */ (() => z.optional(text))();
/** The function's own Region, which Lambda sets: with SPOKES' hubAccountId, the hub's place. */
export const AWS_REGION = /* @__PURE__ */ (() => z.optional(regionSchema))();

/** Every variable by name: the construct encodes with it; a function reads only the variables it names, so bundles keep only their schemas. */
export const ENVIRONMENT = /* @__PURE__ */ {
  TABLE_NAME,
  APPROVERS,
  APPROVAL_RULES,
  GROUPS,
  APPROVAL_POLICY,
  IDENTITY_STORE_ID,
  CHANGE_CALENDAR,
  EMERGENCY_NOTIFY,
  BREAK_GLASS,
  WINDOW_OPERATORS,
  APPROVAL_VALIDITY_HOURS,
  DEFAULT_ACCEPT_LANGUAGE,
  SENSITIVE_RESOURCE_TYPES,
  DENIED_RESOURCE_TYPES,
  APPROVAL_TOPIC_ARN,
  APPROVAL_BASE_URL,
  APPROVAL_TIMEOUT_SECONDS,
  DELETE_EXPIRED_PLANS,
  POLL_INITIAL_INTERVAL_SECONDS,
  POLL_MAX_INTERVAL_SECONDS,
  POLL_TIMEOUT_SECONDS,
  OUTCOME_TOPIC_ARN,
  EVENT_BUS_NAME,
  EVENT_SOURCE,
  SLACK_WEBHOOK_SECRET_ID,
  SLACK_SIGNING_SECRET_ID,
  STATE_MACHINE_ARN,
  APPROVAL_ALARM_PERCENT,
  SIGN_IN_MODE,
  SIGN_IN_ISSUER,
  SIGN_IN_CLIENT_ID,
  SIGN_IN_IDENTITY_PROVIDER,
  SIGN_IN_EMAIL_DOMAINS,
  SPOKES,
  EVIDENCE_BUCKET,
  EVIDENCE_KEY_ID,
  AWS_REGION,
};

export type EnvironmentName = keyof typeof ENVIRONMENT;

/**
 * What asking approvers needs (services/ask-approvers.ts): the table for their links, the approval topic, the page's
 * base URL, and Slack. Here, so a function can read them without loading the service.
 */
export const ASK_APPROVERS_ENV = /* @__PURE__ */ {
  TABLE_NAME,
  APPROVAL_TOPIC_ARN,
  APPROVAL_BASE_URL,
  SLACK_WEBHOOK_SECRET_ID,
  SLACK_SIGNING_SECRET_ID,
};

type Schemas = Record<string, z.ZodMiniType>;
/** The values of the variables a function reads (an object of the schemas above); an optional variable's key is optional too. */
export type EnvironmentOf<S extends Schemas> = { [P in keyof S as undefined extends z.output<S[P]> ? never : P]: z.output<S[P]> } & {
  [P in keyof S as undefined extends z.output<S[P]> ? P : never]?: z.output<S[P]>;
};
/** The named variables' values. */
export type Environment<K extends EnvironmentName> = EnvironmentOf<Pick<typeof ENVIRONMENT, K>>;

/**
 * Reads and checks the variables a function names, given as an object of their schemas (`{ TABLE_NAME, APPROVERS }`),
 * so that its bundle holds only those. Throws one error naming every variable that is missing or invalid, so a
 * function with a bad environment fails at start-up saying which.
 */
export function parseEnvironment<S extends Schemas>(schemas: S, source: Record<string, string | undefined>): EnvironmentOf<S> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(schemas)) {
    const raw = source[name] === '' ? undefined : source[name];
    const result = z.safeParse(schema, raw);
    if (result.success) values[name] = result.data;
    else if (raw === undefined) problems.push(`Environment variable ${name} is not set`);
    else
      problems.push(
        `Environment variable ${name} is invalid: ${result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')}`,
      );
  }
  if (problems.length) throw new Error(problems.join('. '));
  return values as EnvironmentOf<S>;
}

/**
 * The variables for the given values, as the construct sets them. Strings pass unchanged (they may hold CDK
 * tokens, resolved only at deploy time); JSON, numbers and flags are encoded and checked by their schema.
 */
export function encodeEnvironment(values: Partial<{ [P in EnvironmentName]: z.output<(typeof ENVIRONMENT)[P]> }>): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    variables[name] = typeof value === 'string' ? value : String(z.encode(ENVIRONMENT[name as EnvironmentName] as z.ZodMiniType, value));
  }
  return variables;
}
