import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AdaptiveState,
  BUNCH_CALLS,
  CUBIC_BETA,
  cubicRate,
  freeRate,
  isThrottle,
  MIN_RATE_SHARE,
  nextSendAt,
  OTHERS_HALF_LIFE_MS,
  OTHERS_HOLD_MS,
  othersRate,
  recordSend,
  recordThrottle,
  startAdaptive,
} from '../../../handlers/core/adaptive-rate.ts';
import { TokenBucket } from '../../../handlers/core/rate-limits.ts';

// ModifyNetworkInterfaceAttribute's bucket: 100 tokens, 5 per second
// (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
const MODIFY = { capacity: 100, refillPerSecond: 5 };

interface Outcome {
  ours: number[];
  ourThrottles: number[];
  neighbourThrottles: number[];
  state: AdaptiveState;
}

/**
 * Our limiter and, optionally, a neighbour calling every 1 / (share × refill) seconds, against one bucket as EC2
 * counts it, for `seconds`; our refused calls are reported back as the pacer does.
 */
function contend(seconds: number, neighbourShare = 0, bucket = MODIFY, neighbourUntil = Number.POSITIVE_INFINITY) {
  const ec2 = new TokenBucket(bucket, 0);
  let state = startAdaptive(bucket, 0);
  const interval = neighbourShare > 0 ? 1000 / (neighbourShare * bucket.refillPerSecond) : Number.POSITIVE_INFINITY;
  let neighbourAt = interval / 3;
  const outcome: Outcome = { ours: [], ourThrottles: [], neighbourThrottles: [], state };
  const end = seconds * 1000;
  let now = 0;
  for (;;) {
    const ourAt = nextSendAt(state, now);
    if (Math.min(ourAt, neighbourAt) > end) break;
    if (neighbourAt <= ourAt) {
      if (neighbourAt < neighbourUntil && !ec2.take(neighbourAt)) outcome.neighbourThrottles.push(neighbourAt);
      now = neighbourAt;
      neighbourAt += interval;
      continue;
    }
    now = ourAt;
    state = recordSend(state, ourAt);
    if (ec2.take(ourAt)) outcome.ours.push(ourAt);
    else {
      outcome.ourThrottles.push(ourAt);
      state = recordThrottle(state, ourAt);
    }
  }
  outcome.state = state;
  return outcome;
}

const within = (times: number[], from: number, to: number) => times.filter((t) => t >= from && t < to).length;

describe('adaptive rate (core)', () => {
  it('starts within the bucket: half the burst at once, then the refill rate, and never a throttle when alone', () => {
    const { ours, ourThrottles } = contend(60);
    expect(ourThrottles).toEqual([]);
    expect(within(ours, 0, 1)).toBe(50); // half of the 100-token burst at once…
    expect(within(ours, 0, 1001)).toBe(50 + 5); // …then 5 per second, in bunches of BUNCH_CALLS
    expect(within(ours, 1000, 1001)).toBe(BUNCH_CALLS);
    expect(within(ours, 10_000, 20_000)).toBe(50);
    expect(ours.length).toBeGreaterThanOrEqual(50 + 5 * 59);
  });

  it('never takes more than the refill plus its share of the burst, whatever throttles it is told of', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 120_000 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 20 }),
        (throttleTimes, capacity, refillPerSecond) => {
          const bucket = { capacity, refillPerSecond };
          let state = startAdaptive(bucket, 0);
          const sends: number[] = [];
          const pending = [...throttleTimes].sort((a, b) => a - b);
          let now = 0;
          while (now <= 120_000) {
            const at = nextSendAt(state, now);
            while (pending.length > 0 && (pending[0] ?? 0) <= at) {
              state = recordThrottle(state, Math.max(now, pending.shift() ?? 0));
            }
            const turn = nextSendAt(state, now);
            if (turn > 120_000) break;
            state = recordSend(state, turn);
            sends.push(turn);
            now = turn;
          }
          const burst = Math.max(1, capacity / 2);
          // Every window [a, b): at most the burst share plus the refill over it (and the one call in flight).
          for (let a = 0; a < 120_000; a += 7_919) {
            for (const length of [1_000, 10_000, 60_000]) {
              expect(within(sends, a, a + length)).toBeLessThanOrEqual(
                Math.floor(burst + 1 + (refillPerSecond * length) / 1000),
              );
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('backs off on a throttle: the CUBIC rate drops to β of the measured rate, and the pace waits for the bucket to refill', () => {
    let state = startAdaptive(MODIFY, 0);
    for (let t = 0; t < 20_000; t += 200) state = recordSend(state, nextSendAt(state, t));
    const measured = state.measuredRate;
    expect(measured).toBeGreaterThan(4);
    state = recordThrottle(state, 20_000);
    expect(cubicRate(state, 20_000)).toBeCloseTo(CUBIC_BETA * measured, 5);
    // The bucket is empty: the next call waits until half of it (the reserve) is back, at the free rate.
    const next = nextSendAt(state, 20_000);
    expect(next - 20_000).toBeGreaterThanOrEqual((51 / freeRate(state, 20_000)) * 1000 - 1);
  });

  it('climbs back after a throttle: the CUBIC curve returns past the rate it had within seconds when nothing else spends', () => {
    const { ours, ourThrottles } = contend(120);
    expect(ourThrottles).toEqual([]);
    let state = startAdaptive(MODIFY, 0);
    for (let t = 0; t < 30_000; t += 200) state = recordSend(state, nextSendAt(state, t));
    state = recordThrottle(state, 30_000);
    const before = state.maxRate;
    expect(cubicRate(state, 30_000)).toBeLessThan(before);
    expect(cubicRate(state, 35_000)).toBeGreaterThanOrEqual(before);
    expect(ours.length).toBeGreaterThan(0);
  });

  it('reacts to a neighbour spending half of the bucket: measures it, leaves it that half, and stops throttling it', () => {
    const { ours, ourThrottles, neighbourThrottles, state } = contend(2000, 0.5);
    // A throttle is the only way to learn of the neighbour: the first one, then a probe once its load has been held
    // for OTHERS_HOLD_MS and starts to fade. None of them fell on the neighbour.
    expect(ourThrottles[0]).toBeLessThan(30_000);
    expect(ourThrottles.length).toBeLessThanOrEqual(1 + Math.ceil(2_000_000 / OTHERS_HOLD_MS));
    expect(neighbourThrottles).toEqual([]);
    expect(othersRate(state, 2_000_000)).toBeCloseTo(2.5, 0);
    // What is left is 2.5 calls per second: we get at least 87 % of it (the 1.15 × floor target).
    const leftFloor = (ours.length - 1) / 2.5;
    expect(2000 / leftFloor).toBeLessThanOrEqual(1.15);
  });

  it('climbs back when the neighbour has gone: its load is held, then fades, and the pace returns to the refill', () => {
    const { state, ours } = contend(7000, 0.5, MODIFY, 600_000);
    expect(othersRate(state, 700_000)).toBeGreaterThan(2);
    const faded = 600_000 + OTHERS_HOLD_MS + 4 * OTHERS_HALF_LIFE_MS;
    expect(within(ours, faded, faded + 60_000)).toBeGreaterThanOrEqual(0.9 * 5 * 60);
  });

  it('under a neighbour that takes nearly everything, still moves on what is left, never below the floor', () => {
    const { ours, state } = contend(600, 0.9);
    expect(othersRate(state, 600_000)).toBeCloseTo(4.5, 0);
    expect(freeRate(state, 600_000)).toBeGreaterThanOrEqual(5 * MIN_RATE_SHARE);
    expect(within(ours, 300_000, 600_000)).toBeGreaterThan(0.6 * 0.5 * 300);
    // A neighbour taking more than the refill leaves nothing: the measure stops short of it, at the floor.
    const flooded = recordThrottle(startAdaptive(MODIFY, 0), 60_000);
    expect(freeRate(recordThrottle(recordSend(flooded, 60_000), 70_000), 70_000)).toBeCloseTo(5 * MIN_RATE_SHARE);
  });

  it('knows a refusal for rate by its code', () => {
    expect(isThrottle({ name: 'RequestLimitExceeded' })).toBe(true);
    expect(isThrottle({ name: 'ThrottlingException' })).toBe(true);
    expect(isThrottle({ name: 'InvalidGroup.NotFound' })).toBe(false);
  });
});
