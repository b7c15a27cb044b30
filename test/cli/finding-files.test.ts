/**
 * Issue 12: the sample events of ../shared/examples and this repository's event fixtures can be passed to `--finding`
 * as they are — `plan` reads the finding's account, Region and group as the deployed rule does, a finding that needs
 * no action is `skipped`, a bad one is refused (exit 2) naming the field, and nothing is changed by any of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { repoRoot } from '../support/harness.ts';

const EXAMPLES = join(repoRoot, '..', 'shared', 'examples');
const FIXTURES = join(repoRoot, 'test', 'fixtures', 'events');
const STATE = join(EXAMPLES, 'web-app.state.json');
/** The default group of the shared sample (us-east-1, 111122223333). */
const DEFAULT_GROUP = 'sg-07d2e3f4a5b6c7d8e';

const fixtures = (prefix: string) => readdirSync(FIXTURES).filter((file) => file.startsWith(prefix));

describe('plan --finding with the files as they are', () => {
  it.each(readdirSync(EXAMPLES).filter((file) => file.startsWith('finding-')))(
    'the shared example %s plans the sample’s default group',
    async (file) => {
      const run = await runCli('plan', '--state', STATE, '--finding', join(EXAMPLES, file), '--json');
      expect(run.code, run.stdout).toBe(0);
      expect(run.json).toMatchObject({ outcome: 'planned', groupId: DEFAULT_GROUP });
    },
  );

  it.each(fixtures('ok-'))('the fixture %s is read as its input and names a group', async (file) => {
    const run = await runCli('plan', '--state', STATE, '--finding', join(FIXTURES, file), '--json');
    const { input } = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { input: unknown };
    expect(input).toBeDefined();
    // Planned where the finding is for the sample's account, Region and group; refused, naming which, where it is not.
    if (run.json.outcome === 'planned') expect(run.json.groupId).toBe(DEFAULT_GROUP);
    else {
      expect(run.code).toBe(2);
      expect(run.json.reasons.join(' ')).toMatch(
        /but the state file simulates account 111122223333 in us-east-1|does not exist in account 111122223333, region us-east-1/,
      );
    }
  });

  it.each(fixtures('skip-'))('the fixture %s is skipped with its reason', async (file) => {
    const run = await runCli('plan', '--state', STATE, '--finding', join(FIXTURES, file), '--json');
    expect(run.code).toBe(0);
    expect(run.json.outcome).toBe('skipped');
    expect(run.json.reasons).toHaveLength(1);
  });

  // bad-two-findings.json is refused per execution; the command line runs it as a batch (finding-batch.test.ts).
  it.each(fixtures('bad-').filter((file) => file !== 'bad-two-findings.json'))(
    'the fixture %s is refused, exit 2, naming what is wrong',
    async (file) => {
      const run = await runCli('plan', '--state', STATE, '--finding', join(FIXTURES, file), '--json');
      expect(run.code).toBe(2);
      expect(run.json.error).toBe('InvalidInput');
      expect(run.json.reasons.length).toBeGreaterThan(0);
    },
  );

  it('plan takes exactly one of --group and --finding', async () => {
    const both = await runCli(
      'plan',
      '--state',
      STATE,
      '--group',
      DEFAULT_GROUP,
      '--finding',
      join(EXAMPLES, 'finding-ec2.2-consolidated.json'),
      '--json',
    );
    expect(both.code).toBe(2);
    expect(both.json.reasons.join(' ')).toMatch(/exactly one of --group SG or --finding/);
  });
});
