import type { App, StackProps } from 'aws-cdk-lib';
import { SPOKE_STACK_NAME } from '../lambdas/shared/contracts/spokes';
import { STACK_NAME } from '../lambdas/shared/contracts/stack';
import type { PlanGateConfig } from './config';
import { PlanGateStack } from './plan-gate-stack';
import { PlanGateSpokeStack } from './spoke-stack';

/**
 * PlanGate's stacks in an app: the hub (PlanGate), and with plangate:spokeAccounts the spoke stack (PlanGateSpoke),
 * which a StackSet or the member accounts deploy. Environment-agnostic on purpose: synth needs no credentials.
 */
export function addPlanGateStacks(app: App, config: PlanGateConfig, props: StackProps = {}) {
  const hub = new PlanGateStack(app, STACK_NAME, {
    ...props,
    config,
    description: 'PlanGate: an approval gate for AWS Service Catalog provisioned product plans',
  });
  const spoke = config.spokeAccounts === undefined ? undefined : new PlanGateSpokeStack(app, SPOKE_STACK_NAME, props);
  return { hub, spoke };
}
