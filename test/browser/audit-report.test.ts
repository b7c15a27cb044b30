/**
 * The audit's HTML report in a real browser: `plan --all-regions --report DIR` on the org fixture set, one Lambda
 * function given a hostile name, then DIR/audit.html opened from disk in Debian's headless Chromium. The page shows
 * the counts the JSON has and the chart; the hostile name is text (no script runs, no element comes from it); the
 * page asks for nothing over the network and its CSP is not violated. Takes docs/screenshots/audit-report.png under
 * `npm run screenshots`.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { AUDIT_STATUSES } from '../../handlers/core/audit.ts';
import { browserTest, launchChromium, removeScreenshotDir, screenshotDir } from '../support/chromium.ts';
import { runCli } from '../support/cli.ts';

const ORG = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'org');
const MEMBER = '444455556666-us-east-1.state.json';
/** Markup and script in a name the account chooses (the Lambda function's, as its interface describes it). */
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>window.pwned=1</script>';

/** What the checks read in the page (this project's TypeScript has no DOM library). */
interface PageGlobals {
  getComputedStyle(element: unknown): { fill: string };
  pwned?: number;
}

const browserIt = browserTest('test/browser/audit-report.test.ts');
const screenshots = screenshotDir();

let dir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dsr-report-browser-'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
  removeScreenshotDir(screenshots);
});

describe('the audit report in headless Chromium', () => {
  browserIt(
    'shows the counts of the JSON and the chart, a hostile name as text, and loads nothing',
    async () => {
      if (!browser) throw new Error('no browser');
      const states = join(dir, 'states');
      cpSync(ORG, states, { recursive: true, filter: (path) => !path.endsWith('.ts') && !path.endsWith('.md') });
      const member = join(states, MEMBER);
      const text = readFileSync(member, 'utf8');
      expect(text).toContain('ENI-ingest-');
      writeFileSync(member, text.replace('ENI-ingest-', `ENI-${HOSTILE.replaceAll('"', '\\"')}-`));

      const reports = join(dir, 'reports');
      const result = await runCli('plan', '--all-regions', '--state', states, '--report', reports, '--json');
      expect(result.code).toBe(0);
      const summary = result.json.summary as Record<string, number>;
      const blocked = (result.json.groups as { status: string; reasons: string[] }[]).find(
        (group) => group.status === 'blocked',
      );
      expect(blocked?.reasons.join(' ')).toContain(HOSTILE);

      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
      const requests: string[] = [];
      context.on('request', (request) => requests.push(request.url()));
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('dialog', (dialog) => {
        problems.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      const url = pathToFileURL(join(reports, 'audit.html')).href;
      await page.goto(url, { waitUntil: 'load' });

      // The counts, as the JSON has them: the tiles and the table's totals.
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe('Default security group audit');
      for (const status of AUDIT_STATUSES) {
        expect(await page.locator(`.tiles li[data-status="${status}"] strong`).textContent(), status).toBe(
          String(summary[status]),
        );
      }
      const totals = await page.locator('#counts tfoot td.n').allTextContents();
      expect(totals.map(Number)).toEqual([
        ...AUDIT_STATUSES.map((status) => summary[status]),
        (result.json.groups as unknown[]).length,
      ]);
      expect(await page.locator('#groups tbody tr').count()).toBe((result.json.groups as unknown[]).length);

      // The chart: drawn, a bar per account and region, segments that add up to the counts.
      const chart = page.locator('figure svg');
      await expect.poll(() => chart.isVisible()).toBe(true);
      expect(await chart.locator('g.row').count()).toBe(4);
      const segments = await chart.locator('rect.bar').evaluateAll((rects) =>
        rects.map((rect) => ({
          status: rect.getAttribute('data-status') ?? '',
          count: Number(rect.getAttribute('data-count')),
          width: rect.getBoundingClientRect().width,
          fill: (globalThis as unknown as PageGlobals).getComputedStyle(rect).fill,
        })),
      );
      for (const status of AUDIT_STATUSES) {
        const drawn = segments.filter((segment) => segment.status === status);
        expect(
          drawn.reduce((sum, segment) => sum + segment.count, 0),
          status,
        ).toBe(summary[status]);
      }
      for (const segment of segments) {
        expect(segment.width).toBeGreaterThan(0);
        // The stylesheet applies (the CSP allows it by its hash): each status has its colour, not the default black.
        expect(segment.fill).not.toBe('rgb(0, 0, 0)');
      }

      // The hostile name is text: shown as written, nothing made of it, nothing run.
      expect(await page.locator('#groups').innerText()).toContain(HOSTILE);
      expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
      expect(await page.title()).toMatch(/^Default security group audit, \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).pwned)).toBeUndefined();

      // Nothing over the network, and nothing the CSP had to refuse.
      expect(requests).toEqual([url]);
      expect(problems).toEqual([]);

      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: join(screenshots, 'audit-report.png'), fullPage: true });
      await context.close();
    },
    30_000,
  );
});
