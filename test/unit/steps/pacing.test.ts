import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../handlers/adapters/local/virtual-clock.ts';
import { DEFAULT_PACING_SHARE, pacedRate, pacer } from '../../../handlers/steps/pacing.ts';

describe('pacing', () => {
  it('defaults to half of each bucket refill rate', () => {
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

  it('one bucket per service: a Lambda move does not wait for RDS; RDS moves share one; an endpoint move shares EC2’s ModifyVpcEndpoint bucket', async () => {
    const clock = new VirtualClock(0);
    const pace = pacer(clock, 0.5);
    await pace('lambda:UpdateFunctionConfiguration');
    await pace('rds:ModifyDBInstance');
    expect(clock.now()).toBe(0);
    await pace('rds:ModifyDBCluster');
    expect(clock.now()).toBe(500); // the cluster waits for the instance: one RDS bucket, 2 moves per second
    await pace('ModifyVpcEndpoint');
    expect(clock.now()).toBe(500);
    await pace('ec2:ModifyVpcEndpoint');
    expect(clock.now() - 500).toBeCloseTo(1000 / 0.15);
  });

  it('does not wait when the calls are slower than the pace', async () => {
    const clock = new VirtualClock(0);
    const pace = pacer(clock, 0.5);
    await pace('CreateSecurityGroup');
    clock.advance(5000);
    await pace('CreateSecurityGroup');
    expect(clock.now()).toBe(5000);
  });

  it('refuses a share outside (0, 1]', () => {
    expect(() => pacer(new VirtualClock(), 0)).toThrow(RangeError);
    expect(() => pacer(new VirtualClock(), 1.5)).toThrow(RangeError);
  });
});
