/**
 * status, list, unlock and per-command help, as an operator uses them: a remediation waiting at its prompt in a real
 * terminal is shown as waiting, cannot be unlocked while it lives, and once killed (-9, no chance to clean up) shows
 * as gone, is unlocked with an audit record, and list gives the exact rollback command with the state file to use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDirPerTest } from '../support/cli.ts';
import { inTerminal } from '../support/terminal.ts';

const repo = join(import.meta.dirname, '..', '..');
const sample = join(repo, 'cli', 'demo', 'web-app.state.json');
const DEFAULT_GROUP = 'sg-07d2e3f4a5b6c7d8e';

const tempDir = tempDirPerTest('dsr-ledger-cmd-');
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('status and unlock around a run in a terminal', () => {
  it('waiting → refused unlock → killed → gone → audited unlock', async () => {
    const store = join(tempDir(), 'store');
    const session = inTerminal([
      ...['remediate', '--state', sample, '--group', DEFAULT_GROUP, '--approve', 'prompt'],
      ...['--store', store, '--out', join(tempDir(), 'out.json')],
    ]);
    await session.waitFor('Type "approve"');
    const pid = session.commandPid();

    const waiting = await runCli('status', '--store', store, '--json');
    expect(waiting.code).toBe(0);
    expect(waiting.json.groups).toEqual([
      expect.objectContaining({
        groupId: DEFAULT_GROUP,
        state: 'waiting for approval',
        pid,
        nextStep: 'the approval decision',
        undo: expect.stringContaining(`kill -TERM ${pid}`),
      }),
    ]);
    const text = await runCli('status', '--store', store);
    expect(text.stdout).toContain(`${DEFAULT_GROUP} (111122223333 us-east-1) — waiting for approval`);

    const refused = await runCli('unlock', '--group', DEFAULT_GROUP, '--store', store, '--json');
    expect(refused.code).toBe(1);
    expect(refused.json.reasons.join(' ')).toContain('still running');
    expect(Object.keys(read(join(store, 'ledger.json')).locks)).toHaveLength(1);

    process.kill(pid, 'SIGKILL');
    await session.exited();
    const gone = await runCli('status', '--store', store, '--json');
    expect(gone.json.groups[0]).toMatchObject({ state: 'process gone' });

    const unlocked = await runCli('unlock', '--group', DEFAULT_GROUP, '--store', store, '--json');
    expect(unlocked.code).toBe(0);
    const ledger = read(join(store, 'ledger.json'));
    expect(ledger.locks).toEqual({});
    const [record] = Object.values(ledger.remediations) as { endings: Record<string, unknown>[] }[];
    expect(record?.endings.at(-1)).toMatchObject({
      machine: 'unlock',
      outcome: 'unlocked',
      removedLock: { pid, kind: 'remediation' },
    });
    expect(JSON.stringify(record?.endings)).not.toContain('token');
  });
});

describe('list', () => {
  it('names each remediation with its outcome and the exact rollback command, which works as given', async () => {
    const store = join(tempDir(), 'store');
    const after = join(tempDir(), 'after.json');
    const done = await runCli(
      ...['remediate', '--state', sample, '--group', DEFAULT_GROUP, '--approve', 'auto'],
      ...['--store', store, '--out', after, '--json'],
    );
    const rejected = await runCli(
      ...['remediate', '--state', after, '--group', DEFAULT_GROUP, '--approve', 'reject', '--store', store, '--json'],
    );
    expect(rejected.json.outcome).not.toBe('remediated');
    const listed = await runCli('list', '--store', store, '--json');
    const mine = listed.json.remediations.find(
      (item: { remediationId: string }) => item.remediationId === done.json.remediationId,
    );
    expect(mine).toMatchObject({ outcome: 'remediated', stateFile: after });
    expect(mine.rollbackCommand).toBe(
      `npx default-sg-remediation rollback --remediation ${done.json.remediationId} --state ${after} --store ${store}`,
    );
    // The command as listed, run as given (without the program name).
    const args = mine.rollbackCommand.split(' ').slice(2);
    const rolledBack = await runCli(...args, '--json');
    expect(rolledBack.json.outcome).toBe('rolled-back');
    const again = await runCli('list', '--store', store, '--json');
    const after2 = again.json.remediations.find(
      (item: { remediationId: string }) => item.remediationId === done.json.remediationId,
    );
    expect(after2.outcome).toBe('rolled-back');
    expect(after2.rollbackCommand).toBeUndefined();
  });
});

describe('help', () => {
  it.each(['plan', 'remediate', 'rollback', 'status', 'list', 'unlock', 'demo'])(
    'help %s and %s --help show that command',
    async (command) => {
      const viaHelp = await runCli('help', command);
      const viaFlag = await runCli(command, '--help');
      expect(viaHelp.code).toBe(0);
      expect(viaFlag.code).toBe(0);
      expect(viaHelp.stdout).toBe(viaFlag.stdout);
      expect(viaHelp.stdout).toContain(`Usage: npx default-sg-remediation ${command}`);
      const others = ['status', 'unlock', 'demo'].filter((other) => other !== command);
      for (const other of others) expect(viaHelp.stdout).not.toMatch(new RegExp(`^  ${other} `, 'm'));
    },
  );

  it('help of an unknown command is invalid input (exit 2)', async () => {
    const result = await runCli('help', 'frobnicate');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('No command "frobnicate"');
  });
});
