import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ec2State, IpPermission, NetworkInterface, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import {
  compareTraffic,
  computeFlows,
  describeTraffic,
  diffFlows,
  type FlowModel,
  flowsEqual,
  parseCidr,
  parseIpv6,
} from '../../handlers/core/reachability.ts';
import { explode, implode } from '../../handlers/core/rules.ts';

// ---------------------------------------------------------------------------------------------------------------
// Builders

type PeerSpec = { cidr: string } | { cidr6: string } | { group: string; userId?: string } | { pl: string };

function perm(protocol: string, from: number | undefined, to: number | undefined, ...peers: PeerSpec[]): IpPermission {
  return {
    IpProtocol: protocol,
    ...(from === undefined ? {} : { FromPort: from }),
    ...(to === undefined ? {} : { ToPort: to }),
    IpRanges: peers.flatMap((p) => ('cidr' in p ? [{ CidrIp: p.cidr }] : [])),
    Ipv6Ranges: peers.flatMap((p) => ('cidr6' in p ? [{ CidrIpv6: p.cidr6 }] : [])),
    PrefixListIds: peers.flatMap((p) => ('pl' in p ? [{ PrefixListId: p.pl }] : [])),
    UserIdGroupPairs: peers.flatMap((p) =>
      'group' in p ? [{ GroupId: p.group, UserId: p.userId ?? '111122223333' }] : [],
    ),
  };
}
const all = (...peers: PeerSpec[]) => perm('-1', undefined, undefined, ...peers);
const tcp = (from: number, to: number, ...peers: PeerSpec[]) => perm('tcp', from, to, ...peers);

function sg(id: string, ingress: IpPermission[], egress: IpPermission[], vpcId = 'vpc-1'): SecurityGroup {
  return {
    GroupId: id,
    GroupName: id,
    VpcId: vpcId,
    OwnerId: '111122223333',
    IpPermissions: ingress,
    IpPermissionsEgress: egress,
  };
}

function eni(id: string, groups: string[], ipv4: string[] = [], ipv6: string[] = []): NetworkInterface {
  return {
    NetworkInterfaceId: id,
    ...(ipv4[0] ? { PrivateIpAddress: ipv4[0] } : {}),
    PrivateIpAddresses: ipv4.map((address, i) => ({ Primary: i === 0, PrivateIpAddress: address })),
    Ipv6Addresses: ipv6.map((address) => ({ Ipv6Address: address })),
    Groups: groups.map((groupId) => ({ GroupId: groupId })),
  };
}

const ALL = 'all traffic';
const flow = (model: FlowModel, from: string, to: string) => describeTraffic(model.flows[from]?.[to] ?? '');

// ---------------------------------------------------------------------------------------------------------------
// The sample state

const sample = (): Ec2State =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../../../shared/examples/web-app.state.json'), 'utf8'));
const D = 'sg-07d2e3f4a5b6c7d8e'; // default
const ALB = 'sg-07a1b2c3d4e5f6a7b';
const API = 'sg-07c9d8e7f6a5b4c3d';
const E11 = 'eni-07000000000000011';
const E12 = 'eni-07000000000000012';
const E13 = 'eni-07000000000000013'; // ALB
const E14 = 'eni-07000000000000014'; // api

const group = (state: Ec2State, id: string) => state.SecurityGroups.find((g) => g.GroupId === id) as SecurityGroup;

describe('computeFlows — the sample web-app state, by hand', () => {
  const model = computeFlows(sample());

  it('lets the default group members talk to each other freely (self-reference), never to themselves', () => {
    expect(flow(model, E11, E12)).toBe(ALL);
    expect(flow(model, E12, E11)).toBe(ALL);
    expect(model.flows[E11]?.[E11]).toBeUndefined();
  });

  it('lets the default group members reach the api tier on tcp 8443 only', () => {
    expect(flow(model, E11, E14)).toBe('tcp 8443');
    expect(flow(model, E12, E14)).toBe('tcp 8443');
  });

  it('lets every tier reach the load balancer on tcp 443 (0.0.0.0/0 contains their addresses)', () => {
    for (const from of [E11, E12, E14]) expect(flow(model, from, E13)).toBe('tcp 443');
  });

  it('denies the load balancer → default group: its egress allows tcp 8080, but the default group admits only its members', () => {
    expect(model.flows[E13]).toBeUndefined();
    // With the default group admitting the ALB group too, the ALB's egress is what limits it: tcp 8080 only.
    const state = sample();
    group(state, D).IpPermissions?.push(all({ group: ALB }));
    const opened = computeFlows(state);
    expect(flow(opened, E13, E11)).toBe('tcp 8080');
    expect(flow(opened, E13, E12)).toBe('tcp 8080');
    expect(flow(opened, E13, E14)).toBe('no traffic');
  });

  it('denies the api tier → default group (no ingress from the api group)', () => {
    expect(flow(model, E14, E11)).toBe('no traffic');
    expect(flow(model, E14, E12)).toBe('no traffic');
  });

  it('models the outside: the ALB accepts tcp 443 from anywhere; the others may send anything anywhere over IPv4', () => {
    const everywhere4 = (traffic: string) => ({
      ipv4: [{ first: '0.0.0.0', last: '255.255.255.255', traffic }],
      ipv6: [],
      prefixLists: {},
      groups: {},
    });
    expect(model.inbound).toEqual({ [E13]: everywhere4('6:443') });
    expect(model.outbound).toEqual({
      [E11]: everywhere4('0-255:0-65535'),
      [E12]: everywhere4('0-255:0-65535'),
      [E14]: everywhere4('0-255:0-65535'),
    });
  });

  it('is the whole model (nothing else is allowed)', () => {
    expect(model.interfaces).toEqual([E11, E12, E13, E14]);
    expect(model.flows).toEqual({
      [E11]: { [E12]: '0-255:0-65535', [E13]: '6:443', [E14]: '6:8443' },
      [E12]: { [E11]: '0-255:0-65535', [E13]: '6:443', [E14]: '6:8443' },
      [E14]: { [E13]: '6:443' },
    });
  });

  it('survives a JSON round trip', () => {
    expect(flowsEqual(JSON.parse(JSON.stringify(model)), model)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Migration to a copy (what the remediation does)

/** Copies the default group to C, with twin references: every reference to D gets a sibling to C. */
function withCopy(state: Ec2State, copyId: string, options: { forgetTwinIn?: string } = {}): Ec2State {
  const next = structuredClone(state);
  const twin = (permissions: IpPermission[] | undefined) =>
    implode(
      explode(permissions, 'ingress').flatMap((rule) =>
        rule.peer.kind === 'group' && rule.peer.groupId === D
          ? [rule, { ...rule, peer: { ...rule.peer, groupId: copyId } }]
          : [rule],
      ),
    );
  const original = group(next, D);
  next.SecurityGroups.push({
    ...structuredClone(original),
    GroupId: copyId,
    GroupName: 'default-copy',
    IpPermissions: twin(original.IpPermissions),
    IpPermissionsEgress: twin(original.IpPermissionsEgress),
  });
  for (const g of next.SecurityGroups) {
    if (g.GroupId === D || g.GroupId === copyId || g.GroupId === options.forgetTwinIn) continue;
    g.IpPermissions = twin(g.IpPermissions);
    g.IpPermissionsEgress = twin(g.IpPermissionsEgress);
  }
  return next;
}

function moveMembers(state: Ec2State, from: string, to: string): Ec2State {
  const next = structuredClone(state);
  for (const e of next.NetworkInterfaces)
    e.Groups = e.Groups?.map((g) => (g.GroupId === from ? { GroupId: to, GroupName: 'default-copy' } : g));
  return next;
}

function stripReferencesTo(state: Ec2State, id: string): Ec2State {
  const next = structuredClone(state);
  const keep = (permissions: IpPermission[] | undefined) =>
    implode(explode(permissions, 'ingress').filter((r) => !(r.peer.kind === 'group' && r.peer.groupId === id)));
  for (const g of next.SecurityGroups) {
    if (g.GroupId === id) {
      g.IpPermissions = [];
      g.IpPermissionsEgress = [];
    } else {
      g.IpPermissions = keep(g.IpPermissions);
      g.IpPermissionsEgress = keep(g.IpPermissionsEgress);
    }
  }
  return next;
}

describe('computeFlows — moving members to a copy of their group', () => {
  const C = 'sg-0c0c0c0c0c0c0c0c0';
  const before = computeFlows(sample());

  it('is unchanged at every step: copy created, members moved, default group stripped', () => {
    const copied = withCopy(sample(), C);
    const moved = moveMembers(copied, D, C);
    const stripped = stripReferencesTo(moved, D);
    for (const state of [copied, moved, stripped]) {
      const after = computeFlows(state);
      expect(diffFlows(before, after)).toEqual([]);
      expect(flowsEqual(before, after)).toBe(true);
    }
  });

  it('names the pairs that lose traffic when a twin reference is forgotten', () => {
    const moved = moveMembers(withCopy(sample(), C, { forgetTwinIn: API }), D, C);
    const after = computeFlows(moved);
    expect(flowsEqual(before, after)).toBe(false);
    expect(diffFlows(before, after)).toEqual([
      `${E11} → ${E14}: tcp 8443 allowed before, denied after`,
      `${E12} → ${E14}: tcp 8443 allowed before, denied after`,
    ]);
  });

  it('names gained traffic too, and outside changes', () => {
    const state = sample();
    group(state, API).IpPermissions?.push(tcp(22, 22, { cidr: '10.0.0.0/8' }));
    expect(diffFlows(before, computeFlows(state))).toEqual([
      `10.0.0.0/8 → ${E14}: tcp 22 denied before, allowed after`,
    ]);
  });

  it('shows a group that is neither described nor used in the state as an outside source', () => {
    const state = sample();
    group(state, API).IpPermissions?.push(tcp(9000, 9001, { group: 'sg-0ffffffffffffffff', userId: '444455556666' }));
    const model = computeFlows(state);
    expect(model.inbound[E14]?.groups).toEqual({ 'sg-0ffffffffffffffff': '6:9000-9001' });
    expect(diffFlows(before, model)).toEqual([
      `group sg-0ffffffffffffffff (outside the state) → ${E14}: tcp 9000-9001 denied before, allowed after`,
    ]);
  });

  it('treats a described group without members as allowing nothing', () => {
    const state = sample();
    state.SecurityGroups.push(sg('sg-0eeeeeeeeeeeeeeee', [], []));
    group(state, API).IpPermissions?.push(tcp(9000, 9001, { group: 'sg-0eeeeeeeeeeeeeeee' }));
    expect(flowsEqual(before, computeFlows(state))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Equivalences: equal traffic gives equal models

/** Two interfaces a → b; a's egress allows everything, b's ingress is `ingress`. */
function pairState(ingress: IpPermission[]): Ec2State {
  return {
    SecurityGroups: [sg('sg-a', [], [all({ cidr: '0.0.0.0/0' })]), sg('sg-b', ingress, [])],
    NetworkInterfaces: [eni('eni-a', ['sg-a'], ['10.0.0.1']), eni('eni-b', ['sg-b'], ['10.0.0.2'])],
  };
}
const sameModel = (a: IpPermission[], b: IpPermission[]) =>
  flowsEqual(computeFlows(pairState(a)), computeFlows(pairState(b)));

describe('computeFlows — canonical traffic', () => {
  const peer = { group: 'sg-a' };

  it('merges touching and overlapping port ranges', () => {
    expect(sameModel([tcp(0, 100, peer), tcp(101, 200, peer)], [tcp(0, 200, peer)])).toBe(true);
    expect(sameModel([tcp(0, 150, peer), tcp(100, 200, peer)], [tcp(0, 200, peer)])).toBe(true);
    expect(sameModel([tcp(0, 100, peer), tcp(102, 200, peer)], [tcp(0, 200, peer)])).toBe(false);
  });

  it('spells tcp and 6 alike', () => {
    expect(sameModel([perm('6', 80, 80, peer)], [tcp(80, 80, peer)])).toBe(true);
    expect(sameModel([perm('all', undefined, undefined, peer)], [all(peer)])).toBe(true);
  });

  it('treats -1 as every protocol with every port, type and code', () => {
    const explicit = [
      tcp(0, 65535, peer),
      perm('udp', 0, 32767, peer),
      perm('udp', 32768, 65535, peer),
      perm('icmp', -1, -1, peer),
      perm('icmpv6', -1, -1, peer),
      ...Array.from({ length: 256 }, (_, p) => p)
        .filter((p) => ![1, 6, 17, 58].includes(p))
        .map((p) => perm(String(p), undefined, undefined, peer)),
    ];
    expect(sameModel(explicit, [all(peer)])).toBe(true);
    expect(describeTraffic(computeFlows(pairState(explicit)).flows['eni-a']?.['eni-b'] ?? '')).toBe(ALL);
    expect(sameModel(explicit.slice(1), [all(peer)])).toBe(false);
  });

  it('encodes icmp type and code: type -1 is every type, code -1 every code of the type', () => {
    const everyType = Array.from({ length: 256 }, (_, t) => perm('icmp', t, -1, peer));
    expect(sameModel(everyType, [perm('icmp', -1, -1, peer)])).toBe(true);
    const everyCode = Array.from({ length: 256 }, (_, c) => perm('icmp', 8, c, peer));
    expect(sameModel(everyCode, [perm('icmp', 8, -1, peer)])).toBe(true);
    expect(sameModel([perm('icmp', 8, 0, peer)], [perm('icmp', 8, -1, peer)])).toBe(false);
    const model = computeFlows(pairState([perm('icmp', 8, 0, peer), perm('icmp', 3, -1, peer)]));
    expect(flow(model, 'eni-a', 'eni-b')).toBe('icmp type 3, 8/0');
  });

  it('ignores ports on protocols that have none', () => {
    expect(sameModel([perm('50', 10, 20, peer)], [perm('50', undefined, undefined, peer)])).toBe(true);
    expect(flow(computeFlows(pairState([perm('50', 1, 2, peer)])), 'eni-a', 'eni-b')).toBe('protocol 50');
  });

  it('intersects egress and ingress', () => {
    const state: Ec2State = {
      SecurityGroups: [
        sg('sg-a', [], [tcp(0, 1000, { cidr: '10.0.0.2/32' }), perm('udp', 53, 53, { group: 'sg-b' })]),
        sg('sg-b', [tcp(500, 2000, { group: 'sg-a' }), all({ cidr: '10.0.0.0/24' })], []),
      ],
      NetworkInterfaces: [eni('eni-a', ['sg-a'], ['10.0.0.1']), eni('eni-b', ['sg-b'], ['10.0.0.2'])],
    };
    expect(flow(computeFlows(state), 'eni-a', 'eni-b')).toBe('tcp 0-1000; udp 53');
    state.SecurityGroups[1]?.IpPermissions?.pop();
    expect(flow(computeFlows(state), 'eni-a', 'eni-b')).toBe('tcp 500-1000');
  });
});

describe('computeFlows — address space', () => {
  /** One interface whose ingress is `ingress`: its inbound view is what we look at. */
  const inbound = (ingress: IpPermission[]) => computeFlows(pairState(ingress)).inbound['eni-b'];
  const sameInbound = (a: IpPermission[], b: IpPermission[]) =>
    flowsEqual(computeFlows(pairState(a)), computeFlows(pairState(b)));

  it('handles CIDR blocks as intervals: 10.0.0.0/8 ≡ 10.0.0.0/9 + 10.128.0.0/9', () => {
    expect(sameInbound([all({ cidr: '10.0.0.0/8' })], [all({ cidr: '10.0.0.0/9' }, { cidr: '10.128.0.0/9' })])).toBe(
      true,
    );
    expect(sameInbound([all({ cidr: '10.0.0.0/8' })], [all({ cidr: '10.0.0.0/9' })])).toBe(false);
    expect(sameInbound([all({ cidr: '10.1.2.3/8' })], [all({ cidr: '10.0.0.0/8' })])).toBe(true); // host bits
  });

  it('cuts overlapping blocks into segments and merges equal neighbours', () => {
    expect(inbound([tcp(22, 22, { cidr: '10.0.0.0/8' }), tcp(80, 80, { cidr: '10.1.0.0/16' })])?.ipv4).toEqual([
      { first: '10.0.0.0', last: '10.0.255.255', traffic: '6:22' },
      { first: '10.1.0.0', last: '10.1.255.255', traffic: '6:22,80' },
      { first: '10.2.0.0', last: '10.255.255.255', traffic: '6:22' },
    ]);
    expect(inbound([tcp(22, 22, { cidr: '10.0.0.0/9' }), tcp(22, 22, { cidr: '10.128.0.0/9' })])?.ipv4).toEqual([
      { first: '10.0.0.0', last: '10.255.255.255', traffic: '6:22' },
    ]);
  });

  it('handles IPv6 with 128-bit intervals: ::/0 ≡ ::/1 + 8000::/1, 2001:db8::/32 ≡ its two /33', () => {
    expect(sameInbound([all({ cidr6: '::/0' })], [all({ cidr6: '::/1' }, { cidr6: '8000::/1' })])).toBe(true);
    expect(
      sameInbound(
        [tcp(443, 443, { cidr6: '2001:db8::/32' })],
        [tcp(443, 443, { cidr6: '2001:0DB8:0000::/33' }, { cidr6: '2001:db8:8000::/33' })],
      ),
    ).toBe(true);
    expect(inbound([tcp(443, 443, { cidr6: '2001:db8::/32' })])?.ipv6).toEqual([
      { first: '2001:db8::', last: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', traffic: '6:443' },
    ]);
    expect(sameInbound([all({ cidr6: '::/0' })], [all({ cidr: '0.0.0.0/0' })])).toBe(false);
  });

  it('matches interfaces by any of their addresses of the family', () => {
    const state: Ec2State = {
      SecurityGroups: [
        sg('sg-a', [], [all({ cidr6: '2001:db8:1::/48' })]),
        sg('sg-b', [all({ cidr: '192.168.0.7/32' })], []),
      ],
      NetworkInterfaces: [
        eni('eni-a', ['sg-a'], ['10.9.9.9', '192.168.0.7']),
        eni('eni-b', ['sg-b'], ['10.0.0.2'], ['2001:db8:1:0:0:0:0:5']),
      ],
    };
    expect(flow(computeFlows(state), 'eni-a', 'eni-b')).toBe(ALL);
    state.NetworkInterfaces[1] = eni('eni-b', ['sg-b'], ['10.0.0.2'], ['2001:db8:2::5']);
    expect(flow(computeFlows(state), 'eni-a', 'eni-b')).toBe('no traffic');
  });

  it('matches group references by membership, whatever the VPC or account; prefix lists never match interfaces', () => {
    const state: Ec2State = {
      SecurityGroups: [
        sg('sg-a', [], [tcp(1, 2, { group: 'sg-peer', userId: '999999999999' }), tcp(3, 3, { pl: 'pl-1' })], 'vpc-1'),
        sg('sg-peer', [all({ group: 'sg-a' }), all({ pl: 'pl-1' })], [], 'vpc-2'),
      ],
      NetworkInterfaces: [eni('eni-a', ['sg-a'], ['10.0.0.1']), eni('eni-b', ['sg-peer'], ['172.16.0.1'])],
    };
    const model = computeFlows(state);
    expect(flow(model, 'eni-a', 'eni-b')).toBe('tcp 1-2');
    expect(model.outbound['eni-a']?.prefixLists).toEqual({ 'pl-1': '6:3' });
    expect(model.inbound['eni-b']?.prefixLists).toEqual({ 'pl-1': '0-255:0-65535' });
  });

  it('parses and rejects addresses strictly', () => {
    expect(parseIpv6('::')).toBe(0n);
    expect(parseIpv6('::ffff:10.0.0.1')).toBe(0xffff0a000001n);
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toBe(0x00010002000300040005000600070008n);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', ':::', '1:2:3:4:5:6:7'])
      expect(parseIpv6(bad)).toBeUndefined();
    expect(parseCidr('10.0.0.0/33', 4)).toBeUndefined();
    expect(parseCidr('10.0.0.256/8', 4)).toBeUndefined();
    expect(parseCidr('0.0.0.0/0', 4)).toEqual({ first: 0n, last: 0xffffffffn });
  });
});

describe('computeFlows — options.interfaces', () => {
  it('keeps only pairs with an end in the list, and their outside views, exactly as in the full model', () => {
    const full = computeFlows(sample());
    const scoped = computeFlows(sample(), { interfaces: [E14] });
    expect(scoped.flows).toEqual({ [E11]: { [E14]: '6:8443' }, [E12]: { [E14]: '6:8443' }, [E14]: { [E13]: '6:443' } });
    expect(scoped.outbound).toEqual({ [E14]: full.outbound[E14] });
    expect(scoped.inbound).toEqual({});
  });
});

describe('diffFlows', () => {
  it('describes address ranges that are not one block, and caps its output', () => {
    const a = computeFlows(pairState([tcp(22, 22, { cidr: '10.0.0.0/8' })]));
    const b = computeFlows(pairState([tcp(22, 22, { cidr: '10.0.0.0/8' }), tcp(22, 22, { cidr: '11.0.0.0/8' })]));
    expect(diffFlows(a, b)).toEqual(['11.0.0.0/8 → eni-b: tcp 22 denied before, allowed after']);
    const c = computeFlows(
      pairState([tcp(22, 22, { cidr: '192.168.0.1/32' }), tcp(22, 22, { cidr: '192.168.0.2/31' })]),
    );
    const d = computeFlows(
      pairState([
        tcp(22, 22, { cidr: '192.168.0.1/32' }),
        tcp(22, 22, { cidr: '192.168.0.2/31' }),
        tcp(22, 22, { cidr: '192.168.0.4/30' }),
        tcp(22, 22, { cidr: '192.168.0.8/32' }),
      ]),
    );
    expect(diffFlows(c, computeFlows(pairState([])))).toEqual([
      '192.168.0.1/32, 192.168.0.2/31 → eni-b: tcp 22 allowed before, denied after',
    ]);
    expect(diffFlows(d, computeFlows(pairState([])))).toEqual([
      '192.168.0.1-192.168.0.8 → eni-b: tcp 22 allowed before, denied after',
    ]);
    const many = Array.from({ length: 20 }, (_, i) =>
      tcp(1000 + 2 * i, 1000 + 2 * i, { cidr: `172.${16 + i}.0.0/16` }),
    );
    const lines = diffFlows(computeFlows(pairState(many)), computeFlows(pairState([])), { limit: 5 });
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe('… and 15 more differences');
  });

  it('reports an interface that disappeared as lost traffic', () => {
    const state = sample();
    state.NetworkInterfaces = state.NetworkInterfaces.filter((e) => e.NetworkInterfaceId !== E12);
    const lines = diffFlows(computeFlows(sample()), computeFlows(state));
    expect(lines).toContain(`${E11} → ${E12}: all traffic allowed before, denied after`);
    expect(lines).toContain(`${E12} → 0.0.0.0/0: all traffic allowed before, denied after`);
  });

  it('says what part of a set changed', () => {
    const a = computeFlows(pairState([all({ group: 'sg-a' })]));
    const b = computeFlows(
      pairState([
        tcp(0, 21, { group: 'sg-a' }),
        tcp(23, 65535, { group: 'sg-a' }),
        perm('udp', -1, -1, { group: 'sg-a' }),
      ]),
    );
    expect(diffFlows(a, b)).toEqual([
      'eni-a → eni-b: protocols 0-5 (all); tcp 22; protocols 7-16 (all); protocols 18-255 (all) allowed before, denied after',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties

const GROUPS = ['sg-g0', 'sg-g1', 'sg-g2'];
const CIDRS4 = [
  '10.0.0.0/30',
  '10.0.0.0/29',
  '192.168.0.2/31',
  '0.0.0.0/0',
  '10.0.0.3/32',
  '192.168.0.4/30',
  '10.0.0.0/24',
];
const CIDRS6 = ['2001:db8::/126', '::/0', '2001:db8::2/127'];

const peerArb: fc.Arbitrary<PeerSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...CIDRS4).map((cidr) => ({ cidr })) },
  { weight: 1, arbitrary: fc.constantFrom(...CIDRS6).map((cidr6) => ({ cidr6 })) },
  { weight: 3, arbitrary: fc.constantFrom(...GROUPS, 'sg-outside').map((group) => ({ group })) },
  { weight: 1, arbitrary: fc.constant({ pl: 'pl-1' }) },
);
const permArb: fc.Arbitrary<IpPermission> = fc.oneof(
  peerArb.map((p) => all(p)),
  fc
    .tuple(fc.constantFrom('tcp', 'udp'), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), peerArb)
    .map(([protocol, a, b, p]) => perm(protocol, Math.min(a, b), Math.max(a, b), p)),
  fc
    .tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: -1, max: 2 }), peerArb)
    .map(([type, code, p]) => perm('icmp', type, code, p)),
  peerArb.map((p) => perm('50', undefined, undefined, p)),
);
const stateArb: fc.Arbitrary<Ec2State> = fc
  .tuple(
    fc.array(fc.tuple(fc.array(permArb, { maxLength: 4 }), fc.array(permArb, { maxLength: 4 })), {
      minLength: 3,
      maxLength: 3,
    }),
    fc.array(fc.subarray(GROUPS), { minLength: 2, maxLength: 5 }),
    fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  )
  .map(([rules, memberships, hasV6]) => ({
    SecurityGroups: rules.map(([ingress, egress], i) => sg(GROUPS[i] as string, ingress, egress)),
    NetworkInterfaces: memberships.map((groups, i) =>
      eni(`eni-${i}`, groups, [`10.0.0.${i + 1}`], hasV6[i] ? [`2001:db8::${i + 1}`] : []),
    ),
  }));

/** Deterministic shuffle driven by a seed. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The same rules, regrouped: one permission per rule, shuffled, then re-imploded in that order. */
function reorder(state: Ec2State, seed: number): Ec2State {
  const regroup = (permissions: IpPermission[] | undefined, salt: number) =>
    implode(shuffle(explode(permissions, 'ingress'), seed + salt));
  return {
    SecurityGroups: shuffle(
      state.SecurityGroups.map((g, i) => ({
        ...g,
        IpPermissions: regroup(g.IpPermissions, i),
        IpPermissionsEgress: regroup(g.IpPermissionsEgress, i + 7),
      })),
      seed,
    ),
    NetworkInterfaces: shuffle(
      state.NetworkInterfaces.map((e, i) => ({ ...e, Groups: shuffle(e.Groups ?? [], seed + i) })),
      seed + 3,
    ),
  };
}

/** Replaces the first IPv4 CIDR rule shorter than /32 by its two halves. */
function splitFirstCidr(state: Ec2State): Ec2State | undefined {
  const next = structuredClone(state);
  for (const g of next.SecurityGroups) {
    for (const permissions of [g.IpPermissions, g.IpPermissionsEgress]) {
      for (const p of permissions ?? []) {
        const range = p.IpRanges?.[0];
        const [address, length] = (range?.CidrIp ?? '/32').split('/');
        if (!range || Number(length) >= 32) continue;
        const n = Number(length) + 1;
        const low = parseCidr(`${address}/${length}`, 4)?.first ?? 0n;
        const high = low + (1n << BigInt(32 - n));
        const text = (v: bigint) => [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
        p.IpRanges = [{ CidrIp: `${text(low)}/${n}` }, { CidrIp: `${text(high)}/${n}` }];
        return next;
      }
    }
  }
  return undefined;
}

/** Independent oracle: is (protocol, value) from `from` to `to` allowed, straight from the rules? */
function oracle(state: Ec2State, from: string, to: string, protocol: number, value: number): boolean {
  const e = (id: string) => state.NetworkInterfaces.find((x) => x.NetworkInterfaceId === id) as NetworkInterface;
  const groupsOf = (x: NetworkInterface) => (x.Groups ?? []).map((g) => g.GroupId);
  const addresses = (x: NetworkInterface) => ({
    v4: (x.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress as string),
    v6: (x.Ipv6Addresses ?? []).map((a) => a.Ipv6Address as string),
  });
  const peerMatches = (p: IpPermission, x: NetworkInterface) => {
    const { v4, v6 } = addresses(x);
    const inCidr = (cidr: string, family: 4 | 6, list: string[]) => {
      const block = parseCidr(cidr, family);
      return list.some((a) => {
        const v = parseCidr(`${a}/${family === 4 ? 32 : 128}`, family)?.first ?? -1n;
        return block !== undefined && v >= block.first && v <= block.last;
      });
    };
    return (
      (p.IpRanges ?? []).some((r) => inCidr(r.CidrIp as string, 4, v4)) ||
      (p.Ipv6Ranges ?? []).some((r) => inCidr(r.CidrIpv6 as string, 6, v6)) ||
      (p.UserIdGroupPairs ?? []).some((pair) => groupsOf(x).includes(pair.GroupId))
    );
  };
  const trafficMatches = (p: IpPermission) => {
    const name = p.IpProtocol;
    if (name === '-1') return true;
    if (name === 'tcp' || name === 'udp')
      return protocol === (name === 'tcp' ? 6 : 17) && value >= (p.FromPort ?? 0) && value <= (p.ToPort ?? 65535);
    if (name === 'icmp') {
      if (protocol !== 1) return false;
      const type = p.FromPort ?? -1;
      const code = p.ToPort ?? -1;
      return type === -1 || (value >> 8 === type && (code === -1 || (value & 255) === code));
    }
    return protocol === Number(name);
  };
  const rulesOfGroups = (x: NetworkInterface, key: 'IpPermissions' | 'IpPermissionsEgress') =>
    state.SecurityGroups.filter((g) => groupsOf(x).includes(g.GroupId)).flatMap((g) => g[key] ?? []);
  const x = e(from);
  const y = e(to);
  return (
    rulesOfGroups(x, 'IpPermissionsEgress').some((p) => trafficMatches(p) && peerMatches(p, y)) &&
    rulesOfGroups(y, 'IpPermissions').some((p) => trafficMatches(p) && peerMatches(p, x))
  );
}

/** Whether a canonical traffic key contains (protocol, value) — parsed independently of the module. */
function keyAllows(key: string, protocol: number, value: number): boolean {
  if (key === '') return false;
  const inSpan = (text: string, n: number) => {
    const [a, b] = text.split('-').map(Number);
    return n >= (a as number) && n <= (b ?? (a as number));
  };
  return key.split(';').some((run) => {
    const [protocols, values] = run.split(':') as [string, string];
    return inSpan(protocols, protocol) && values.split(',').some((v) => inSpan(v, value));
  });
}

describe('computeFlows — properties', () => {
  it('is invariant under re-ordering rules, permissions, groups and interfaces', () => {
    fc.assert(
      fc.property(stateArb, fc.integer({ min: 1, max: 1_000_000 }), (state, seed) => {
        const a = computeFlows(state);
        const b = computeFlows(reorder(state, seed));
        expect(diffFlows(a, b)).toEqual([]);
        expect(b).toEqual(a);
      }),
      { numRuns: 150 },
    );
  });

  it('is invariant under splitting a CIDR rule into its two halves', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const split = splitFirstCidr(state);
        fc.pre(split !== undefined);
        expect(flowsEqual(computeFlows(state), computeFlows(split as Ec2State))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('agrees with a brute-force oracle on every pair, at sampled traffic points', () => {
    const points: [number, number][] = [
      [6, 0],
      [6, 5],
      [6, 40],
      [6, 41],
      [17, 20],
      [1, 0],
      [1, 2 * 256 + 1],
      [1, 3 * 256 + 2],
      [1, 9 * 256],
      [50, 0],
      [51, 7],
      [58, 0],
    ];
    fc.assert(
      fc.property(stateArb, (state) => {
        const model = computeFlows(state);
        const ids = state.NetworkInterfaces.map((e) => e.NetworkInterfaceId as string);
        for (const from of ids)
          for (const to of ids) {
            if (from === to) continue;
            for (const [protocol, value] of points)
              expect(
                keyAllows(model.flows[from]?.[to] ?? '', protocol, value),
                `${from}→${to} ${protocol}/${value}`,
              ).toBe(oracle(state, from, to, protocol, value));
          }
      }),
      { numRuns: 150 },
    );
  });

  it('gives the verdict of flowsEqual when compareTraffic compares by classes (small, overlapping CIDR blocks)', () => {
    fc.assert(
      fc.property(stateArb, stateArb, fc.nat(), (s1, s2, pick) => {
        // s1 against an unrelated state, against itself re-ordered, and against itself without one permission.
        const without = structuredClone(s1);
        const group = without.SecurityGroups[pick % without.SecurityGroups.length] as SecurityGroup;
        group.IpPermissions = (group.IpPermissions ?? []).filter((_, i) => i !== pick % 4);
        for (const other of [s2, reorder(s1, pick + 1), without])
          expect(compareTraffic(s1, other).equal).toBe(flowsEqual(computeFlows(s1), computeFlows(other)));
      }),
      { numRuns: 200 },
    );
  });

  it('answers flowsEqual exactly when diffFlows is empty', () => {
    fc.assert(
      fc.property(stateArb, stateArb, (s1, s2) => {
        const a = computeFlows(s1);
        const b = computeFlows(s2);
        expect(flowsEqual(a, b)).toBe(diffFlows(a, b).length === 0);
        expect(flowsEqual(a, a)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Speed

/** A 300-interface VPC: 20 tiers, a default group on a third of them, subnet rules, per-host rules, cross-tier refs. */
function largeState(interfaces = 300): Ec2State {
  const tiers = 20;
  const groups: SecurityGroup[] = [sg('sg-default', [all({ group: 'sg-default' })], [all({ cidr: '0.0.0.0/0' })])];
  for (let t = 0; t < tiers; t++) {
    const hosts = Array.from({ length: 5 }, (_, h) => ({ cidr: `10.0.${(t * 5 + h) % 256}.${10 + h}/32` }));
    groups.push(
      sg(
        `sg-tier${t}`,
        [
          tcp(8000 + t, 8000 + t, { group: `sg-tier${(t + 1) % tiers}` }, { group: 'sg-default' }),
          tcp(22, 22, { cidr: '10.0.0.0/16' }),
          perm('icmp', -1, -1, { cidr: '10.0.0.0/8' }),
          tcp(443, 443, ...hosts),
          tcp(5432, 5432, { cidr6: '2001:db8::/56' }, { pl: 'pl-0123' }),
        ],
        t % 2 === 0
          ? [all({ cidr: '0.0.0.0/0' }, { cidr6: '::/0' })]
          : [tcp(0, 1024, { cidr: '10.0.0.0/8' }), tcp(8000, 8100, { group: `sg-tier${(t + 1) % tiers}` })],
      ),
    );
  }
  const enis = Array.from({ length: interfaces }, (_, i) =>
    eni(
      `eni-${String(i).padStart(5, '0')}`,
      i % 3 === 0 ? ['sg-default', `sg-tier${i % tiers}`] : [`sg-tier${i % tiers}`],
      [`10.0.${Math.floor(i / 20)}.${10 + (i % 20)}`],
      i % 4 === 0 ? [`2001:db8::${i.toString(16)}`] : [],
    ),
  );
  return { SecurityGroups: groups, NetworkInterfaces: enis };
}

// Speed is measured by `npm run bench` (verification CPU and peak memory), not asserted here: timings depend on the
// machine's load.
describe('computeFlows — a large state', () => {
  it('models 300 interfaces, and the same state in another order gives an equal model', () => {
    const state = largeState(300);
    const model = computeFlows(state);
    const copy = computeFlows(reorder(state, 42));
    expect(flowsEqual(model, copy)).toBe(true);
    expect(diffFlows(model, copy)).toEqual([]);
    const pairs = Object.values(model.flows).reduce((n, row) => n + Object.keys(row).length, 0);
    expect(pairs).toBeGreaterThan(1000);
    const scoped = computeFlows(state, { interfaces: ['eni-00000', 'eni-00003'] });
    expect(scoped.flows['eni-00000']).toEqual(model.flows['eni-00000']);
  });
});
