import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Browser } from 'playwright-core';
import { ordersServicePlan } from '../fixtures/plans';
import { CHROMIUM, hasChromium, launchChromium } from '../support/chromium';
import { LOCAL_MODE_START_MS, type LocalMode, startLocalMode } from '../support/local-mode';

/**
 * An approver's click, in Debian's Chromium driven by playwright-core: the link from the outbox,
 * the page with removals and replacements first, Approve, the confirmation, the run SUCCEEDED.
 * `.ci/run` installs Chromium; without it this test says so and is skipped.
 */
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
  browser = await launchChromium();
}, LOCAL_MODE_START_MS);
afterAll(async () => {
  await browser?.close();
  await local?.close();
  if (artifacts) rmSync(artifacts, { recursive: true, force: true });
});

(hasChromium ? test : test.skip)(
  'the second approver approves the HIGH-risk demo plan in the browser and the run ends SUCCEEDED',
  async () => {
    const sfn = new SFNClient({ endpoint: local.baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: JSON.stringify({ planId: 'plan-demoorders0001' }) }),
    );
    const linkOf = async (recipient: string) => {
      for (;;) {
        const outbox = (await (await fetch(`${local.baseUrl}/local/outbox`)).json()) as { recipient: string; urls: string[] }[];
        const link = outbox.find((e) => e.recipient === recipient)?.urls[0];
        if (link) return link;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // The demo plan is HIGH risk: it needs two approvers. Alice has approved already.
    await fetch(await linkOf('alice@example.com'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
    });
    const link = await linkOf('bob@example.com');

    const page = await browser.newPage();
    await page.goto(link);
    await expect(page.title()).resolves.toBe('Approve orders-service-prod-update (plan-demoorders0001)? · PlanGate');
    const actions = await page.locator('#changes tbody td.badge').allTextContents();
    const resources = await page.locator('#changes .logical-id').allTextContents();
    // Removal first, then the replacement, then the rest.
    expect(actions).toEqual(['REMOVE', 'MODIFY', 'ADD', 'MODIFY']);
    expect(resources).toEqual(['LegacyOrdersTopic', 'OrdersTable', 'OrdersDeadLetterQueue', 'OrdersFunction']);
    await expect(page.locator('tr.risk-high').count()).resolves.toBe(2);
    await expect(page.locator('#progress').textContent()).resolves.toContain('1 of 2 approvals, by Alice Martin');
    // Why the table is replaced, highlighted under it; and what approving does.
    await expect(page.locator('#changes tbody', { hasText: 'OrdersTable' }).locator('li.recreate').textContent()).resolves.toBe(
      'property KeySchema: requires recreation: ALWAYS, evaluation: STATIC, caused by: a direct template edit',
    );
    await expect(page.locator('#next').textContent()).resolves.toContain(
      'Yours is the last approval needed: if you approve, the plan runs right away.',
    );

    await page.fill('#comment', 'Checked the table migration with the team');
    await page.click('button.approve');
    await expect(page.locator('h1').textContent()).resolves.toBe('Approved');
    await expect(page.locator('.notice').first().textContent()).resolves.toContain('approved by Bob Chen <bob@example.com>');
    await expect(page.locator('#final').textContent()).resolves.toMatch(/^Approved: the plan is running\./);
    await page.screenshot({ path: process.env.PLANGATE_SCREENSHOT ?? path.join(artifacts, 'approved.png') });

    let status = 'RUNNING';
    let output = '{}';
    while (status === 'RUNNING') {
      await new Promise((r) => setTimeout(r, 100));
      ({ status = 'RUNNING', output = '{}' } = await sfn.send(new DescribeExecutionCommand({ executionArn })));
    }
    expect(status).toBe('SUCCEEDED');
    expect(JSON.parse(output)).toMatchObject({
      outcome: 'SUCCEEDED',
      approver: 'Alice Martin <alice@example.com>, Bob Chen <bob@example.com>',
      comment: 'Checked the table migration with the team',
    });
    sfn.destroy();
  },
  60_000,
);

(hasChromium ? test : test.skip)(
  'the approval page fits a phone and a desktop screen: no sideways scrolling, the changes table within the page',
  async () => {
    // An unbreakable 150-character physical id is what used to push the table off-screen.
    const plan = ordersServicePlan('plan-browserlayout1');
    plan.ResourceChanges![2]!.PhysicalResourceId = `arn:aws:sns:eu-west-1:111122223333:${'legacy-orders-notifications-'.repeat(4)}topic`;
    local.serviceCatalog.registerPlan(plan);
    const execution = local.stepFunctions.startExecution({ planId: 'plan-browserlayout1' });
    const linkNow = () => local.outbox.list().find((e) => e.recipient === 'alice@example.com' && e.body.includes('plan-browserlayout1'))?.urls[0];
    while (!linkNow()) await new Promise((r) => setTimeout(r, 50));
    const link = linkNow();
    const layout = async (width: number) => {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      await page.goto(link!);
      // The page's own measures (tsconfig has no DOM types, so the expressions are strings).
      const sizes = await page.evaluate<{ scrollWidth: number; table: number; container: number; risk: number[] }>(`({
      scrollWidth: document.scrollingElement.scrollWidth,
      table: document.querySelector('#changes').getBoundingClientRect().width,
      container: document.querySelector('#changes').parentElement.clientWidth,
      risk: [...document.querySelectorAll('#changes tbody tr:first-child td:last-child')].map((td) => td.getBoundingClientRect().right),
    })`);
      await page.screenshot({ path: path.join(artifacts, `layout-${width}.png`), fullPage: true });
      await page.close();
      return sizes;
    };
    const phone = await layout(360);
    expect(phone.scrollWidth).toBeLessThanOrEqual(360);
    // Every change's risk is on screen.
    expect(phone.risk).toHaveLength(4);
    for (const right of phone.risk) expect(right).toBeLessThanOrEqual(360);
    const desktop = await layout(1280);
    expect(desktop.scrollWidth).toBeLessThanOrEqual(1280);
    expect(desktop.table).toBeLessThanOrEqual(desktop.container);
    local.stepFunctions.stopExecution(execution.executionArn);
  },
  60_000,
);

(hasChromium ? test : test.skip)(
  'on a 390 px phone the risk and the decision buttons come before the changes table',
  async () => {
    local.serviceCatalog.registerPlan(ordersServicePlan('plan-browserphone01'));
    const execution = local.stepFunctions.startExecution({ planId: 'plan-browserphone01' });
    const linkNow = () => local.outbox.list().find((e) => e.recipient === 'bob@example.com' && e.body.includes('plan-browserphone01'))?.urls[0];
    while (!linkNow()) await new Promise((r) => setTimeout(r, 50));
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(linkNow()!);
    const tops = await page.evaluate<{ risk: number; approve: number; reject: number; changes: number }>(`({
      risk: [...document.querySelectorAll('#facts th')].find((th) => th.textContent === 'Risk').getBoundingClientRect().top,
      approve: document.querySelector('button.approve').getBoundingClientRect().bottom,
      reject: document.querySelector('button.reject').getBoundingClientRect().bottom,
      changes: document.querySelector('#changes').getBoundingClientRect().top,
    })`);
    expect(tops.risk).toBeLessThan(tops.changes);
    expect(tops.approve).toBeLessThan(tops.changes);
    expect(tops.reject).toBeLessThan(tops.changes);
    // Reject asks first: the confirmation, and nothing decided yet.
    await page.click('button.reject');
    await expect(page.locator('h1').textContent()).resolves.toBe('Reject plan orders-service-prod-update (plan-browserphone01)?');
    expect(execution.status).toBe('RUNNING');
    await page.click('button.reject');
    await expect(page.locator('h1').textContent()).resolves.toBe('Rejected');
    await page.close();
  },
  60_000,
);
