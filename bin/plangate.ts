#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addPlanGateStacks } from '../lib/app';
import { parseConfig } from '../lib/config';

const app = new App();
addPlanGateStacks(app, parseConfig(app.node.getAllContext()));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
