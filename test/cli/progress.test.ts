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
