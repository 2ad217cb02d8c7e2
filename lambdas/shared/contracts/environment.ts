import { approverSchema } from './approver';
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

/** A JSON-encoded value. */
const json = <T extends z.ZodMiniType>(schema: T) =>
  z.codec(z.string(), schema, {
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

const wholeSeconds = z.codec(z.string().check(z.regex(/^\d+$/, 'must be a whole number of seconds')), z.number().check(z.int(), z.minimum(1)), {
  decode: Number,
  encode: String,
});

const flag = z.codec(z.enum(['true', 'false'], { error: 'must be "true" or "false"' }), z.boolean(), {
  decode: (text) => text === 'true',
  encode: (value) => (value ? 'true' : 'false'),
});

const percent = z.codec(z.string().check(z.regex(/^\d+$/, 'must be a whole number')), z.number().check(z.int(), z.minimum(1), z.maximum(99)), {
  decode: Number,
  encode: String,
});

const hours = z.codec(
  z.string().check(z.regex(/^\d+$/, 'must be a whole number of hours')),
  z.number().check(z.int(), z.minimum(1), z.maximum(MAX_APPROVAL_VALIDITY_HOURS)),
  { decode: Number, encode: String },
);

const text = z.string().check(z.minLength(1));
const arn = z.string().check(z.regex(/^arn:aws[a-z-]*:[a-z0-9-]+:/, 'must be an ARN'));

export const ENVIRONMENT = {
  /** The approval table (approval records and link hashes). */
  TABLE_NAME: text,
  /** plangate:approvers. */
  APPROVERS: json(z.array(approverSchema).check(z.minLength(1))),
  /** plangate:autoApproveUpTo and plangate:requiredApprovals. */
  APPROVAL_RULES: json(approvalRulesSchema),
  /** plangate:groups, set only with plangate:approvalRules. */
  GROUPS: z.optional(json(groupsSchema)),
  /** plangate:approvalRules and plangate:distinctApproversAcrossRules; absent: requiredApprovals from any approver, as before rules. */
  APPROVAL_POLICY: z.optional(json(approvalPolicyConfigSchema)),
  /** plangate:identityStoreId: the IAM Identity Center identity store groups' membership is checked in at each vote. */
  IDENTITY_STORE_ID: z.optional(
    z.string().check(z.regex(/^d-[0-9a-f]{10}$|^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/, 'must be an identity store id')),
  ),
  /** plangate:changeCalendar, set only when it is configured. */
  CHANGE_CALENDAR: z.optional(json(calendarPolicySchema)),
  /** plangate:changeCalendar.emergency.notify (set only with emergency changes configured): told of each one, with every approver. */
  EMERGENCY_NOTIFY: z.optional(json(z.array(z.email()))),
  /** plangate:approvalValidityHours, set only when it is configured (contracts/execute-window.ts has the default). */
  APPROVAL_VALIDITY_HOURS: z.optional(hours),
  DEFAULT_ACCEPT_LANGUAGE: acceptLanguageSchema,
  /** Resource types (or `Prefix::*`) whose every change is HIGH risk. */
  SENSITIVE_RESOURCE_TYPES: json(z.array(z.string())),
  /** Resource types (or `Prefix::*`) a plan may not change at all. */
  DENIED_RESOURCE_TYPES: json(z.array(z.string())),
  APPROVAL_TOPIC_ARN: arn,
  /** The approval API's base URL; approval links are built on it. */
  APPROVAL_BASE_URL: z.url(),
  APPROVAL_TIMEOUT_SECONDS: wholeSeconds,
  DELETE_EXPIRED_PLANS: flag,
  POLL_INITIAL_INTERVAL_SECONDS: wholeSeconds,
  POLL_MAX_INTERVAL_SECONDS: wholeSeconds,
  POLL_TIMEOUT_SECONDS: wholeSeconds,
  OUTCOME_TOPIC_ARN: arn,
  EVENT_BUS_NAME: text,
  /** `source` of review requests and outcome events. */
  EVENT_SOURCE: text,
  /** Secret ids only: the values are read at run time and never reach the template or the environment. */
  SLACK_WEBHOOK_SECRET_ID: z.optional(text),
  SLACK_SIGNING_SECRET_ID: z.optional(text),
  /** The workflow's state machine, whose running executions WatchRuns counts. */
  STATE_MACHINE_ARN: arn,
  /** The share of the approval timeout (percent) past which an open approval counts as overdue. */
  APPROVAL_ALARM_PERCENT: percent,
  /**
   * Set only with plangate:signIn: `optional` (links work as before; GET / shows who is signed in) or `required`
   * (plangate:requireSignIn: a link decides only for its signed-in addressee).
   */
  SIGN_IN_MODE: z.optional(z.enum(['optional', 'required'])),
  /** The OpenID Connect issuer the sign-in function trusts (the Cognito user pool's; local mode's own provider). */
  SIGN_IN_ISSUER: z.url(),
  /** Its client id: the audience of the ID tokens. */
  SIGN_IN_CLIENT_ID: text,
  /** The user pool's name for the organization's identity provider (Cognito's `identity_provider` parameter). */
  SIGN_IN_IDENTITY_PROVIDER: z.optional(text),
  /** plangate:signIn.allowedEmailDomains: only these domains' verified emails may sign in. */
  SIGN_IN_EMAIL_DOMAINS: json(z.array(z.string()).check(z.minLength(1))),
  /** The spokes' allow-list (contracts/spokes.ts), set only when spokes are configured. */
  SPOKES: z.optional(json(spokesSchema)),
  /** The function's own Region, which Lambda sets: with SPOKES' hubAccountId, the hub's place. */
  AWS_REGION: z.optional(regionSchema),
};

export type EnvironmentName = keyof typeof ENVIRONMENT;

/**
 * What asking approvers needs (services/ask-approvers.ts): the table for their links, the approval topic, the page's
 * base URL, and Slack. Here, so a function can read them without loading the service.
 */
export const ASK_APPROVERS_ENV = [
  'TABLE_NAME',
  'APPROVAL_TOPIC_ARN',
  'APPROVAL_BASE_URL',
  'SLACK_WEBHOOK_SECRET_ID',
  'SLACK_SIGNING_SECRET_ID',
] as const;
type Value<P extends EnvironmentName> = z.output<(typeof ENVIRONMENT)[P]>;
/** The variables' values; an optional variable's key is optional too. */
export type Environment<K extends EnvironmentName> = { [P in K as undefined extends Value<P> ? never : P]: Value<P> } & {
  [P in K as undefined extends Value<P> ? P : never]?: Value<P>;
};

/**
 * Reads and checks the named variables. Throws one error naming every variable that is missing or invalid,
 * so a function with a bad environment fails at start-up saying which.
 */
export function parseEnvironment<K extends EnvironmentName>(names: readonly K[], source: Record<string, string | undefined>): Environment<K> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of names) {
    const raw = source[name] === '' ? undefined : source[name];
    const result = z.safeParse(ENVIRONMENT[name] as z.ZodMiniType, raw);
    if (result.success) values[name] = result.data;
    else if (raw === undefined) problems.push(`Environment variable ${name} is not set`);
    else
      problems.push(
        `Environment variable ${name} is invalid: ${result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')}`,
      );
  }
  if (problems.length) throw new Error(problems.join('. '));
  return values as Environment<K>;
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
