import {
  DescribeProvisionedProductPlanCommand,
  type DescribeProvisionedProductPlanCommandOutput,
  type ResourceChange,
  type ServiceCatalogClient,
} from '@aws-sdk/client-service-catalog';
import { PlanNotReadyError } from './errors';
import { type ChangeRisk, classifyChange, planRisk, type RiskLevel, riskRank } from './risk';
import type { AcceptLanguage, ChangeSummary, PlanSummary, ResourceChangeSummary } from './run';

/** Service Catalog's largest page for DescribeProvisionedProductPlan. */
export const PAGE_SIZE = 20;
/** Keeps the state document well under Step Functions' 256 KiB payload limit. */
export const MAX_LISTED_CHANGES = 300;

export interface DescribedPlan {
  plan: PlanSummary;
  resourceChanges: ResourceChange[];
}

/**
 * Describes a plan and, when it is ready, reads every page of its resource changes.
 * A missing plan becomes PlanNotReadyError so the run ends with Service Catalog's reason.
 */
export async function describePlan(
  client: ServiceCatalogClient,
  planId: string,
  acceptLanguage: AcceptLanguage,
): Promise<DescribedPlan> {
  const resourceChanges: ResourceChange[] = [];
  let pageToken: string | undefined;
  let first: DescribeProvisionedProductPlanCommandOutput | undefined;
  do {
    const page = await describePage(client, planId, acceptLanguage, pageToken);
    first ??= page;
    // Changes are final once the plan is created (and stay so while it executes); a plan still being
    // created may list a partial set, and a failed one has none worth reading.
    const status = page.ProvisionedProductPlanDetails?.Status;
    if (status === 'CREATE_IN_PROGRESS' || status === 'CREATE_FAILED') break;
    resourceChanges.push(...(page.ResourceChanges ?? []));
    pageToken = page.NextPageToken ?? undefined;
  } while (pageToken);
  return { plan: toPlanSummary(planId, first), resourceChanges };
}

async function describePage(
  client: ServiceCatalogClient,
  planId: string,
  acceptLanguage: AcceptLanguage,
  pageToken: string | undefined,
) {
  try {
    return await client.send(
      new DescribeProvisionedProductPlanCommand({
        PlanId: planId,
        AcceptLanguage: acceptLanguage,
        PageSize: PAGE_SIZE,
        PageToken: pageToken,
      }),
    );
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException' || name === 'InvalidParametersException') {
      throw new PlanNotReadyError(`Service Catalog cannot describe plan ${planId}: ${(error as Error).message}`);
    }
    throw error;
  }
}

function toPlanSummary(planId: string, output: DescribeProvisionedProductPlanCommandOutput | undefined): PlanSummary {
  const details = output?.ProvisionedProductPlanDetails;
  return {
    planId,
    planName: details?.PlanName,
    status: details?.Status ?? 'UNKNOWN',
    statusMessage: details?.StatusMessage,
    provisionedProductId: details?.ProvisionProductId,
    provisionedProductName: details?.ProvisionProductName,
    productId: details?.ProductId,
    provisioningArtifactId: details?.ProvisioningArtifactId,
    createdTime: details?.CreatedTime?.toISOString(),
  };
}

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
    logicalResourceId: change.LogicalResourceId ?? '(unnamed)',
    resourceType: change.ResourceType ?? '(unknown type)',
    physicalResourceId: change.PhysicalResourceId,
    replacement: change.Replacement,
    risk: risk.level,
    reason: risk.reason,
  };
}
