/** The command line on the managed-services fixture: plan names the owners; remediate then rollback is exact. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../handlers/core/snapshot.ts';
import { runCli, tempDirPerTest } from '../support/cli.ts';

const state = join(import.meta.dirname, '..', 'fixtures', 'states', 'managed-services.state.json');
const DEFAULT_GROUP = 'sg-0d5e000000000d001';

const tempDir = tempDirPerTest('dsr-cli-movers-');

const cli = runCli;

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('cli on a default group used by Lambda, RDS, a load balancer, EFS, an endpoint, ElastiCache and instances', () => {
  it('plan lists the owners moved through their services', async () => {
    const planned = await cli('plan', '--state', state, '--group', DEFAULT_GROUP, '--store', join(tempDir(), 'store'));
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('Moved through their own service (6), their interfaces following:');
    expect(planned.stdout).toContain('  - Lambda function orders-api: groups sg-0d5e000000000d001 (2 interface(s))');
    expect(planned.stdout).toContain('  - RDS DB instance orders-db: groups sg-0d5e000000000d001 (1 interface(s))');
    expect(planned.stdout).toContain('eni-0e5e000000000e006: RDS database (moves with RDS DB instance orders-db)');
  });

  it('remediate --approve auto, then rollback: remediated, every owner on the copy, then restored exactly', async () => {
    const after = join(tempDir(), 'after.json');
    const store = join(tempDir(), 'store');
    const remediated = await cli(
      'remediate',
      '--state',
      state,
      '--group',
      DEFAULT_GROUP,
      '--approve',
      'auto',
      '--store',
      store,
      '--out',
      after,
      '--json',
    );
    expect(remediated.code).toBe(0);
    expect(remediated.json).toMatchObject({
      outcome: 'remediated',
      verification: { verified: true, checks: ['structure', 'traffic'] },
    });
    const copy = remediated.json.replacementGroupId;
    const moved = read(after);
    expect(moved.Functions[0].VpcConfig.SecurityGroupIds).toEqual([copy]);
    expect(moved.DBInstances[0].VpcSecurityGroups).toEqual([{ VpcSecurityGroupId: copy, Status: 'active' }]);
    expect(moved.LoadBalancers[0].SecurityGroups).toEqual([copy, 'sg-0d5e000000000a001']);

    const restored = join(tempDir(), 'restored.json');
    const rolledBack = await cli(
      'rollback',
      '--remediation',
      remediated.json.remediationId,
      '--state',
      after,
      '--store',
      store,
      '--out',
      restored,
      '--json',
    );
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.json).toMatchObject({ outcome: 'rolled-back', report: { resourcesGone: [] } });
    // The fixture lists the default group's (no) tags as `"Tags": []`; once the rollback has deleted the strip's mark
    // the group has no tags again, which the simulator describes without `Tags` (docs/simulator-fidelity.md). The
    // rest is byte for byte the same.
    const expected = read(state);
    const defaultGroup = expected.SecurityGroups.find((group: { GroupId: string }) => group.GroupId === DEFAULT_GROUP);
    expect(defaultGroup.Tags).toEqual([]);
    delete defaultGroup.Tags;
    expect(canonicalJson(read(restored))).toBe(canonicalJson(expected));
  });
});
