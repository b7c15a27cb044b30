/**
 * readLimits: the account's quotas from Service Quotas (GetServiceQuota, else GetAWSDefaultServiceQuota when no
 * applied value is available; the documented defaults, said in a note, when Service Quotas cannot be read) and the
 * sizes of referenced prefix lists from DescribeManagedPrefixLists.
 * https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html
 */
import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import { ServiceQuotasSimulator } from '../../../handlers/adapters/local/service-quotas-simulator.ts';
import { Ec2ApiError } from '../../../handlers/core/errors.ts';
import type { Ec2Port, ServiceQuotasPort } from '../../../handlers/ports.ts';
import { readLimits } from '../../../handlers/steps/limits.ts';
import { scenarioState } from '../../support/harness.ts';

const named = (name: string, message = 'refused') => Object.assign(new Error(message), { name });

function quotasAnswering(answers: {
  applied?: Record<string, number | Error>;
  defaults?: Record<string, number | Error>;
}): ServiceQuotasPort & { calls: string[] } {
  const calls: string[] = [];
  const answer = async (kind: 'applied' | 'defaults', code: string) => {
    calls.push(`${kind}:${code}`);
    const value = answers[kind]?.[code];
    if (value instanceof Error) throw value;
    if (value === undefined) throw named('NoSuchResourceException', 'not found');
    return { Quota: { ServiceCode: 'vpc', QuotaCode: code, Value: value } };
  };
  return {
    calls,
    getServiceQuota: (input) => answer('applied', input.QuotaCode),
    getAWSDefaultServiceQuota: (input) => answer('defaults', input.QuotaCode),
  };
}

const simulator = () => Ec2Simulator.fromState(scenarioState('mixed-permission'));
const LIST = 'pl-0d69afa5d5c80dabf';

describe('readLimits: quotas', () => {
  it('the applied values, with a note when they differ from the defaults', async () => {
    const port = quotasAnswering({ applied: { 'L-0EA8095F': 200, 'L-2AFB9258': 5 } });
    const limits = await readLimits(simulator(), port, []);
    expect(limits).toMatchObject({ rulesPerGroup: 200, groupsPerInterface: 5 });
    expect(limits.notes).toEqual([
      "The account's quota of inbound or outbound rules per security group is 200 (Service Quotas L-0EA8095F).",
    ]);
    expect(port.calls).toEqual(['applied:L-0EA8095F', 'applied:L-2AFB9258']);
  });

  it('no applied value (NoSuchResourceException): the AWS default, no note', async () => {
    const port = quotasAnswering({ defaults: { 'L-0EA8095F': 60, 'L-2AFB9258': 5 } });
    const limits = await readLimits(simulator(), port, []);
    expect(limits).toMatchObject({ rulesPerGroup: 60, groupsPerInterface: 5, notes: [] });
    expect(port.calls).toEqual([
      'applied:L-0EA8095F',
      'defaults:L-0EA8095F',
      'applied:L-2AFB9258',
      'defaults:L-2AFB9258',
    ]);
  });

  it.each([['AccessDeniedException'], ['TooManyRequestsException'], ['ServiceException'], ['TimeoutError']])(
    '%s: the documented defaults, and a note that says so and why; no failure',
    async (name) => {
      const denied = named(name, 'User: arn:aws:sts::111122223333:assumed-role/x is not authorized');
      const port = quotasAnswering({ applied: { 'L-0EA8095F': denied, 'L-2AFB9258': denied } });
      const limits = await readLimits(simulator(), port, []);
      expect(limits).toMatchObject({ rulesPerGroup: 60, groupsPerInterface: 5 });
      expect(limits.notes).toHaveLength(1);
      expect(limits.notes[0]).toMatch(/^Service Quotas could not be read, so the documented defaults are counted/);
      expect(limits.notes[0]).toContain(`L-0EA8095F): ${name}`);
    },
  );

  it('the local Service Quotas: the state file Quotas, else the defaults', async () => {
    const state = {
      ...scenarioState('mixed-permission'),
      Quotas: [{ ServiceCode: 'vpc', QuotaCode: 'L-0EA8095F', Value: 100 }],
    };
    const ec2 = Ec2Simulator.fromState(state);
    const limits = await readLimits(ec2, new ServiceQuotasSimulator(ec2), []);
    expect(limits).toMatchObject({ rulesPerGroup: 100, groupsPerInterface: 5 });
  });
});

describe('readLimits: prefix lists', () => {
  const quotas = quotasAnswering({ defaults: { 'L-0EA8095F': 60, 'L-2AFB9258': 5 } });

  it('the weight of each listed prefix list (a customer list: its MaxEntries), read with a filter', async () => {
    const ec2 = simulator();
    const limits = await readLimits(ec2, quotas, [LIST, LIST]);
    expect(limits.prefixListWeights).toEqual({ [LIST]: 10 });
    expect(limits.unknownPrefixLists).toEqual({});
    expect(ec2.callCounts().DescribeManagedPrefixLists).toBe(1);
  });

  it('no prefix list: no call', async () => {
    const ec2 = simulator();
    await readLimits(ec2, quotas, []);
    expect(ec2.callCounts().DescribeManagedPrefixLists).toBeUndefined();
  });

  it('a list DescribeManagedPrefixLists does not show is of unknown size, with why', async () => {
    const limits = await readLimits(simulator(), quotas, ['pl-0ffffffffffffffff']);
    expect(limits.unknownPrefixLists).toEqual({
      'pl-0ffffffffffffffff': 'DescribeManagedPrefixLists does not show it',
    });
  });

  it('DescribeManagedPrefixLists denied: every list of unknown size, no failure', async () => {
    const ec2 = simulator();
    ec2.setHooks({
      before: () => {
        throw new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
      },
    });
    const limits = await readLimits(ec2, quotas, [LIST]);
    expect(limits.unknownPrefixLists[LIST]).toMatch(/^DescribeManagedPrefixLists was refused: UnauthorizedOperation/);
  });

  it('a transient EC2 error is thrown, for the Task to retry', async () => {
    const ec2 = simulator();
    ec2.setHooks({
      before: () => {
        throw new Ec2ApiError('RequestLimitExceeded', 'Request limit exceeded.');
      },
    });
    await expect(readLimits(ec2, quotas, [LIST])).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });

  it('pages through the answer and asks 200 ids at a time', async () => {
    const requests: unknown[] = [];
    const ids = Array.from({ length: 250 }, (_, i) => `pl-${i.toString(16).padStart(8, '0')}`);
    const ec2 = {
      async describeManagedPrefixLists(input: { Filters?: { Values: string[] }[]; NextToken?: string }) {
        requests.push({ values: input.Filters?.[0]?.Values.length, token: input.NextToken });
        const values = input.Filters?.[0]?.Values ?? [];
        const half = input.NextToken ? values.slice(1) : values.slice(0, 1);
        return {
          PrefixLists: half.map((id) => ({ PrefixListId: id, OwnerId: '111122223333', MaxEntries: 3 })),
          ...(input.NextToken ? {} : { NextToken: 'next' }),
        };
      },
    } as unknown as Ec2Port;
    const limits = await readLimits(ec2, quotas, ids);
    expect(Object.keys(limits.prefixListWeights)).toHaveLength(250);
    expect(requests).toEqual([
      { values: 200, token: undefined },
      { values: 200, token: 'next' },
      { values: 50, token: undefined },
      { values: 50, token: 'next' },
    ]);
  });
});
