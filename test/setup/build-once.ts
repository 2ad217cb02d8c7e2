import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { bundleHandlers } from '../../local/handlers';
import { LOCAL_SLACK_CONTEXT } from '../../local/server';
import { ONE_APPROVAL, POLICIES_CONTEXT, SIGN_IN_CONTEXT, SPOKES_CONTEXT } from '../fixtures/context';
import { handlerBundles, synthesizedTemplates } from '../support/prebuilt';

/**
 * The configurations the local-mode tests start with. Another one works too: the first file that asks synthesizes
 * it (in its own hook, so more slowly) and leaves it for the rest of the run.
 */
const LOCAL_MODE_CONTEXTS: Record<string, unknown>[] = [
  {},
  ONE_APPROVAL,
  { 'plangate:autoApproveUpTo': 'LOW' },
  { 'plangate:autoApproveUpTo': 'LOW', 'plangate:approvalTimeoutMinutes': 5 },
  { 'plangate:deniedResourceTypes': ['AWS::IAM::User', 'AWS::EC2::*'] },
  { 'plangate:deleteExpiredPlans': true },
  SPOKES_CONTEXT,
  POLICIES_CONTEXT,
  SIGN_IN_CONTEXT,
];

/**
 * Jest's global setup for the layers that run local mode: bundles the handlers and synthesizes each template once per
 * run, before any test file, so no hook pays for them (on a loaded 2-core machine, each took 15 to 20 s per file).
 * Several projects name this setup; the first one builds. The folder is inside the project, so the bundles resolve the
 * AWS SDK from node_modules.
 */
export default async function buildOnce(): Promise<void> {
  if (process.env.PLANGATE_TEST_BUILD) return;
  const dir = path.join(__dirname, '..', '..', '.local', `test-build-${randomUUID()}`);
  process.env.PLANGATE_TEST_BUILD = dir;
  await bundleHandlers(handlerBundles(dir));
  for (const context of LOCAL_MODE_CONTEXTS) await synthesizedTemplates({ ...LOCAL_SLACK_CONTEXT, ...context }, dir);
}
