/**
 * Pacing: each mutating EC2 call waits for its turn, so the workflow uses at most `share` of the refill rate of the
 * call's token bucket (handlers/core/rate-limits.ts) and leaves the rest — and the whole burst capacity — to the
 * account's own automation. The buckets are per account, Region and action, so each action is paced on its own
 * (ModifyNetworkInterfaceAttribute at share × 5/s, AuthorizeSecurityGroupIngress at share × 5/s, …).
 *
 * No burst: calls are spaced evenly from the first one, which is what keeps a 10,000-interface remediation from
 * draining the bucket the customer's deployments draw from. The clock is injected: the real one in Lambda, a virtual
 * one in the benchmark.
 */
import { bucketOf, CATEGORY_LIMITS } from '../core/rate-limits.ts';
import type { Clock } from '../ports.ts';

/** Waits until `action` may be called again; without an action, the generic mutating bucket's pace. */
export type Pace = (action?: string) => Promise<void>;

/** The default share of each bucket's refill rate (docs/decisions.md). */
export const DEFAULT_PACING_SHARE = 0.5;

/** Calls per second that `share` allows for `action`. */
export function pacedRate(action: string | undefined, share: number): number {
  const limits = action ? bucketOf(action).limits : CATEGORY_LIMITS.mutating;
  return limits.refillPerSecond * share;
}

export function pacer(clock: Clock, share = DEFAULT_PACING_SHARE): Pace {
  if (!(share > 0 && share <= 1)) throw new RangeError(`The pacing share must be in (0, 1]: ${share}`);
  /** Per bucket: the earliest time (ms) the next call may go. */
  const next = new Map<string, number>();
  return async (action) => {
    const key = action ? bucketOf(action).key : 'mutating';
    const interval = 1000 / pacedRate(action, share);
    const now = clock.now();
    const turn = Math.max(now, next.get(key) ?? now);
    next.set(key, turn + interval);
    if (turn > now) await clock.sleep(turn - now);
  };
}

/** No pacing (local runs without a virtual clock, unit tests). */
export const noPacing: Pace = async () => {};
