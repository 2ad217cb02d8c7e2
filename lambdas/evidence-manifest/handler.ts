import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { EVIDENCE_MANIFEST_ENV, evidenceManifest } from './evidence-manifest';

const env = parseEnvironment(EVIDENCE_MANIFEST_ENV, process.env);

// The schedule retries nothing: the next hour's run writes what this one could not, and the error alarm sees it.
export const handler = lambdaHandler((event: unknown) => evidenceManifest(event, env), { retried: false });
