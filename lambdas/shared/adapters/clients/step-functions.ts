import { SFNClient } from '@aws-sdk/client-sfn';

/** Created once per container; only the functions that complete tasks import it. */
export const stepFunctions = new SFNClient({});
