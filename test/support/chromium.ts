/**
 * Debian's headless Chromium for the browser tests, driven by playwright-core. Without a `chromium` binary on PATH the
 * tests that need it are skipped, loudly (CI installs Debian's package in .ci/run). The screenshots go to
 * docs/screenshots/ with `npm run screenshots` (UPDATE_SCREENSHOTS=1), else to a temporary directory, so a test run
 * leaves the tree clean.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');

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

export const chromiumPath = findChromium();

/** `it` when Chromium is there, else `it.skip` after a warning that names the test file: a skip is not a pass. */
export function browserTest(file: string): typeof it | typeof it.skip {
  if (chromiumPath) return it;
  console.warn(
    [
      '',
      `!!! ${file} is SKIPPED: no \`chromium\` on PATH.`,
      '!!! This is not a pass. Install it (Debian: apt-get install -y chromium; .ci/run does so) and run the tests again.',
      '',
    ].join('\n'),
  );
  return it.skip;
}

export async function launchChromium(): Promise<Browser | undefined> {
  if (!chromiumPath) return undefined;
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
}

/** Where screenshots go: docs/screenshots/ under UPDATE_SCREENSHOTS, else a temporary directory. */
export function screenshotDir(): string {
  return process.env.UPDATE_SCREENSHOTS
    ? join(repo, 'docs', 'screenshots')
    : mkdtempSync(join(tmpdir(), 'dsr-screenshots-'));
}

/** Removes a temporary screenshot directory (never docs/screenshots/). */
export function removeScreenshotDir(dir: string): void {
  if (!process.env.UPDATE_SCREENSHOTS) rmSync(dir, { recursive: true, force: true });
}
