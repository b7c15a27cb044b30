/**
 * compareTraffic: the traffic of two states compared by joint classes, never by the n² pair table. Its verdict must be
 * exactly `flowsEqual(computeFlows(a), computeFlows(b))`, and its lines must say what `diffFlows` says, one example per
 * class pair. Checked on hand-made states, on generated VPCs (test/support/generate-vpc.ts) with random perturbations,
 * and at a size the pair table could not reach.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ec2State, IpPermission, NetworkInterface, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { compareTraffic, computeFlows, diffFlows, flowsEqual } from '../../handlers/core/reachability.ts';
import { defaultGroupOf, generateVpc, vpcStateArbitrary } from '../support/generate-vpc.ts';
import { expectedAfterRemediation } from '../support/harness.ts';

const ACCOUNT = '111122223333';

function sg(id: string, ingress: IpPermission[], egress: IpPermission[]): SecurityGroup {
  return {
    GroupId: id,
    GroupName: id,
    VpcId: 'vpc-1',
    OwnerId: ACCOUNT,
    IpPermissions: ingress,
    IpPermissionsEgress: egress,
  };
}
const allFrom = (group: string): IpPermission => ({
  IpProtocol: '-1',
  UserIdGroupPairs: [{ GroupId: group, UserId: ACCOUNT }],
});
const tcpFrom = (port: number, peer: { group: string } | { cidr: string }): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  ...('group' in peer
    ? { UserIdGroupPairs: [{ GroupId: peer.group, UserId: ACCOUNT }] }
    : { IpRanges: [{ CidrIp: peer.cidr }] }),
});
const ALL_OUT: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

function eni(id: string, groups: string[], address: string): NetworkInterface {
  return {
    NetworkInterfaceId: id,
    PrivateIpAddress: address,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: address }],
    Ipv6Addresses: [],
    Groups: groups.map((GroupId) => ({ GroupId })),
  };
}

/** The full pair-table verdict and diff, for comparison. */
function pairwise(before: Ec2State, after: Ec2State) {
  const a = computeFlows(before);
  const b = computeFlows(after);
  return { equal: flowsEqual(a, b), lines: diffFlows(a, b, { limit: Number.POSITIVE_INFINITY }) };
}

/** A class line stands for N+1 pair lines when it says `(and N more … alike)`: the line without it, and N+1. */
function expand(line: string): { line: string; count: number } {
  const match = / \(and (\d+) more (?:pairs|interfaces) alike\)/.exec(line);
  if (!match) return { line, count: 1 };
  return { line: line.replace(match[0], ''), count: Number(match[1]) + 1 };
}

/** compareTraffic agrees with the pair table: same verdict, every line an actual pair line, same number of pair lines. */
function expectAgreement(before: Ec2State, after: Ec2State): boolean {
  const classes = compareTraffic(before, after, { limit: Number.POSITIVE_INFINITY });
  const pairs = pairwise(before, after);
  expect(classes.equal).toBe(pairs.equal);
  expect(classes.differences.length === 0).toBe(pairs.equal);
  const expanded = classes.differences.map(expand);
  const known = new Set(pairs.lines);
  for (const { line } of expanded) expect(known.has(line), line).toBe(true);
  expect(expanded.reduce((sum, { count }) => sum + count, 0)).toBe(pairs.lines.length);
  return classes.equal;
}

describe('compareTraffic — by hand', () => {
  const web = sg('sg-web', [allFrom('sg-web'), tcpFrom(443, { cidr: '0.0.0.0/0' })], [ALL_OUT]);
  const db = sg('sg-db', [tcpFrom(5432, { group: 'sg-web' })], [ALL_OUT]);
  const state = (enis: NetworkInterface[], groups = [web, db]): Ec2State => ({
    SecurityGroups: groups,
    NetworkInterfaces: enis,
  });
  const tier = (prefix: string, groups: string[], count: number, subnet: number) =>
    Array.from({ length: count }, (_, i) =>
      eni(`eni-${prefix}${String(i).padStart(3, '0')}`, groups, `10.0.${subnet}.${i + 10}`),
    );

  it('finds no difference between a state and itself, with few classes', () => {
    const s = state([...tier('w', ['sg-web'], 40, 1), ...tier('d', ['sg-db'], 10, 2)]);
    expect(compareTraffic(s, s)).toEqual({
      equal: true,
      differences: [],
      interfaces: 50,
      classes: { sources: 2, destinations: 2 },
    });
  });

  it('never pairs an interface with itself: a lone member of a self-referencing group has no flow to lose', () => {
    const before = state([eni('eni-1', ['sg-web'], '10.0.1.10'), eni('eni-2', ['sg-db'], '10.0.2.10')]);
    const webWithoutSelf = sg('sg-web', [tcpFrom(443, { cidr: '0.0.0.0/0' })], [ALL_OUT]);
    const after = state(before.NetworkInterfaces, [webWithoutSelf, db]);
    expect(compareTraffic(before, after).equal).toBe(true);
    expectAgreement(before, after);
    // With a second member, the same change cuts the pair, both ways.
    const two = state([...before.NetworkInterfaces, eni('eni-3', ['sg-web'], '10.0.1.11')]);
    const comparison = compareTraffic(two, state(two.NetworkInterfaces, [webWithoutSelf, db]));
    expect(comparison.equal).toBe(false);
    expect(comparison.differences).toEqual([
      'eni-1 → eni-3 (and 1 more pairs alike): protocols 0-5 (all); tcp 0-442, 444-65535; protocols 7-255 (all) allowed before, denied after',
    ]);
    expectAgreement(two, state(two.NetworkInterfaces, [webWithoutSelf, db]));
  });

  it('names an example pair and how many pairs changed alike', () => {
    const before = state([...tier('w', ['sg-web'], 40, 1), ...tier('d', ['sg-db'], 10, 2)]);
    const after = state(before.NetworkInterfaces, [web, sg('sg-db', [tcpFrom(5433, { group: 'sg-web' })], [ALL_OUT])]);
    expect(compareTraffic(before, after).differences).toEqual([
      'eni-w000 → eni-d000 (and 399 more pairs alike): tcp 5432 allowed before, denied after',
      'eni-w000 → eni-d000 (and 399 more pairs alike): tcp 5433 denied before, allowed after',
    ]);
    expectAgreement(before, after);
  });

  it('sees an interface whose class changed alone, and its outside view', () => {
    const before = state([...tier('w', ['sg-web'], 5, 1), ...tier('d', ['sg-db'], 3, 2)]);
    const after = structuredClone(before);
    (after.NetworkInterfaces[1] as NetworkInterface).Groups = [{ GroupId: 'sg-db' }];
    const comparison = compareTraffic(before, after);
    expect(comparison.equal).toBe(false);
    expect(comparison.classes).toEqual({ sources: 3, destinations: 3 });
    expect(comparison.differences).toContain('0.0.0.0/0 → eni-w001: tcp 443 allowed before, denied after');
    expectAgreement(before, after);
  });

  it('counts interfaces present in one state only as having no traffic in the other', () => {
    const before = state([...tier('w', ['sg-web'], 3, 1)]);
    const after = state([...tier('w', ['sg-web'], 2, 1)]);
    const comparison = compareTraffic(before, after);
    expect(comparison.interfaces).toBe(3);
    expect(comparison.differences).toContain(
      'eni-w000 → eni-w002 (and 1 more pairs alike): all traffic allowed before, denied after',
    );
    expect(comparison.differences).toContain('0.0.0.0/0 → eni-w002: tcp 443 allowed before, denied after');
    expectAgreement(before, after);
  });

  it('splits sources and destinations apart: per-host inbound rules single out sources, not destinations', () => {
    // A bastion tier admits ssh from each of 120 hosts by its /32, 60 rules a group (the EC2 quota).
    const hosts = tier('h', ['sg-web'], 120, 1);
    const bastions = [0, 1].map((g) =>
      sg(
        `sg-bastion${g}`,
        hosts.slice(g * 60, g * 60 + 60).map((host) => tcpFrom(22, { cidr: `${host.PrivateIpAddress}/32` })),
        [ALL_OUT],
      ),
    );
    const before = state([...hosts, ...tier('b', ['sg-bastion0', 'sg-bastion1'], 3, 2)], [web, db, ...bastions]);
    const same = compareTraffic(before, before);
    expect(same.classes).toEqual({ sources: 121, destinations: 2 });
    // One host's rule revoked: that host alone loses ssh to the bastions (and so does its address, from outside).
    const after = structuredClone(before);
    const bastion = after.SecurityGroups.find((g) => g.GroupId === 'sg-bastion0') as SecurityGroup;
    bastion.IpPermissions = (bastion.IpPermissions ?? []).slice(1);
    expect(compareTraffic(before, after).differences).toEqual([
      'eni-h000 → eni-b000 (and 2 more pairs alike): tcp 22 allowed before, denied after',
      '10.0.1.10/32 → eni-b000 (and 2 more interfaces alike): tcp 22 allowed before, denied after',
    ]);
    expectAgreement(before, after);
    expectAgreement(before, before);
  });

  it('caps its lines and says how many more there are', () => {
    const before = state(
      tier('w', ['sg-web'], 6, 1).map((e, i) => ({ ...e, Groups: [{ GroupId: `sg-t${i}` }] })),
      [...Array.from({ length: 6 }, (_, i) => sg(`sg-t${i}`, [tcpFrom(1000 + i, { cidr: '10.0.0.0/8' })], [ALL_OUT]))],
    );
    const after = state(before.NetworkInterfaces, []);
    const lines = compareTraffic(before, after, { limit: 3 }).differences;
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^… and \d+ more differences$/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Generated states, perturbed

type Perturbation =
  | { kind: 'none' }
  | { kind: 'toggle-group' | 'drop-interface' | 'clone-interface' | 'readdress'; pick: number; other: number }
  | { kind: 'drop-rule' | 'copy-rule'; pick: number; other: number; egress: boolean };

const perturbationArb: fc.Arbitrary<Perturbation> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Perturbation>({ kind: 'none' }) },
  fc.record({
    kind: fc.constantFrom('toggle-group', 'drop-interface', 'clone-interface', 'readdress') as fc.Arbitrary<
      'toggle-group' | 'drop-interface' | 'clone-interface' | 'readdress'
    >,
    pick: fc.nat(),
    other: fc.nat(),
  }),
  fc.record({
    kind: fc.constantFrom('drop-rule', 'copy-rule') as fc.Arbitrary<'drop-rule' | 'copy-rule'>,
    pick: fc.nat(),
    other: fc.nat(),
    egress: fc.boolean(),
  }),
);

const ADDRESSES = ['192.168.0.9', '203.0.113.7', '198.51.100.17', '10.1.3.3'];

/** A change somebody could make to a live state; most change traffic, some do not (a covered rule, a no-op move). */
function perturb(state: Ec2State, change: Perturbation): Ec2State {
  const next = structuredClone(state);
  const enis = next.NetworkInterfaces;
  const groups = next.SecurityGroups;
  if (change.kind === 'none' || enis.length === 0 || groups.length === 0) return next;
  const target = enis[change.pick % enis.length] as NetworkInterface;
  const group = groups[change.other % groups.length] as SecurityGroup;
  switch (change.kind) {
    case 'toggle-group': {
      const has = (target.Groups ?? []).some((g) => g.GroupId === group.GroupId);
      target.Groups = has
        ? (target.Groups ?? []).filter((g) => g.GroupId !== group.GroupId)
        : [...(target.Groups ?? []), { GroupId: group.GroupId, GroupName: group.GroupName }];
      break;
    }
    case 'drop-interface':
      next.NetworkInterfaces = enis.filter((e) => e !== target);
      break;
    case 'clone-interface':
      enis.push({ ...structuredClone(target), NetworkInterfaceId: 'eni-0clone00000000000' });
      break;
    case 'readdress': {
      const address = ADDRESSES[change.other % ADDRESSES.length] as string;
      target.PrivateIpAddress = address;
      target.PrivateIpAddresses = [{ Primary: true, PrivateIpAddress: address }];
      break;
    }
    case 'drop-rule':
    case 'copy-rule': {
      const key = change.egress ? 'IpPermissionsEgress' : 'IpPermissions';
      const withRules = groups.filter((g) => (g[key] ?? []).length > 0);
      const from = withRules[change.pick % Math.max(1, withRules.length)];
      if (!from) break;
      const permissions = from[key] ?? [];
      const permission = permissions[change.other % permissions.length] as IpPermission;
      if (change.kind === 'drop-rule') from[key] = permissions.filter((p) => p !== permission);
      else group[key] = [...(group[key] ?? []), structuredClone(permission)];
      break;
    }
  }
  return next;
}

/** The remediated form of a state: the default group's rules on a copy, members and references moved (I1: equal). */
function remediated(state: Ec2State): Ec2State {
  const defaultGroupId = defaultGroupOf(state);
  return expectedAfterRemediation(state, defaultGroupId, {
    GroupId: 'sg-0c0c0c0c0c0c0c0c0',
    GroupName: 'default-replacement',
    VpcId: state.SecurityGroups.find((g) => g.GroupId === defaultGroupId)?.VpcId,
    OwnerId: ACCOUNT,
    IpPermissions: [],
    IpPermissionsEgress: [],
  });
}

describe('compareTraffic — agrees with the pair table on generated states', () => {
  it('gives the verdict of flowsEqual(computeFlows(a), computeFlows(b)), and the same differences', () => {
    const verdicts = { equal: 0, different: 0 };
    fc.assert(
      fc.property(
        vpcStateArbitrary({ maxInterfaces: 14 }),
        fc.boolean(),
        perturbationArb,
        (state, remediate, change) => {
          const after = perturb(remediate ? remediated(state) : state, change);
          verdicts[expectAgreement(state, after) ? 'equal' : 'different']++;
        },
      ),
      { numRuns: 300 },
    );
    // Both verdicts are exercised in earnest.
    expect(verdicts.equal).toBeGreaterThan(50);
    expect(verdicts.different).toBeGreaterThan(50);
  });

  it('agrees on two unrelated states (interfaces in one only, different groups)', () => {
    fc.assert(
      fc.property(vpcStateArbitrary({ maxInterfaces: 8 }), vpcStateArbitrary({ maxInterfaces: 8 }), (a, b) => {
        expectAgreement(a, b);
      }),
      { numRuns: 100 },
    );
  });
});

describe('compareTraffic — at a size the pair table cannot reach', () => {
  it('compares 12,000 interfaces (1.4 × 10⁸ pairs) by their classes, and finds a revoked rule of the copy', () => {
    const before = generateVpc({ interfaces: 12_000, references: 200 });
    const after = remediated(before);
    const same = compareTraffic(before, after);
    expect(same).toMatchObject({ equal: true, differences: [], interfaces: 12_000 });
    expect(same.classes.sources * same.classes.destinations).toBeLessThan(400);
    // Someone revokes the copy's outbound rule: its members lose what they sent to each other and outside.
    const copy = after.SecurityGroups.find((g) => g.GroupId === 'sg-0c0c0c0c0c0c0c0c0') as SecurityGroup;
    copy.IpPermissionsEgress = [];
    const changed = compareTraffic(before, after);
    expect(changed.equal).toBe(false);
    expect(changed.differences.length).toBeGreaterThan(0);
    expect(changed.differences[0]).toMatch(
      /^eni-\w+ → eni-\w+ \(and \d+ more pairs alike\): .* allowed before, denied after$/,
    );
  });
});
