import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SPOKE_STACK_NAME } from '../lambdas/shared/contracts/spokes';
import { addPlanGateStacks } from '../lib/app';
import { parseConfig } from '../lib/config';

/** The example configuration from cdk.json, as a fresh clone has it. */
export const exampleContext = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;

/**
 * Synthesizes the PlanGate stack the way `cdk synth` does, with cdk-nag's AwsSolutions checks.
 * Bundling is skipped: tests and local mode read the template, not the code assets (test/bin/synth.test.ts bundles).
 */
export function synthesize(contextOverrides: Record<string, unknown> = {}, options: { bundle?: boolean } = {}) {
  const context = { ...exampleContext(), ...contextOverrides };
  const app = new App({
    context: { ...context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
    // CDK's built-in CloudFormation validation costs seconds a synth and only warns; `cdk synth`, which deploys, keeps it.
    builtinCloudFormationValidation: false,
  });
  const { hub: stack } = addPlanGateStacks(app, parseConfig(context));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  // The spoke stack, when spokes are configured.
  const spoke = assembly.stacks.find((s) => s.stackName === SPOKE_STACK_NAME);
  return {
    app,
    stack,
    template,
    json: template.toJSON() as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> },
    spokeJson: spoke?.template as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> } | undefined,
    assembly,
  };
}
