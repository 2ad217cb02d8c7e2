/*
 * The rules that tie settings together, once: the zod schema (lib/config.ts) reports each problem under its
 * `plangate:` key, the construct (lib/plan-approval-workflow.ts) throws it under its prop's name, with the same
 * message. No aws-cdk-lib import.
 */

export interface RelatedSettings {
  readonly approvers: readonly { readonly email: string; readonly slackUserId?: string }[];
  readonly approvalTimeoutMinutes: number;
  /** Unset: the default, which always fits. */
  readonly reminderMinutesBeforeExpiry?: number;
  readonly requiredApprovals: Readonly<Record<string, number>>;
  readonly pollInitialIntervalSeconds: number;
  readonly pollMaxIntervalSeconds: number;
}

/** A broken rule: the setting (by its configuration key, `requiredApprovals.HIGH` for a nested one) and what is wrong. */
export interface SettingProblem {
  readonly setting: 'approvers' | 'reminderMinutesBeforeExpiry' | 'pollMaxIntervalSeconds' | `requiredApprovals.${string}`;
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
  return problems;
}
