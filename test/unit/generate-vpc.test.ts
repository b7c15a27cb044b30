import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ec2State, IpPermission, SecurityGroup, UserIdGroupPair } from '../../handlers/core/ec2-shapes.ts';
import {
  checkState,
  DEFAULT_GROUP_NAME,
  defaultGroupOf,
  generateVpc,
  REFERENCES_PER_GROUP_DIRECTION,
  vpcStateArbitrary,
} from '../support/generate-vpc.ts';

const STATES_DIR = new URL('../fixtures/states/', import.meta.url);

type Direction = 'ingress' | 'egress';
interface Reference {
  group: SecurityGroup;
  direction: Direction;
  permission: IpPermission;
  pair: UserIdGroupPair;
}

function permissionsOf(group: SecurityGroup): [Direction, IpPermission][] {
  return [
    ...(group.IpPermissions ?? []).map((p): [Direction, IpPermission] => ['ingress', p]),
    ...(group.IpPermissionsEgress ?? []).map((p): [Direction, IpPermission] => ['egress', p]),
  ];
}

/** Rules of other groups that reference `groupId` (the group's own self references excluded). */
function referencesTo(state: Ec2State, groupId: string): Reference[] {
  const found: Reference[] = [];
  for (const group of state.SecurityGroups) {
    if (group.GroupId === groupId) continue;
    for (const [direction, permission] of permissionsOf(group))
      for (const pair of permission.UserIdGroupPairs ?? [])
        if (pair.GroupId === groupId) found.push({ group, direction, permission, pair });
  }
  return found;
}

function membersOf(state: Ec2State, groupId: string) {
  return state.NetworkInterfaces.filter((eni) => eni.Groups?.some((g) => g.GroupId === groupId));
}

function groupById(state: Ec2State, groupId: string): SecurityGroup {
  const group = state.SecurityGroups.find((g) => g.GroupId === groupId);
  if (!group) throw new Error(`no group ${groupId}`);
  return group;
}

function ruleCount(permissions: IpPermission[] | undefined): { v4: number; v6: number } {
  let v4 = 0;
  let v6 = 0;
  for (const p of permissions ?? []) {
    const both = (p.PrefixListIds?.length ?? 0) + (p.UserIdGroupPairs?.length ?? 0);
    v4 += (p.IpRanges?.length ?? 0) + both;
    v6 += (p.Ipv6Ranges?.length ?? 0) + both;
  }
  return { v4, v6 };
}

function hasRules(group: SecurityGroup): boolean {
  return (group.IpPermissions?.length ?? 0) + (group.IpPermissionsEgress?.length ?? 0) > 0;
}

describe('vpcStateArbitrary', () => {
  it('produces consistent, quota-safe states', () => {
    fc.assert(
      fc.property(vpcStateArbitrary(), (state) => {
        expect(checkState(state)).toEqual([]);
        const target = defaultGroupOf(state);
        expect(state.SecurityGroups[0]?.GroupId).toBe(target);
        expect(state.SecurityGroups[0]?.GroupName).toBe(DEFAULT_GROUP_NAME);
        expect(new Set(state.SecurityGroups.map((g) => g.VpcId)).size).toBeLessThanOrEqual(2);
        expect(new Set(state.SecurityGroups.map((g) => g.OwnerId))).toEqual(new Set(['111122223333']));
        expect(state.SecurityGroups.length).toBeLessThanOrEqual(2 + 5);
        expect(state.NetworkInterfaces.length).toBeLessThanOrEqual(12);
        for (const group of state.SecurityGroups) {
          for (const permissions of [group.IpPermissions, group.IpPermissionsEgress]) {
            const { v4, v6 } = ruleCount(permissions);
            expect(v4).toBeLessThan(25);
            expect(v6).toBeLessThan(25);
          }
        }
        for (const eni of state.NetworkInterfaces) {
          expect(eni.RequesterManaged).toBe(false);
          expect(eni.InterfaceType).toBe('interface');
          expect(eni.Groups?.length).toBeGreaterThanOrEqual(1);
          expect(eni.Groups?.length).toBeLessThanOrEqual(4);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('covers the cases the workflow has to handle', () => {
    const seen = {
      oneVpc: 0,
      twoVpcs: 0,
      defaultWithoutRules: 0,
      usualDefault: 0,
      defaultInUse: 0,
      defaultUnused: 0,
      ingressReference: 0,
      egressReference: 0,
      peeredReference: 0,
      mixedPermission: 0,
      describedReference: 0,
      defaultReferencesOther: 0,
      ipv6Interface: 0,
      noInterfaces: 0,
      icmp: 0,
    };
    for (const state of fc.sample(vpcStateArbitrary(), { numRuns: 300, seed: 20240607 })) {
      const target = defaultGroupOf(state);
      const defaultGroup = groupById(state, target);
      const vpcs = new Set(state.SecurityGroups.map((g) => g.VpcId)).size;
      if (vpcs === 1) seen.oneVpc++;
      else seen.twoVpcs++;
      if (!hasRules(defaultGroup)) seen.defaultWithoutRules++;
      const ingress = defaultGroup.IpPermissions ?? [];
      if (
        ingress.length === 1 &&
        ingress[0]?.IpProtocol === '-1' &&
        ingress[0].UserIdGroupPairs?.[0]?.GroupId === target &&
        defaultGroup.IpPermissionsEgress?.[0]?.IpRanges?.[0]?.CidrIp === '0.0.0.0/0'
      )
        seen.usualDefault++;
      if (membersOf(state, target).length > 0) seen.defaultInUse++;
      else seen.defaultUnused++;
      const references = referencesTo(state, target);
      if (references.some((r) => r.direction === 'ingress')) seen.ingressReference++;
      if (references.some((r) => r.direction === 'egress')) seen.egressReference++;
      if (references.some((r) => r.pair.VpcPeeringConnectionId)) seen.peeredReference++;
      if (references.some((r) => (r.permission.IpRanges?.length ?? 0) + (r.permission.Ipv6Ranges?.length ?? 0) > 0))
        seen.mixedPermission++;
      if (references.some((r) => r.pair.Description)) seen.describedReference++;
      if (permissionsOf(defaultGroup).some(([, p]) => p.UserIdGroupPairs?.some((pair) => pair.GroupId !== target)))
        seen.defaultReferencesOther++;
      if (state.NetworkInterfaces.some((eni) => (eni.Ipv6Addresses?.length ?? 0) > 0)) seen.ipv6Interface++;
      if (state.NetworkInterfaces.length === 0) seen.noInterfaces++;
      if (state.SecurityGroups.some((g) => permissionsOf(g).some(([, p]) => p.IpProtocol === 'icmp'))) seen.icmp++;
    }
    for (const [feature, count] of Object.entries(seen)) expect({ feature, count }).not.toEqual({ feature, count: 0 });
  });
});

describe('checkState', () => {
  const valid = (): Ec2State => JSON.parse(readFileSync(new URL('busy.state.json', STATES_DIR), 'utf8')) as Ec2State;

  it('accepts a valid state and reports broken ones', () => {
    expect(checkState(valid())).toEqual([]);
    const breakages: [string, (state: Ec2State) => void][] = [
      [
        'dangling reference',
        (s) => {
          const pair = s.SecurityGroups[1]?.IpPermissions?.[0]?.UserIdGroupPairs?.[0];
          if (pair) pair.GroupId = 'sg-0123456789abcdef0';
        },
      ],
      [
        'duplicate interface id',
        (s) => {
          const [a, b] = s.NetworkInterfaces;
          if (a && b) b.NetworkInterfaceId = a.NetworkInterfaceId;
        },
      ],
      [
        'six groups on one interface',
        (s) => {
          const eni = s.NetworkInterfaces[0];
          if (eni)
            eni.Groups = s.SecurityGroups.slice(0, 6).map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName }));
        },
      ],
      ['malformed id', (s) => Object.assign(s.SecurityGroups[0] ?? {}, { GroupId: 'sg-123' })],
      [
        'address outside the VPC',
        (s) => {
          const eni = s.NetworkInterfaces[0];
          if (eni) {
            eni.PrivateIpAddress = '192.168.1.1';
            eni.PrivateIpAddresses = [{ Primary: true, PrivateIpAddress: '192.168.1.1' }];
          }
        },
      ],
      [
        'too many rules',
        (s) => {
          s.SecurityGroups[1]?.IpPermissions?.push({
            IpProtocol: 'tcp',
            FromPort: 1,
            ToPort: 1,
            IpRanges: Array.from({ length: 61 }, (_, i) => ({ CidrIp: `198.51.100.${i}/32` })),
            Ipv6Ranges: [],
            PrefixListIds: [],
            UserIdGroupPairs: [],
          });
        },
      ],
      [
        'an interface on a group of another account',
        (s) => Object.assign(s.NetworkInterfaces[0] ?? {}, { OwnerId: '444455556666' }),
      ],
      [
        'an EFA-only interface with an IP address',
        (s) => Object.assign(s.NetworkInterfaces[0] ?? {}, { InterfaceType: 'efa-only' }),
      ],
      [
        'unmerged permissions',
        (s) => s.SecurityGroups[0]?.IpPermissions?.push(structuredClone(s.SecurityGroups[0]?.IpPermissions?.[0] ?? {})),
      ],
    ];
    for (const [name, breakIt] of breakages) {
      const state = valid();
      breakIt(state);
      expect({ name, problems: checkState(state).length > 0 }).toEqual({ name, problems: true });
    }
  });
});

describe('generateVpc', () => {
  it('is deterministic for a seed', () => {
    const a = generateVpc({ interfaces: 300, seed: 7 });
    expect(generateVpc({ interfaces: 300, seed: 7 })).toEqual(a);
    expect(generateVpc({ interfaces: 300, seed: 8 })).not.toEqual(a);
  });

  it('puts every interface on the default group and spreads the references under the quota', () => {
    for (const [interfaces, references, expected] of [
      [0, undefined, 0],
      [1, undefined, 1],
      [250, undefined, 25],
      [100, 400, 400],
      [50, 0, 0],
    ] as const) {
      const state = generateVpc({ interfaces, seed: 3, ...(references === undefined ? {} : { references }) });
      expect(checkState(state)).toEqual([]);
      const target = defaultGroupOf(state);
      expect(state.SecurityGroups[0]?.GroupId).toBe(target);
      expect(state.NetworkInterfaces).toHaveLength(interfaces);
      expect(membersOf(state, target)).toHaveLength(interfaces);
      const found = referencesTo(state, target);
      expect(found).toHaveLength(expected);
      if (expected > 1) expect(new Set(found.map((r) => r.direction))).toEqual(new Set(['ingress', 'egress']));
      for (const group of state.SecurityGroups) {
        for (const direction of ['ingress', 'egress'] as const) {
          const refs = found.filter((r) => r.group === group && r.direction === direction).length;
          expect(refs).toBeLessThanOrEqual(REFERENCES_PER_GROUP_DIRECTION);
          const permissions = direction === 'ingress' ? group.IpPermissions : group.IpPermissionsEgress;
          // Room for a twin of every reference: the generated state stays remediable.
          expect(ruleCount(permissions).v4 + refs).toBeLessThanOrEqual(60);
        }
      }
    }
  });

  it('spreads interfaces over subnets', () => {
    const state = generateVpc({ interfaces: 3000, seed: 1 });
    const subnets = new Set(state.NetworkInterfaces.map((eni) => eni.SubnetId));
    expect(subnets.size).toBeGreaterThanOrEqual(2);
  });

  it('generates 10,000 interfaces quickly', () => {
    const started = performance.now();
    const state = generateVpc({ interfaces: 10_000, seed: 42 });
    const elapsed = performance.now() - started;
    console.log(
      `generateVpc: 10,000 interfaces, ${referencesTo(state, defaultGroupOf(state)).length} references, ` +
        `${state.SecurityGroups.length} groups in ${elapsed.toFixed(0)} ms`,
    );
    expect(state.NetworkInterfaces).toHaveLength(10_000);
    expect(elapsed).toBeLessThan(2000);
    expect(checkState(state)).toEqual([]);
  });
});

const SCENARIOS: Record<string, (state: Ec2State, target: string) => void> = {
  'empty-default': (state, target) => {
    const group = groupById(state, target);
    expect(group.IpPermissions?.[0]?.UserIdGroupPairs?.[0]?.GroupId).toBe(target);
    expect(group.IpPermissionsEgress?.[0]?.IpRanges?.[0]?.CidrIp).toBe('0.0.0.0/0');
    expect(membersOf(state, target)).toHaveLength(0);
    expect(referencesTo(state, target)).toHaveLength(0);
    expect(state.NetworkInterfaces.length).toBeGreaterThan(0);
    expect(state.SecurityGroups.length).toBeGreaterThan(1);
  },
  compliant: (state, target) => {
    expect(hasRules(groupById(state, target))).toBe(false);
  },
  'requester-managed': (state, target) => {
    const members = membersOf(state, target);
    expect(members.map((eni) => [eni.InterfaceType, eni.RequesterManaged, eni.RequesterId ?? null])).toEqual([
      ['interface', false, null],
      ['lambda', true, 'AROAEXAMPLE:lambda'],
      ['interface', true, 'amazon-rds'],
    ]);
    expect(members[1]?.Description).toMatch(/^AWS Lambda VPC ENI-my-function-/);
    expect(members[2]?.Description).toBe('RDSNetworkInterface');
  },
  'managed-services': (state, target) => {
    const members = membersOf(state, target);
    // Two EC2 instances, and nine requester-managed interfaces of six owners moved through their services.
    expect(members.filter((eni) => !eni.RequesterManaged)).toHaveLength(2);
    expect(members.filter((eni) => eni.RequesterManaged)).toHaveLength(9);
    const records = state as unknown as Record<string, unknown[]>;
    for (const key of ['Functions', 'DBInstances', 'LoadBalancers', 'MountTargets', 'VpcEndpoints', 'CacheClusters'])
      expect(records[key]?.length, key).toBeGreaterThan(0);
    // reporting's outbound 5432 (the default group's own self-reference is not counted here).
    expect(referencesTo(state, target)).toHaveLength(1);
  },
  'peered-vpc': (state, target) => {
    const peered = referencesTo(state, target).filter((r) => r.pair.VpcPeeringConnectionId);
    expect(peered).toHaveLength(1);
    expect(peered[0]?.group.VpcId).not.toBe(groupById(state, target).VpcId);
    expect(peered[0]?.group.OwnerId).toBe('111122223333');
    expect(peered[0]?.pair.VpcPeeringConnectionId).toMatch(/^pcx-[0-9a-f]{17}$/);
    expect(new Set(state.NetworkInterfaces.map((eni) => eni.VpcId)).size).toBe(2);
    expect(membersOf(state, target).length).toBeGreaterThan(0);
  },
  'peered-cross-account': (state, target) => {
    const peered = referencesTo(state, target).filter((r) => r.pair.VpcPeeringConnectionId);
    expect(peered).toHaveLength(1);
    expect(peered[0]?.group.OwnerId).toBe('444455556666');
    expect(peered[0]?.pair.UserId).toBe('111122223333');
    expect(membersOf(state, target).length).toBeGreaterThan(0);
  },
  'mixed-permission': (state, target) => {
    const [reference] = referencesTo(state, target);
    const permission = reference?.permission;
    for (const list of [
      permission?.IpRanges,
      permission?.Ipv6Ranges,
      permission?.PrefixListIds,
      permission?.UserIdGroupPairs,
    ]) {
      expect(list).toHaveLength(1);
      expect(list?.[0]?.Description).toBeTruthy();
    }
    const own = groupById(state, target).IpPermissions?.find((p) => p.UserIdGroupPairs?.length);
    expect(own?.UserIdGroupPairs?.[0]?.GroupId).toBe(target);
    expect(own?.IpRanges?.[0]?.Description).toBeTruthy();
    expect(own?.UserIdGroupPairs?.[0]?.Description).toBeTruthy();
  },
  'egress-references': (state, target) => {
    const egress = referencesTo(state, target).filter((r) => r.direction === 'egress');
    expect(egress.map((r) => r.permission.IpProtocol).sort()).toEqual(['-1', 'tcp']);
    expect(egress.find((r) => r.permission.IpProtocol === 'tcp')?.permission.FromPort).toBe(5432);
    const own = (groupById(state, target).IpPermissionsEgress ?? []).flatMap((p) => p.UserIdGroupPairs ?? []);
    expect(own.some((pair) => pair.GroupId === target)).toBe(true);
    expect(own.some((pair) => pair.GroupId !== target)).toBe(true);
  },
  'five-groups': (state, target) => {
    const full = membersOf(state, target).filter((eni) => eni.Groups?.length === 5);
    expect(full).toHaveLength(1);
  },
  ipv6: (state, target) => {
    const group = groupById(state, target);
    const egress = group.IpPermissionsEgress?.[0];
    expect(egress?.IpRanges?.[0]?.CidrIp).toBe('0.0.0.0/0');
    expect(egress?.Ipv6Ranges?.[0]?.CidrIpv6).toBe('::/0');
    expect(group.IpPermissions?.some((p) => p.Ipv6Ranges?.length)).toBe(true);
    expect(group.IpPermissions?.some((p) => p.UserIdGroupPairs?.[0]?.GroupId === target)).toBe(true);
    expect(membersOf(state, target).every((eni) => (eni.Ipv6Addresses?.length ?? 0) > 0)).toBe(true);
  },
  busy: (state, target) => {
    const members = membersOf(state, target);
    expect(members).toHaveLength(40);
    expect(members.filter((eni) => (eni.Groups?.length ?? 0) > 1).length).toBeGreaterThan(0);
    const references = referencesTo(state, target);
    expect(new Set(references.map((r) => r.group.GroupId)).size).toBe(6);
    expect(new Set(references.map((r) => r.direction))).toEqual(new Set(['ingress', 'egress']));
    expect(references.every((r) => r.pair.Description)).toBe(true);
  },
  'near-quota': (state, target) => {
    const [reference, ...others] = referencesTo(state, target);
    expect(others).toHaveLength(0);
    expect(reference?.direction).toBe('ingress');
    expect(ruleCount(reference?.group.IpPermissions).v4).toBe(60);
    expect(membersOf(state, target).length).toBeGreaterThan(0);
  },
  'peered-shared-participant': (state, target) => {
    // Our reporting group and a participant's group, both in the peered VPC, reference the default group.
    const peered = referencesTo(state, target).filter((r) => r.pair.VpcPeeringConnectionId);
    expect(peered.map((r) => r.group.OwnerId).sort()).toEqual(['111122223333', '444455556666']);
    expect(new Set(peered.map((r) => r.group.VpcId)).size).toBe(1);
    const peerVpc = peered[0]?.group.VpcId;
    expect(
      groupById(
        state,
        state.SecurityGroups.find((g) => g.GroupName === 'default' && g.VpcId === peerVpc)?.GroupId ?? '',
      ).OwnerId,
    ).toBe('111122223333');
    expect(state.NetworkInterfaces.some((eni) => eni.VpcId === peerVpc && eni.OwnerId === '444455556666')).toBe(true);
    const connections = (state as unknown as { VpcPeeringConnections: { Status: { Code: string } }[] })
      .VpcPeeringConnections;
    expect(connections.map((c) => c.Status.Code)).toEqual(['active']);
    expect(membersOf(state, target).length).toBeGreaterThan(0);
  },
  'stale-default-rule': (state, target) => {
    const pairs = (groupById(state, target).IpPermissions ?? []).flatMap((p) => p.UserIdGroupPairs ?? []);
    const stale = pairs.filter((pair) => pair.PeeringStatus === 'deleted');
    expect(stale).toHaveLength(1);
    const connections = (
      state as unknown as { VpcPeeringConnections: { VpcPeeringConnectionId: string; Status: { Code: string } }[] }
    ).VpcPeeringConnections;
    expect(connections).toEqual([
      expect.objectContaining({
        VpcPeeringConnectionId: stale[0]?.VpcPeeringConnectionId,
        Status: expect.objectContaining({ Code: 'deleted' }),
      }),
    ]);
    expect(membersOf(state, target).length).toBeGreaterThan(0);
  },
  'efa-only': (state, target) => {
    const members = membersOf(state, target);
    expect(members.map((eni) => eni.InterfaceType).sort()).toEqual(['efa', 'efa-only', 'efa-only', 'interface']);
    for (const eni of members.filter((m) => m.InterfaceType === 'efa-only')) {
      expect(eni.PrivateIpAddress).toBeUndefined();
      expect(eni.RequesterManaged).toBe(false);
      expect(eni.Attachment?.InstanceId).toMatch(/^i-/);
    }
  },
  'orphaned-interface': (state, target) => {
    const orphans = membersOf(state, target).filter((eni) => eni.RequesterManaged);
    expect(orphans).toHaveLength(1);
    expect(orphans[0]?.Status).toBe('available');
    expect(orphans[0]?.Attachment).toBeUndefined();
    const functions = (state as unknown as { Functions: { FunctionName: string }[] }).Functions.map(
      (f) => f.FunctionName,
    );
    expect(orphans[0]?.Description).toMatch(/^AWS Lambda VPC ENI-nightly-report-/);
    expect(functions).not.toContain('nightly-report');
  },
};

describe('scenario state files', () => {
  const files = readdirSync(STATES_DIR).filter((name) => name.endsWith('.state.json'));
  const readme = readFileSync(new URL('README.md', STATES_DIR), 'utf8');

  it('has every scenario, each documented in the README', () => {
    expect(files.map((name) => name.replace('.state.json', '')).sort()).toEqual(Object.keys(SCENARIOS).sort());
    for (const name of files) expect(readme).toContain(`\`${name}\``);
  });

  it.each(files)('%s parses, is consistent and shows what it is meant to', (name) => {
    const state = JSON.parse(readFileSync(new URL(name, STATES_DIR), 'utf8')) as Ec2State;
    expect(checkState(state)).toEqual([]);
    const target = defaultGroupOf(state);
    const first = state.SecurityGroups[0];
    expect(first?.GroupId).toBe(target);
    expect(first?.Description).toBe('default VPC security group');
    expect(first?.OwnerId).toBe('111122223333');
    expect(first?.SecurityGroupArn).toBe(`arn:aws:ec2:us-east-1:111122223333:security-group/${target}`);
    SCENARIOS[name.replace('.state.json', '')]?.(state, target);
  });
});
