import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { SpokeAccessDeniedError } from '../../contracts/errors';
import { SPOKE_STACK_NAME } from '../../contracts/spokes';
import { tracer } from '../../runtime/tracer';

/**
 * Created once per container, traced. Only runs in spoke accounts use it, so service-catalog.ts loads this module on
 * the first such run (a hub-only deployment never loads the STS client).
 */
export const sts = tracer.captureAWSv3Client(new STSClient({}));

/** AssumeRole's answers for a role that is missing, does not trust the hub, or a Region the account has not enabled. */
const REFUSALS = new Set(['AccessDenied', 'AccessDeniedException', 'NoSuchEntity', 'NoSuchEntityException', 'RegionDisabledException']);

/** The spoke role's credentials for this run; a role that is missing or refuses is SpokeAccessDeniedError, naming it. */
export async function assumeRole(roleArn: string, sessionName: string) {
  try {
    return await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, SourceIdentity: sessionName }));
  } catch (error) {
    if (!REFUSALS.has((error as Error).name)) throw error;
    throw new SpokeAccessDeniedError(
      `PlanGate could not assume its spoke role ${roleArn} (${(error as Error).name}: ${(error as Error).message}): is the ${SPOKE_STACK_NAME} stack deployed there, trusting this hub?`,
      { cause: error },
    );
  }
}
