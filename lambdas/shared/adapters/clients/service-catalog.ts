import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { SpokeAccessDeniedError } from '../../contracts/errors';
import { type PlanLocation, spokeRoleArn } from '../../contracts/spokes';
import { isSpoke, sessionNameOf } from '../../domain/plan-location';
import { tracer } from '../../runtime/tracer';

/**
 * Created once per container, traced. Endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL_*), which is
 * how local mode points clients at itself.
 */
export const serviceCatalog = tracer.captureAWSv3Client(new ServiceCatalogClient({}));

/** Credentials this close to expiry are not handed out again: a poll or a paged describe must not outlive them. */
const REFRESH_BEFORE_MS = 5 * 60 * 1000;

/** One spoke client per account and Region in a container, for the run whose session it holds. */
const spokeClients = new Map<string, { sessionName: string; expiresAt: number; client: ServiceCatalogClient }>();

/**
 * The Service Catalog client for a plan's place: the hub's own for a hub plan (or a run before spokes, with no place);
 * for a spoke, a client for its Region signed with its PlanGate role (spokeRoleArn), assumed for this run: the session
 * name and source identity name the run, so the spoke's CloudTrail shows which run called. A role that is missing or
 * refuses is SpokeAccessDeniedError, naming it (the run ends SPOKE_UNREACHABLE, not retried).
 */
export async function serviceCatalogAt(location: PlanLocation | undefined, hub: PlanLocation | undefined, executionArn: string) {
  if (!location || !isSpoke(location, hub)) return serviceCatalog;
  const cacheKey = `${location.accountId}:${location.region}`;
  const sessionName = sessionNameOf(executionArn);
  const cached = spokeClients.get(cacheKey);
  if (cached && cached.sessionName === sessionName && cached.expiresAt - Date.now() > REFRESH_BEFORE_MS) return cached.client;
  const roleArn = spokeRoleArn(location.accountId, location.region, partitionOf(executionArn));
  // Loaded on the first spoke run only: STS is the one client hub runs never use.
  const { assumeRole } = await import('./sts');
  const { Credentials } = await assumeRole(roleArn, sessionName);
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new Error(`AssumeRole into ${roleArn} returned no credentials`);
  const client = tracer.captureAWSv3Client(
    new ServiceCatalogClient({
      region: location.region,
      credentials: {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretAccessKey,
        sessionToken: Credentials.SessionToken,
        expiration: Credentials.Expiration,
      },
    }),
  );
  refuseAsSpoke(client, roleArn);
  spokeClients.set(cacheKey, { sessionName, expiresAt: Credentials.Expiration?.getTime() ?? Date.now() + 15 * 60 * 1000, client });
  return client;
}

/** Service Catalog's answers when an SCP, a permissions boundary or the role's own policy denies the call. */
const DENIALS = new Set(['AccessDenied', 'AccessDeniedException']);

/**
 * A spoke's denial of a call (the member account's SCP or boundary, or an edited role) is its role refusing, as for
 * AssumeRole: SpokeAccessDeniedError naming the role, so the run ends SPOKE_UNREACHABLE rather than INTERNAL_ERROR.
 */
function refuseAsSpoke(client: ServiceCatalogClient, roleArn: string) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (!DENIALS.has((error as Error).name)) throw error;
        throw new SpokeAccessDeniedError(
          `The spoke role ${roleArn} may not call ${context.commandName ?? 'Service Catalog'} (${(error as Error).name}: ${(error as Error).message}): ` +
            'check the role, and the service control policies and permissions boundaries of its account',
          { cause: error },
        );
      }
    },
    { step: 'initialize', name: 'plangateSpokeDenied' },
  );
}

// For the functions that load this module on first use (`await import`): a static import of the SDK would load it at once.
export { DeleteProvisionedProductPlanCommand } from '@aws-sdk/client-service-catalog';

/** The hub's partition, from the run's ARN (aws, aws-cn, aws-us-gov). */
const partitionOf = (executionArn: string) => (executionArn.startsWith('arn:') && executionArn.split(':')[1]) || 'aws';
