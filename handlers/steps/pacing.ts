/**
 * Pacing: each mutating call waits for its turn, so the workflow uses at most `share` of the refill rate of the
 * call's token bucket (EC2's in handlers/core/rate-limits.ts, the owner services' in handlers/core/owners/) and leaves
 * the rest — and the whole burst capacity — to the account's own automation. EC2's buckets are per account, Region and
 * action, so each action is paced on its own (ModifyNetworkInterfaceAttribute at share × 5/s,
 * AuthorizeSecurityGroupIngress at share × 5/s, …); Lambda and RDS have one bucket for all their calls.
 *
 * No burst: calls are spaced evenly from the first one, which is what keeps a 10,000-interface remediation from
 * draining the bucket the customer's deployments draw from. The clock is injected: the real one in Lambda, a virtual
 * one in the benchmark.
 */
import { moveBucketOf } from '../core/owners/index.ts';
import { bucketOf } from '../core/rate-limits.ts';
import type { Clock } from '../ports.ts';

/**
 * Waits until `action` may be called again: an EC2 action ("ModifyNetworkInterfaceAttribute"), or an owner service's
 * move action as IAM names it ("lambda:UpdateFunctionConfiguration"), paced under that service's bucket
 * (handlers/core/owners/) with a move counted as the calls it makes on that bucket.
 */
export type Pace = (action: string) => Promise<void>;

/** The default share of each bucket's refill rate (docs/decisions.md). */
export const DEFAULT_PACING_SHARE = 0.5;

/** The bucket `action` draws from: its key (calls sharing a key are paced together) and its refill rate. */
function bucketFor(action: string): { key: string; refillPerSecond: number } {
  const move = moveBucketOf(action);
  if (move) return move;
  const { key, limits } = bucketOf(action);
  return { key, refillPerSecond: limits.refillPerSecond };
}

/** Calls per second that `share` allows for `action`. */
export function pacedRate(action: string, share: number): number {
  return bucketFor(action).refillPerSecond * share;
}

export function pacer(clock: Clock, share = DEFAULT_PACING_SHARE): Pace {
  if (!(share > 0 && share <= 1)) throw new RangeError(`The pacing share must be in (0, 1]: ${share}`);
  /** Per bucket: the earliest time (ms) the next call may go. */
  const next = new Map<string, number>();
  return async (action) => {
    const { key, refillPerSecond } = bucketFor(action);
    const interval = 1000 / (refillPerSecond * share);
    const now = clock.now();
    const turn = Math.max(now, next.get(key) ?? now);
    next.set(key, turn + interval);
    if (turn > now) await clock.sleep(turn - now);
  };
}

/** No pacing (local runs without a virtual clock, unit tests). */
export const noPacing: Pace = async () => {};
