import { Duration, type aws_logs as logs, type aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import type { Approver } from '../lambdas/shared/contracts/approver';
import { type BreakGlassPolicy, breakGlassSchema } from '../lambdas/shared/contracts/break-glass';
import type { CalendarPolicy } from '../lambdas/shared/contracts/calendar-policy';
import { MAX_APPROVAL_VALIDITY_HOURS } from '../lambdas/shared/contracts/execute-window';
import type { ApprovalRule, Groups } from '../lambdas/shared/contracts/policies';
import type { SpokeAccount } from '../lambdas/shared/contracts/spokes';
import type { AcceptLanguage, ApprovalRules, RiskLevel } from '../lambdas/shared/contracts/steps';
import * as z from '../lambdas/shared/contracts/zod';
import { DEFAULT_SENSITIVE_RESOURCE_TYPES } from '../lambdas/shared/domain/risk';
import { type AlarmThresholds, DEFAULT_ALARM_THRESHOLDS, DEFAULTS, defaultReminderMinutes, MIN_APPROVAL_TIMEOUT_MINUTES } from './defaults';
import { breakGlassProblems, calendarProblems, policyProblems, type SettingProblem, settingProblems, signInProblems } from './setting-rules';
import type { SignInProps } from './sign-in';

/* PlanApprovalWorkflow's props, and the settings it builds from them: every default applied (lib/defaults.ts), every rule checked. */

export interface PlanApprovalWorkflowProps {
  /** Who may approve. Each approver gets a personal link by email. */
  readonly approvers: Approver[];
  /** How long a run waits for a decision before it expires. @default Duration.hours(24) */
  readonly approvalTimeout?: Duration;
  /** Pause between checks of a plan that is still CREATE_IN_PROGRESS. @default Duration.seconds(30) */
  readonly planCheckInterval?: Duration;
  /** How long to wait for a plan to finish being created. @default Duration.minutes(30) */
  readonly planReadyTimeout?: Duration;
  /**
   * The safety net's first wait for the record (a stack event usually ends it sooner); each wait after doubles.
   * @default Duration.minutes(1)
   */
  readonly pollInitialInterval?: Duration;
  /** The safety net's longest wait: how late a lost stack event can make a run notice its record. @default Duration.minutes(10) */
  readonly pollMaxInterval?: Duration;
  /** How long to follow a record before reporting a timeout. @default Duration.hours(4) */
  readonly pollTimeout?: Duration;
  /** Addresses that receive every run's outcome. @default - none; the outcome topic is still created */
  readonly notificationEmails?: string[];
  /** Start runs from EventBridge events. @default true */
  readonly eventTriggerEnabled?: boolean;
  /** Event `source` for review requests and outcome events. @default 'plangate' */
  readonly eventSource?: string;
  /** AcceptLanguage used when a run's input does not give one. @default 'en' */
  readonly defaultAcceptLanguage?: AcceptLanguage;
  /** Retention of every log group. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Days each evidence bundle and manifest is locked (Object Lock, compliance mode): nobody can delete them sooner. @default 400 */
  readonly evidenceRetentionDays?: number;
  /** Resource types (or `Prefix::*` patterns) a plan may not change at all: such plans end DENIED. @default - none */
  readonly deniedResourceTypes?: string[];
  /** Distinct approvals a plan needs, by its risk level. @default { LOW: 1, MEDIUM: 1, HIGH: 2 } */
  readonly requiredApprovals?: Record<RiskLevel, number>;
  /** Plans up to this risk run without a human decision (recorded as approved by the rule). @default 'NONE' */
  readonly autoApproveUpTo?: ApprovalRules['autoApproveUpTo'];
  /** How long before expiry to remind approvers who have not approved; zero for no reminder. @default - 1 hour, or a quarter of approvalTimeout if shorter */
  readonly reminderBeforeExpiry?: Duration;
  /** Delete a plan whose approval expired (DeleteProvisionedProductPlan), so stale plans do not pile up. @default false */
  readonly deleteExpiredPlans?: boolean;
  /** Resource types (or `Prefix::*` patterns) whose every change is HIGH risk. @default DEFAULT_SENSITIVE_RESOURCE_TYPES (databases, storage, keys, identity) */
  readonly sensitiveResourceTypes?: string[];
  /** Post requests and outcomes to Slack, and (with a signing secret) take decisions from its buttons. @default - no Slack */
  readonly slack?: SlackProps;
  /** Who hears the alarms, and when they fire. @default - no subscribers; DEFAULT_ALARM_THRESHOLDS */
  readonly alarms?: AlarmProps;
  /**
   * Create API Gateway's account-level CloudWatch Logs role (AWS::ApiGateway::Account, a singleton per account and
   * region). Turn it off when the account already has one. @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /** Gate the plans of member accounts too (see the README's "Several accounts"). @default - the hub's own account and Region only */
  readonly spokes?: SpokesProps;
  /**
   * Who must approve what, by group and stage (see the README's "Approval policies"). @default - requiredApprovals from
   * any approver
   */
  readonly approvalPolicy?: ApprovalPolicyProps;
  /**
   * Deny and allow windows, and what a closed calendar does to an approved plan (see the README's "Change calendar").
   * @default - no calendar: an approved plan is executed at once
   */
  readonly changeCalendar?: CalendarPolicy;
  /**
   * How long each approval of a run with an executeWindow stays valid: older at execution, the run ends APPROVAL_STALE.
   * @default 72 (lambdas/shared/contracts/execute-window.ts)
   */
  readonly approvalValidityHours?: number;
  /**
   * Break-glass: listed requesters may approve a plan outright through the signed command line (see the README's
   * "Break-glass"). @default - off
   */
  readonly breakGlass?: BreakGlassPolicy;
  /**
   * IAM or STS principal ARN patterns (`*` for any run of characters) of the operators who may run a run waiting for
   * its execution window now (`plangate run-now`). @default - nobody
   */
  readonly windowOperators?: string[];
  /** Approvers sign in with the organization's identity provider (see the README's "Sign-in"). @default - links alone */
  readonly signIn?: SignInProps;
}

export interface ApprovalPolicyProps {
  /** Named groups of approvers (each member one of `approvers`). */
  readonly groups: Groups;
  /** Every rule that matches a plan applies; each requirement needs `count` distinct approvers of its group. */
  readonly rules: ApprovalRule[];
  /** Requirements are met by distinct people: one approval meets one requirement. @default false */
  readonly distinctApproversAcrossRules?: boolean;
  /** The IAM Identity Center identity store that groups naming an `identityCenterGroup` are checked in. @default - none */
  readonly identityStoreId?: string;
}

export interface SpokesProps {
  /** The organization whose accounts may put events on the hub bus. */
  readonly organizationId: string;
  /** The member accounts, and their Regions, whose plans PlanGate gates. */
  readonly accounts: SpokeAccount[];
  /** Set: any account of the organization, in these Regions, as well. @default - only `accounts` */
  readonly anyAccountRegions?: string[];
}

export interface AlarmProps {
  /** Addresses subscribed to the alarm topic (each confirms by email). @default - none */
  readonly emails?: string[];
  /** Overrides of DEFAULT_ALARM_THRESHOLDS. */
  readonly thresholds?: Partial<AlarmThresholds>;
}

export interface SlackProps {
  /** The secret holding the channel's incoming-webhook URL, and how the functions name it (name or ARN). */
  readonly webhookSecret: secretsmanager.ISecret;
  readonly webhookSecretId: string;
  /** The secret holding the Slack app's signing secret; enables the Approve and Reject buttons. @default - link button only */
  readonly signingSecret?: secretsmanager.ISecret;
  readonly signingSecretId?: string;
}

/** The construct's name for a setting whose configuration key differs. */
const PROP_NAMES: Partial<Record<SettingProblem['setting'], string>> = {
  reminderMinutesBeforeExpiry: 'reminderBeforeExpiry',
  pollMaxIntervalSeconds: 'pollMaxInterval',
};

/** The props with every default filled in. */
export type WorkflowSettings = Required<
  Omit<
    PlanApprovalWorkflowProps,
    'slack' | 'alarms' | 'spokes' | 'approvalPolicy' | 'changeCalendar' | 'approvalValidityHours' | 'breakGlass' | 'windowOperators' | 'signIn'
  >
> & {
  readonly windowOperators?: string[];
  readonly signIn?: SignInProps;
  readonly changeCalendar?: CalendarPolicy;
  readonly breakGlass?: BreakGlassPolicy;
  readonly approvalValidityHours?: number;
  readonly slack?: SlackProps;
  readonly spokes?: SpokesProps;
  readonly approvalPolicy?: ApprovalPolicyProps;
  readonly alarmEmails: string[];
  readonly alarmThresholds: AlarmThresholds;
};

/** The settings of `props`, defaults applied; throws naming each prop that breaks a rule. */
export function resolveSettings(props: PlanApprovalWorkflowProps): WorkflowSettings {
  if (props.approvers.length === 0) throw new Error('PlanApprovalWorkflow needs at least one approver');
  const validity = props.approvalValidityHours;
  if (validity !== undefined && !(Number.isInteger(validity) && validity >= 1 && validity <= MAX_APPROVAL_VALIDITY_HOURS)) {
    throw new Error(`approvalValidityHours must be a whole number from 1 to ${MAX_APPROVAL_VALIDITY_HOURS} (got ${validity})`);
  }
  const approvalTimeout = props.approvalTimeout ?? Duration.minutes(DEFAULTS.approvalTimeoutMinutes);
  if (approvalTimeout.toSeconds() < MIN_APPROVAL_TIMEOUT_MINUTES * 60) {
    throw new Error(`approvalTimeout must be at least ${MIN_APPROVAL_TIMEOUT_MINUTES} minutes (got ${approvalTimeout.toHumanString()})`);
  }
  const approvalTimeoutMinutes = approvalTimeout.toMinutes({ integral: false });
  const settings: WorkflowSettings = {
    approvers: props.approvers,
    approvalTimeout,
    reminderBeforeExpiry: props.reminderBeforeExpiry ?? Duration.minutes(defaultReminderMinutes(approvalTimeoutMinutes)),
    planCheckInterval: props.planCheckInterval ?? Duration.seconds(DEFAULTS.planCheckIntervalSeconds),
    planReadyTimeout: props.planReadyTimeout ?? Duration.minutes(DEFAULTS.planReadyTimeoutMinutes),
    pollInitialInterval: props.pollInitialInterval ?? Duration.seconds(DEFAULTS.pollInitialIntervalSeconds),
    pollMaxInterval: props.pollMaxInterval ?? Duration.seconds(DEFAULTS.pollMaxIntervalSeconds),
    pollTimeout: props.pollTimeout ?? Duration.minutes(DEFAULTS.pollTimeoutMinutes),
    notificationEmails: props.notificationEmails ?? DEFAULTS.notificationEmails,
    eventTriggerEnabled: props.eventTriggerEnabled ?? DEFAULTS.eventTriggerEnabled,
    eventSource: props.eventSource ?? DEFAULTS.eventSource,
    defaultAcceptLanguage: props.defaultAcceptLanguage ?? DEFAULTS.defaultAcceptLanguage,
    logRetention: props.logRetention ?? (DEFAULTS.logRetentionDays as logs.RetentionDays),
    evidenceRetentionDays: props.evidenceRetentionDays ?? DEFAULTS.evidenceRetentionDays,
    deniedResourceTypes: props.deniedResourceTypes ?? DEFAULTS.deniedResourceTypes,
    requiredApprovals: props.requiredApprovals ?? DEFAULTS.requiredApprovals,
    autoApproveUpTo: props.autoApproveUpTo ?? DEFAULTS.autoApproveUpTo,
    deleteExpiredPlans: props.deleteExpiredPlans ?? DEFAULTS.deleteExpiredPlans,
    sensitiveResourceTypes: props.sensitiveResourceTypes ?? DEFAULT_SENSITIVE_RESOURCE_TYPES,
    slack: props.slack,
    spokes: props.spokes,
    approvalPolicy: props.approvalPolicy,
    changeCalendar: props.changeCalendar,
    approvalValidityHours: props.approvalValidityHours,
    breakGlass: props.breakGlass,
    windowOperators: props.windowOperators,
    signIn: props.signIn,
    alarmEmails: props.alarms?.emails ?? DEFAULTS.alarmEmails,
    // An explicit undefined keeps the default.
    alarmThresholds: {
      ...DEFAULT_ALARM_THRESHOLDS,
      ...Object.fromEntries(Object.entries(props.alarms?.thresholds ?? {}).filter(([, value]) => value !== undefined)),
    },
    apiGatewayCloudWatchRole: props.apiGatewayCloudWatchRole ?? DEFAULTS.apiGatewayCloudWatchRole,
  };
  const problems = settingProblems({
    approvers: settings.approvers,
    approvalTimeoutMinutes,
    reminderMinutesBeforeExpiry: settings.reminderBeforeExpiry.toMinutes({ integral: false }),
    requiredApprovals: settings.requiredApprovals,
    pollInitialIntervalSeconds: settings.pollInitialInterval.toSeconds(),
    pollMaxIntervalSeconds: settings.pollMaxInterval.toSeconds(),
    spokesConfigured: settings.spokes !== undefined,
    evidenceRetentionDays: settings.evidenceRetentionDays,
    windowOperators: settings.windowOperators,
  });
  if (settings.approvalPolicy) {
    const { groups, rules: approvalRules, identityStoreId } = settings.approvalPolicy;
    const spokeAccounts = settings.spokes && (settings.spokes.anyAccountRegions ? '*' : settings.spokes.accounts);
    problems.push(...policyProblems({ approvers: settings.approvers, groups, approvalRules, identityStoreId, spokeAccounts }));
  }
  problems.push(...calendarProblems({ changeCalendar: settings.changeCalendar, groups: settings.approvalPolicy?.groups }));
  problems.push(...breakGlassProblems({ breakGlass: settings.breakGlass, spokesConfigured: settings.spokes !== undefined }));
  if (settings.breakGlass) {
    const parsed = z.safeParse(breakGlassSchema, settings.breakGlass);
    if (!parsed.success)
      problems.push(...parsed.error.issues.map((i) => ({ setting: ['breakGlass', ...i.path].join('.'), message: i.message }) as SettingProblem));
  }
  problems.push(...signInProblems({ signIn: settings.signIn }));
  if (problems.length) throw new Error(problems.map((p) => `${PROP_NAMES[p.setting] ?? p.setting}: ${p.message}`).join('\n'));
  return settings;
}
