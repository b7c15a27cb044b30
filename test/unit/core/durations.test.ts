/**
 * Time budgets from the plan (issue 10 point 8): the rollback execution's timeout grows with the interfaces to move
 * back, so a 10,000-interface rollback (≈ 67 min of paced moves at the default share) is not cut at the hour the
 * definition used to give it; a run that would outlast the lock is blocked.
 */
import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import {
  MAX_EXECUTION_SECONDS,
  migrationSeconds,
  ROLLBACK_FIXED_SECONDS,
  rollbackFits,
  rollbackTimeoutSeconds,
  runSeconds,
} from '../../../handlers/core/durations.ts';
import { type Plan, planRemediation } from '../../../handlers/core/plan.ts';
import { DEFAULT_SETTINGS, lockLifetimeSeconds } from '../../../handlers/steps/deps.ts';
import { readInventory, withinRunAllowance } from '../../../handlers/steps/discover.ts';
import { defaultGroupOf, generateVpc } from '../../support/generate-vpc.ts';

async function planOf(interfaces: number): Promise<Plan> {
  const state = generateVpc({ interfaces, seed: 5 });
  const simulator = Ec2Simulator.fromState(state);
  const target = { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroupOf(state) };
  return planRemediation(await readInventory(simulator, target), { remediationId: 'rem-t', batchSize: 500 });
}

const SHARE = DEFAULT_SETTINGS.pacingShare;

describe('the rollback timeout from the plan', () => {
  it('10,000 interfaces: more than the 67 minutes of paced moves back, twice over, and more than an hour', async () => {
    const plan = await planOf(10_000);
    // ModifyNetworkInterfaceAttribute refills 5 per second; at half of it, 10,000 moves take 4,000 s.
    expect(migrationSeconds(plan, SHARE)).toBeGreaterThanOrEqual(4000);
    const timeout = rollbackTimeoutSeconds(plan, SHARE);
    expect(timeout).toBeGreaterThanOrEqual(ROLLBACK_FIXED_SECONDS + 2 * 4000);
    expect(Number.isInteger(timeout)).toBe(true);
    // A slower pace needs longer.
    expect(rollbackTimeoutSeconds(plan, SHARE / 2)).toBeGreaterThan(timeout);
  }, 60_000);

  it('an empty plan still gets the fixed part (the copy deletion retried for 45 minutes); never past a year', async () => {
    const plan = await planOf(0);
    expect(rollbackTimeoutSeconds(plan, SHARE)).toBeGreaterThanOrEqual(ROLLBACK_FIXED_SECONDS);
    const many = { ...plan, batches: [Array.from({ length: 1000 }, (_, i) => `eni-${i}`)] };
    // At a hundred-thousandth of the refill rate, 1,000 moves take 2·10^7 s each way.
    expect(rollbackTimeoutSeconds(many, 0.00001)).toBe(MAX_EXECUTION_SECONDS);
  });

  it('drift may grow the work within the budget set from the approved plan, not beyond', async () => {
    const approved = await planOf(1000);
    const budget = rollbackTimeoutSeconds(approved, SHARE);
    expect(rollbackFits(approved, SHARE, budget)).toBe(true);
    const extra = (count: number): Plan => ({
      ...approved,
      batches: [...approved.batches, Array.from({ length: count }, (_, i) => `eni-0drift${i}`)],
    });
    expect(rollbackFits(extra(100), SHARE, budget)).toBe(true);
    expect(rollbackFits(extra(2000), SHARE, budget)).toBe(false);
  });
});

describe('a run fits the lock', () => {
  it('Discover blocks a plan whose run would outlast the allowance, naming the numbers; the lock outlives every run it accepts', async () => {
    const plan = await planOf(1000);
    const needed = runSeconds(plan, SHARE);
    expect(withinRunAllowance(plan, { pacingShare: SHARE, runAllowanceSeconds: needed })).toBe(plan);
    const blocked = withinRunAllowance(plan, { pacingShare: SHARE, runAllowanceSeconds: needed - 1 });
    expect(blocked.status).toBe('blocked');
    expect(blocked.reasons.join(' ')).toMatch(/1000 interface\(s\).*RUN_ALLOWANCE_SECONDS/);
    // Accepted with the defaults: the lock's lifetime covers the approval wait plus the whole run.
    expect(withinRunAllowance(plan, DEFAULT_SETTINGS).status).toBe('ready');
    expect(lockLifetimeSeconds(DEFAULT_SETTINGS)).toBeGreaterThanOrEqual(
      DEFAULT_SETTINGS.approvalTimeoutSeconds + needed,
    );
  });
});

describe('resources moved through their services in the time budget (issue 11)', () => {
  /** The plan of a small VPC plus `count` resources of `kind` in its batches. */
  async function withResources(kind: string, count: number): Promise<Plan> {
    const plan = await planOf(10);
    const keys = Array.from({ length: count }, (_, i) => `${kind}:resource-${i}`);
    return { ...plan, batches: [...plan.batches, keys] };
  }

  it('a Lambda function counts the minute its VPC update takes (twice over), not the whole 10-minute wait', async () => {
    const base = migrationSeconds(await planOf(10), SHARE);
    const functions = await withResources('lambda-function', 200);
    expect(migrationSeconds(functions, SHARE) - base).toBe(200 * 120);
    // 200 functions, idle ones included: within the defaults, not blocked.
    expect(withinRunAllowance({ ...functions, status: 'ready' }, DEFAULT_SETTINGS).status).toBe('ready');
  });

  it('a resource whose service publishes no settle time counts the whole wait; a change applied in the call a minute', async () => {
    const base = migrationSeconds(await planOf(10), SHARE);
    expect(migrationSeconds(await withResources('rds-instance', 3), SHARE) - base).toBe(3 * 600);
    expect(migrationSeconds(await withResources('codebuild-project', 3), SHARE) - base).toBe(3 * 60);
  });
});
