import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../handlers/adapters/local/virtual-clock.ts';
import { DEFAULT_PACING_SHARE, pacedRate, pacer } from '../../../handlers/steps/pacing.ts';

describe('pacing', () => {
  it('defaults to half of each bucket refill rate', () => {
    expect(DEFAULT_PACING_SHARE).toBe(0.5);
    expect(pacedRate('ModifyNetworkInterfaceAttribute', 0.5)).toBe(2.5);
    expect(pacedRate('AuthorizeSecurityGroupIngress', 0.6)).toBe(3);
    expect(pacedRate(undefined, 0.5)).toBe(2.5);
  });

  it('spaces the calls of one action evenly at share × refill, with no burst', async () => {
    const clock = new VirtualClock(0);
    const pace = pacer(clock, 0.5);
    const times: number[] = [];
    for (let call = 0; call < 11; call++) {
      await pace('ModifyNetworkInterfaceAttribute');
      times.push(clock.now());
    }
    expect(times[0]).toBe(0);
    expect(times[10]).toBe(4000); // 10 intervals of 400 ms at 2.5/s
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBe(400);
  });

  it('paces each bucket on its own', async () => {
    const clock = new VirtualClock(0);
    const pace = pacer(clock, 0.5);
    await pace('AuthorizeSecurityGroupIngress');
    await pace('AuthorizeSecurityGroupEgress');
    await pace('ModifyNetworkInterfaceAttribute');
    expect(clock.now()).toBe(0);
    await pace('AuthorizeSecurityGroupIngress');
    expect(clock.now()).toBe(400);
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
