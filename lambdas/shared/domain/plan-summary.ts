import type { ResourceChange } from '@aws-sdk/client-service-catalog';
import type { ChangeSummary, ResourceChangeSummary, RiskLevel } from '../contracts/steps';
import { type ChangeRisk, classifyChange, planRisk, riskRank } from './risk';
import { clip } from './text';

/** Keeps the state document well under Step Functions' 256 KiB payload limit. */
export const MAX_LISTED_CHANGES = 300;

/**
 * Counts changes by action and risk, and lists them riskiest first: among HIGH ones, removals,
 * then replacements, then changes to sensitive types.
 */
export function summarizeChanges(resourceChanges: ResourceChange[], sensitiveTypes?: readonly string[]): ChangeSummary {
  const countsByAction: Record<string, number> = {};
  const countsByRisk: Record<RiskLevel, number> = { LOW: 0, MEDIUM: 0, HIGH: 0 };
  const classified = resourceChanges.map((change) => {
    const risk = classifyChange(change, sensitiveTypes);
    const action = change.Action ?? 'UNKNOWN';
    countsByAction[action] = (countsByAction[action] ?? 0) + 1;
    countsByRisk[risk.level]++;
    return toChangeSummary(change, risk);
  });
  const order = (c: ResourceChangeSummary) => -riskRank(c.risk) * 10 + (c.action === 'REMOVE' ? 0 : c.replacement === 'TRUE' ? 1 : 2);
  // Array.prototype.sort is stable, so changes keep the plan's order within each rank.
  const ordered = [...classified].sort((a, b) => order(a) - order(b));
  return {
    total: resourceChanges.length,
    countsByAction,
    replacements: resourceChanges.filter((c) => c.Replacement === 'TRUE').length,
    risk: planRisk(classified.map((c) => ({ level: c.risk }))),
    countsByRisk,
    changes: ordered.slice(0, MAX_LISTED_CHANGES),
    unlisted: Math.max(0, ordered.length - MAX_LISTED_CHANGES),
  };
}

function toChangeSummary(change: ResourceChange, risk: ChangeRisk): ResourceChangeSummary {
  return {
    action: change.Action ?? 'UNKNOWN',
    // Service Catalog bounds none of these; 300 of them must fit the run's 256 KiB state.
    logicalResourceId: clip(change.LogicalResourceId ?? '(unnamed)', 255),
    resourceType: clip(change.ResourceType ?? '(unknown type)', 256),
    physicalResourceId: change.PhysicalResourceId === undefined ? undefined : clip(change.PhysicalResourceId, 255),
    replacement: change.Replacement,
    risk: risk.level,
    reason: risk.reason,
  };
}
