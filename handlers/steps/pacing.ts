/**
 * Pacing: each mutating call waits for its turn in its token bucket (EC2's per account, Region and action in
 * handlers/core/rate-limits.ts; the owner services' in handlers/core/owners/), adapting to what the account leaves
 * free (handlers/core/adaptive-rate.ts): it may spend half of the bucket's burst, then the refill; a throttle
 * (`RequestLimitExceeded`, `Throttling`…) backs it off and tells it how much another client is taking, which it leaves
 * to that client; it climbs back when that load fades. Each bucket is paced on its own (ModifyNetworkInterfaceAttribute
 * does not wait for AuthorizeSecurityGroupIngress); Lambda and RDS have one bucket for all their calls.
 *
 * Throttles reach the pacer through `Pace.throttled`: the ports built with `reportingThrottles` report a refused call
 * (the simulator's, each AWS SDK attempt through the EC2 client's middleware in handlers/lambda/runtime.ts). The clock
 * is injected: the real one in Lambda, a virtual one in the benchmark.
 */
import {
  type AdaptiveState,
  type BucketShape,
  DEFAULT_ADAPTIVE_OPTIONS,
  isThrottle,
  nextSendAt,
  recordSend,
  recordThrottle,
  startAdaptive,
} from '../core/adaptive-rate.ts';
import { moveBucketOf } from '../core/owners/index.ts';
import { bucketOf } from '../core/rate-limits.ts';
import type { Clock } from '../ports.ts';

/**
 * Waits until `action` may be called: an EC2 action ("ModifyNetworkInterfaceAttribute"), or an owner service's move
 * action as IAM names it ("lambda:UpdateFunctionConfiguration"), paced under that service's bucket
 * (handlers/core/owners/) with a move counted as the calls it makes on that bucket. `throttled`, when the pace adapts,
 * is told that a call of `action` was refused for its rate.
 */
export interface Pace {
  (action: string): Promise<void>;
  throttled?: (action: string) => void;
}

/**
 * The share of each bucket's refill the time budgets count on being left to a run (core/durations.ts: run allowance,
 * rollback timeout; `PACING_SHARE`). The pacer itself adapts above and below it (docs/decisions.md, "Adaptive pacing").
 */
export const DEFAULT_PACING_SHARE = 0.5;

/** The bucket `action` draws from: its key (calls sharing a key are paced together), burst and refill. */
function bucketFor(action: string): BucketShape & { key: string } {
  const move = moveBucketOf(action);
  if (move) return move;
  const { key, limits } = bucketOf(action);
  return { key, capacity: limits.capacity, refillPerSecond: limits.refillPerSecond };
}

/** Calls per second that `share` of the refill allows for `action` (the time budgets' rate). */
export function pacedRate(action: string, share: number): number {
  return bucketFor(action).refillPerSecond * share;
}

/**
 * An adaptive pacer on `clock`: at most `ceilingShare` of each bucket's refill, sustained (1: all of it when the
 * account leaves it free; the organization audit reads at a quarter).
 */
export function pacer(clock: Clock, ceilingShare = DEFAULT_ADAPTIVE_OPTIONS.ceilingShare): Pace {
  const options = { ...DEFAULT_ADAPTIVE_OPTIONS, ceilingShare };
  // Validates the options once, here, rather than at the first call.
  startAdaptive({ capacity: 1, refillPerSecond: 1 }, clock.now(), options);
  const states = new Map<string, AdaptiveState>();
  const stateOf = (key: string, bucket: BucketShape) =>
    states.get(key) ??
    startAdaptive({ capacity: bucket.capacity, refillPerSecond: bucket.refillPerSecond }, clock.now(), options);
  const pace: Pace = async (action) => {
    const bucket = bucketFor(action);
    const now = clock.now();
    const state = stateOf(bucket.key, bucket);
    const turn = nextSendAt(state, now);
    // Taken before the wait, so callers pacing at the same time queue behind each other.
    states.set(bucket.key, recordSend(state, turn));
    if (turn > now) await clock.sleep(turn - now);
  };
  pace.throttled = (action) => {
    const bucket = bucketFor(action);
    states.set(bucket.key, recordThrottle(stateOf(bucket.key, bucket), clock.now()));
  };
  return pace;
}

/** No pacing (local runs without a virtual clock, unit tests). */
export const noPacing: Pace = async () => {};

/** `modifyNetworkInterfaceAttribute` → `ModifyNetworkInterfaceAttribute`: a port method's EC2 action. */
function actionOf(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1);
}

/**
 * `port` (an Ec2Port: its methods are EC2's actions) with every call refused for its rate reported to `pace`, the
 * error still thrown as it was (the Tasks' Retry handles it).
 */
export function reportingThrottles<Port extends object>(port: Port, pace: Pace): Port {
  const report = pace.throttled;
  if (!report) return port;
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          if (isThrottle(error)) report(actionOf(property));
          throw error;
        });
      };
    },
  });
}
