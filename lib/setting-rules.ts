/*
 * The rules that tie settings together, once: the zod schema (lib/config.ts) reports each problem under its
 * `plangate:` key, the construct (lib/plan-approval-workflow.ts) throws it under its prop's name, with the same
 * message. No aws-cdk-lib import.
 */

import { MAX_REQUIREMENTS } from '../lambdas/shared/contracts/policies';

export interface RelatedSettings {
  readonly approvers: readonly { readonly email: string; readonly slackUserId?: string; readonly iamPrincipals?: readonly string[] }[];
  readonly approvalTimeoutMinutes: number;
  /** Unset: the default, which always fits. */
  readonly reminderMinutesBeforeExpiry?: number;
  readonly requiredApprovals: Readonly<Record<string, number>>;
  readonly pollInitialIntervalSeconds: number;
  readonly pollMaxIntervalSeconds: number;
  /** Whether PlanGate gates member accounts' plans (plangate:spokeAccounts). */
  readonly spokesConfigured: boolean;
  /** plangate:evidenceRetentionDays; unset: the default. */
  readonly evidenceRetentionDays?: number;
  /** plangate:windowOperators: who may run a run waiting for its execution window now. */
  readonly windowOperators?: readonly string[];
}

/** Object Lock takes a retention of whole days, at most 100 years (36,500 days). */
export const EVIDENCE_RETENTION_DAYS = { min: 1, max: 36_500 } as const;

/** A broken rule: the setting (by its configuration key, `requiredApprovals.HIGH` for a nested one) and what is wrong. */
export interface SettingProblem {
  readonly setting:
    | 'approvers'
    | `approvers.${number}.iamPrincipals.${number}`
    | `windowOperators.${number}`
    | 'reminderMinutesBeforeExpiry'
    | 'pollMaxIntervalSeconds'
    | 'evidenceRetentionDays'
    | `requiredApprovals.${string}`
    | SpokeSetting
    | PolicySetting
    | `breakGlass.requesters.${number}`
    | SignInSetting;
  readonly message: string;
}

export function settingProblems(settings: RelatedSettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const { approvers, approvalTimeoutMinutes, reminderMinutesBeforeExpiry: reminder } = settings;
  const emails = approvers.map((a) => a.email.toLowerCase());
  const repeatedEmail = emails.find((email, i) => emails.indexOf(email) !== i);
  if (repeatedEmail) problems.push({ setting: 'approvers', message: `lists ${repeatedEmail} more than once` });
  const slackIds = approvers.flatMap((a) => (a.slackUserId ? [a.slackUserId] : []));
  const repeatedSlackId = slackIds.find((id, i) => slackIds.indexOf(id) !== i);
  if (repeatedSlackId) problems.push({ setting: 'approvers', message: `lists Slack user ${repeatedSlackId} more than once` });
  for (const [level, count] of Object.entries(settings.requiredApprovals)) {
    if (count > approvers.length) {
      const message = `asks for ${count} approvals but only ${approvers.length} approver(s) are configured`;
      problems.push({ setting: `requiredApprovals.${level}`, message });
    }
  }
  if (reminder !== undefined && reminder >= approvalTimeoutMinutes) {
    problems.push({
      setting: 'reminderMinutesBeforeExpiry',
      message: `must be shorter than the approval timeout (${approvalTimeoutMinutes} minutes); 0 turns reminders off`,
    });
  }
  if (settings.pollMaxIntervalSeconds < settings.pollInitialIntervalSeconds) {
    const message = `must be at least the first poll interval (${settings.pollInitialIntervalSeconds} seconds)`;
    problems.push({ setting: 'pollMaxIntervalSeconds', message });
  }
  if (settings.spokesConfigured) {
    problems.push(...anyAccountPrincipals(approvers));
    (settings.windowOperators ?? []).forEach((arn, i) => {
      if (anyAccount(arn)) problems.push({ setting: `windowOperators.${i}`, message: anyAccountMessage(arn) });
    });
  }
  const retention = settings.evidenceRetentionDays;
  if (
    retention !== undefined &&
    !(Number.isInteger(retention) && retention >= EVIDENCE_RETENTION_DAYS.min && retention <= EVIDENCE_RETENTION_DAYS.max)
  ) {
    const message = `must be a whole number of days from ${EVIDENCE_RETENTION_DAYS.min} to ${EVIDENCE_RETENTION_DAYS.max} (Object Lock's limit)`;
    problems.push({ setting: 'evidenceRetentionDays', message });
  }
  return problems;
}

const anyAccount = (arn: string) => (arn.split(':')[4] ?? '').includes('*');
const anyAccountMessage = (arn: string) =>
  `${arn} has "*" in its account field: with spoke accounts, anyone who can create that role in a member account would match it; name the account`;

/**
 * With spokes, an approver principal (or a window operator's) matching any account is refused: anyone who can create a role of that name in a
 * member account would pass for the approver.
 */
function anyAccountPrincipals(approvers: RelatedSettings['approvers']): SettingProblem[] {
  return approvers.flatMap((approver, a) =>
    (approver.iamPrincipals ?? []).flatMap((arn, p) =>
      anyAccount(arn) ? [{ setting: `approvers.${a}.iamPrincipals.${p}` as const, message: anyAccountMessage(arn) }] : [],
    ),
  );
}

type SpokeSetting = 'organizationId' | 'spokeAccounts' | 'spokeStackSet' | 'operators';

/** The several-accounts settings (plangate:spokeAccounts and the keys that go with it), as the configuration gives them. */
export interface SpokeSettings {
  readonly organizationId?: string;
  readonly spokeAccounts?: '*' | readonly { readonly accountId: string }[];
  readonly spokeStackSet?: { readonly regions: readonly string[] };
  readonly operators?: readonly string[];
}

/** How the several-accounts settings depend on each other: the others mean nothing without plangate:spokeAccounts. */
export function spokeSettingProblems(settings: SpokeSettings): SettingProblem[] {
  const { spokeAccounts } = settings;
  if (spokeAccounts === undefined) {
    return (['organizationId', 'spokeStackSet', 'operators'] as const)
      .filter((setting) => settings[setting] !== undefined)
      .map((setting) => ({ setting, message: 'needs plangate:spokeAccounts (the member accounts whose plans PlanGate gates)' }));
  }
  const problems: SettingProblem[] = [];
  if (!settings.organizationId) {
    problems.push({ setting: 'organizationId', message: 'is required with plangate:spokeAccounts: only its accounts may send events to the hub' });
  }
  if (spokeAccounts === '*') {
    if (!settings.spokeStackSet) {
      problems.push({ setting: 'spokeAccounts', message: '"*" needs plangate:spokeStackSet, whose regions are the Regions gated in every account' });
    }
  } else {
    const ids = spokeAccounts.map((account) => account.accountId);
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated) problems.push({ setting: 'spokeAccounts', message: `lists account ${repeated} more than once` });
  }
  return problems;
}

type PolicySetting = `groups.${string}` | 'approvalRules' | `approvalRules.${number}.${string}` | 'identityStoreId' | `changeCalendar.${string}`;

/** The approval policy's settings (plangate:groups, plangate:approvalRules), as the configuration gives them. */
export interface PolicySettings {
  readonly approvers: readonly { readonly email: string }[];
  readonly groups?: Readonly<Record<string, { readonly members: readonly string[]; readonly identityCenterGroup?: string }>>;
  readonly approvalRules?: readonly {
    readonly name: string;
    readonly when?: { readonly environment?: readonly string[] };
    readonly require: readonly { readonly group: string; readonly count: number }[];
  }[];
  readonly identityStoreId?: string;
  readonly spokeAccounts?: '*' | readonly { readonly environment?: string }[];
}

/** How groups, rules and approvers fit together: each problem names the key and index it is at. */
export function policyProblems(settings: PolicySettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const approvers = new Set(settings.approvers.map((a) => a.email.toLowerCase()));
  const groups = settings.groups ?? {};
  for (const [name, group] of Object.entries(groups)) {
    const members = group.members.map((m) => m.toLowerCase());
    members.forEach((member, i) => {
      if (!approvers.has(member)) {
        problems.push({
          setting: `groups.${name}.members.${i}`,
          message: `${member} is not in plangate:approvers, which gives each member a personal link`,
        });
      } else if (members.indexOf(member) !== i) {
        problems.push({ setting: `groups.${name}.members.${i}`, message: `lists ${member} more than once` });
      }
    });
    if (group.identityCenterGroup && !settings.identityStoreId) {
      const message = 'needs plangate:identityStoreId, the identity store whose group membership is checked at each vote';
      problems.push({ setting: `groups.${name}.identityCenterGroup`, message });
    }
  }
  const environments = settings.spokeAccounts === undefined || settings.spokeAccounts === '*' ? [] : settings.spokeAccounts.map((a) => a.environment);
  (settings.approvalRules ?? []).forEach((rule, r) => {
    const first = settings.approvalRules?.findIndex((other) => other.name === rule.name) ?? r;
    if (first !== r) problems.push({ setting: `approvalRules.${r}.name`, message: `repeats the name ${rule.name} of rule ${first}` });
    rule.require.forEach(({ group, count }, q) => {
      // Own keys only: a group named `constructor` or `toString` is not defined by every object.
      const members = Object.hasOwn(groups, group) ? groups[group]?.members.length : undefined;
      if (members === undefined) {
        problems.push({ setting: `approvalRules.${r}.require.${q}.group`, message: `names group ${group}, which plangate:groups does not define` });
      } else if (count > members) {
        problems.push({
          setting: `approvalRules.${r}.require.${q}.count`,
          message: `asks for ${count} approvals from group ${group}, which has ${members} member(s)`,
        });
      }
      if (rule.require.findIndex((other) => other.group === group) !== q) {
        problems.push({ setting: `approvalRules.${r}.require.${q}.group`, message: `names group ${group} twice in one rule: give one count` });
      }
    });
    for (const environment of rule.when?.environment ?? []) {
      if (!environments.includes(environment)) {
        const message = `names environment ${environment}, which no account of plangate:spokeAccounts has: the rule could never apply`;
        problems.push({ setting: `approvalRules.${r}.when.environment`, message });
      }
    }
  });
  const requirements = (settings.approvalRules ?? []).reduce((n, rule) => n + rule.require.length, 0);
  if (requirements > MAX_REQUIREMENTS) {
    const message = `name ${requirements} requirements ({"group", "count"}) in all: at most ${MAX_REQUIREMENTS} fit the run's state`;
    problems.push({ setting: 'approvalRules', message });
  }
  return problems;
}

/** plangate:changeCalendar's freeze approvals: the group they come from must exist and have enough members. */
export function calendarProblems(settings: {
  readonly changeCalendar?: { readonly onClosed?: string; readonly freezeApprovers?: { readonly group: string; readonly count: number } };
  readonly groups?: Readonly<Record<string, { readonly members: readonly string[] }>>;
}): SettingProblem[] {
  const calendar = settings.changeCalendar;
  if (!calendar) return [];
  const freeze = calendar.freezeApprovers;
  const wanted = calendar.onClosed === 'require-freeze-approval';
  if (wanted && !freeze) {
    return [
      { setting: 'changeCalendar.freezeApprovers', message: 'is required with onClosed "require-freeze-approval": {"group": ..., "count": ...}' },
    ];
  }
  if (!freeze) return [];
  if (!wanted) return [{ setting: 'changeCalendar.freezeApprovers', message: 'applies only with onClosed "require-freeze-approval"' }];
  const groups = settings.groups ?? {};
  const members = Object.hasOwn(groups, freeze.group) ? groups[freeze.group]?.members.length : undefined;
  if (members === undefined) {
    return [{ setting: 'changeCalendar.freezeApprovers.group', message: `names group ${freeze.group}, which plangate:groups does not define` }];
  }
  if (freeze.count > members) {
    const message = `asks for ${freeze.count} approvals from group ${freeze.group}, which has ${members} member(s)`;
    return [{ setting: 'changeCalendar.freezeApprovers.count', message }];
  }
  return [];
}

/** plangate:breakGlass's requesters: with spokes, none may match any account (as approvers' iamPrincipals). */
export function breakGlassProblems(settings: {
  readonly breakGlass?: { readonly requesters: readonly string[] };
  readonly spokesConfigured: boolean;
}) {
  if (!settings.breakGlass || !settings.spokesConfigured) return [];
  return settings.breakGlass.requesters.flatMap((arn, r): SettingProblem[] =>
    (arn.split(':')[4] ?? '').includes('*')
      ? [{ setting: `breakGlass.requesters.${r}`, message: `${arn} has "*" in its account field: with spoke accounts, name the account` }]
      : [],
  );
}

type SignInSetting = 'requireSignIn' | `signIn.${string}`;

/** plangate:signIn, as the configuration gives it (lib/config.ts has its shape). */
export interface SignInSettings {
  readonly signIn?: {
    readonly identityProvider: { readonly type: 'SAML'; readonly metadataUrl: string } | { readonly type: 'OIDC'; readonly issuer: string };
    readonly allowedEmailDomains: readonly string[];
    readonly domainPrefix: string;
  };
  readonly requireSignIn?: boolean;
}

const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/\S*)?$/;
const EMAIL_DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Sign-in's settings: https URLs for the provider, real email domains, and a hosted domain prefix Cognito accepts
 * (lowercase letters, digits and hyphens, not starting or ending with one, without "aws", "amazon" or "cognito").
 */
export function signInProblems(settings: SignInSettings): SettingProblem[] {
  const { signIn } = settings;
  if (!signIn) {
    return settings.requireSignIn
      ? [{ setting: 'requireSignIn', message: 'needs plangate:signIn (the identity provider approvers sign in with)' }]
      : [];
  }
  const problems: SettingProblem[] = [];
  const idp = signIn.identityProvider;
  if (idp.type === 'SAML' && !HTTPS_URL.test(idp.metadataUrl)) {
    problems.push({ setting: 'signIn.identityProvider.metadataUrl', message: `must be an https URL (got ${idp.metadataUrl})` });
  }
  if (idp.type === 'OIDC' && !HTTPS_URL.test(idp.issuer)) {
    problems.push({ setting: 'signIn.identityProvider.issuer', message: `must be an https URL (got ${idp.issuer})` });
  }
  if (!signIn.allowedEmailDomains.length) {
    problems.push({ setting: 'signIn.allowedEmailDomains', message: 'must name at least one email domain: only its addresses may sign in' });
  }
  signIn.allowedEmailDomains.forEach((domain, i) => {
    if (!EMAIL_DOMAIN.test(domain)) {
      problems.push({ setting: `signIn.allowedEmailDomains.${i}`, message: `must be a lowercase email domain such as example.com (got ${domain})` });
    } else if (signIn.allowedEmailDomains.indexOf(domain) !== i) {
      problems.push({ setting: `signIn.allowedEmailDomains.${i}`, message: `lists ${domain} more than once` });
    }
  });
  const prefix = signIn.domainPrefix;
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
    problems.push({
      setting: 'signIn.domainPrefix',
      message: `must be 1-63 lowercase letters, digits or hyphens (not first or last), without "aws", "amazon" or "cognito" (got ${prefix})`,
    });
  }
  return problems;
}
