/**
 * The approval digest page in a real browser (issue 13 point 3): Debian's headless Chromium, driven by playwright-core,
 * against the links handler served by the local `--approve web` server, for runs in three accounts and four regions
 * driven through the real definitions. The page lists the runs by account and region; a hostile group name is shown as
 * text; a cross-site form and a wrong token are refused as on the approval page; approving the selected runs resumes
 * exactly those. Takes docs/screenshots/approval-digest.png with UPDATE_SCREENSHOTS=1 (`npm run screenshots`).
 *
 * Needs a `chromium` binary on PATH (CI installs Debian's package in .ci/run). Without one the test is skipped, loudly.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExecutionResult, runMachine } from '../../cli/runner.ts';
import { createWebApproval, type WebApproval } from '../../cli/web-approval.ts';
import { sendDigests } from '../../handlers/steps/digest.ts';
import { organization, type Place } from '../support/digest.ts';
import { disposeAll } from '../support/harness.ts';

const repo = join(import.meta.dirname, '..', '..');
const screenshots = process.env.UPDATE_SCREENSHOTS
  ? join(repo, 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'dsr-screenshots-'));

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function findChromium(): string | undefined {
  const which = spawnSync('which', ['chromium'], { encoding: 'utf8' });
  const path = which.status === 0 ? which.stdout.trim() : '';
  return path || undefined;
}

const chromiumPath = findChromium();
if (!chromiumPath) {
  console.warn(
    [
      '',
      '!!! test/browser/digest.test.ts is SKIPPED: no `chromium` on PATH.',
      '!!! This is not a pass. Install it (Debian: apt-get install -y chromium; .ci/run does so) and run the tests again.',
      '',
    ].join('\n'),
  );
}
const browserIt = chromiumPath ? it : it.skip;

const HOSTILE_NAME = '<img src=x onerror="document.title=\'pwned\'">app\u202Egpj.exe';

const PLACES: Place[] = [
  {
    accountId: '111111111111',
    region: 'us-east-1',
    interfaces: 3,
    mutate(state) {
      const group = state.SecurityGroups.find((candidate) => candidate.GroupName === 'app-001');
      if (group) group.GroupName = HOSTILE_NAME;
    },
  },
  { accountId: '111111111111', region: 'eu-west-1', interfaces: 2 },
  { accountId: '222222222222', region: 'us-east-1', interfaces: 4 },
  { accountId: '333333333333', region: 'ap-northeast-1', interfaces: 0 },
];
const WINDOW = 300;

let browser: Browser | undefined;
beforeAll(async () => {
  if (chromiumPath) {
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
  }
});
afterAll(async () => {
  await browser?.close();
  disposeAll();
  if (!process.env.UPDATE_SCREENSHOTS) rmSync(screenshots, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A page of another site (another port) that posts a decision to the digest on load. */
function crossSiteForm(action: string): Promise<Server> {
  const server = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(
      `<form id="f" method="post" action="${action}"><input name="decision" value="approve-all"></form><script>document.getElementById('f').submit()</script>`,
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the approval digest page in headless Chromium', () => {
  browserIt(
    'lists the runs by account and region, shows hostile text as text, refuses cross-site posts, approves the selected',
    async () => {
      if (!browser) throw new Error('no browser');
      const org = organization(PLACES, {
        digestWindowSeconds: WINDOW,
        approvalMode: 'when-in-use',
        linkBaseUrl: 'https://links.example.com',
      });
      const notices = org.sessions[0]?.notifications ?? [];
      const web: WebApproval = createWebApproval(org.deps, { print: () => {} });
      let waiting = 0;
      const runs: Promise<ExecutionResult>[] = PLACES.map((place, index) =>
        runMachine(
          'remediate',
          { accountId: place.accountId, region: place.region, groupId: org.groups[index] },
          {
            deps: org.deps,
            executionName: `rem-browser-${index}`,
            approver: (request) => {
              waiting++;
              return web.approver(request);
            },
          },
        ),
      );
      await runs[3];
      for (const deadline = Date.now() + 20_000; waiting < 3 && Date.now() < deadline; ) await sleep(20);
      expect(waiting).toBe(3);
      org.advance(WINDOW);
      await sendDigests({}, org.deps);
      expect(notices).toHaveLength(1);
      const digestId = /\/digests\/([A-Za-z0-9_-]{24})/.exec(notices[0]?.message ?? '')?.[1];
      const url = `${web.origin}/digests/${digestId}`;

      const context = await browser.newContext({ viewport: { width: 1100, height: 1400 }, colorScheme: 'light' });
      const page = await context.newPage();
      const opened = await page.goto(url);
      expect(opened?.status()).toBe(200);
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe('Approve 3 EC2.2 remediation(s) of one batch?');

      // By account, then region; each place its own table.
      const places = await page
        .locator('section.place')
        .evaluateAll((sections) => sections.map((section) => `${section.dataset.account} ${section.dataset.region}`));
      expect(places).toEqual([
        '111111111111 eu-west-1',
        '111111111111 us-east-1',
        '222222222222 us-east-1',
        '333333333333 ap-northeast-1',
      ]);
      const text = await page.locator('main').innerText();
      for (const group of org.groups) expect(text).toContain(group);
      expect(text).toContain('done without approval (nothing used it)');
      expect(text).toMatch(/3 interface\(s\) moved to a copy \(EC2 instance 3\)/);

      // The hostile name: text in the plan, never markup; its bidi override shown as an escape.
      await page
        .locator('section.place[data-region="us-east-1"][data-account="111111111111"] details')
        .evaluateAll((details) => {
          for (const element of details) element.setAttribute('open', '');
        });
      const planText = await page
        .locator('section.place[data-region="us-east-1"][data-account="111111111111"] details pre')
        .innerText();
      expect(planText).toContain('<img src=x onerror=');
      expect(planText).toContain('\\u{202E}');
      expect(await page.locator('main img').count()).toBe(0);
      expect(await page.title()).not.toBe('pwned');
      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: join(screenshots, 'approval-digest.png'), fullPage: true });

      // Another site's form posting to the digest: refused, nothing decided.
      const evil = await crossSiteForm(url);
      const evilPage = await context.newPage();
      const [refused] = await Promise.all([
        evilPage.waitForResponse((response) => response.url() === url && response.request().method() === 'POST'),
        evilPage.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`),
      ]);
      expect(refused.status()).toBe(403);
      await evilPage.close();
      evil.close();
      // Same site, but a wrong token: refused as well.
      const forged = await page.request.post(url, {
        form: { csrf: 'A'.repeat(43), decision: 'approve-all' },
      });
      expect(forged.status()).toBe(403);
      await sleep(100);
      expect(waiting).toBe(3);
      const pending = await Promise.race([Promise.all(runs.slice(0, 3)).then(() => 'ended'), sleep(50)]);
      expect(pending, 'no run was decided by the refused posts').not.toBe('ended');

      // Approve the first and third, not the second (eu-west-1).
      await page.locator(`tr[data-group="${org.groups[1]}"] input[type=checkbox]`).uncheck();
      await Promise.all([
        page.waitForLoadState('load'),
        page.getByRole('button', { name: 'Approve the selected, reject the rest' }).click(),
      ]);
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Decided');
      const answer = await page.locator('main').innerText();
      expect(answer).toContain('3 of 3 run(s) decided now.');
      await context.close();

      const [first, second, third] = await Promise.all(runs.slice(0, 3));
      expect(first?.output).toMatchObject({ outcome: 'remediated' });
      expect(second?.output).toMatchObject({ outcome: 'rejected' });
      expect(third?.output).toMatchObject({ outcome: 'remediated' });
      await web.close();
    },
    60_000,
  );
});
