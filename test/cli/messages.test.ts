/** What the command line says matches what happened: a declined batch, the opt-out tag in plan. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../handlers/core/snapshot.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';
import { inTerminal } from '../support/terminal.ts';

const repo = join(import.meta.dirname, '..', '..');
const sample = join(repo, 'cli', 'demo', 'web-app.state.json');
const emptyDefault = join(repo, 'test', 'fixtures', 'states', 'empty-default.state.json');
const DEFAULT_GROUP = 'sg-07d2e3f4a5b6c7d8e';

const tempDir = tempDirPerTest('dsr-messages-');
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('messages match what happened', () => {
  it('declining the batch prompt reports "not approved", exit 0, and changes nothing', async () => {
    const store = join(tempDir(), 'store');
    const session = inTerminal([
      'remediate',
      '--all-empty',
      '--state',
      emptyDefault,
      '--approve',
      'prompt',
      '--store',
      store,
    ]);
    await session.waitFor('Type "approve"');
    session.type('no\r');
    expect(await session.exited()).toBe(0);
    expect(session.screen()).toContain('Outcome: not-approved');
    expect(session.screen()).not.toContain('Outcome: remediated');
    expect(session.screen()).toContain('The batch was not approved: nothing was changed');
  });

  it('plan honours the opt-out tag on the default group as remediate does: both skip it', async () => {
    const state = read(sample);
    const group = state.SecurityGroups.find((one: { GroupId: string }) => one.GroupId === DEFAULT_GROUP);
    group.Tags = [{ Key: 'default-sg-remediation:exclude', Value: 'true' }];
    const tagged = join(tempDir(), 'tagged.json');
    writeFileSync(tagged, JSON.stringify(state));
    const planned = await runCli('plan', '--state', tagged, '--group', DEFAULT_GROUP, '--json');
    const out = join(tempDir(), 'out.json');
    const remediated = await runCli(
      ...['remediate', '--state', tagged, '--group', DEFAULT_GROUP, '--approve', 'auto'],
      ...['--store', join(tempDir(), 'store'), '--out', out, '--json'],
    );
    expect(remediated.json.outcome).toBe('skipped');
    expect(planned.json.outcome).toBe(remediated.json.outcome);
    expect(planned.code).toBe(0);
    expect(canonicalJson(read(out))).toBe(canonicalJson(state));
  });
});
