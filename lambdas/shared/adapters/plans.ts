import {
  DescribeProductAsAdminCommand,
  DescribeProvisionedProductPlanCommand,
  type DescribeProvisionedProductPlanCommandOutput,
  type ResourceChange,
  type ServiceCatalogClient,
} from '@aws-sdk/client-service-catalog';
import { PlanNotReadyError } from '../contracts/errors';
import type { AcceptLanguage, PlanSummary } from '../contracts/steps';
import { planParameters } from '../domain/parameters';
import { clip } from '../domain/text';

/** Service Catalog's largest page for DescribeProvisionedProductPlan. */
export const PAGE_SIZE = 20;

export interface DescribedPlan {
  plan: PlanSummary;
  resourceChanges: ResourceChange[];
}

/**
 * Describes a plan and, when it is ready, reads every page of its resource changes.
 * A missing plan becomes PlanNotReadyError so the run ends with Service Catalog's reason.
 */
export async function describePlan(client: ServiceCatalogClient, planId: string, acceptLanguage: AcceptLanguage): Promise<DescribedPlan> {
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

/** How long a container keeps a product's names: a burst of reviews of one product asks Service Catalog once. */
const PRODUCT_NAMES_TTL_MS = 5 * 60_000;

interface Names {
  at: number;
  productName?: string;
  /** Every version's name, by id, as DescribeProductAsAdmin listed them. */
  versions: Map<string, string>;
}
/** Per client (a spoke's is another account's view), then per product and language. */
const namesKept = new WeakMap<ServiceCatalogClient, Map<string, Names>>();

/**
 * The product's and its version's names, for approvers who know them by name rather than by id (DescribeProductAsAdmin
 * answers both). Only a decoration, never worth a retry of the review: any error (a product PlanGate may not describe,
 * one gone, a throttled call) leaves the ids alone. Kept for PRODUCT_NAMES_TTL_MS (a renamed product shows its old name
 * that long), unless the plan's version is not among those kept. The review asks; ExecutePlan's check of the plan does
 * not (its role may not, and nothing there shows names).
 */
export async function productNames(client: ServiceCatalogClient, plan: PlanSummary, acceptLanguage: AcceptLanguage, now = Date.now()) {
  if (!plan.productId) return {};
  const kept = namesKept.get(client) ?? new Map<string, Names>();
  namesKept.set(client, kept);
  const key = `${plan.productId} ${acceptLanguage}`;
  let names = kept.get(key);
  const stale = !names || now - names.at >= PRODUCT_NAMES_TTL_MS || (plan.provisioningArtifactId && !names.versions.has(plan.provisioningArtifactId));
  if (stale) {
    try {
      const product = await client.send(new DescribeProductAsAdminCommand({ Id: plan.productId, AcceptLanguage: acceptLanguage }));
      const versions = new Map((product.ProvisioningArtifactSummaries ?? []).flatMap((a) => (a.Id && a.Name ? [[a.Id, a.Name] as const] : [])));
      names = { at: now, productName: product.ProductViewDetail?.ProductViewSummary?.Name, versions };
      kept.set(key, names);
    } catch {
      return {};
    }
  }
  const productName = names?.productName;
  const version = plan.provisioningArtifactId && names?.versions.get(plan.provisioningArtifactId);
  return { ...(productName ? { productName: clip(productName, 200) } : {}), ...(version ? { provisioningArtifactName: clip(version, 200) } : {}) };
}

async function describePage(client: ServiceCatalogClient, planId: string, acceptLanguage: AcceptLanguage, pageToken: string | undefined) {
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
    planName: details?.PlanName === undefined ? undefined : clip(details.PlanName, 500),
    status: details?.Status ?? 'UNKNOWN',
    // Service Catalog sets no limit on it; the run's state and its messages have one.
    statusMessage: details?.StatusMessage === undefined ? undefined : clip(details.StatusMessage, 2_000),
    // Ids and names Service Catalog bounds (100 and 128 characters), kept bounded here whatever it answers.
    provisionedProductId: optionalClip(details?.ProvisionProductId, 200),
    provisionedProductName: optionalClip(details?.ProvisionProductName, 200),
    productId: optionalClip(details?.ProductId, 200),
    provisioningArtifactId: optionalClip(details?.ProvisioningArtifactId, 200),
    createdTime: details?.CreatedTime?.toISOString(),
    ...planParameters(details?.ProvisioningParameters),
  };
}

const optionalClip = (text: string | undefined, max: number) => (text === undefined ? undefined : clip(text, max));
