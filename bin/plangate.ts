#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { STACK_NAME } from '../lambdas/shared/contracts/stack';
import { parseConfig } from '../lib/config';
import { PlanGateStack } from '../lib/plan-gate-stack';

const app = new App();
// Environment-agnostic on purpose: synth needs no credentials and no lookups.
new PlanGateStack(app, STACK_NAME, {
  config: parseConfig(app.node.getAllContext()),
  description: 'PlanGate: an approval gate for AWS Service Catalog provisioned product plans',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
