/**
 * Every way a remediation can end while it holds the group — Ctrl-C at the prompt, SIGHUP (a dropped SSH session),
 * SIGTERM, stdout closed by its reader (`| head`), an uncaught error — driven in a real terminal: what was changed is
 * rolled back, the lock is released, the terminal says so, and the ledger records the ending.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../handlers/core/snapshot.ts';
import { tempDirPerTest } from '../support/cli.ts';
import { inTerminal } from '../support/terminal.ts';

const repo = join(import.meta.dirname, '..', '..');
const sample = join(repo, 'cli', 'demo', 'web-app.state.json');
const DEFAULT_GROUP = 'sg-07d2e3f4a5b6c7d8e';
const PROMPT = 'Type "approve"';

const tempDir = tempDirPerTest('dsr-endings-');
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

function remediateAtPrompt(options: { nodeArgs?: string[]; pipeTo?: string } = {}) {
  const out = join(tempDir(), 'out.json');
  const store = join(tempDir(), 'store');
  const session = inTerminal(
    ['remediate', '--state', sample, '--group', DEFAULT_GROUP, '--approve', 'prompt', '--store', store, '--out', out],
    options,
  );
  return { session, out, store };
}

/**
 * After the ending: the simulated account is as before, no lock is left, and the ledger says how it ended — and
 * whether there was anything to roll back, where the test knows (`changedBefore`).
 */
function expectRolledBackAndUnlocked(
  out: string,
  store: string,
  cause: string,
  changedBefore: boolean | 'either' = true,
) {
  expect(canonicalJson(read(out))).toBe(canonicalJson(read(sample)));
  const ledger = read(join(store, 'ledger.json'));
  expect(ledger.locks).toEqual({});
  const [record] = Object.values(ledger.remediations) as { endings: Record<string, unknown>[] }[];
  expect(record?.endings.at(-1)).toMatchObject({
    machine: 'remediate',
    outcome: 'failed',
    ...(changedBefore === 'either' ? {} : { rolledBack: changedBefore }),
    interruptedBy: cause,
  });
}

describe('a remediation ended while it waits for approval, in a terminal', () => {
  it('Ctrl-C at the prompt: rolled back, lock released, said on the terminal, exit 130', async () => {
    const { session, out, store } = remediateAtPrompt();
    await session.waitFor(PROMPT);
    session.type('\x03');
    expect(await session.exited()).toBe(130);
    expect(session.screen()).toContain('Interrupted (SIGINT)');
    expect(session.screen()).toContain('What this run had changed is rolled back to the snapshot.');
    expect(session.screen()).toContain(`The lock on ${DEFAULT_GROUP} is released.`);
    expectRolledBackAndUnlocked(out, store, 'SIGINT');
  });

  it.each([
    ['SIGHUP', 129],
    ['SIGTERM', 143],
  ] as const)('%s (a dropped session, a kill): rolled back, lock released, exit %i', async (signal, status) => {
    const { session, out, store } = remediateAtPrompt();
    await session.waitFor(PROMPT);
    process.kill(session.commandPid(), signal);
    expect(await session.exited()).toBe(status);
    expect(session.screen()).toContain(`Interrupted (${signal})`);
    expect(session.screen()).toContain(`The lock on ${DEFAULT_GROUP} is released.`);
    expectRolledBackAndUnlocked(out, store, signal);
  });

  it('stdout closed by its reader (| head): nothing is stripped; rolled back, lock released', async () => {
    const { session, out, store } = remediateAtPrompt({ pipeTo: 'head -c 1' });
    // head reads one byte and goes: a later line of narration finds the pipe closed — before the prompt, or, if the
    // pipe took every line until then, at the first line after "approve" is typed.
    const ended = session.exited();
    const atPrompt = await Promise.race([session.waitFor(PROMPT).then(() => true), ended.then(() => false)]);
    if (atPrompt) session.type('approve\r');
    await ended;
    expect(session.screen()).toContain('Interrupted (closed stdout)');
    // Ended before the first change, or after the interfaces moved: either way the account is as before. When the
    // closed pipe is noticed depends on how far the pipe had buffered (the prompt on the terminal is no sign of it),
    // so whether there was anything to roll back is not asserted here; the other endings assert it.
    expectRolledBackAndUnlocked(out, store, 'closed stdout', 'either');
  });

  it('an uncaught error: said, rolled back, lock released, exit 1', async () => {
    const { session, out, store } = remediateAtPrompt({
      nodeArgs: ['--import', join(repo, 'test', 'support', 'throw-at-prompt.mjs')],
    });
    await session.waitFor(PROMPT);
    expect(await session.exited()).toBe(1);
    expect(session.screen()).toContain('Unexpected error: a bug in the command line');
    expectRolledBackAndUnlocked(out, store, 'uncaught error');
  });

  it('answered at the prompt, it runs to the end: remediated, with the exact undo command', async () => {
    const { session, out, store } = remediateAtPrompt();
    await session.waitFor(PROMPT);
    session.type('approve\r');
    expect(await session.exited()).toBe(0);
    expect(session.screen()).toContain(
      `Undo it with: npx default-sg-remediation rollback --remediation ${Object.keys(read(join(store, 'ledger.json')).remediations)[0]} --state ${out} --store ${store}`,
    );
    expect(read(join(store, 'ledger.json')).locks).toEqual({});
  });
});
