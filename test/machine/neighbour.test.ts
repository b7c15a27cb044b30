/**
 * Adaptive pacing beside a neighbour (issue 13, point 5), through the real definitions on the virtual clock: another
 * client of the account spends half of every EC2 bucket the run draws from (the simulator's neighbour,
 * core/rate-limits.ts). The run learns of it from the one throttle that tells it, leaves it its half, and takes about
 * the floor of what is left; the neighbour is refused no more often than it is alone.
 */
import { describe, expect, it } from 'vitest';
import { benchNeighbour } from '../../cli/bench/neighbour.ts';

describe('a remediation beside a neighbour spending half of each bucket', () => {
  it('1,000 interfaces: no failure, the neighbour no more throttled than alone, ≤ 1.15 × the floor of what it leaves', async () => {
    const run = await benchNeighbour(1000, 0.5);
    expect(run.outcome).toBe('remediated');
    expect(run.failedExecutions).toBe(0);
    expect(run.neighbourThrottlesAlone).toBe(0);
    expect(run.neighbourThrottlesWithRun).toBeLessThanOrEqual(run.neighbourThrottlesAlone);
    // The throttle that told the run of the neighbour was its own.
    expect(run.runThrottles).toBeGreaterThanOrEqual(1);
    // 1,000 moves: 50 at once, the other 950 at the 2.5 per second the neighbour leaves.
    expect(run.floorSeconds).toBeCloseTo(950 / 2.5, 1);
    expect(run.ratio).toBeLessThanOrEqual(1.15);
  }, 120_000);

  it('without a neighbour, the same run takes the full refill: ≤ 1.15 × the full-rate floor, never throttled', async () => {
    const run = await benchNeighbour(1000, 0);
    expect(run.outcome).toBe('remediated');
    expect(run.runThrottles).toBe(0);
    expect(run.floorSeconds).toBeCloseTo(950 / 5, 1);
    expect(run.ratio).toBeLessThanOrEqual(1.15);
  }, 120_000);
});
