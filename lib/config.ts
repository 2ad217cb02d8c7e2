import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { approverSchema, iamPrincipalPattern } from '../lambdas/shared/contracts/approver';
import { breakGlassSchema } from '../lambdas/shared/contracts/break-glass';
import { calendarPolicySchema } from '../lambdas/shared/contracts/calendar-policy';
import { MAX_WINDOWS } from '../lambdas/shared/contracts/change-calendar';
import { MAX_APPROVAL_VALIDITY_HOURS } from '../lambdas/shared/contracts/execute-window';
import { approvalRuleSchema, groupsSchema } from '../lambdas/shared/contracts/policies';
import { ACCEPT_LANGUAGES } from '../lambdas/shared/contracts/steps';
import { DEFAULTS, defaultReminderMinutes, MIN_APPROVAL_TIMEOUT_MINUTES } from './defaults';
import { type IcsCalendar, parseIcs } from './ics';
import { breakGlassProblems, calendarProblems, policyProblems, settingProblems, signInProblems, spokeSettingProblems } from './setting-rules';

/** Log retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Context keys are namespaced so they never collide with CDK's own feature flags. */
export const CONTEXT_PREFIX = 'plangate:';

const wholeNumber = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

const resourceTypePattern = z
  .string()
  .regex(
    /^[A-Za-z0-9]+::([A-Za-z0-9]+::)?([A-Za-z0-9]+|\*)$/,
    'must be a resource type such as AWS::RDS::DBInstance, or a prefix such as AWS::RDS::*',
  );

/** A Secrets Manager secret, by name or ARN. */
const secretId = (what: string) =>
  z
    .string()
    .regex(
      /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/,
      `must be the name or ARN of the Secrets Manager secret holding ${what}`,
    );

const regionName = z
  .string({ error: 'must be a Region name such as eu-west-1' })
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a Region name such as eu-west-1');
const regionList = z
  .array(regionName, { error: 'must be a list of Region names such as ["eu-west-1"]' })
  .min(1, { error: 'must name at least one Region' })
  .max(30)
  .refine((regions) => new Set(regions).size === regions.length, 'lists a Region more than once');

/** A member account PlanGate gates, and its Regions (plangate:spokeAccounts). */
const spokeAccount = z.strictObject({
  accountId: z.string({ error: 'must be 12 digits' }).regex(/^\d{12}$/, 'must be 12 digits'),
  name: z.string().trim().min(1).max(100).optional(),
  regions: regionList,
  /** What approval rules' `environment` selector matches (`production`, …). */
  environment: z.string().trim().min(1).max(64).optional(),
});

const spokeAccountList = z.array(spokeAccount).min(1, { error: 'must name at least one account, or be "*"' }).max(500);

/**
 * A list of accounts, or "*": every account of the organization. A union would hide which entry is wrong once one
 * lacks a key, so the list's own issues are passed on.
 */
const spokeAccounts = z.unknown().transform((value, ctx): '*' | z.infer<typeof spokeAccountList> => {
  if (value === '*') return value;
  if (!Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a list of {"accountId", "name"?, "regions"}, or "*" (every account of the organization)' });
    return z.NEVER;
  }
  const result = spokeAccountList.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ ...issue });
  return z.NEVER;
});

/**
 * plangate:signIn: the organization's identity provider, federated by a Cognito user pool the stack creates. Shapes
 * here; what ties them together (https, domains, the prefix) in setting-rules.ts signInProblems.
 */
const signInSchema = z.strictObject(
  {
    identityProvider: z.discriminatedUnion(
      'type',
      [
        z.strictObject({ type: z.literal('SAML'), metadataUrl: z.string({ error: 'must be the URL of the SAML metadata document' }) }),
        z.strictObject({
          type: z.literal('OIDC'),
          issuer: z.string({ error: "must be the OpenID Connect issuer's URL" }),
          clientId: z.string({ error: 'must be the client id PlanGate has at the provider' }).min(1),
          clientSecretName: secretId("the provider's client secret"),
        }),
      ],
      { error: 'must be {"type": "SAML", "metadataUrl"} or {"type": "OIDC", "issuer", "clientId", "clientSecretName"}' },
    ),
    allowedEmailDomains: z.array(z.string({ error: 'must be a domain such as example.com' }), {
      error: 'must be a list of email domains such as ["example.com"]',
    }),
    domainPrefix: z.string({ error: "must be the Cognito hosted domain's prefix" }),
  },
  { error: 'must be {"identityProvider": {...}, "allowedEmailDomains": [...], "domainPrefix": "..."}' },
);

/** Every setting and its limits, with the defaults of lib/defaults.ts. The README's configuration table mirrors this. */
const configSchema = z
  .strictObject({
    approvers: z
      .array(approverSchema, { error: 'is required: a list of approvers, each {"email": "...", "name"?: "..."}' })
      .min(1, { error: 'must name at least one approver' })
      .max(100),
    approvalTimeoutMinutes: wholeNumber(MIN_APPROVAL_TIMEOUT_MINUTES, 10_080).default(DEFAULTS.approvalTimeoutMinutes),
    planCheckIntervalSeconds: wholeNumber(5, 300).default(DEFAULTS.planCheckIntervalSeconds),
    planReadyTimeoutMinutes: wholeNumber(1, 120).default(DEFAULTS.planReadyTimeoutMinutes),
    pollInitialIntervalSeconds: wholeNumber(5, 300).default(DEFAULTS.pollInitialIntervalSeconds),
    pollMaxIntervalSeconds: wholeNumber(5, 900).default(DEFAULTS.pollMaxIntervalSeconds),
    pollTimeoutMinutes: wholeNumber(5, 1_440).default(DEFAULTS.pollTimeoutMinutes),
    notificationEmails: z
      .array(z.email())
      .max(20)
      .default(() => [...DEFAULTS.notificationEmails]),
    eventTriggerEnabled: z.boolean().default(DEFAULTS.eventTriggerEnabled),
    eventSource: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,256}$/, 'must be 1-256 characters of letters, digits, ".", "_" or "-"')
      .refine((s) => !s.startsWith('aws.'), 'must not start with "aws." (reserved for AWS services)')
      .default(DEFAULTS.eventSource),
    defaultAcceptLanguage: z.enum(ACCEPT_LANGUAGES).default(DEFAULTS.defaultAcceptLanguage),
    slackWebhookSecret: secretId('the Slack incoming-webhook URL').optional(),
    slackSigningSecret: secretId("the Slack app's signing secret").optional(),
    requiredApprovals: z
      .strictObject({ LOW: wholeNumber(1, 10), MEDIUM: wholeNumber(1, 10), HIGH: wholeNumber(1, 10) })
      .default(() => ({ ...DEFAULTS.requiredApprovals })),
    sensitiveResourceTypes: z.array(resourceTypePattern).max(200).optional(),
    deniedResourceTypes: z
      .array(resourceTypePattern)
      .max(200)
      .default(() => [...DEFAULTS.deniedResourceTypes]),
    // HIGH is not offered: a gate that waves through removals and replacements is no gate.
    autoApproveUpTo: z.enum(['NONE', 'LOW', 'MEDIUM'], { error: 'must be "NONE", "LOW" or "MEDIUM"' }).default(DEFAULTS.autoApproveUpTo),
    /** Unset: defaultReminderMinutes() of the approval timeout. */
    reminderMinutesBeforeExpiry: wholeNumber(0, 10_079).optional(),
    deleteExpiredPlans: z.boolean({ error: 'must be true or false' }).default(DEFAULTS.deleteExpiredPlans),
    alarmEmails: z
      .array(z.email())
      .max(20)
      .default(() => [...DEFAULTS.alarmEmails]),
    alarmThresholds: z
      .strictObject({
        executionsEnded: wholeNumber(1, 1000).optional(),
        internalErrors: wholeNumber(1, 1000).optional(),
        functionErrors: wholeNumber(1, 1000).optional(),
        functionThrottles: wholeNumber(1, 1000).optional(),
        api5xx: wholeNumber(1, 1000).optional(),
        apiLatencyP90Ms: wholeNumber(100, 29_000).optional(),
        approvalWaitPercent: wholeNumber(1, 99).optional(),
        dynamoDbThrottles: wholeNumber(1, 1000).optional(),
        slackPostFailures: wholeNumber(1, 1000).optional(),
      })
      .default({}),
    apiGatewayCloudWatchRole: z.boolean({ error: 'must be true or false' }).default(DEFAULTS.apiGatewayCloudWatchRole),
    logRetentionDays: z
      .number({ error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
      .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(DEFAULTS.logRetentionDays),
    organizationId: z
      .string({ error: 'must be an organization id: "o-" and 10-32 lowercase letters or digits' })
      .regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id: "o-" and 10-32 lowercase letters or digits')
      .optional(),
    spokeAccounts: spokeAccounts.optional(),
    spokeStackSet: z
      .strictObject(
        {
          organizationalUnitIds: z
            .array(
              z
                .string({ error: 'must be an OU id (ou-...) or the root id (r-...)' })
                .regex(/^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/, 'must be an OU id (ou-...) or the root id (r-...)'),
              { error: 'must be a list of OU ids (ou-...) or the root id (r-...)' },
            )
            .min(1, { error: 'must name at least one OU' })
            .max(100),
          regions: regionList,
        },
        { error: 'must be {"organizationalUnitIds": [...], "regions": [...]}' },
      )
      .optional(),
    changeCalendar: z.optional(calendarPolicySchema),
    approvalValidityHours: wholeNumber(1, MAX_APPROVAL_VALIDITY_HOURS).optional(),
    breakGlass: z.optional(breakGlassSchema),
    // Any number here: settingProblems (lib/setting-rules.ts) says what Object Lock takes.
    evidenceRetentionDays: z.number({ error: 'must be a number of days' }).default(DEFAULTS.evidenceRetentionDays),
    groups: z.optional(groupsSchema),
    approvalRules: z.array(approvalRuleSchema).max(50).optional(),
    distinctApproversAcrossRules: z.boolean({ error: 'must be true or false' }).default(DEFAULTS.distinctApproversAcrossRules),
    identityStoreId: z
      .string({ error: 'must be an IAM Identity Center identity store id such as d-1234567890' })
      .regex(/^d-[0-9a-f]{10}$|^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/, 'must be an IAM Identity Center identity store id such as d-1234567890')
      .optional(),
    windowOperators: z.array(iamPrincipalPattern, { error: 'must be a list of IAM or STS principal ARN patterns' }).max(20).optional(),
    operators: z
      .array(
        z
          .string({ error: 'must be the ARN of an IAM role or user of the hub account' })
          .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/, 'must be the ARN of an IAM role or user of the hub account'),
        { error: 'must be a list of IAM role or user ARNs' },
      )
      .max(20)
      .optional(),
    signIn: z.optional(signInSchema),
    requireSignIn: z.boolean({ error: 'must be true or false' }).default(DEFAULTS.requireSignIn),
  })
  .superRefine((config, ctx) => {
    if (config.slackSigningSecret && !config.slackWebhookSecret) {
      ctx.addIssue({ code: 'custom', path: ['slackSigningSecret'], message: 'needs plangate:slackWebhookSecret too' });
    }
    const problems = [
      ...settingProblems({ ...config, spokesConfigured: config.spokeAccounts !== undefined }),
      ...spokeSettingProblems(config),
      ...policyProblems(config),
      ...calendarProblems(config),
      ...breakGlassProblems({ breakGlass: config.breakGlass, spokesConfigured: config.spokeAccounts !== undefined }),
      ...signInProblems(config),
    ];
    for (const { setting, message } of problems) ctx.addIssue({ code: 'custom', path: setting.split('.'), message });
  });

export type PlanGateConfig = z.infer<typeof configSchema>;

/** When to remind undecided approvers, in minutes before expiry (0: never). */
export function reminderMinutes(config: Pick<PlanGateConfig, 'reminderMinutesBeforeExpiry' | 'approvalTimeoutMinutes'>): number {
  return config.reminderMinutesBeforeExpiry ?? defaultReminderMinutes(config.approvalTimeoutMinutes);
}
export type ApproverConfig = PlanGateConfig['approvers'][number];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads PlanGate's settings from CDK context (`cdk.json`, or `-c plangate:key=value`).
 * Values given on the command line arrive as strings, so JSON-looking strings are parsed first.
 * Throws a ConfigError naming every bad key and what it allows.
 */
export function parseConfig(context: Record<string, unknown>): PlanGateConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (key.startsWith(CONTEXT_PREFIX)) raw[key.slice(CONTEXT_PREFIX.length)] = fromCommandLine(value);
  }
  const result = configSchema.safeParse(raw);
  if (result.success) return withIcsWindows(result.data);
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.length ? `${CONTEXT_PREFIX}${issue.path.join('.')}` : 'configuration';
    return `  - ${key}: ${describeIssue(issue)}`;
  });
  throw new ConfigError(`Invalid PlanGate configuration:\n${problems.join('\n')}`);
}

/**
 * plangate:changeCalendar.icsFile read now, at synth (relative to the CDK app's directory, where cdk runs the app):
 * its events join the windows, and the functions get windows only.
 */
function withIcsWindows(config: PlanGateConfig): PlanGateConfig {
  const calendar = config.changeCalendar;
  if (!calendar?.icsFile) return config;
  const { icsFile, ...policy } = calendar;
  const key = `${CONTEXT_PREFIX}changeCalendar.icsFile`;
  let ics: IcsCalendar;
  try {
    ics = parseIcs(readFileSync(resolve(icsFile), 'utf8'));
  } catch (error) {
    throw new ConfigError(`Invalid PlanGate configuration:\n  - ${key}: ${icsFile}: ${(error as Error).message}`);
  }
  if (ics.calendarType === 'DEFAULT_CLOSED') {
    throw new ConfigError(
      `Invalid PlanGate configuration:\n  - ${key}: ${icsFile} is a DEFAULT_CLOSED calendar; give its events as allow windows instead`,
    );
  }
  const windows = [...policy.windows, ...ics.windows];
  if (windows.length > MAX_WINDOWS) {
    throw new ConfigError(
      `Invalid PlanGate configuration:\n  - ${key}: ${icsFile} adds ${ics.windows.length} windows; at most ${MAX_WINDOWS} in all`,
    );
  }
  return { ...config, changeCalendar: { ...policy, windows } };
}

function fromCommandLine(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (/^[[{]/.test(trimmed) || /^-?\d+(\.\d+)?$/.test(trimmed) || trimmed === 'true' || trimmed === 'false') {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    // Inside a setting's object, the keys are that object's own.
    return issue.path.length
      ? `unknown key(s) ${issue.keys.join(', ')}`
      : `unknown setting(s) ${issue.keys.map((k) => CONTEXT_PREFIX + k).join(', ')}`;
  }
  return issue.message;
}
