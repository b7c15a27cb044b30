import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import { VirtualClock } from '../../../handlers/adapters/local/virtual-clock.ts';
import { errorCode } from '../../../handlers/core/errors.ts';
import { bucketOf, RateLimiter, TokenBucket } from '../../../handlers/core/rate-limits.ts';
import { defaultGroupOf, generateVpc } from '../../support/generate-vpc.ts';

const SCOPE = { accountId: '111122223333', region: 'us-east-1' };

describe('EC2 request throttling model', () => {
  it('sizes buckets by the documented categories', () => {
    expect(bucketOf('DescribeVpcs').limits).toMatchObject({ capacity: 100, refillPerSecond: 20 });
    expect(bucketOf('CreateSecurityGroup').limits).toMatchObject({ capacity: 50, refillPerSecond: 5 });
    expect(bucketOf('AuthorizeSecurityGroupIngress').limits).toMatchObject({
      category: 'resource-intensive',
      capacity: 50,
      refillPerSecond: 5,
    });
    expect(bucketOf('RevokeSecurityGroupIngress').limits.category).toBe('resource-intensive');
    expect(bucketOf('AuthorizeSecurityGroupEgress').limits.category).toBe('mutating');
    expect(bucketOf('ModifyNetworkInterfaceAttribute').limits).toMatchObject({ capacity: 100, refillPerSecond: 5 });
    expect(bucketOf('DescribeSecurityGroupReferences').limits).toMatchObject({ capacity: 20, refillPerSecond: 5 });
  });

  it('puts unfiltered and unpaginated describes of the listed actions in the small bucket', () => {
    const unfiltered = bucketOf('DescribeSecurityGroups', {});
    expect(unfiltered.key).toBe('DescribeSecurityGroups:unfiltered');
    expect(unfiltered.limits).toMatchObject({ capacity: 50, refillPerSecond: 10 });
    // Ids alone are neither a filter nor pagination.
    expect(bucketOf('DescribeSecurityGroups', { GroupIds: ['sg-1'] }).key).toBe('DescribeSecurityGroups:unfiltered');
    expect(bucketOf('DescribeNetworkInterfaces', { Filters: [] }).key).toBe('DescribeNetworkInterfaces:unfiltered');
    expect(bucketOf('DescribeSecurityGroups', { Filters: [{ Name: 'vpc-id', Values: ['v'] }] }).key).toBe(
      'DescribeSecurityGroups',
    );
    expect(bucketOf('DescribeNetworkInterfaces', { MaxResults: 1000 }).limits.capacity).toBe(100);
    // DescribeVpcs is not in the subset: unfiltered or not, the standard bucket.
    expect(bucketOf('DescribeVpcs', {}).key).toBe('DescribeVpcs');
  });

  it('empties at capacity and refills at the documented rate, never above capacity', () => {
    const bucket = new TokenBucket({ capacity: 50, refillPerSecond: 5 }, 0);
    for (let i = 0; i < 50; i++) expect(bucket.take(0)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(199)).toBe(false); // 0.995 tokens
    expect(bucket.take(200)).toBe(true); // 1 token after 200 ms at 5/s
    expect(bucket.take(200)).toBe(false);
    expect(bucket.available(3_600_000)).toBe(50);
  });

  it('keeps a bucket per action, per account and Region', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    for (let i = 0; i < 50; i++) expect(limiter.admit(SCOPE, 'AuthorizeSecurityGroupIngress')).toBe(true);
    expect(limiter.admit(SCOPE, 'AuthorizeSecurityGroupIngress')).toBe(false);
    // Other actions and other Regions are untouched.
    expect(limiter.admit(SCOPE, 'AuthorizeSecurityGroupEgress')).toBe(true);
    expect(limiter.admit(SCOPE, 'ModifyNetworkInterfaceAttribute')).toBe(true);
    expect(limiter.admit({ ...SCOPE, region: 'eu-west-1' }, 'AuthorizeSecurityGroupIngress')).toBe(true);
    // The filtered bucket of an action is not the unfiltered one.
    for (let i = 0; i < 50; i++) limiter.admit(SCOPE, 'DescribeSecurityGroups', {});
    expect(limiter.admit(SCOPE, 'DescribeSecurityGroups', {})).toBe(false);
    expect(limiter.admit(SCOPE, 'DescribeSecurityGroups', { MaxResults: 5 })).toBe(true);
    now = 1000;
    expect(limiter.admit(SCOPE, 'DescribeSecurityGroups', {})).toBe(true);
    expect(limiter.throttledCounts()).toEqual({ AuthorizeSecurityGroupIngress: 1, DescribeSecurityGroups: 1 });
  });
});

describe('the simulator with throttling on', () => {
  const state = generateVpc({ interfaces: 3, references: 1 });
  const groupId = defaultGroupOf(state);

  it('answers RequestLimitExceeded when the bucket is empty, and the request has no effect', async () => {
    const clock = new VirtualClock();
    const simulator = Ec2Simulator.fromState(state, { throttling: { clock } });
    const eni = (await simulator.describeNetworkInterfaces({ MaxResults: 5 })).NetworkInterfaces?.[0];
    const id = eni?.NetworkInterfaceId ?? '';
    const groups = (eni?.Groups ?? []).map((group) => group.GroupId ?? '');
    for (let i = 0; i < 100; i++)
      await simulator.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: id, Groups: groups });
    const refused = simulator.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: id, Groups: [groupId] });
    await expect(refused).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    const after = await simulator.describeNetworkInterfaces({
      Filters: [{ Name: 'network-interface-id', Values: [id] }],
    });
    expect(after.NetworkInterfaces?.[0]?.Groups?.map((group) => group.GroupId)).toEqual(groups);
    expect(simulator.throttledCounts()).toEqual({ ModifyNetworkInterfaceAttribute: 1 });
    expect(simulator.callCounts().ModifyNetworkInterfaceAttribute).toBe(101);
    await clock.sleep(200);
    await expect(
      simulator.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: id, Groups: groups }),
    ).resolves.toBeDefined();
  });

  it('throttles unfiltered describes sooner than filtered ones', async () => {
    const simulator = Ec2Simulator.fromState(state, { throttling: { clock: new VirtualClock() } });
    let refused: unknown;
    let served = 0;
    for (let i = 0; i < 60 && !refused; i++) {
      try {
        await simulator.describeSecurityGroups({ GroupIds: [groupId] });
        served++;
      } catch (error) {
        refused = error;
      }
    }
    expect(served).toBe(50);
    expect(errorCode(refused)).toBe('RequestLimitExceeded');
    const filtered = { Filters: [{ Name: 'group-id', Values: [groupId] }] };
    for (let i = 0; i < 100; i++) await simulator.describeSecurityGroups(filtered);
    await expect(simulator.describeSecurityGroups(filtered)).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });

  it('never throttles when the option is off', async () => {
    const simulator = Ec2Simulator.fromState(state);
    for (let i = 0; i < 200; i++) await simulator.describeSecurityGroups({ GroupIds: [groupId] });
    expect(simulator.throttledCounts()).toEqual({});
  });
});

describe('a neighbour spending part of the buckets', () => {
  const state = generateVpc({ interfaces: 3, references: 1 });
  const groupId = defaultGroupOf(state);

  it('spends its share of each bucket from the start, evenly, and is never refused alone', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now, { share: 0.5 });
    // ModifyNetworkInterfaceAttribute (100 tokens, 5 per second): after an hour of the neighbour alone at 2.5 per
    // second, the bucket is still full for us…
    now = 3_600_000;
    let admitted = 0;
    while (limiter.admit(SCOPE, 'ModifyNetworkInterfaceAttribute')) admitted++;
    expect(admitted).toBe(100);
    expect(limiter.neighbourThrottlesAlone()).toBe(0);
  });

  it('counts its refusals when our calls empty the bucket it shares, as EC2 counts ours', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now, { share: 0.5 });
    // We take the whole refill (5 per second) of a full bucket: the neighbour's 2.5 per second drain it in 40 s,
    // then about a third of all calls are refused, the neighbour's among them.
    for (now = 50; now <= 120_000; now += 200) limiter.admit(SCOPE, 'ModifyNetworkInterfaceAttribute');
    const theirs = limiter.neighbourThrottles();
    expect(theirs).toBeGreaterThan(10);
    expect(limiter.neighbourThrottlesAlone()).toBe(0);
    const ours = limiter.throttledCounts().ModifyNetworkInterfaceAttribute ?? 0;
    // Over 80 s of contention 2.5 calls a second too many: about 200 refused between the two of us.
    expect(theirs + ours).toBeGreaterThan(150);
    expect(theirs + ours).toBeLessThan(250);
  });

  it("is the simulator's option, and spends nothing when absent", async () => {
    const clock = new VirtualClock(0);
    const simulator = Ec2Simulator.fromState(state, { throttling: { clock, neighbour: { share: 1 } } });
    clock.advance(60_000);
    // The neighbour takes the whole refill of the unfiltered describe bucket: we get what is left of its burst.
    let served = 0;
    for (let i = 0; i < 60; i++) {
      try {
        await simulator.describeSecurityGroups({ GroupIds: [groupId] });
        served++;
      } catch {}
    }
    // Its last call came half an interval ago and took a token the refill has not brought back yet.
    expect(served).toBe(49);
    expect(() => new RateLimiter(() => 0, { share: 0 })).toThrow(RangeError);
    expect(Ec2Simulator.fromState(state, { throttling: { clock } }).neighbourThrottles()).toEqual({
      withRun: 0,
      alone: 0,
    });
  });
});

describe('the virtual clock', () => {
  it('advances on sleep without waiting, and concurrent sleepers overlap', async () => {
    const clock = new VirtualClock(0);
    const started = Date.now();
    await clock.sleep(3_600_000);
    expect(clock.now()).toBe(3_600_000);
    await Promise.all([clock.sleep(1000), clock.sleep(500)]);
    expect(clock.now()).toBe(3_601_000);
    clock.advance(250);
    expect(clock.now()).toBe(3_601_250);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
