/** Organization runs through the CLI entry: `plan --all-regions` and `remediate --all-empty` on the org fixture set. */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditedGroup, RemediatedGroup } from '../../cli/org.ts';
import type { Ec2State, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { canonicalJson } from '../../handlers/core/snapshot.ts';
import { ORG_FIXTURES } from '../fixtures/org/build.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';

const ORG = join(import.meta.dirname, '..', 'fixtures', 'org');
const MAIN_US = '111122223333-us-east-1.state.json';
const MAIN_EU = '111122223333-eu-west-1.state.json';
const MEMBER_US = '444455556666-us-east-1.state.json';

const tempDir = tempDirPerTest('dsr-org-');

const cli = runCli;

const read = (path: string): Ec2State => JSON.parse(readFileSync(path, 'utf8'));
const store = () => join(tempDir(), 'store');

/** The default groups of a fixture file, in the order its VPCs were built. */
function defaultGroups(file: string): SecurityGroup[] {
  return read(join(ORG, file)).SecurityGroups.filter((group) => group.GroupName === 'default');
}

function defaultGroupId(file: string, vpcIndex: number): string {
  return defaultGroups(file)[vpcIndex]?.GroupId as string;
}

/** Every default group of the fixture set, with the status and numbers the audit must find (see build.ts). */
const EXPECTED: [file: string, vpcIndex: number, status: string, members: number, references: number][] = [
  [MAIN_US, 0, 'in use', 2, 0],
  [MAIN_US, 1, 'empty', 0, 0],
  [MAIN_US, 2, 'compliant', 1, 0],
  [MAIN_EU, 0, 'empty', 0, 0],
  [MAIN_EU, 1, 'excluded', 0, 0],
  [MAIN_EU, 2, 'in use', 0, 1],
  [MEMBER_US, 0, 'blocked', 1, 0],
  [MEMBER_US, 1, 'empty', 0, 0],
];

const EMPTY_GROUPS = EXPECTED.filter(([, , status]) => status === 'empty').map(([file, index]) =>
  defaultGroupId(file, index),
);

describe('the org fixture set', () => {
  it('is what test/fixtures/org/build.ts builds', () => {
    for (const [name, build] of Object.entries(ORG_FIXTURES)) expect(read(join(ORG, name)), name).toEqual(build());
    expect(readdirSync(ORG).filter((name) => name.endsWith('.json'))).toEqual(Object.keys(ORG_FIXTURES).sort());
  });
});

describe('cli plan --all-regions on the simulator', () => {
  it('finds every default group with its status, numbers and reasons, and an unreachable account/region', async () => {
    const result = await cli('plan', '--all-regions', '--state', ORG, '--json');
    expect(result.code).toBe(0);
    const groups = result.json.groups as AuditedGroup[];
    for (const [file, index, status, members, references] of EXPECTED) {
      const groupId = defaultGroupId(file, index);
      const row = groups.find((group) => group.groupId === groupId);
      expect(row, `${file} VPC ${index}`).toMatchObject({ status, members, references });
      expect(`${row?.accountId}-${row?.region}.state.json`).toBe(file);
    }
    expect(groups.find((group) => group.status === 'blocked')?.reasons.join(' ')).toMatch(/Lambda function ingest/);
    expect(groups.find((group) => group.status === 'excluded')?.reasons.join(' ')).toMatch(
      /opt-out tag default-sg-remediation:exclude/,
    );
    const unreachable = groups.filter((group) => group.status === 'unreachable');
    expect(unreachable).toEqual([
      {
        accountId: '444455556666',
        region: 'eu-west-1',
        status: 'unreachable',
        members: 0,
        references: 0,
        rules: 0,
        reasons: ['No state file simulates account 444455556666 in eu-west-1.'],
      },
    ]);
    expect(result.json.summary).toEqual({
      accounts: 2,
      regions: 2,
      groups: 8,
      'in use': 2,
      empty: 3,
      compliant: 1,
      blocked: 1,
      excluded: 1,
      unreachable: 1,
    });
  });

  it('--json prints exactly one JSON object with the documented shape', async () => {
    const result = await cli('plan', '--all-regions', '--state', ORG, '--json');
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(Object.keys(result.json).sort()).toEqual(['ec2Calls', 'groups', 'outcome', 'summary']);
    expect(result.json.outcome).toBe('planned');
    for (const group of result.json.groups as AuditedGroup[]) {
      expect(Object.keys(group)).toEqual(
        expect.arrayContaining(['accountId', 'region', 'status', 'members', 'references', 'rules', 'reasons']),
      );
    }
  });

  it('judges requester-managed members through their services: movable owners are in use, not blocked', async () => {
    const managed = join(import.meta.dirname, '..', 'fixtures', 'states', 'managed-services.state.json');
    const result = await cli('plan', '--all-regions', '--state', managed, '--json');
    const rows = result.json.groups as AuditedGroup[];
    expect(rows.find((row) => row.groupId === 'sg-0d5e000000000d001')).toMatchObject({ status: 'in use', reasons: [] });
    // Without its Functions record the Lambda interface has no owner the service shows: blocked, as Discover says.
    const state = JSON.parse(readFileSync(managed, 'utf8'));
    state.Functions = [];
    const path = join(tempDir(), 'no-functions.state.json');
    writeFileSync(path, JSON.stringify(state));
    const without = await cli('plan', '--all-regions', '--state', path, '--json');
    expect((without.json.groups as AuditedGroup[]).find((row) => row.groupId === 'sg-0d5e000000000d001')?.status).toBe(
      'blocked',
    );
  });

  it('reads only: the state files are unchanged and only Describe calls are made', async () => {
    const before = Object.fromEntries(Object.keys(ORG_FIXTURES).map((name) => [name, readFileSync(join(ORG, name))]));
    const result = await cli('plan', '--all-regions', '--state', ORG, '--json');
    expect(result.code).toBe(0);
    for (const [name, bytes] of Object.entries(before)) expect(readFileSync(join(ORG, name)).equals(bytes)).toBe(true);
    const actions = Object.keys(result.json.ec2Calls);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => !action.startsWith('Describe'))).toEqual([]);
    expect(result.json.ec2Calls.DescribeSecurityGroups).toBeGreaterThanOrEqual(8);
  });

  it.each([
    {
      name: '--accounts and --regions narrow the scope',
      flags: ['--accounts', '444455556666', '--regions', 'us-east-1'],
      statuses: ['blocked', 'empty'],
    },
    {
      name: 'an account with no state is unreachable in every region',
      flags: ['--accounts', '777788889999,111122223333', '--regions', 'eu-west-1'],
      statuses: ['empty', 'excluded', 'in use', 'unreachable'],
    },
    {
      name: 'state files can be named one by one',
      flags: ['--state', join(ORG, MAIN_US)],
      statuses: ['compliant', 'empty', 'in use'],
    },
  ])('$name', async ({ flags, statuses }) => {
    const state = flags.includes('--state') ? [] : ['--state', ORG];
    const result = await cli('plan', '--all-regions', ...state, ...flags, '--json');
    expect(result.code).toBe(0);
    expect((result.json.groups as AuditedGroup[]).map((group) => group.status).sort()).toEqual(statuses);
  });

  it('an audit that could read no account/region exits 1, saying why (not a clean bill)', async () => {
    const result = await cli('plan', '--all-regions', '--state', ORG, '--accounts', '777788889999', '--json');
    expect(result.code).toBe(1);
    expect(result.json).toMatchObject({ outcome: 'failed', error: 'Unreachable' });
    expect(result.json.reasons[0]).toBe('No account/region in scope could be read (2):');
    expect(result.json.reasons.length).toBeGreaterThan(1);
    expect((result.json.groups as AuditedGroup[]).every((group) => group.status === 'unreachable')).toBe(true);
    const human = await cli('plan', '--all-regions', '--state', ORG, '--accounts', '777788889999');
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('Outcome: failed');
    // With one place read, the unreachable ones are findings of the audit: exit 0.
    const partly = await cli('plan', '--all-regions', '--state', ORG, '--accounts', '777788889999,444455556666');
    expect(partly.code).toBe(0);
    // Nothing to strip when nothing could be read: exit 1 too.
    const strip = await cli(
      'remediate',
      '--all-empty',
      '--state',
      ORG,
      '--accounts',
      '777788889999',
      '--approve',
      'auto',
      '--store',
      store(),
      '--json',
    );
    expect(strip.code).toBe(1);
    expect(strip.json).toMatchObject({ outcome: 'failed', error: 'Unreachable' });
  });

  it('prints a table, the counts, and plain progress lines on stderr when not on a terminal', async () => {
    const result = await cli('plan', '--all-regions', '--state', ORG);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^ACCOUNT\s+REGION\s+VPC\s+GROUP\s+STATUS\s+MEMBERS\s+REFS\s+RULES\s+REASON$/);
    expect(lines.filter((line) => /^\d{12} /.test(line))).toHaveLength(9);
    expect(result.stdout).toContain(
      '8 default group(s) in 2 account(s), 2 region(s): 2 in use, 3 empty, 1 compliant, 1 blocked, 1 excluded, 1 unreachable.',
    );
    const progress = result.stderr.trim().split('\n');
    expect(progress).toHaveLength(4);
    expect(progress.at(-1)).toMatch(/^\[4\/4\] audited \d{12} [a-z]+-[a-z]+-\d: /);
    expect(result.stderr).not.toContain('\r');
  });
});

describe('cli remediate --all-empty on the simulator', () => {
  it('strips exactly the empty groups, leaves everything else as it was, and each one rolls back', async () => {
    const out = join(tempDir(), 'out');
    const result = await cli(
      'remediate',
      '--all-empty',
      '--state',
      ORG,
      '--approve',
      'auto',
      '--store',
      store(),
      '--out',
      out,
      '--json',
    );
    expect(result.code).toBe(0);
    expect(result.json.outcome).toBe('remediated');
    expect(result.json.summary).toEqual({ remediated: 3, skipped: 0, failed: 0 });
    const remediated = result.json.groups as RemediatedGroup[];
    expect(remediated.map((group) => group.groupId).sort()).toEqual([...EMPTY_GROUPS].sort());
    for (const group of remediated) expect(group.remediationId).toMatch(/^rem-/);

    for (const name of Object.keys(ORG_FIXTURES)) {
      const before = read(join(ORG, name));
      const after = read(join(out, name));
      expect(
        after.SecurityGroups.map((group) => group.GroupId),
        name,
      ).toEqual(before.SecurityGroups.map((group) => group.GroupId));
      for (const group of after.SecurityGroups) {
        const original = before.SecurityGroups.find((candidate) => candidate.GroupId === group.GroupId);
        if (EMPTY_GROUPS.includes(group.GroupId as string)) {
          expect(group.IpPermissions, group.GroupId).toEqual([]);
          expect(group.IpPermissionsEgress, group.GroupId).toEqual([]);
        } else {
          expect(canonicalJson(group), group.GroupId).toBe(canonicalJson(original));
        }
      }
      expect(canonicalJson(after.NetworkInterfaces)).toBe(canonicalJson(before.NetworkInterfaces));
    }

    // Each remediation rolls back on its own state file; after all of them every file is as it started.
    for (const group of remediated) {
      const file = join(out, `${group.accountId}-${group.region}.state.json`);
      const rolledBack = await cli(
        'rollback',
        '--remediation',
        group.remediationId as string,
        '--state',
        file,
        '--store',
        store(),
        '--out',
        file,
        '--json',
      );
      expect(rolledBack.json.outcome, group.groupId).toBe('rolled-back');
    }
    for (const name of Object.keys(ORG_FIXTURES))
      expect(canonicalJson(read(join(out, name))), name).toBe(canonicalJson(read(join(ORG, name))));
  });

  it('--approve reject starts and rejects each run: all skipped, the states unchanged', async () => {
    const out = join(tempDir(), 'out');
    const result = await cli(
      'remediate',
      '--all-empty',
      '--state',
      ORG,
      '--approve',
      'reject',
      '--store',
      store(),
      '--out',
      out,
      '--json',
    );
    expect(result.code).toBe(0);
    expect(result.json.summary).toEqual({ remediated: 0, skipped: 3, failed: 0 });
    for (const group of result.json.groups as RemediatedGroup[]) expect(group.outcome).toBe('rejected');
    for (const name of Object.keys(ORG_FIXTURES))
      expect(canonicalJson(read(join(out, name))), name).toBe(canonicalJson(read(join(ORG, name))));
  });

  it('prints the results table with the remediation ids and how to roll one back', async () => {
    const result = await cli(
      'remediate',
      '--all-empty',
      '--state',
      join(ORG, MEMBER_US),
      '--approve',
      'auto',
      '--store',
      store(),
    );
    expect(result.code).toBe(0);
    const emptyId = defaultGroupId(MEMBER_US, 1);
    expect(result.stdout).toMatch(/ACCOUNT\s+REGION\s+VPC\s+GROUP\s+RESULT\s+REMEDIATION\s+REASON/);
    expect(result.stdout).toMatch(new RegExp(`${emptyId}\\s+remediated\\s+rem-`));
    expect(result.stdout).not.toContain(defaultGroupId(MEMBER_US, 0));
    expect(result.stdout).toContain('1 remediated, 0 skipped, 0 failed.');
    expect(result.stdout).toContain('npx default-sg-remediation rollback --remediation <REMEDIATION>');
    expect(result.stderr).toMatch(/\[1\/1\] sg-[0-9a-f]+ \(444455556666 us-east-1\): remediated/);
  });
});

describe('organization flags: bad input exits 2 and changes nothing', () => {
  const one = join(ORG, MAIN_US);
  it.each([
    { args: ['plan', '--all-regions', '--group', 'sg-0123456789abcdef0'], reason: /does not take --group/ },
    { args: ['plan', '--all-regions', '--accounts', '12345'], reason: /--accounts must be .*"12345"/ },
    { args: ['plan', '--all-regions', '--regions', 'US-EAST-1'], reason: /--regions must be/ },
    { args: ['plan', '--all-regions', '--region', 'us-east-1'], reason: /takes --regions/ },
    { args: ['plan', '--all-regions', '--out', 'x.json'], reason: /reads only; it takes no --out/ },
    { args: ['plan', '--all-empty'], reason: /--all-empty goes with remediate/ },
    { args: ['plan', '--group', 'sg-0123456789abcdef0', '--accounts', '111122223333'], reason: /go with plan --all/ },
    { args: ['plan', '--group', 'sg-0123456789abcdef0', '--state', one, '--state', one], reason: /Several --state/ },
    { args: ['remediate', '--all-regions'], reason: /--all-regions goes with plan/ },
    { args: ['remediate', '--all-empty', '--approve', 'web'], reason: /auto, reject or prompt/ },
    { args: ['remediate', '--all-empty'], reason: /--approve auto\|reject is required/ },
    { args: ['remediate', '--all-empty', '--approve', 'auto', '--out', 'tempDir()'], reason: /--out needs --state/ },
    { args: ['rollback', '--all-empty', '--remediation', 'rem-1'], reason: /rollback takes one --remediation/ },
  ])('$args', async ({ args, reason }) => {
    const result = await cli(...args, '--json');
    expect(result.code).toBe(2);
    expect(result.json).toMatchObject({ outcome: 'failed', error: 'InvalidInput' });
    expect(result.json.reasons.join(' ')).toMatch(reason);
  });

  it('refuses two state files for the same account and region, and a missing one, before changing anything', async () => {
    const copy = join(tempDir(), 'copy.state.json');
    cpSync(one, copy);
    const out = join(tempDir(), 'out');
    const duplicate = await cli(
      'remediate',
      '--all-empty',
      '--state',
      ORG,
      '--state',
      copy,
      '--approve',
      'auto',
      '--store',
      store(),
      '--out',
      out,
      '--json',
    );
    expect(duplicate.code).toBe(2);
    expect(duplicate.json.reasons.join(' ')).toMatch(/both simulate account 111122223333 in us-east-1/);
    const missing = await cli('plan', '--all-regions', '--state', join(tempDir(), 'nope'), '--json');
    expect(missing.code).toBe(2);
    expect(missing.json.reasons.join(' ')).toMatch(/Cannot read the state .*nope: ENOENT/);
    const broken = join(tempDir(), 'broken');
    cpSync(ORG, broken, { recursive: true });
    writeFileSync(join(broken, 'zz.json'), '{"SecurityGroups": [{"GroupId": "nope"}]}');
    const invalid = await cli('plan', '--all-regions', '--state', broken, '--json');
    expect(invalid.code).toBe(2);
    expect(invalid.json.reasons.join(' ')).toMatch(/zz\.json: SecurityGroups\[0\]\.GroupId/);
    expect(readdirSync(tempDir()).sort()).toEqual(['broken', 'copy.state.json']);
  });
});
