import {
  DescribeProvisionedProductPlanCommand,
  type DescribeProvisionedProductPlanCommandOutput,
  type ResourceChange,
  type ServiceCatalogClient,
} from '@aws-sdk/client-service-catalog';
import { PlanNotReadyError } from '../shared/errors';
import type { AcceptLanguage, ChangeSummary, PlanSummary, ResourceChangeSummary } from '../shared/run';

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
    // Changes are final only once the plan is created; an in-progress plan may list a partial set.
    if (page.ProvisionedProductPlanDetails?.Status !== 'CREATE_SUCCESS') break;
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

/** Whether a change destroys something that exists today: a removal or a replacement. */
export function isDestructive(change: Pick<ResourceChange, 'Action' | 'Replacement'>): boolean {
  return change.Action === 'REMOVE' || change.Replacement === 'TRUE';
}

/** Counts changes by action and lists them with removals and replacements first. */
export function summarizeChanges(resourceChanges: ResourceChange[]): ChangeSummary {
  const countsByAction: Record<string, number> = {};
  for (const change of resourceChanges) {
    const action = change.Action ?? 'UNKNOWN';
    countsByAction[action] = (countsByAction[action] ?? 0) + 1;
  }
  const rank = (c: ResourceChange) => (c.Action === 'REMOVE' ? 0 : c.Replacement === 'TRUE' ? 1 : 2);
  // Array.prototype.sort is stable, so changes keep the plan's order within each rank.
  const ordered = [...resourceChanges].sort((a, b) => rank(a) - rank(b));
  return {
    total: resourceChanges.length,
    countsByAction,
    replacements: resourceChanges.filter((c) => c.Replacement === 'TRUE').length,
    changes: ordered.slice(0, MAX_LISTED_CHANGES).map(toChangeSummary),
    unlisted: Math.max(0, ordered.length - MAX_LISTED_CHANGES),
  };
}

function toChangeSummary(change: ResourceChange): ResourceChangeSummary {
  return {
    action: change.Action ?? 'UNKNOWN',
    logicalResourceId: change.LogicalResourceId ?? '(unnamed)',
    resourceType: change.ResourceType ?? '(unknown type)',
    physicalResourceId: change.PhysicalResourceId,
    replacement: change.Replacement,
  };
}
