/**
 * `remediate --all-empty` ended by a signal, in a real terminal: the run in flight rolls back, no further group starts,
 * and the ledger holds an ending for every run that started (remediated, or failed and rolled back with what
 * interrupted it) with no lock left behind — as for a single run (test/cli/endings.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { tempDirPerTest } from '../support/cli.ts';
import { StateBuilder } from '../support/generate-vpc.ts';
import { inTerminal } from '../support/terminal.ts';

const tempDir = tempDirPerTest('dsr-bulk-endings-');
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const GROUPS = 40;
const FILE_NAME = '111122223333-us-east-1.state.json';

interface Ending {
  machine: string;
  outcome: string;
  interruptedBy?: string;
  rolledBack?: boolean;
  stateFile?: string;
  pid: number;
}

describe('remediate --all-empty ended by SIGTERM, in a terminal', () => {
  it('records the ending of every run that started, the interrupted one too, and leaves no lock', async () => {
    const builder = new StateBuilder({ accountId: '111122223333', region: 'us-east-1', salt: 0xe7d5 });
    for (let index = 0; index < GROUPS; index++) builder.vpc({ cidr: `10.${index}.0.0/16` });
    const state = builder.build();
    const file = join(tempDir(), FILE_NAME);
    writeFileSync(file, JSON.stringify(state));
    const store = join(tempDir(), 'store');
    const out = join(tempDir(), 'out');

    const session = inTerminal([
      'remediate',
      '--all-empty',
      '--state',
      file,
      '--approve',
      'auto',
      '--store',
      store,
      '--out',
      out,
    ]);
    // Two groups done: the third is in flight (or about to start) when the signal comes.
    await session.waitFor(` 2/${GROUPS} `, 60_000);
    process.kill(session.commandPid(), 'SIGTERM');
    expect(await session.exited()).toBe(143);
    expect(session.screen()).toContain('Stopping (SIGTERM)');

    const ledger = read(join(store, 'ledger.json'));
    expect(ledger.locks).toEqual({});
    const records = Object.values(ledger.remediations) as { groupId: string; endings?: Ending[] }[];
    expect(records.length).toBeGreaterThanOrEqual(2);
    expect(records.length).toBeLessThan(GROUPS);
    for (const record of records) {
      expect(record.endings, record.groupId).toHaveLength(1);
      expect(record.endings?.[0]).toMatchObject({ machine: 'remediate', stateFile: join(out, FILE_NAME) });
    }
    const endings = records.map((record) => record.endings?.[0] as Ending);
    const interrupted = endings.filter((ending) => ending.interruptedBy);
    for (const ending of interrupted) expect(ending).toMatchObject({ interruptedBy: 'SIGTERM', outcome: 'failed' });
    expect(interrupted.length).toBeLessThanOrEqual(1);
    expect(endings.filter((ending) => !ending.interruptedBy).every((ending) => ending.outcome === 'remediated')).toBe(
      true,
    );

    // The final state agrees with the ledger: the remediated groups are stripped, every other one is as it was.
    const remediated = new Set(
      records.filter((record) => record.endings?.[0]?.outcome === 'remediated').map((record) => record.groupId),
    );
    const before = new Map(state.SecurityGroups.map((group) => [group.GroupId, group]));
    for (const group of read(join(out, FILE_NAME)).SecurityGroups as SecurityGroup[]) {
      if (remediated.has(group.GroupId as string)) {
        expect(group.IpPermissions, group.GroupId).toEqual([]);
        expect(group.IpPermissionsEgress, group.GroupId).toEqual([]);
      } else {
        expect(group.IpPermissions, group.GroupId).toEqual(before.get(group.GroupId)?.IpPermissions);
        expect(group.IpPermissionsEgress, group.GroupId).toEqual(before.get(group.GroupId)?.IpPermissionsEgress);
      }
    }
  }, 120_000);
});
