import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type Browser, chromium } from 'playwright-core';
import { type LocalMode, startLocalMode } from '../local/server';

/**
 * An approver's click, in Debian's Chromium driven by playwright-core: the link from the outbox,
 * the page with removals and replacements first, Approve, the confirmation, the run SUCCEEDED.
 * `.ci/run` installs Chromium; without it this test says so and is skipped.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  // Plain words in the output, as well as jest's "skipped" count.
  process.stdout.write(`\nBrowser test skipped: Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH).\n`);
}

let local: LocalMode;
let browser: Browser;
let artifacts: string;

beforeAll(async () => {
  if (!hasChromium) return;
  local = await startLocalMode({ pollWaitMs: 100 });
  artifacts = mkdtempSync(path.join(tmpdir(), 'plangate-browser-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await local?.close();
  if (artifacts) rmSync(artifacts, { recursive: true, force: true });
});

(hasChromium ? test : test.skip)('an approver approves the demo plan in the browser and the run ends SUCCEEDED', async () => {
  const sfn = new SFNClient({ endpoint: local.baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: JSON.stringify({ planId: 'plan-demoorders0001' }) }),
  );
  let link: string | undefined;
  while (!link) {
    const outbox = (await (await fetch(`${local.baseUrl}/local/outbox`)).json()) as { recipient: string; urls: string[] }[];
    link = outbox.find((e) => e.recipient === 'bob@example.com')?.urls[0];
    if (!link) await new Promise((r) => setTimeout(r, 50));
  }

  const page = await browser.newPage();
  await page.goto(link);
  await expect(page.title()).resolves.toBe('Approve orders-service-prod-update (plan-demoorders0001)? · PlanGate');
  const actions = await page.locator('#changes tbody td.badge').allTextContents();
  const resources = await page.locator('#changes tbody td:nth-child(2)').allTextContents();
  // Removal first, then the replacement, then the rest.
  expect(actions).toEqual(['REMOVE', 'MODIFY', 'ADD', 'MODIFY']);
  expect(resources).toEqual(['LegacyOrdersTopic', 'OrdersTable', 'OrdersDeadLetterQueue', 'OrdersFunction']);
  await expect(page.locator('tr.risk-high').count()).resolves.toBe(2);

  await page.fill('#comment', 'Checked the table migration with the team');
  await page.click('button.approve');
  await expect(page.locator('h1').textContent()).resolves.toBe('Approved');
  await expect(page.locator('.notice').first().textContent()).resolves.toContain('approved by Bob Chen <bob@example.com>');
  await page.screenshot({ path: process.env.PLANGATE_SCREENSHOT ?? path.join(artifacts, 'approved.png') });

  let status = 'RUNNING';
  let output = '{}';
  while (status === 'RUNNING') {
    await new Promise((r) => setTimeout(r, 100));
    ({ status = 'RUNNING', output = '{}' } = await sfn.send(new DescribeExecutionCommand({ executionArn })));
  }
  expect(status).toBe('SUCCEEDED');
  expect(JSON.parse(output)).toMatchObject({ outcome: 'SUCCEEDED', comment: 'Checked the table migration with the team' });
  sfn.destroy();
}, 60_000);
