import { createHash } from 'node:crypto';
import type { ResourceChange } from '@aws-sdk/client-service-catalog';
import { RISK_LEVELS, type RiskLevel } from '../contracts/steps';

/** Stateful and security-sensitive resource types: databases, storage, keys and identity. `*` matches any suffix. */
export const DEFAULT_SENSITIVE_RESOURCE_TYPES = [
  'AWS::RDS::*',
  'AWS::DynamoDB::*',
  'AWS::S3::*',
  'AWS::EFS::*',
  'AWS::KMS::*',
  'AWS::IAM::*',
  'AWS::SecretsManager::*',
  'AWS::Cognito::*',
];

export interface ChangeRisk {
  level: RiskLevel;
  /** Why the change is MEDIUM or HIGH; absent for LOW. */
  reason?: string;
}

export const matchesType = (pattern: string, type: string) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern);

/**
 * HIGH: a removal, a replacement, or any change to a sensitive resource type.
 * MEDIUM: a replacement that depends on values known only at execution (CONDITIONAL), or a DYNAMIC evaluation.
 * LOW: everything else.
 */
export function classifyChange(change: ResourceChange, sensitiveTypes: readonly string[] = DEFAULT_SENSITIVE_RESOURCE_TYPES): ChangeRisk {
  const type = change.ResourceType ?? '';
  if (change.Action === 'REMOVE') return { level: 'HIGH', reason: `removes ${type}` };
  if (change.Replacement === 'TRUE') return { level: 'HIGH', reason: `replaces ${type} (the existing resource is deleted)` };
  const sensitive = sensitiveTypes.find((pattern) => matchesType(pattern, type));
  if (sensitive)
    return { level: 'HIGH', reason: `${change.Action === 'ADD' ? 'adds' : 'changes'} ${type}, a sensitive resource type (${sensitive})` };
  if (change.Replacement === 'CONDITIONAL') return { level: 'MEDIUM', reason: `may replace ${type}, depending on values known only at execution` };
  if (change.Details?.some((d) => d.Evaluation === 'DYNAMIC')) return { level: 'MEDIUM', reason: 'has values known only at execution (DYNAMIC)' };
  return { level: 'LOW' };
}

export const riskRank = (level: RiskLevel) => RISK_LEVELS.indexOf(level);

/** The plan's risk is its riskiest change's (LOW for a plan with no changes). */
export function planRisk(risks: ChangeRisk[]): RiskLevel {
  return risks.reduce<RiskLevel>((worst, r) => (riskRank(r.level) > riskRank(worst) ? r.level : worst), 'LOW');
}

/** JSON with sorted keys, so equal changes always serialize the same way. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A digest of exactly what the plan will change, stored with the approval and checked again before execution. */
export function changesDigest(changes: ResourceChange[]): string {
  return createHash('sha256').update(canonical(changes)).digest('hex');
}
