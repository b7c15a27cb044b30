import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IpPermission } from '../../../handlers/core/ec2-shapes.ts';
import {
  type Direction,
  dedupe,
  descriptionChanges,
  explode,
  implode,
  minus,
  normalizeProtocol,
  protocolHasPorts,
  type Rule,
  referencesGroup,
  retarget,
  ruleKey,
  rulesOf,
  toIpPermission,
} from '../../../handlers/core/rules.ts';

const D = 'sg-0d000000000000001';
const C = 'sg-0c000000000000002';

function rule(partial: Partial<Rule> & Pick<Rule, 'peer'>): Rule {
  return { direction: 'ingress', protocol: 'tcp', fromPort: 443, toPort: 443, ...partial };
}

/** A rule as a comparable string, description and every peer field included. */
function full(r: Rule): string {
  return JSON.stringify([r.direction, r.protocol, r.fromPort ?? null, r.toPort ?? null, r.peer, r.description ?? null]);
}

function sortedFull(rules: readonly Rule[]): string[] {
  return rules.map(full).sort();
}

describe('normalizeProtocol', () => {
  it.each([
    ['6', 'tcp'],
    ['tcp', 'tcp'],
    ['TCP', 'tcp'],
    [' tcp ', 'tcp'],
    ['17', 'udp'],
    ['udp', 'udp'],
    ['1', 'icmp'],
    ['icmp', 'icmp'],
    ['58', 'icmpv6'],
    ['icmpv6', 'icmpv6'],
    ['-1', '-1'],
    ['all', '-1'],
    ['ALL', '-1'],
    ['50', '50'],
    ['47', '47'],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeProtocol(raw)).toBe(expected);
  });

  it('treats a missing protocol as all traffic', () => {
    expect(normalizeProtocol(undefined)).toBe('-1');
  });

  it('says which protocols carry ports or type/code', () => {
    expect(['tcp', 'udp', 'icmp', 'icmpv6'].every(protocolHasPorts)).toBe(true);
    expect(['-1', '50', '47'].some(protocolHasPorts)).toBe(false);
  });
});

describe('explode', () => {
  it('splits one IpPermission into one rule per peer, each with its own description', () => {
    const permission: IpPermission = {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'v4' }, { CidrIp: '192.168.0.0/16' }],
      Ipv6Ranges: [{ CidrIpv6: '2600:1F18::/56', Description: 'v6' }],
      PrefixListIds: [{ PrefixListId: 'pl-0123abcd', Description: 'pl' }],
      UserIdGroupPairs: [
        {
          GroupId: D,
          UserId: '111122223333',
          VpcId: 'vpc-0aaa',
          VpcPeeringConnectionId: 'pcx-0bbb',
          PeeringStatus: 'active',
          GroupName: 'ignored',
          Description: 'sg',
        },
      ],
    };
    expect(explode([permission], 'ingress')).toStrictEqual([
      {
        direction: 'ingress',
        protocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        peer: { kind: 'cidr4', cidr: '10.0.0.0/8' },
        description: 'v4',
      },
      {
        direction: 'ingress',
        protocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        peer: { kind: 'cidr4', cidr: '192.168.0.0/16' },
      },
      {
        direction: 'ingress',
        protocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        peer: { kind: 'cidr6', cidr: '2600:1f18::/56' },
        description: 'v6',
      },
      {
        direction: 'ingress',
        protocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        peer: { kind: 'prefix-list', prefixListId: 'pl-0123abcd' },
        description: 'pl',
      },
      {
        direction: 'ingress',
        protocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        peer: {
          kind: 'group',
          groupId: D,
          userId: '111122223333',
          vpcId: 'vpc-0aaa',
          vpcPeeringConnectionId: 'pcx-0bbb',
        },
        description: 'sg',
      },
    ]);
  });

  it('normalises protocol numbers to names', () => {
    const [r] = explode(
      [{ IpProtocol: '6', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
      'egress',
    );
    expect(r).toStrictEqual({
      direction: 'egress',
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      peer: { kind: 'cidr4', cidr: '10.0.0.0/8' },
    });
  });

  it('keeps icmp type and code', () => {
    const [r] = explode(
      [{ IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      'ingress',
    );
    expect(r).toMatchObject({ protocol: 'icmp', fromPort: 8, toPort: -1 });
    const [v6] = explode(
      [{ IpProtocol: '58', FromPort: 128, ToPort: 0, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
      'ingress',
    );
    expect(v6).toMatchObject({ protocol: 'icmpv6', fromPort: 128, toPort: 0 });
  });

  it.each([['-1'], ['all'], ['50']])('drops ports for protocol %s', (protocol) => {
    const [r] = explode(
      [{ IpProtocol: protocol, FromPort: 0, ToPort: 0, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      'egress',
    );
    expect(r).toBeDefined();
    expect(r).not.toHaveProperty('fromPort');
    expect(r).not.toHaveProperty('toPort');
  });

  it('skips peers without an address or id, and tolerates undefined input', () => {
    expect(
      explode(
        [
          {
            IpProtocol: 'tcp',
            FromPort: 1,
            ToPort: 1,
            IpRanges: [{}],
            Ipv6Ranges: [{}],
            PrefixListIds: [{}],
            UserIdGroupPairs: [{}],
          },
        ],
        'ingress',
      ),
    ).toStrictEqual([]);
    expect(explode(undefined, 'ingress')).toStrictEqual([]);
  });

  it('rulesOf gives ingress then egress', () => {
    const rules = rulesOf({
      IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: D }] }],
    });
    expect(rules.map((r) => r.direction)).toStrictEqual(['ingress', 'egress']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Round trip

const description = fc.option(fc.constantFrom('web', 'db tier', 'from VPC A', 'x'.repeat(255), 'ÿ é', ''), {
  nil: undefined,
});
const ipRange = fc.record(
  { CidrIp: fc.constantFrom('0.0.0.0/0', '10.0.0.0/8', '10.1.2.3/32', '192.168.0.0/16'), Description: description },
  { requiredKeys: ['CidrIp'] },
);
const ipv6Range = fc.record(
  { CidrIpv6: fc.constantFrom('::/0', '2600:1f18:4b2:a800::/56', 'fd00::/8'), Description: description },
  { requiredKeys: ['CidrIpv6'] },
);
const prefixList = fc.record(
  { PrefixListId: fc.constantFrom('pl-0123abcd', 'pl-63a5400a'), Description: description },
  { requiredKeys: ['PrefixListId'] },
);
const pair = fc.record(
  {
    GroupId: fc.constantFrom(D, C, 'sg-0e000000000000003'),
    UserId: fc.constantFrom('111122223333', '444455556666'),
    VpcId: fc.constantFrom('vpc-0aaaaaaaaaaaaaaa1'),
    VpcPeeringConnectionId: fc.constantFrom('pcx-0bbbbbbbbbbbbbbb1'),
    Description: description,
  },
  { requiredKeys: ['GroupId'] },
);
const ports = fc
  .tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))
  .map(([a, b]) => ({ FromPort: Math.min(a, b), ToPort: Math.max(a, b) }));
const icmpTypeCode = fc.record({
  FromPort: fc.integer({ min: -1, max: 255 }),
  ToPort: fc.integer({ min: -1, max: 15 }),
});
const anyPorts = fc.option(
  fc.record({ FromPort: fc.integer({ min: -1, max: 10 }), ToPort: fc.integer({ min: -1, max: 10 }) }),
  {
    nil: undefined,
  },
);
type PortFields = { FromPort: number; ToPort: number } | undefined;
const protocolAndPorts: fc.Arbitrary<[string, PortFields]> = fc.oneof(
  fc.tuple(fc.constantFrom<string>('tcp', '6', 'udp', '17', 'TCP'), ports as fc.Arbitrary<PortFields>),
  fc.tuple(fc.constantFrom<string>('icmp', '1', 'icmpv6', '58'), icmpTypeCode as fc.Arbitrary<PortFields>),
  fc.tuple(fc.constantFrom<string>('-1', 'all', '50', '47'), anyPorts as fc.Arbitrary<PortFields>),
);
const permission: fc.Arbitrary<IpPermission> = fc
  .record({
    protocolAndPorts,
    IpRanges: fc.array(ipRange, { maxLength: 3 }),
    Ipv6Ranges: fc.array(ipv6Range, { maxLength: 2 }),
    PrefixListIds: fc.array(prefixList, { maxLength: 2 }),
    UserIdGroupPairs: fc.array(pair, { maxLength: 3 }),
  })
  .map(({ protocolAndPorts: [IpProtocol, portFields], ...peers }) => ({ IpProtocol, ...(portFields ?? {}), ...peers }));
const direction = fc.constantFrom<Direction>('ingress', 'egress');

describe('implode', () => {
  it('implode(explode(p)) holds the same single rules as p, descriptions and peering fields included', () => {
    fc.assert(
      fc.property(fc.array(permission, { maxLength: 6 }), direction, (permissions, dir) => {
        const rules = explode(permissions, dir);
        const imploded = implode(rules);
        expect(sortedFull(explode(imploded, dir))).toStrictEqual(sortedFull(rules));
      }),
      { numRuns: 300 },
    );
  });

  it('is a fixed point after one round: implode(explode(implode(r))) equals implode(r)', () => {
    fc.assert(
      fc.property(fc.array(permission, { maxLength: 6 }), direction, (permissions, dir) => {
        const once = implode(explode(permissions, dir));
        expect(implode(explode(once, dir))).toStrictEqual(once);
      }),
      { numRuns: 200 },
    );
  });

  it('folds into one IpPermission per protocol and port range', () => {
    fc.assert(
      fc.property(fc.array(permission, { maxLength: 6 }), direction, (permissions, dir) => {
        const rules = explode(permissions, dir);
        const ranges = new Set(rules.map((r) => `${r.protocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}`));
        const imploded = implode(rules);
        expect(imploded).toHaveLength(ranges.size);
        for (const p of imploded) {
          const peers =
            (p.IpRanges?.length ?? 0) +
            (p.Ipv6Ranges?.length ?? 0) +
            (p.PrefixListIds?.length ?? 0) +
            (p.UserIdGroupPairs?.length ?? 0);
          expect(peers).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('writes ports only for protocols that have them', () => {
    expect(
      implode([
        rule({ protocol: '-1', fromPort: undefined, toPort: undefined, peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } }),
      ]),
    ).toStrictEqual([
      {
        IpProtocol: '-1',
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [],
      },
    ]);
    expect(toIpPermission(rule({ peer: { kind: 'group', groupId: D }, description: 'd' }))).toStrictEqual({
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      IpRanges: [],
      Ipv6Ranges: [],
      PrefixListIds: [],
      UserIdGroupPairs: [{ GroupId: D, Description: 'd' }],
    });
  });
});

describe('ruleKey', () => {
  const base = rule({ peer: { kind: 'cidr4', cidr: '10.0.0.0/8' }, description: 'one' });

  it('ignores descriptions', () => {
    expect(ruleKey({ ...base, description: 'two' })).toBe(ruleKey(base));
    expect(ruleKey({ ...base, description: undefined })).toBe(ruleKey(base));
  });

  it('tells apart direction, protocol, ports and peer', () => {
    const variants: Rule[] = [
      { ...base, direction: 'egress' },
      { ...base, protocol: 'udp' },
      { ...base, fromPort: 444, toPort: 444 },
      { ...base, toPort: 444 },
      { ...base, peer: { kind: 'cidr4', cidr: '10.0.0.0/16' } },
      { ...base, peer: { kind: 'cidr6', cidr: '::/0' } },
      { ...base, peer: { kind: 'prefix-list', prefixListId: 'pl-0123abcd' } },
      { ...base, peer: { kind: 'group', groupId: D } },
    ];
    const keys = new Set([base, ...variants].map(ruleKey));
    expect(keys.size).toBe(variants.length + 1);
  });

  it('treats IPv6 addresses case-insensitively and ports of portless protocols as irrelevant', () => {
    expect(ruleKey(rule({ peer: { kind: 'cidr6', cidr: '2600:1F18::/56' } }))).toBe(
      ruleKey(rule({ peer: { kind: 'cidr6', cidr: '2600:1f18::/56' } })),
    );
    const all = rule({ protocol: '-1', fromPort: undefined, toPort: undefined, peer: { kind: 'group', groupId: D } });
    expect(ruleKey({ ...all, fromPort: 0, toPort: 0 })).toBe(ruleKey(all));
  });
});

describe('retarget', () => {
  const peered = rule({
    peer: { kind: 'group', groupId: D, userId: '111122223333', vpcId: 'vpc-0aaa', vpcPeeringConnectionId: 'pcx-0bbb' },
    description: 'from VPC A',
  });

  it('points the rule at the new group, keeping description and peering fields', () => {
    expect(retarget(peered, D, C)).toStrictEqual({
      ...peered,
      peer: {
        kind: 'group',
        groupId: C,
        userId: '111122223333',
        vpcId: 'vpc-0aaa',
        vpcPeeringConnectionId: 'pcx-0bbb',
      },
    });
    expect(referencesGroup(retarget(peered, D, C), C)).toBe(true);
    expect(referencesGroup(retarget(peered, D, C), D)).toBe(false);
  });

  it('does not change the input rule', () => {
    const copy = structuredClone(peered);
    retarget(peered, D, C);
    expect(peered).toStrictEqual(copy);
  });

  it('leaves rules that do not reference the old group unchanged', () => {
    const other = rule({ peer: { kind: 'group', groupId: 'sg-0e000000000000003' } });
    const cidr = rule({ peer: { kind: 'cidr4', cidr: '10.0.0.0/8' } });
    expect(retarget(other, D, C)).toStrictEqual(other);
    expect(retarget(cidr, D, C)).toStrictEqual(cidr);
  });
});

describe('minus, dedupe and descriptionChanges', () => {
  const a = rule({ peer: { kind: 'cidr4', cidr: '10.0.0.0/8' }, description: 'a' });
  const b = rule({ peer: { kind: 'group', groupId: D }, description: 'b' });
  const c = rule({
    direction: 'egress',
    protocol: '-1',
    fromPort: undefined,
    toPort: undefined,
    peer: { kind: 'cidr4', cidr: '0.0.0.0/0' },
  });

  it('minus keeps the rules of a whose key is not in b, whatever the descriptions', () => {
    expect(minus([a, b, c], [{ ...b, description: 'other' }])).toStrictEqual([a, c]);
    expect(minus([a, b], [])).toStrictEqual([a, b]);
    expect(minus([], [a])).toStrictEqual([]);
    expect(minus([a, b, c], [c, b, a])).toStrictEqual([]);
  });

  it('dedupe keeps the first of rules with the same key', () => {
    expect(dedupe([a, b, { ...a, description: 'later' }, c, b])).toStrictEqual([a, b, c]);
  });

  it('descriptionChanges lists the wanted rules present with another description', () => {
    const current = [a, b, { ...c, description: 'old' }];
    const wanted = [
      { ...a, description: 'new a' },
      b,
      { ...c, description: undefined },
      rule({ peer: { kind: 'cidr4', cidr: '1.2.3.4/32' }, description: 'absent' }),
    ];
    expect(descriptionChanges(current, wanted)).toStrictEqual([
      { ...a, description: 'new a' },
      { ...c, description: undefined },
    ]);
  });

  it('descriptionChanges treats a missing and an empty description as the same', () => {
    expect(descriptionChanges([{ ...a, description: undefined }], [{ ...a, description: '' }])).toStrictEqual([]);
  });
});
