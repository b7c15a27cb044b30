/** Progress of the moves: on a terminal only, never with --json, with moved/total, rate and time left. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { moveProgress } from '../../cli/progress.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';
import { defaultGroupOf, generateVpc } from '../support/generate-vpc.ts';
import { inTerminal } from '../support/terminal.ts';

const tempDir = tempDirPerTest('dsr-progress-');

describe('progress of the interface moves', () => {
  it('counts moved of total, the rate and the time left from the moves so far', () => {
    let clock = 0;
    let shown = '';
    const progress = moveProgress(
      (text) => {
        shown = text;
      },
      () => clock,
    );
    progress({ state: 'Discover what uses the default group', step: 'Discover', output: { members: 1000 } });
    progress({ state: 'Add references to the replacement', step: 'AddReferences', output: { added: 1 } });
    clock = 200_000;
    progress({
      state: 'Move the network interfaces',
      step: 'MoveInterfaces',
      output: { batch: 0, moved: 500, alreadyMoved: 0, gone: [], changed: [] },
    });
    expect(shown).toContain('Interfaces moved: 500/1000 (2.5/s, about 3 min 20 s left)');
  });

  it('counts the move back of a failed remediation from zero, over the whole plan', () => {
    let clock = 0;
    let shown = '';
    const progress = moveProgress(
      (text) => {
        shown = text;
      },
      () => clock,
    );
    progress({ state: 'Discover what uses the default group', step: 'Discover', output: { members: 1000 } });
    progress({ state: 'Add references to the replacement', step: 'AddReferences', output: { added: 1 } });
    clock = 100_000;
    progress({
      state: 'Move the network interfaces',
      step: 'MoveInterfaces',
      output: { batch: 0, moved: 500, alreadyMoved: 0, gone: [], changed: [] },
    });
    // A later step failed: the rollback restores the rules, then moves back what was moved.
    progress({ state: "Restore the default group's rules and the references", step: 'RestoreRules', output: {} });
    clock = 150_000;
    progress({
      state: 'Move one batch back',
      step: 'MoveBack',
      output: { batch: 0, moved: 250, alreadyMoved: 0, gone: [], changed: [] },
    });
    expect(shown).toContain('Interfaces moved back: 250/1000 (5.0/s, about 2 min 30 s left)');
  });

  it('counts a rollback against the moves its snapshot holds', () => {
    let clock = 0;
    let shown = '';
    const progress = moveProgress(
      (text) => {
        shown = text;
      },
      () => clock,
      400,
    );
    progress({ state: 'Load the snapshot', step: 'LoadRollback', output: { batchIndexes: [0, 1, 2, 3] } });
    progress({ state: "Restore the default group's rules and the references", step: 'RestoreRules', output: {} });
    clock = 10_000;
    progress({
      state: 'Move one batch back',
      step: 'MoveBack',
      output: { batch: 0, moved: 90, alreadyMoved: 0, gone: ['eni-1'], changed: [] },
    });
    expect(shown).toContain('Interfaces moved back: 91/400 (9.1/s, about 34 s left)');
  });

  it('shows a rollback moving back on a terminal, and neither with --json nor when stderr is not a terminal', async () => {
    const state = generateVpc({ interfaces: 1205, references: 5 });
    const file = join(tempDir(), 'big.json');
    writeFileSync(file, JSON.stringify(state));
    const group = defaultGroupOf(state);
    const rollbackOf = async (store: string) => {
      const after = join(tempDir(), `${store}.after.json`);
      const remediated = await runCli(
        'remediate',
        '--state',
        file,
        '--group',
        group,
        '--approve',
        'auto',
        '--store',
        join(tempDir(), store),
        '--out',
        after,
        '--json',
      );
      expect(remediated.json.outcome).toBe('remediated');
      return [
        'rollback',
        '--remediation',
        remediated.json.remediationId,
        '--state',
        after,
        '--store',
        join(tempDir(), store),
      ];
    };
    const terminal = inTerminal(await rollbackOf('s1'));
    expect(await terminal.exited()).toBe(0);
    expect(terminal.screen()).toContain('Interfaces moved back: 1205/1205');
    const json = inTerminal([...(await rollbackOf('s2')), '--json']);
    expect(await json.exited()).toBe(0);
    expect(json.screen()).not.toContain('Interfaces moved');
    const piped = await runCli(...(await rollbackOf('s3')));
    expect(piped.code).toBe(0);
    expect(piped.stderr + piped.stdout).not.toContain('Interfaces moved');
  }, 120_000);

  it('shows the move back of a rejected remediation on a terminal', async () => {
    const state = generateVpc({ interfaces: 1205, references: 5 });
    const file = join(tempDir(), 'big.json');
    writeFileSync(file, JSON.stringify(state));
    const args = ['remediate', '--state', file, '--group', defaultGroupOf(state), '--store', join(tempDir(), 's')];
    const terminal = inTerminal([...args, '--approve', 'prompt']);
    await terminal.waitFor('Type "approve"', 60_000);
    expect(terminal.screen()).toContain('Interfaces moved: 1205/1205');
    terminal.type('no\r');
    expect(await terminal.exited()).toBe(0);
    expect(terminal.screen()).toContain('Interfaces moved back: 1205/1205');
  }, 90_000);

  it('shows on a terminal, and neither with --json nor when stderr is not a terminal', async () => {
    const state = generateVpc({ interfaces: 1205, references: 5 });
    const file = join(tempDir(), 'big.json');
    writeFileSync(file, JSON.stringify(state));
    const group = defaultGroupOf(state);
    const args = ['remediate', '--state', file, '--group', group, '--approve', 'auto'];
    const terminal = inTerminal([...args, '--store', join(tempDir(), 's1')]);
    expect(await terminal.exited()).toBe(0);
    expect(terminal.screen()).toContain('Interfaces moved: 1205/1205');
    const json = inTerminal([...args, '--store', join(tempDir(), 's2'), '--json']);
    expect(await json.exited()).toBe(0);
    expect(json.screen()).not.toContain('Interfaces moved');
    const piped = await runCli(...args, '--store', join(tempDir(), 's3'));
    expect(piped.stderr + piped.stdout).not.toContain('Interfaces moved');
  }, 60_000);
});
