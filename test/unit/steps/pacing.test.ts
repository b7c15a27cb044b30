import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import { VirtualClock } from '../../../handlers/adapters/local/virtual-clock.ts';
import { DEFAULT_PACING_SHARE, pacedRate, pacer, reportingThrottles } from '../../../handlers/steps/pacing.ts';
import { generateVpc } from '../../support/generate-vpc.ts';

/** Paces `count` calls of `action` one after the other; answers when each went. */
async function paceMany(pace: (action: string) => Promise<void>, clock: VirtualClock, action: string, count: number) {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    await pace(action);
    times.push(clock.now());
  }
  return times;
}

describe('pacing', () => {
  it('the time budgets count on half of each bucket refill rate', () => {
    expect(DEFAULT_PACING_SHARE).toBe(0.5);
    expect(pacedRate('ModifyNetworkInterfaceAttribute', 0.5)).toBe(2.5);
    expect(pacedRate('AuthorizeSecurityGroupIngress', 0.6)).toBe(3);
  });

  it("paces an owner service's move under that service's bucket, a move counted as the calls it makes there", () => {
    // Lambda: 15 control-plane requests per second for the account
    // (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests); a move makes 4 of them.
    expect(pacedRate('lambda:UpdateFunctionConfiguration', 0.5)).toBe((15 * 0.5) / 4);
    // RDS: a sustained 12 per second (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html);
    // a move makes 3 calls (describe, modify, describe until active).
    expect(pacedRate('rds:ModifyDBInstance', 0.5)).toBe(2);
    expect(pacedRate('rds:ModifyDBCluster', 0.5)).toBe(2);
    // ModifyVpcEndpoint: EC2's own bucket for that action, refilled at 0.3 per second
    // (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
    expect(pacedRate('ec2:ModifyVpcEndpoint', 0.5)).toBeCloseTo(0.15);
  });

  it('uses half of the burst, then the full refill rate of each bucket when the account leaves it free', async () => {
    const clock = new VirtualClock(0);
    const pace = pacer(clock);
    // ModifyNetworkInterfaceAttribute: 100 tokens, 5 per second.
    const times = await paceMany(pace, clock, 'ModifyNetworkInterfaceAttribute', 50 + 5 * 60);
    expect(times.filter((t) => t === 0)).toHaveLength(50);
    expect(times.at(-1)).toBe(60_000);
    // Another bucket is paced on its own: an Authorize does not wait behind the moves.
    await pace('AuthorizeSecurityGroupIngress');
    expect(clock.now()).toBe(60_000);
  });

  it('one bucket per service: RDS moves share one; an endpoint move shares EC2’s ModifyVpcEndpoint bucket', async () => {
    const clock = new VirtualClock(0);
    const pace = pacer(clock);
    // RDS (core/owners/rds.ts): 300 tokens, 12 per second; a move counts as 3 calls: half the burst is 50 moves at
    // once, then 4 per second (in bunches of 5), for instances and clusters alike.
    const rds = [
      ...(await paceMany(pace, clock, 'rds:ModifyDBInstance', 50)),
      ...(await paceMany(pace, clock, 'rds:ModifyDBCluster', 2)),
    ];
    expect(rds.filter((t) => t === 0)).toHaveLength(50);
    expect(rds.slice(50)).toEqual([1250, 1250]);
    const start = clock.now();
    await pace('lambda:UpdateFunctionConfiguration');
    expect(clock.now()).toBe(start);
    // ModifyVpcEndpoint (4 tokens, 0.3 per second): 2 at once, then one every 1 / 0.3 s.
    const endpoint = await paceMany(pace, clock, 'ec2:ModifyVpcEndpoint', 3);
    await paceMany(pace, clock, 'ModifyVpcEndpoint', 1);
    expect(endpoint[1]).toBe(start);
    expect(clock.now() - start).toBeCloseTo((2 * 1000) / 0.3, -1);
  });

  it('backs off when EC2 answers RequestLimitExceeded, and leaves another client the share it measured', async () => {
    const clock = new VirtualClock(0);
    const pace = pacer(clock);
    await paceMany(pace, clock, 'ModifyNetworkInterfaceAttribute', 50 + 5 * 20);
    // 20 s in, the bucket is empty though we took only half of it and the refill: someone else took 50 + … tokens.
    pace.throttled?.('ModifyNetworkInterfaceAttribute');
    const after = await paceMany(pace, clock, 'ModifyNetworkInterfaceAttribute', 101);
    // It waits for the bucket to hold its reserve again, then goes at what the other client leaves.
    expect(after[0] ?? 0).toBeGreaterThan(20_000 + 10_000);
    const rate = 100 / (((after.at(-1) ?? 0) - (after[0] ?? 0)) / 1000);
    expect(rate).toBeGreaterThan(2);
    expect(rate).toBeLessThan(3);
  });

  it('refuses a ceiling share outside (0, 1]', () => {
    expect(() => pacer(new VirtualClock(), 0)).toThrow(RangeError);
    expect(() => pacer(new VirtualClock(), 1.5)).toThrow(RangeError);
  });

  it('hears of the refusals a port answers: RequestLimitExceeded reported with its action, thrown as it was', async () => {
    const clock = new VirtualClock(0);
    const simulator = Ec2Simulator.fromState(generateVpc({ interfaces: 1, seed: 1 }), { throttling: { clock } });
    const reported: string[] = [];
    const pace = Object.assign(async () => {}, { throttled: (action: string) => reported.push(action) });
    const ec2 = reportingThrottles(simulator, pace);
    // DescribeSecurityGroupReferences: 20 tokens, 5 per second; the 21st at once is refused.
    const calls = Array.from({ length: 21 }, () =>
      ec2.describeSecurityGroupReferences({ GroupId: ['sg-0123456789abcdef0'] }).then(
        () => 'ok',
        (error: Error) => error.name,
      ),
    );
    const results = await Promise.all(calls);
    expect(results.filter((result) => result === 'RequestLimitExceeded')).toHaveLength(1);
    expect(reported).toEqual(['DescribeSecurityGroupReferences']);
    // Other errors are not throttles.
    await expect(ec2.deleteSecurityGroup({ GroupId: 'sg-ffffffffffffffff0' })).rejects.toThrow();
    expect(reported).toHaveLength(1);
  });
});
