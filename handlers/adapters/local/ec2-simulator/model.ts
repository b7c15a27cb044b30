/**
 * The simulator's internal records and how they render back to EC2 shapes. EC2 stores one rule per peer, each with
 * its own `sgr-` id and description, and DescribeSecurityGroups folds them into one IpPermission per protocol and
 * port range (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html), which `renderPermissions`
 * reproduces.
 */
import type {
  IpPermission,
  NetworkInterface,
  SecurityGroup,
  SecurityGroupRule,
  Tag,
  UserIdGroupPair,
} from '../../../core/ec2-shapes.ts';
import { type Direction, normalizeProtocol, type Peer, protocolHasPorts, ruleKey } from '../../../core/rules.ts';

export interface StoredRule {
  id: string;
  direction: Direction;
  /** Canonical spelling (normalizeProtocol). */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  peer: Peer;
  description?: string;
  /** Pair fields EC2 answers that are not part of the rule's identity. */
  pairExtras?: { GroupName?: string; PeeringStatus?: string };
}

export type RuleDraft = Omit<StoredRule, 'id'>;

export interface StoredGroup {
  /** The object as loaded (unknown fields kept, in their order); managed fields are overwritten when rendering. */
  raw: Record<string, unknown>;
  GroupId: string;
  GroupName: string;
  Description: string;
  VpcId: string;
  OwnerId: string;
  SecurityGroupArn?: string;
  Tags?: Tag[];
  rules: StoredRule[];
}

export interface StoredInterface {
  raw: NetworkInterface & Record<string, unknown>;
  id: string;
  vpcId: string;
  /** Absent in the file: the simulated account. */
  ownerId: string | undefined;
  groupIds: string[];
}

export function keyOf(rule: RuleDraft): string {
  return ruleKey(rule);
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Splits IpPermissions into single-peer rule drafts (descriptions and pair extras kept). No validation. */
export function explodePermissions(
  permissions: readonly IpPermission[] | undefined,
  direction: Direction,
): RuleDraft[] {
  const drafts: RuleDraft[] = [];
  for (const permission of permissions ?? []) {
    const protocol = normalizeProtocol(permission.IpProtocol);
    // An icmpv6 rule without a range allows all types and codes: the same rule as -1/-1.
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html
    const allIcmpv6 = protocol === 'icmpv6' && permission.FromPort === undefined && permission.ToPort === undefined;
    const ports = allIcmpv6
      ? { fromPort: -1, toPort: -1 }
      : protocolHasPorts(protocol)
        ? { fromPort: permission.FromPort, toPort: permission.ToPort }
        : {};
    const base = { direction, protocol, ...ports };
    for (const range of permission.IpRanges ?? []) {
      drafts.push(
        defined({ ...base, peer: { kind: 'cidr4', cidr: range.CidrIp ?? '' }, description: range.Description }),
      );
    }
    for (const range of permission.Ipv6Ranges ?? []) {
      drafts.push(
        defined({
          ...base,
          peer: { kind: 'cidr6', cidr: (range.CidrIpv6 ?? '').toLowerCase() },
          description: range.Description,
        }),
      );
    }
    for (const list of permission.PrefixListIds ?? []) {
      drafts.push(
        defined({
          ...base,
          peer: { kind: 'prefix-list', prefixListId: list.PrefixListId ?? '' },
          description: list.Description,
        }),
      );
    }
    for (const pair of permission.UserIdGroupPairs ?? []) {
      const extras = defined({ GroupName: pair.GroupName, PeeringStatus: pair.PeeringStatus });
      drafts.push(
        defined({
          ...base,
          peer: defined({
            kind: 'group' as const,
            groupId: pair.GroupId ?? '',
            userId: pair.UserId,
            vpcId: pair.VpcId,
            vpcPeeringConnectionId: pair.VpcPeeringConnectionId,
          }),
          description: pair.Description,
          pairExtras: Object.keys(extras).length > 0 ? extras : undefined,
        }),
      );
    }
  }
  return drafts;
}

function renderPair(rule: RuleDraft): UserIdGroupPair {
  const peer = rule.peer as Extract<Peer, { kind: 'group' }>;
  return defined({
    GroupId: peer.groupId,
    UserId: peer.userId,
    GroupName: rule.pairExtras?.GroupName,
    VpcId: peer.vpcId,
    VpcPeeringConnectionId: peer.vpcPeeringConnectionId,
    PeeringStatus: rule.pairExtras?.PeeringStatus,
    Description: rule.description,
  });
}

/** Folds rules into IpPermissions as DescribeSecurityGroups answers them: one per protocol and port range, in order of first appearance, all four peer lists present. */
export function renderPermissions(rules: readonly RuleDraft[]): IpPermission[] {
  const byRange = new Map<
    string,
    Required<Pick<IpPermission, 'IpRanges' | 'Ipv6Ranges' | 'PrefixListIds' | 'UserIdGroupPairs'>> & IpPermission
  >();
  for (const rule of rules) {
    const rangeKey = `${rule.protocol}|${rule.fromPort ?? ''}|${rule.toPort ?? ''}`;
    let permission = byRange.get(rangeKey);
    if (!permission) {
      const hasPorts = protocolHasPorts(rule.protocol);
      permission = defined({
        IpProtocol: rule.protocol,
        FromPort: hasPorts ? rule.fromPort : undefined,
        ToPort: hasPorts ? rule.toPort : undefined,
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [],
      });
      byRange.set(rangeKey, permission);
    }
    const peer = rule.peer;
    if (peer.kind === 'cidr4') permission.IpRanges.push(defined({ CidrIp: peer.cidr, Description: rule.description }));
    else if (peer.kind === 'cidr6')
      permission.Ipv6Ranges.push(defined({ CidrIpv6: peer.cidr, Description: rule.description }));
    else if (peer.kind === 'prefix-list')
      permission.PrefixListIds.push(defined({ PrefixListId: peer.prefixListId, Description: rule.description }));
    else permission.UserIdGroupPairs.push(renderPair(rule));
  }
  return [...byRange.values()];
}

export function renderGroup(group: StoredGroup): SecurityGroup {
  const rendered: Record<string, unknown> = {
    ...group.raw,
    GroupId: group.GroupId,
    GroupName: group.GroupName,
    VpcId: group.VpcId,
    OwnerId: group.OwnerId,
    Description: group.Description,
    IpPermissions: renderPermissions(group.rules.filter((rule) => rule.direction === 'ingress')),
    IpPermissionsEgress: renderPermissions(group.rules.filter((rule) => rule.direction === 'egress')),
  };
  // Managed like the rules: a group loaded with tags whose tags were all deleted is described without them.
  if (group.Tags !== undefined) rendered.Tags = group.Tags;
  else delete rendered.Tags;
  if (group.SecurityGroupArn !== undefined) rendered.SecurityGroupArn = group.SecurityGroupArn;
  return structuredClone(rendered) as SecurityGroup;
}

export function renderInterface(
  eni: StoredInterface,
  groupName: (groupId: string) => string | undefined,
): NetworkInterface {
  return structuredClone({
    ...eni.raw,
    Groups: eni.groupIds.map((groupId) => defined({ GroupId: groupId, GroupName: groupName(groupId) })),
  });
}

/** One rule as DescribeSecurityGroupRules / Authorize* answer it. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRule.html */
export function renderRule(rule: StoredRule, group: StoredGroup, arn: (ruleId: string) => string): SecurityGroupRule {
  const hasPorts = protocolHasPorts(rule.protocol);
  const peer = rule.peer;
  return defined({
    SecurityGroupRuleId: rule.id,
    GroupId: group.GroupId,
    GroupOwnerId: group.OwnerId,
    IsEgress: rule.direction === 'egress',
    IpProtocol: rule.protocol,
    // EC2 answers -1/-1 for rules whose protocol has no ports.
    FromPort: hasPorts ? rule.fromPort : -1,
    ToPort: hasPorts ? rule.toPort : -1,
    CidrIpv4: peer.kind === 'cidr4' ? peer.cidr : undefined,
    CidrIpv6: peer.kind === 'cidr6' ? peer.cidr : undefined,
    PrefixListId: peer.kind === 'prefix-list' ? peer.prefixListId : undefined,
    ReferencedGroupInfo:
      peer.kind === 'group'
        ? defined({
            GroupId: peer.groupId,
            UserId: peer.userId,
            VpcId: peer.vpcId,
            VpcPeeringConnectionId: peer.vpcPeeringConnectionId,
            PeeringStatus: rule.pairExtras?.PeeringStatus,
          })
        : undefined,
    Description: rule.description,
    Tags: [],
    SecurityGroupRuleArn: arn(rule.id),
  });
}

/** How EC2 names a rule in InvalidPermission.Duplicate: `peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW`. */
export function describeForDuplicate(rule: RuleDraft): string {
  const peer = rule.peer;
  const target =
    peer.kind === 'cidr4' || peer.kind === 'cidr6'
      ? peer.cidr
      : peer.kind === 'prefix-list'
        ? peer.prefixListId
        : peer.groupId;
  const protocol = rule.protocol === '-1' ? 'ALL' : rule.protocol.toUpperCase();
  const ports = protocolHasPorts(rule.protocol) ? `, from port: ${rule.fromPort}, to port: ${rule.toPort}` : '';
  return `peer: ${target}, ${protocol}${ports}, ALLOW`;
}
