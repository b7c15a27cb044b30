/**
 * The approval page in a real browser: Debian's headless Chromium, driven by playwright-core, against
 * `cli remediate --approve web` on the sample VPC. Opens the printed link, reads the plan, clicks Approve, sees the
 * answer page and the run finish `remediated`. Takes the README's screenshots: into docs/screenshots/ with
 * `npm run screenshots` (UPDATE_SCREENSHOTS=1), else into a temp directory so a test run leaves the tree clean.
 *
 * Needs a `chromium` binary on PATH (CI installs Debian's package in .ci/run). Without one the test is skipped, loudly.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type Io, main } from '../../cli/main.ts';
import { browserTest, launchChromium, removeScreenshotDir, screenshotDir } from '../support/chromium.ts';

const repo = join(import.meta.dirname, '..', '..');
const sample = join(repo, 'cli', 'demo', 'web-app.state.json');
const screenshots = screenshotDir();
const DEFAULT_GROUP = 'sg-07d2e3f4a5b6c7d8e';
const INTERFACES = ['eni-07000000000000011', 'eni-07000000000000012'];
const REFERENCING_GROUPS = ['sg-07c9d8e7f6a5b4c3d', 'sg-07a1b2c3d4e5f6a7b'];
const LINK = /http:\/\/127\.0\.0\.1:\d+\/approvals\/[A-Za-z0-9_-]+/;

const browserIt = browserTest('test/browser/approval.test.ts');

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

let dir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dsr-browser-'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
  removeScreenshotDir(screenshots);
});

describe('the approval page in headless Chromium', () => {
  browserIt(
    'shows the plan, approves with one click, and the run finishes remediated',
    async () => {
      if (!browser) throw new Error('no browser');
      let stdout = '';
      let stderr = '';
      const io: Io = {
        stdout: (text) => {
          stdout += text;
        },
        stderr: (text) => {
          stderr += text;
        },
        interactive: false,
      };
      const out = join(dir, 'after.json');
      let finished = false;
      const run = main(
        [
          'remediate',
          '--state',
          sample,
          '--group',
          DEFAULT_GROUP,
          '--approve',
          'web',
          '--store',
          join(dir, 'store'),
          '--out',
          out,
          '--json',
        ],
        io,
      ).then((code) => {
        finished = true;
        return code;
      });

      let link: string | undefined;
      for (const deadline = Date.now() + 10_000; !link && !finished && Date.now() < deadline; await sleep(20)) {
        link = LINK.exec(stderr)?.[0];
      }
      if (!link) throw new Error(`no approval link printed:\n${stdout}\n${stderr}`);

      mkdirSync(screenshots, { recursive: true });
      const context = await browser.newContext({ viewport: { width: 1000, height: 1200 }, colorScheme: 'light' });
      const page = await context.newPage();
      const opened = await page.goto(link);
      expect(opened?.status()).toBe(200);

      // The plan, as a person reads it.
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe('Approve stripping the default security group?');
      const text = await page.locator('main').innerText();
      expect(text).toContain(DEFAULT_GROUP);
      for (const eni of INTERFACES) expect(text).toContain(eni);
      for (const group of REFERENCING_GROUPS) expect(text).toContain(group);
      expect(text).toContain('Network interfaces using the default group (2)');
      expect(text).toContain('References from other security groups (2)');
      await page.screenshot({ path: join(screenshots, 'approval-page.png'), fullPage: true });

      // Opening it changed nothing: the run still waits.
      await sleep(200);
      expect(finished).toBe(false);

      const phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        colorScheme: 'light',
      });
      const phonePage = await phone.newPage();
      await phonePage.goto(link);
      await phonePage.screenshot({ path: join(screenshots, 'approval-page-phone.png') });
      await phone.close();
      expect(finished).toBe(false);

      // One click.
      await Promise.all([
        page.waitForURL(link, { waitUntil: 'load' }),
        page.getByRole('button', { name: /^Approve/ }).click(),
      ]);
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Approved');
      expect(await page.locator('main').innerText()).toContain(
        'Approved: the default group will be stripped after a fresh check.',
      );
      // The answer page is short: the screenshot stops below its content.
      await page.locator('body').screenshot({ path: join(screenshots, 'approval-approved.png') });
      await context.close();

      expect(await run).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ outcome: 'remediated', groupId: DEFAULT_GROUP });
      const stripped = JSON.parse(readFileSync(out, 'utf8')).SecurityGroups.find(
        (group: { GroupId: string }) => group.GroupId === DEFAULT_GROUP,
      );
      expect(stripped.IpPermissions).toEqual([]);
      expect(stripped.IpPermissionsEgress).toEqual([]);
    },
    20_000,
  );
});
