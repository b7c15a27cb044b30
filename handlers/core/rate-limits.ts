/**
 * EC2 API request throttling, as documented in "Request throttling for the Amazon EC2 API"
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, also
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html):
 *
 *  - token buckets per account and Region; "each API is evaluated individually": every action has its own bucket,
 *    sized by its category (table "Request token bucket sizes and refill rates");
 *  - non-mutating actions 100 tokens / 20 per second; the "unfiltered and unpaginated" subset (DescribeNetworkInterfaces,
 *    DescribeSecurityGroups, …) requested without pagination or a filter draws from a smaller bucket, 50 / 10;
 *  - mutating actions 50 / 5; "resource-intensive actions" (AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress
 *    among the ones we call) 50 / 5, throttled separately from the other mutating actions;
 *  - uncategorized actions with their own numbers: ModifyNetworkInterfaceAttribute 100 / 5,
 *    DescribeSecurityGroupReferences 20 / 5;
 *  - an empty bucket answers `RequestLimitExceeded`.
 *
 * Pure: the simulator models the buckets with it (and a neighbour spending part of them, the account's other client),
 * and the pacer (handlers/steps/pacing.ts, core/adaptive-rate.ts) paces each bucket within its burst and refill.
 */

export type RateCategory =
  | 'non-mutating'
  | 'unfiltered-non-mutating'
  | 'mutating'
  | 'resource-intensive'
  | 'uncategorized';

export interface BucketLimits {
  category: RateCategory;
  /** Bucket maximum capacity (burst). */
  capacity: number;
  /** Tokens added per second (sustained rate). */
  refillPerSecond: number;
}

const CATEGORY_LIMITS: Record<Exclude<RateCategory, 'uncategorized'>, BucketLimits> = {
  'non-mutating': { category: 'non-mutating', capacity: 100, refillPerSecond: 20 },
  'unfiltered-non-mutating': { category: 'unfiltered-non-mutating', capacity: 50, refillPerSecond: 10 },
  mutating: { category: 'mutating', capacity: 50, refillPerSecond: 5 },
  'resource-intensive': { category: 'resource-intensive', capacity: 50, refillPerSecond: 5 },
};

/** "Unfiltered and unpaginated non-mutating actions" of the page's table. */
const UNFILTERED_SUBSET = new Set([
  'DescribeInstances',
  'DescribeInstanceStatus',
  'DescribeNetworkInterfaces',
  'DescribeSecurityGroups',
  'DescribeSnapshots',
  'DescribeSpotInstanceRequests',
  'DescribeVolumes',
]);

/** "Resource-intensive actions" of the page's table (only the Ingress rule calls; the Egress ones are plain mutating). */
const RESOURCE_INTENSIVE = new Set([
  'AcceptVpcPeeringConnection',
  'AuthorizeSecurityGroupIngress',
  'CancelSpotInstanceRequests',
  'CreateKeyPair',
  'CreateVpcPeeringConnection',
  'DeleteVpcPeeringConnection',
  'RejectVpcPeeringConnection',
  'RevokeSecurityGroupIngress',
  'RequestSpotInstances',
]);

/** "Uncategorized actions" the workflow calls or may call (the page lists many more). */
const UNCATEGORIZED: Record<string, { capacity: number; refillPerSecond: number }> = {
  ModifyNetworkInterfaceAttribute: { capacity: 100, refillPerSecond: 5 },
  DescribeSecurityGroupReferences: { capacity: 20, refillPerSecond: 5 },
  DescribeStaleSecurityGroups: { capacity: 20, refillPerSecond: 5 },
  CreateNetworkInterface: { capacity: 100, refillPerSecond: 5 },
  DeleteNetworkInterface: { capacity: 100, refillPerSecond: 5 },
  CreateTags: { capacity: 100, refillPerSecond: 10 },
  DeleteTags: { capacity: 100, refillPerSecond: 10 },
  ModifyVpcEndpoint: { capacity: 4, refillPerSecond: 0.3 },
};

export function isNonMutatingAction(action: string): boolean {
  return /^(Describe|List|Search|Get)/.test(action);
}

/** A request's pagination and filters, as far as the classification needs them. */
export interface RequestShape {
  Filters?: readonly unknown[];
  MaxResults?: number;
  NextToken?: string;
}

/**
 * The bucket a request draws from: its key (one bucket per action; the unfiltered subset has a second, smaller one)
 * and its limits. A request with neither `Filters` nor `MaxResults`/`NextToken` is "unfiltered and unpaginated" —
 * also when it names ids (`GroupIds`): the page counts only pagination and filters, so we read it strictly.
 */
export function bucketOf(action: string, request?: unknown): { key: string; limits: BucketLimits } {
  const uncategorized = UNCATEGORIZED[action];
  if (uncategorized) return { key: action, limits: { category: 'uncategorized', ...uncategorized } };
  if (RESOURCE_INTENSIVE.has(action)) return { key: action, limits: CATEGORY_LIMITS['resource-intensive'] };
  if (!isNonMutatingAction(action)) return { key: action, limits: CATEGORY_LIMITS.mutating };
  if (UNFILTERED_SUBSET.has(action) && isUnfilteredAndUnpaginated(request)) {
    return { key: `${action}:unfiltered`, limits: CATEGORY_LIMITS['unfiltered-non-mutating'] };
  }
  return { key: action, limits: CATEGORY_LIMITS['non-mutating'] };
}

export function isUnfilteredAndUnpaginated(request: unknown): boolean {
  const shape = (request ?? {}) as RequestShape;
  const filtered = Array.isArray(shape.Filters) && shape.Filters.length > 0;
  const paginated = shape.MaxResults !== undefined || shape.NextToken !== undefined;
  return !filtered && !paginated;
}

/**
 * A token bucket: starts full, refills continuously at `refillPerSecond` up to `capacity`, and a request takes one
 * whole token. Time is passed in (milliseconds), so a virtual clock drives it as well as the real one.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limits: Pick<BucketLimits, 'capacity' | 'refillPerSecond'>,
    now: number,
  ) {
    this.tokens = limits.capacity;
    this.last = now;
  }

  /** Takes a token at time `now`; false (nothing taken) when the bucket holds less than one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(
        this.limits.capacity,
        this.tokens + ((now - this.last) / 1000) * this.limits.refillPerSecond,
      );
      this.last = now;
    }
  }
}

/**
 * Another client of the account (its own automation, a deployment) spending `share` of the refill of every bucket, one
 * call every 1 / (share × refill) seconds from the limiter's start, evenly — so alone, at a share up to 1, it is never
 * refused. A refused call is counted and not retried (its next one keeps its schedule).
 */
export interface Neighbour {
  share: number;
}

/** Token buckets per account, Region and bucket key; optionally shared with a neighbour. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private throttled: Record<string, number> = {};
  private readonly start: number;
  /** Per bucket: the neighbour's next call (ms), and the limits it was created with. */
  private readonly neighbourNext = new Map<string, number>();
  private readonly limitsOf = new Map<string, BucketLimits>();
  private neighbourRefused = 0;

  constructor(
    private readonly now: () => number,
    private readonly neighbour?: Neighbour,
  ) {
    if (neighbour && !(neighbour.share > 0 && neighbour.share <= 1))
      throw new RangeError(`The neighbour's share must be in (0, 1]: ${neighbour.share}`);
    this.start = now();
  }

  /** True when the request may go; false when its bucket is empty (the caller answers RequestLimitExceeded). */
  admit(scope: { accountId: string; region: string }, action: string, request?: unknown): boolean {
    const { key, limits } = bucketOf(action, request);
    const scoped = `${scope.accountId}/${scope.region}/${key}`;
    const time = this.now();
    const bucket = this.bucket(scoped, limits, time);
    this.neighbourUntil(scoped, bucket, time);
    if (bucket.take(time)) return true;
    this.throttled[action] = (this.throttled[action] ?? 0) + 1;
    return false;
  }

  /** Requests refused so far, by action. */
  throttledCounts(): Record<string, number> {
    return { ...this.throttled };
  }

  /** The neighbour's calls refused so far (its schedule played up to now in every bucket it shares with us). */
  neighbourThrottles(): number {
    const time = this.now();
    for (const [scoped, bucket] of this.buckets) this.neighbourUntil(scoped, bucket, time);
    return this.neighbourRefused;
  }

  /** What the neighbour's calls would have met over the same time and buckets without anyone else: refusals. */
  neighbourThrottlesAlone(): number {
    if (!this.neighbour) return 0;
    const until = this.now();
    const alone = new RateLimiter(() => this.start, this.neighbour);
    for (const [scoped, limits] of this.limitsOf)
      alone.neighbourUntil(scoped, alone.bucket(scoped, limits, this.start), until);
    return alone.neighbourRefused;
  }

  private bucket(scoped: string, limits: BucketLimits, time: number): TokenBucket {
    let bucket = this.buckets.get(scoped);
    if (!bucket) {
      // With a neighbour the bucket exists from the start, and it has been spending from it since.
      bucket = new TokenBucket(limits, this.neighbour ? this.start : time);
      this.buckets.set(scoped, bucket);
      this.limitsOf.set(scoped, limits);
    }
    return bucket;
  }

  /** Plays the neighbour's calls on `bucket` up to `time` (included), counting the refused ones. */
  private neighbourUntil(scoped: string, bucket: TokenBucket, time: number): void {
    if (!this.neighbour) return;
    const interval = 1000 / (this.neighbour.share * bucket.limits.refillPerSecond);
    let next = this.neighbourNext.get(scoped) ?? this.start + interval / 2;
    for (; next <= time; next += interval) if (!bucket.take(next)) this.neighbourRefused++;
    this.neighbourNext.set(scoped, next);
  }
}
