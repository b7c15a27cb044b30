/** The organization benchmark's parts: the group mix, the floor, the event clock, a small organization end to end. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { benchOrg, EventClock, groupKindOf, makespanFloor, orgPlot, placeFloorSeconds } from '../../cli/bench/org.ts';
import { bucketOf } from '../../handlers/core/rate-limits.ts';
import { AUDIT_PACING_SHARE } from '../../handlers/steps/audit.ts';
import { pacedRate } from '../../handlers/steps/pacing.ts';

describe('the organization benchmark', () => {
  it('mixes exactly 70 % empty, 25 % in use, 5 % blocked in every hundred account/regions', () => {
    for (const start of [0, 100, 1700, 16_900]) {
      const kinds = Array.from({ length: 100 }, (_, offset) => groupKindOf(start + offset));
      expect(kinds.filter((kind) => kind === 'empty')).toHaveLength(70);
      expect(kinds.filter((kind) => kind === 'in use')).toHaveLength(25);
      expect(kinds.filter((kind) => kind === 'blocked')).toHaveLength(5);
    }
  });

  it('floors a place at its busiest describe bucket at a quarter of its refill, and a schedule at its makespan bound', () => {
    // The pacer spends half of a bucket's burst, then a quarter of its refill: the calls beyond half the capacity
    // each take a gap at that rate; 3 calls are within it.
    const gap = 1 / pacedRate('DescribeSecurityGroups', AUDIT_PACING_SHARE);
    const half = bucketOf('DescribeSecurityGroups').limits.capacity / 2;
    expect(placeFloorSeconds({ DescribeSecurityGroups: 60, DescribeNetworkInterfaces: 3 })).toBeCloseTo(
      (60 - half) * gap,
    );
    expect(placeFloorSeconds({ DescribeSecurityGroups: 11, DescribeNetworkInterfaces: 3 })).toBe(0);
    expect(placeFloorSeconds({})).toBe(0);
    // One call after the other: never less than their round trips.
    expect(placeFloorSeconds({ DescribeSecurityGroups: 11, DescribeNetworkInterfaces: 3 }, 100)).toBeCloseTo(1.4);
    expect(makespanFloor([1, 1, 1, 1], 2)).toBe(2);
    expect(makespanFloor([5, 1], 40)).toBe(5);
  });

  it('wakes sleepers in deadline order, each after exactly its own wait', async () => {
    const clock = new EventClock(0);
    const woke: [string, number][] = [];
    const sleeper = async (name: string, waits: number[]) => {
      for (const wait of waits) {
        await clock.sleep(wait);
        woke.push([name, clock.now()]);
      }
    };
    await Promise.all([sleeper('slow', [1000]), sleeper('fast', [200, 200, 200])]);
    expect(woke).toEqual([
      ['fast', 200],
      ['fast', 400],
      ['fast', 600],
      ['slow', 1000],
    ]);
  });

  it('audits a small organization through the real definition within 1.2 × its floor, one audit notice, no throttling', async () => {
    const report = await benchOrg(40, 3);
    expect(report).toMatchObject({
      accounts: 40,
      regions: 3,
      groups: 120,
      failedExecutions: 0,
      throttledCalls: 0,
      auditNotices: 1,
      dispatchNotices: 0,
      remediationExecutions: 120,
      actionEvents: 6,
      executions: 121,
    });
    expect(report.statuses.empty + report.statuses['in use'] + report.statuses.blocked).toBe(120);
    expect(report.statuses.blocked).toBeGreaterThan(0);
    expect(report.auditSeconds).toBeGreaterThanOrEqual(report.auditFloorSeconds);
    expect(report.auditSeconds).toBeLessThanOrEqual(1.2 * report.auditFloorSeconds);
    expect(report.notices).toBeLessThanOrEqual(report.auditNotices + report.batches);
    // The audit's own Lambdas: scope, one per account, report, notice.
    expect(report.lambdaInvocations).toBe(40 + 3 + report.actionEvents);
    expect(report.maxPayloadBytes).toBeLessThan(262_144);
    expect(orgPlot(report)).toMatch(/^<svg[\s\S]*floor[\s\S]*<\/svg>\n$/);
  }, 60_000);

  it('--org --json prints one object whose org member has the issue’s fields; a bad --org-accounts exits 2', () => {
    const run = spawnSync('npx', ['tsx', 'cli/bench/run.ts', '--org', '--org-accounts', '3', '--json', '--no-plot'], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const { org } = JSON.parse(run.stdout);
    for (const key of [
      'accounts',
      'regions',
      'groups',
      'auditSeconds',
      'auditFloorSeconds',
      'executions',
      'lambdaInvocations',
      'batches',
      'notices',
      'costUsd',
    ])
      expect(org, key).toHaveProperty(key);
    expect(org).toMatchObject({ accounts: 3, regions: 17, groups: 51 });
    const bad = spawnSync('npx', ['tsx', 'cli/bench/run.ts', '--org', '--org-accounts', 'many'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--org-accounts/);
  }, 60_000);
});
