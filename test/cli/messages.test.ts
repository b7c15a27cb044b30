/** What the command line says matches what happened: a declined batch, the opt-out tag in plan. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../handlers/core/snapshot.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';
import { defaultGroupOf, generateVpc } from '../support/generate-vpc.ts';
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

describe('plan output', () => {
  it('a 1,205-interface plan is summarised by owner kind; --verbose lists every interface', async () => {
    const state = generateVpc({ interfaces: 1205, references: 20 });
    const file = join(tempDir(), 'big.json');
    writeFileSync(file, JSON.stringify(state));
    const group = defaultGroupOf(state);
    const short = await runCli('plan', '--state', file, '--group', group);
    expect(short.code).toBe(0);
    expect(short.stdout).toMatch(/By owner: .*\d/);
    expect(short.stdout).toContain('more — run with --verbose (or --json) for all');
    expect(short.stdout.split('\n').length).toBeLessThan(120);
    const verbose = await runCli('plan', '--state', file, '--group', group, '--verbose');
    expect(verbose.stdout.split('\n').filter((line) => /^ {2}- eni-/.test(line))).toHaveLength(1205);
  });

  it('npx default-sg-remediation … --json prints exactly one JSON object on stdout', () => {
    const result = spawnSync(
      'npx',
      ['--no', 'default-sg-remediation', 'plan', '--state', sample, '--group', DEFAULT_GROUP, '--json'],
      {
        cwd: repo,
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'planned', groupId: DEFAULT_GROUP });
  });
});
