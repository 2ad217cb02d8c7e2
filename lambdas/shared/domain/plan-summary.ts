import type { ResourceChange, ResourceChangeDetail } from '@aws-sdk/client-service-catalog';
import type { ChangeDetail, ChangeSummary, ResourceChangeSummary, RiskLevel } from '../contracts/steps';
import { type ChangeRisk, classifyChange, planRisk, riskRank } from './risk';
import { clip } from './text';

/** Keeps the state document well under Step Functions' 256 KiB payload limit. */
export const MAX_LISTED_CHANGES = 300;
/** Property details kept per change, and in all (riskiest changes first): enough to say why, small enough to carry. */
export const MAX_DETAILS_PER_CHANGE = 5;
export const MAX_LISTED_DETAILS = 200;
/** Property names and causing entities are short in practice; a longer one is clipped. */
const MAX_DETAIL_TEXT = 64;

/**
 * Counts changes by action and risk, and lists them riskiest first: among HIGH ones, removals,
 * then replacements, then changes to sensitive types.
 */
export function summarizeChanges(resourceChanges: ResourceChange[], sensitiveTypes?: readonly string[]): ChangeSummary {
  const countsByAction: Record<string, number> = {};
  const countsByRisk: Record<RiskLevel, number> = { LOW: 0, MEDIUM: 0, HIGH: 0 };
  const details = new Map<ResourceChangeSummary, ResourceChangeDetail[]>();
  const classified = resourceChanges.map((change) => {
    const risk = classifyChange(change, sensitiveTypes);
    const action = change.Action ?? 'UNKNOWN';
    countsByAction[action] = (countsByAction[action] ?? 0) + 1;
    countsByRisk[risk.level]++;
    const summary = toChangeSummary(change, risk);
    details.set(summary, change.Details ?? []);
    return summary;
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
    changes: withDetails(ordered.slice(0, MAX_LISTED_CHANGES), details),
    unlisted: Math.max(0, ordered.length - MAX_LISTED_CHANGES),
  };
}

/** Adds each listed change's details, the ones that re-create the resource first, within the caps. */
function withDetails(listed: ResourceChangeSummary[], details: Map<ResourceChangeSummary, ResourceChangeDetail[]>): ResourceChangeSummary[] {
  let budget = MAX_LISTED_DETAILS;
  return listed.map((summary) => {
    const all = [...(details.get(summary) ?? [])].sort((a, b) => weight(a) - weight(b));
    if (!all.length) return summary;
    const kept = all.slice(0, Math.min(MAX_DETAILS_PER_CHANGE, budget)).map(toDetail);
    budget -= kept.length;
    return {
      ...summary,
      ...(kept.length ? { details: kept } : {}),
      ...(all.length > kept.length ? { detailsUnlisted: all.length - kept.length } : {}),
    };
  });
}

const weight = (d: ResourceChangeDetail) =>
  d.Target?.RequiresRecreation === 'ALWAYS' ? 0 : d.Target?.RequiresRecreation === 'CONDITIONALLY' ? 1 : d.Evaluation === 'DYNAMIC' ? 2 : 3;

const clipText = (text: string | undefined) => (text && text.length > MAX_DETAIL_TEXT ? `${text.slice(0, MAX_DETAIL_TEXT - 1)}…` : text);

function toDetail(d: ResourceChangeDetail): ChangeDetail {
  return {
    attribute: d.Target?.Attribute,
    name: clipText(d.Target?.Name),
    requiresRecreation: d.Target?.RequiresRecreation,
    evaluation: d.Evaluation,
    causingEntity: clipText(d.CausingEntity),
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
