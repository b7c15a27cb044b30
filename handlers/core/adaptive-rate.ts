/**
 * Adaptive pacing of one token bucket (EC2's per action, handlers/core/rate-limits.ts; an owner service's,
 * handlers/core/owners/): when the next call may go, given what the bucket is documented to hold and refill, what this
 * client spent, and the throttles it got back. Pure: times are passed in (milliseconds), so a virtual clock drives it
 * as well as the real one. The pacer (handlers/steps/pacing.ts) keeps one state per bucket.
 *
 * The reference is the AWS SDKs' adaptive retry mode, its client-side rate limiter (`DefaultRateLimiter` of
 * `@smithy/util-retry` in the SDK for JavaScript v3 — here under `@smithy/core`, `submodules/retry/util-retry` —,
 * `botocore/retries/adaptive.py` in Python; "Retry behavior",
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html): a token bucket the client draws from
 * before each request, switched on by the first throttle; on a throttle the rate drops to β = 0.7 of the measured send
 * rate (multiplicative decrease); after it the rate climbs back along a CUBIC curve, `0.4 · (t − K)³ + W_max` with
 * `K = ∛(W_max · (1 − β) / 0.4)`, capped at twice the measured send rate.
 *
 * What the SDK does not know and we do is the bucket's documented capacity and refill. So, on top of the SDK's curve:
 *
 *  - **Within the bucket.** We predict the account's bucket (starting full, refilled at its rate less what others are
 *    assumed to take, less what we spend) and send only while the prediction stays above a reserve: at most
 *    `burstShare` of the burst is ours (half by default); the rest, and every token others take, is left to the
 *    account's own automation. Sustained, we take at most `ceilingShare` of the refill.
 *  - **Others' load.** A throttle says the bucket is empty. What our prediction still held then is load we did not
 *    assume: with what we did assume since the prediction was last known right (full, or empty at the last throttle),
 *    it measures others' rate, which the prediction then leaves to them. The measure is held for `OTHERS_HOLD_MS`
 *    (twice as long each time a throttle finds the load still there), then halves every `OTHERS_HALF_LIFE_MS`: that
 *    is how the pace climbs back once the neighbour has gone. No answer of EC2 says a bucket is free, only a throttle
 *    says it is not, and that throttle may fall on the neighbour: so the climb is slow, to keep such probes rare.
 *  - **In bunches** of `BUNCH_CALLS`, so that a bucket others emptied throttles us rather than them (see there).
 *  - **Never below a floor** (`MIN_RATE_SHARE` of the refill), as the SDK has a minimum fill rate, so a run under a
 *    neighbour that takes everything still moves, and Step Functions' Retry absorbs the throttles.
 */

import { errorCode } from './errors.ts';

/**
 * The error codes of a refusal for rate (the SDKs' throttling codes, EC2's `RequestLimitExceeded` among them; the
 * SDK for JavaScript's THROTTLING_ERROR_CODES, less those that are not a bucket's answer).
 */
const THROTTLE_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

export function isThrottle(error: unknown): boolean {
  return THROTTLE_CODES.has(errorCode(error) ?? '');
}

/** A token bucket as documented: burst and sustained rate. */
export interface BucketShape {
  capacity: number;
  refillPerSecond: number;
}

export interface AdaptiveOptions {
  /** The most of the bucket's refill we may use, sustained, in (0, 1]. */
  ceilingShare: number;
  /** The share of the bucket's burst (its capacity) we may spend above the refill, in [0, 1]. */
  burstShare: number;
}

export const DEFAULT_ADAPTIVE_OPTIONS: AdaptiveOptions = { ceilingShare: 1, burstShare: 0.5 };

/** The SDK's constants (DefaultRateLimiter: `beta`, `scaleConstant`, `smooth`; its send rate in half-seconds). */
export const CUBIC_BETA = 0.7;
export const CUBIC_SCALE = 0.4;
const MEASURE_SMOOTH = 0.8;
const MEASURE_BUCKET_MS = 500;

/**
 * Others' measured load is trusted this long after the throttle that measured it, twice as long each time a throttle
 * finds it still there (up to `OTHERS_MAX_HOLD_MS`)…
 */
export const OTHERS_HOLD_MS = 30 * 60_000;
export const OTHERS_MAX_HOLD_MS = 4 * 60 * 60_000;
/** …then assumed to fade, by half every this long. */
export const OTHERS_HALF_LIFE_MS = 15 * 60_000;
/** A window shorter than this measures nothing new about others (throttles in a row). */
const MIN_ESTIMATE_WINDOW_MS = 5_000;
/** The slowest pace, as a share of the refill. */
export const MIN_RATE_SHARE = 0.05;

export interface AdaptiveState {
  readonly bucket: BucketShape;
  readonly options: AdaptiveOptions;
  /** Our prediction of the tokens in the account's bucket at `levelAt`. */
  readonly level: number;
  readonly levelAt: number;
  /** Since when the prediction is unchecked (it was last full, or empty at a throttle), and the load it assumed since. */
  readonly windowStart: number;
  readonly assumedSinceWindow: number;
  /** Others' rate (calls per second) as measured at `othersMeasuredAt`. */
  readonly others: number;
  readonly othersMeasuredAt: number;
  readonly othersHoldMs: number;
  /** Our own budget: the burst share and the ceiling share of the refill. */
  readonly budget: number;
  /** CUBIC: the rate before the last throttle, and when it came (undefined: none yet, the curve is off). */
  readonly maxRate: number;
  readonly throttledAt: number | undefined;
  /** The send rate we measured (smoothed), and the half-second being counted. */
  readonly measuredRate: number;
  readonly measureBucket: number;
  readonly measureCount: number;
  readonly lastSendAt: number | undefined;
  /** Calls of the current bunch still to go at once. */
  readonly bunchLeft: number;
  readonly throttles: number;
}

export function startAdaptive(
  bucket: BucketShape,
  now: number,
  options: AdaptiveOptions = DEFAULT_ADAPTIVE_OPTIONS,
): AdaptiveState {
  if (!(options.ceilingShare > 0 && options.ceilingShare <= 1))
    throw new RangeError(`The pacing ceiling share must be in (0, 1]: ${options.ceilingShare}`);
  if (!(options.burstShare >= 0 && options.burstShare <= 1))
    throw new RangeError(`The burst share must be in [0, 1]: ${options.burstShare}`);
  return {
    bucket,
    options,
    level: bucket.capacity,
    levelAt: now,
    windowStart: now,
    assumedSinceWindow: 0,
    others: 0,
    othersMeasuredAt: now,
    othersHoldMs: OTHERS_HOLD_MS,
    budget: budgetCapacity(bucket, options),
    maxRate: 0,
    throttledAt: undefined,
    measuredRate: 0,
    measureBucket: Math.floor(now / MEASURE_BUCKET_MS),
    measureCount: 0,
    lastSendAt: undefined,
    bunchLeft: 0,
    throttles: 0,
  };
}

/**
 * Calls go in bunches of up to this many at once, the pace unchanged on average. Spaced evenly at exactly the refill
 * rate, a client can take every token as it comes in while another's calls, which fall in between, find the bucket
 * empty — the one that starves others is never told. A bunch finds an empty bucket itself: the throttle is ours.
 */
export const BUNCH_CALLS = 5;

function bunchOf(bucket: BucketShape, options: AdaptiveOptions): number {
  return Math.max(1, Math.min(BUNCH_CALLS, Math.floor(bucket.capacity * options.burstShare)));
}

/** Our budget holds the burst share (at least one bunch). */
function budgetCapacity(bucket: BucketShape, options: AdaptiveOptions): number {
  return Math.max(bunchOf(bucket, options), bucket.capacity * options.burstShare);
}

/** Others' rate as assumed at `now`: held after it was measured, then fading. */
export function othersRate(state: AdaptiveState, now: number): number {
  const fading = now - state.othersMeasuredAt - state.othersHoldMs;
  return fading <= 0 ? state.others : state.others * 2 ** (-fading / OTHERS_HALF_LIFE_MS);
}

/** The tokens others are assumed to take over [from, to]: the integral of othersRate. */
function othersTaken(state: AdaptiveState, from: number, to: number): number {
  if (to <= from || state.others === 0) return 0;
  const fadeStart = state.othersMeasuredAt + state.othersHoldMs;
  const held = Math.max(0, Math.min(to, fadeStart) - from) / 1000;
  // ∫ n·2^(−x/T) dx from a to b = n·T/ln 2 · (2^(−a/T) − 2^(−b/T)), times in seconds.
  const a = Math.max(0, from - fadeStart) / 1000;
  const b = Math.max(0, to - fadeStart) / 1000;
  const half = OTHERS_HALF_LIFE_MS / 1000;
  const faded = b > a ? ((state.others * half) / Math.LN2) * (2 ** (-a / half) - 2 ** (-b / half)) : 0;
  return state.others * held + faded;
}

/** The sustained rate left to us at `now`: the refill less others' load, within our ceiling, never below the floor. */
export function freeRate(state: AdaptiveState, now: number): number {
  const { refillPerSecond } = state.bucket;
  const free = Math.min(refillPerSecond * state.options.ceilingShare, refillPerSecond - othersRate(state, now));
  return Math.max(refillPerSecond * MIN_RATE_SHARE, free);
}

/** The SDK's rate after a throttle: CUBIC from β·W_max back up, capped at twice the measured rate; none before one. */
export function cubicRate(state: AdaptiveState, now: number): number {
  if (state.throttledAt === undefined) return Number.POSITIVE_INFINITY;
  const window = Math.cbrt((state.maxRate * (1 - CUBIC_BETA)) / CUBIC_SCALE);
  const elapsed = (now - state.throttledAt) / 1000;
  const cubic = CUBIC_SCALE * (elapsed - window) ** 3 + state.maxRate;
  const floor = state.bucket.refillPerSecond * MIN_RATE_SHARE;
  return Math.max(floor, Math.min(cubic, 2 * Math.max(state.measuredRate, floor)));
}

/** The prediction moved to `at` (≥ levelAt): refilled, less others' assumed load; a full bucket restarts the window. */
function advance(
  state: AdaptiveState,
  at: number,
): Pick<AdaptiveState, 'level' | 'levelAt' | 'windowStart' | 'assumedSinceWindow' | 'budget'> {
  const when = Math.max(at, state.levelAt);
  const seconds = (when - state.levelAt) / 1000;
  const { capacity, refillPerSecond } = state.bucket;
  const theirs = othersTaken(state, state.levelAt, when);
  const floorRefill = refillPerSecond * MIN_RATE_SHARE * seconds;
  const level = state.level + Math.max(floorRefill, refillPerSecond * seconds - theirs);
  const budget = Math.min(
    budgetCapacity(state.bucket, state.options),
    state.budget + refillPerSecond * state.options.ceilingShare * seconds,
  );
  if (level >= capacity) return { level: capacity, levelAt: when, windowStart: when, assumedSinceWindow: 0, budget };
  return {
    level,
    levelAt: when,
    windowStart: state.windowStart,
    assumedSinceWindow: state.assumedSinceWindow + theirs,
    budget,
  };
}

/** The tokens we leave in the bucket: the part of the burst that is not ours (at least one call may go). */
function reserveOf(state: AdaptiveState): number {
  return Math.min(state.bucket.capacity - 1, state.bucket.capacity * (1 - state.options.burstShare));
}

/** The earliest time (≥ `now`) our next call may go. */
export function nextSendAt(state: AdaptiveState, now: number): number {
  const from = Math.max(now, state.levelAt);
  const moved = advance(state, from);
  // The rest of a bunch goes at once: the bunch's start found room for all of it.
  if (state.bunchLeft > 0 && moved.level >= 1 && moved.budget >= 1) return from;
  const bunch = bunchOf(state.bucket, state.options);
  const levelNeeded = reserveOf(state) + bunch - moved.level;
  const byLevel = levelNeeded <= 0 ? from : from + (levelNeeded / freeRate(state, from)) * 1000;
  const budgetNeeded = bunch - moved.budget;
  const byBudget =
    budgetNeeded <= 0
      ? from
      : from + (budgetNeeded / (state.bucket.refillPerSecond * state.options.ceilingShare)) * 1000;
  const rate = cubicRate(state, from);
  const byRate =
    state.lastSendAt === undefined || !Number.isFinite(rate) ? from : state.lastSendAt + (bunch * 1000) / rate;
  return Math.max(from, byLevel, byBudget, byRate);
}

/** The state after our call at `at` (a time nextSendAt answered). */
export function recordSend(state: AdaptiveState, at: number): AdaptiveState {
  const moved = advance(state, at);
  const bucket = Math.floor(at / MEASURE_BUCKET_MS);
  let { measuredRate, measureBucket, measureCount } = state;
  measureCount++;
  if (bucket > measureBucket) {
    // The SDK's measuredTxRate: calls per second over the half-seconds since the last update, smoothed.
    const current = measureCount / (((bucket - measureBucket) * MEASURE_BUCKET_MS) / 1000);
    measuredRate = current * MEASURE_SMOOTH + measuredRate * (1 - MEASURE_SMOOTH);
    measureBucket = bucket;
    measureCount = 0;
  }
  return {
    ...state,
    ...moved,
    level: moved.level - 1,
    budget: moved.budget - 1,
    measuredRate,
    measureBucket,
    measureCount,
    lastSendAt: Math.max(at, state.lastSendAt ?? at),
    bunchLeft: state.bunchLeft > 0 ? state.bunchLeft - 1 : bunchOf(state.bucket, state.options) - 1,
  };
}

/**
 * The state after the bucket refused one of our calls at `at` (RequestLimitExceeded, Throttling…): the bucket is
 * empty; what the prediction still held (plus the refused call, which took nothing) is load we did not assume, and
 * with what we did assume it measures others' rate over the window; the CUBIC rate drops to β of what we sent.
 */
export function recordThrottle(state: AdaptiveState, at: number): AdaptiveState {
  const moved = advance(state, at);
  const missed = Math.max(0, moved.level + 1);
  const window = (at - moved.windowStart) / 1000;
  const measured =
    window * 1000 >= MIN_ESTIMATE_WINDOW_MS
      ? (moved.assumedSinceWindow + missed) / window
      : // Throttles in a row: the last measure is kept, and trusted anew.
        othersRate(state, at);
  const others = Math.min(state.bucket.refillPerSecond * (1 - MIN_RATE_SHARE), measured);
  // Still there (at least half of what was measured before): trusted longer; gone or new: the base hold.
  const confirmed = state.others > 0 && others >= state.others / 2;
  const othersHoldMs = confirmed ? Math.min(OTHERS_MAX_HOLD_MS, state.othersHoldMs * 2) : OTHERS_HOLD_MS;
  const current = cubicRate(state, at);
  const rateToUse = Number.isFinite(current) ? Math.min(state.measuredRate, current) : state.measuredRate;
  return {
    ...state,
    ...moved,
    level: 0,
    windowStart: at,
    assumedSinceWindow: 0,
    others,
    othersMeasuredAt: at,
    othersHoldMs,
    // Our budget gave the refused call back.
    budget: Math.min(budgetCapacity(state.bucket, state.options), moved.budget + 1),
    maxRate: Math.max(rateToUse, state.bucket.refillPerSecond * MIN_RATE_SHARE),
    throttledAt: at,
    bunchLeft: 0,
    throttles: state.throttles + 1,
  };
}
