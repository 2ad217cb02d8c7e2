import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CfnTemplate } from '../../local/template';

/**
 * What test/setup/build-once.ts builds once per jest run, in the folder PLANGATE_TEST_BUILD names: the handler
 * bundles (handlers/) and one template per configuration (templates/), so no test file synthesizes or bundles in its hooks.
 */
export function buildDir(): string {
  const dir = process.env.PLANGATE_TEST_BUILD;
  if (!dir) throw new Error('PLANGATE_TEST_BUILD is not set: run the tests with jest.config.js, whose globalSetup builds them once');
  return dir;
}

export const handlerBundles = (dir = buildDir()) => path.join(dir, 'handlers');

/** The same JSON for the same configuration, whatever order its keys were written in. */
const canonical = (value: unknown): string =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? `{${Object.keys(value)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
        .join(',')}}`
    : JSON.stringify(value);

const templateFile = (dir: string, context: Record<string, unknown>) =>
  path.join(dir, 'templates', `${createHash('sha256').update(canonical(context)).digest('hex').slice(0, 16)}.json`);

/** The hub's template, and the spoke stack's when the configuration has spokes. */
export interface SynthesizedTemplates {
  template: CfnTemplate;
  spokeTemplate?: CfnTemplate;
}

/**
 * The templates synthesized with these context overrides: built by the global setup, or synthesized now (a
 * configuration the setup does not list) and kept for the next file of the run that asks for it.
 */
export async function synthesizedTemplates(context: Record<string, unknown>, dir = buildDir()): Promise<SynthesizedTemplates> {
  const file = templateFile(dir, context);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SynthesizedTemplates;
  // Loaded only here: the CDK app and cdk-nag take seconds to load in each test file.
  const { synthesize } = await import('../../local/synth');
  const { json, spokeJson } = synthesize(context);
  const templates: SynthesizedTemplates = { template: json as CfnTemplate, ...(spokeJson ? { spokeTemplate: spokeJson as CfnTemplate } : {}) };
  mkdirSync(path.dirname(file), { recursive: true });
  // Written whole, then renamed, so a file running in another worker never reads half a template.
  const partial = `${file}.${randomUUID()}`;
  writeFileSync(partial, JSON.stringify(templates));
  renameSync(partial, file);
  return templates;
}

/** The hub's template alone. */
export const synthesizedTemplate = async (context: Record<string, unknown>, dir = buildDir()) => (await synthesizedTemplates(context, dir)).template;
