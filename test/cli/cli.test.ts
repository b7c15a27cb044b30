import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLedger } from '../../handlers/adapters/local/file-ledger.ts';
import { canonicalJson } from '../../handlers/core/snapshot.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';

const repo = join(import.meta.dirname, '..', '..');
const sample = join(repo, 'cli', 'demo', 'web-app.state.json');
const fixtures = join(repo, 'test', 'fixtures', 'states');
const examples = join(repo, '..', 'shared', 'examples');
const DEFAULT_GROUP = 'sg-07d2e3f4a5b6c7d8e';

const tempDir = tempDirPerTest('dsr-cli-');

const cli = runCli;

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const store = () => join(tempDir(), 'store');

/** `remediate --state STATE --group|--finding VALUE --approve auto --store … [extra] --json` */
const remediateJson = (state: string, flag: '--group' | '--finding', value: string, ...extra: string[]) =>
  cli('remediate', '--state', state, flag, value, '--approve', 'auto', '--store', store(), ...extra, '--json');

describe('cli remediate and rollback on the simulator', () => {
  it('remediates with --approve auto, then rolls back exactly', async () => {
    const after = join(tempDir(), 'after.json');
    const remediated = await remediateJson(sample, '--group', DEFAULT_GROUP, '--out', after);
    expect(remediated.code).toBe(0);
    expect(remediated.json).toMatchObject({ outcome: 'remediated', groupId: DEFAULT_GROUP });
    expect(remediated.json.remediationId).toMatch(/^rem-/);
    const stripped = read(after).SecurityGroups.find((group: { GroupId: string }) => group.GroupId === DEFAULT_GROUP);
    expect(stripped.IpPermissions).toEqual([]);
    expect(stripped.IpPermissionsEgress).toEqual([]);

    const restored = join(tempDir(), 'restored.json');
    const rolledBack = await cli(
      'rollback',
      '--remediation',
      remediated.json.remediationId,
      '--state',
      after,
      '--store',
      store(),
      '--out',
      restored,
      '--json',
    );
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.json).toMatchObject({ outcome: 'rolled-back', remediationId: remediated.json.remediationId });
    expect(canonicalJson(read(restored))).toBe(canonicalJson(read(sample)));
  });

  it('a group whose rollback failed: remediate says so and exits 1, changing nothing (not "skipped", exit 0)', async () => {
    // The ledger as a failed rollback of rem-stuck leaves it: the group's lock marked, long past its expiry.
    const ledger = new FileLedger(join(store(), 'ledger.json'));
    const lockKey = `111122223333/us-east-1/${DEFAULT_GROUP}`;
    const holder = { remediationId: 'rem-stuck', token: 'token-of-rem-stuck-0000', kind: 'rollback' as const };
    await ledger.acquireLock(lockKey, { ...holder, expiresAt: 1_000 }, 0);
    await ledger.keepLockForRollback(lockKey, holder.token);
    const out = join(tempDir(), 'out.json');
    const result = await remediateJson(sample, '--group', DEFAULT_GROUP, '--out', out);
    expect(result.code).toBe(1);
    expect(result.json).toMatchObject({ outcome: 'failed', error: 'RollbackUnfinished' });
    expect(result.json.reasons.join(' ')).toContain('npm run cli -- rollback --remediation rem-stuck');
    expect(canonicalJson(read(out))).toBe(canonicalJson(read(sample)));
  });

  it('a rejected approval ends rejected (exit 0) with the state unchanged', async () => {
    const out = join(tempDir(), 'out.json');
    const result = await cli(
      'remediate',
      '--state',
      sample,
      '--group',
      DEFAULT_GROUP,
      '--approve',
      'reject',
      '--store',
      store(),
      '--out',
      out,
      '--json',
    );
    expect(result.code).toBe(0);
    expect(result.json.outcome).toBe('rejected');
    expect(canonicalJson(read(out))).toBe(canonicalJson(read(sample)));
  });

  it('accepts the sample finding events', async () => {
    for (const event of [
      'finding-ec2.2-consolidated.json',
      'finding-custom-action.json',
      'finding-cis-4.3-legacy.json',
    ]) {
      const result = await cli(
        'remediate',
        '--state',
        sample,
        '--finding',
        join(examples, event),
        '--approve',
        'auto',
        '--store',
        store(),
        '--json',
      );
      expect(result.json.outcome, event).toBe('remediated');
      expect(result.code).toBe(0);
    }
  });

  it('narrates each step in human mode', async () => {
    const result = await cli(
      'remediate',
      '--state',
      sample,
      '--group',
      DEFAULT_GROUP,
      '--approve',
      'auto',
      '--store',
      store(),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ Move one batch of interfaces — batch 1: 2 moved');
    expect(result.stdout).toContain('Outcome: remediated');
  });
});

describe('cli outcomes and exit codes', () => {
  it('blocked: exit 3, reasons, nothing changed, --out still written', async () => {
    const state = join(fixtures, 'requester-managed.state.json');
    const groupId = read(state).SecurityGroups[0].GroupId;
    const out = join(tempDir(), 'out.json');
    const result = await remediateJson(state, '--group', groupId, '--out', out);
    expect(result.code).toBe(3);
    expect(result.json.outcome).toBe('blocked');
    expect(result.json.reasons.join(' ')).toMatch(/Lambda/);
    expect(canonicalJson(read(out))).toBe(canonicalJson(read(state)));
  });

  it('compliant: exit 0', async () => {
    const state = join(fixtures, 'compliant.state.json');
    const groupId = read(state).SecurityGroups[0].GroupId;
    const result = await remediateJson(state, '--group', groupId);
    expect(result).toMatchObject({ code: 0, json: { outcome: 'compliant' } });
  });

  it('invalid input: exit 2 with reasons, state unchanged', async () => {
    const out = join(tempDir(), 'out.json');
    const notDefault = await remediateJson(sample, '--group', 'sg-07c9d8e7f6a5b4c3d', '--out', out);
    expect(notDefault.code).toBe(2);
    expect(notDefault.json).toMatchObject({ outcome: 'failed', error: 'InvalidInput' });
    expect(notDefault.json.reasons.join(' ')).toMatch(/not a VPC default security group/);
    expect(canonicalJson(read(out))).toBe(canonicalJson(read(sample)));

    const otherAccount = JSON.parse(
      readFileSync(join(examples, 'finding-ec2.2-consolidated.json'), 'utf8').replaceAll(
        '111122223333',
        '999988887777',
      ),
    );
    writeFileSync(join(tempDir(), 'other.json'), JSON.stringify(otherAccount));
    const foreign = await cli(
      'remediate',
      '--state',
      sample,
      '--finding',
      join(tempDir(), 'other.json'),
      '--approve',
      'auto',
      '--store',
      store(),
      '--json',
    );
    expect(foreign.code).toBe(2);
    expect(foreign.json.reasons.join(' ')).toMatch(/999988887777/);

    writeFileSync(join(tempDir(), 'truncated.json'), '{"detail": {"findings": [');
    expect(
      (
        await cli(
          'remediate',
          '--state',
          sample,
          '--finding',
          join(tempDir(), 'truncated.json'),
          '--approve',
          'auto',
          '--json',
        )
      ).code,
    ).toBe(2);
    writeFileSync(join(tempDir(), 'bad-state.json'), JSON.stringify({ SecurityGroups: 'no' }));
    expect(
      (await cli('plan', '--state', join(tempDir(), 'bad-state.json'), '--group', DEFAULT_GROUP, '--json')).code,
    ).toBe(2);
    expect((await cli('remediate', '--state', sample, '--group', DEFAULT_GROUP, '--bogus', '--json')).code).toBe(2);
    expect((await cli('remediate', '--state', sample, '--group', DEFAULT_GROUP, '--json')).json.reasons[0]).toMatch(
      /--approve/,
    );
    expect((await cli('launch')).code).toBe(2);
  });

  it('a finding that needs no action is skipped: exit 0', async () => {
    const passed = read(join(examples, 'finding-ec2.2-consolidated.json'));
    passed.detail.findings[0].Compliance.Status = 'PASSED';
    writeFileSync(join(tempDir(), 'passed.json'), JSON.stringify(passed));
    const result = await cli(
      'remediate',
      '--state',
      sample,
      '--finding',
      join(tempDir(), 'passed.json'),
      '--approve',
      'auto',
      '--store',
      store(),
      '--json',
    );
    expect(result).toMatchObject({ code: 0, json: { outcome: 'skipped' } });
  });

  it('rollback of an unknown remediation: exit 2', async () => {
    const result = await cli(
      'rollback',
      '--remediation',
      'rem-nothing',
      '--state',
      sample,
      '--store',
      store(),
      '--json',
    );
    expect(result.code).toBe(2);
    expect(result.json.reasons.join(' ')).toMatch(/No remediation rem-nothing in the ledger .*ledger\.json/);
  });

  it('plan is read-only and human-readable', async () => {
    const result = await cli('plan', '--state', sample, '--group', DEFAULT_GROUP);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Used by 2 network interface(s)');
    const json = await cli('plan', '--state', sample, '--group', DEFAULT_GROUP, '--json');
    expect(json.json).toMatchObject({ outcome: 'planned', groupId: DEFAULT_GROUP });
  });
});

describe('the README commands', () => {
  it('npm run cli -- demo tells the whole story and exits 0', () => {
    const run = spawnSync('npm', ['run', '--silent', 'cli', '--', 'demo'], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    for (const part of [
      '1. PLAN',
      '2. REMEDIATE',
      '3. ROLL BACK',
      'Outcome: remediated',
      'Outcome: rolled-back',
      'identical to the original (rules with descriptions, memberships, references): yes',
    ]) {
      expect(run.stdout).toContain(part);
    }
  });
});
