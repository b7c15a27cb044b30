/**
 * Rule algebra over EC2 IpPermissions. An IpPermission bundles one protocol/port range with many peers; EC2 itself
 * stores and counts one rule per peer (each with its own `sgr-` id and description), so the core works on single
 * rules and folds them back into IpPermissions only for API calls.
 */
import type { IpPermission, UserIdGroupPair } from './ec2-shapes.ts';

export type Direction = 'ingress' | 'egress';

export type Peer =
  | { kind: 'cidr4'; cidr: string }
  | { kind: 'cidr6'; cidr: string }
  | { kind: 'prefix-list'; prefixListId: string }
  | { kind: 'group'; groupId: string; userId?: string; vpcId?: string; vpcPeeringConnectionId?: string };

export interface Rule {
  direction: Direction;
  /** `-1` (all), `tcp`, `udp`, `icmp`, `icmpv6`, or another IP protocol number as a string. */
  protocol: string;
  /** tcp/udp: first port; icmp/icmpv6: type (-1 = all). Absent where the protocol has no ports. */
  fromPort?: number;
  /** tcp/udp: last port; icmp/icmpv6: code (-1 = all). */
  toPort?: number;
  peer: Peer;
  description?: string;
}

const PROTOCOL_NAMES: Record<string, string> = {
  '-1': '-1',
  all: '-1',
  '6': 'tcp',
  tcp: 'tcp',
  '17': 'udp',
  udp: 'udp',
  '1': 'icmp',
  icmp: 'icmp',
  '58': 'icmpv6',
  icmpv6: 'icmpv6',
};

/** Canonical protocol spelling: EC2 accepts `tcp` or `6` and answers with names for tcp/udp/icmp/icmpv6. */
export function normalizeProtocol(protocol: string | undefined): string {
  const raw = String(protocol ?? '-1')
    .trim()
    .toLowerCase();
  return PROTOCOL_NAMES[raw] ?? String(Number.parseInt(raw, 10));
}

/** Whether the protocol's rules carry ports (tcp/udp) or type/code (icmp/icmpv6). Other protocols cover all traffic. */
export function protocolHasPorts(protocol: string): boolean {
  return protocol === 'tcp' || protocol === 'udp' || protocol === 'icmp' || protocol === 'icmpv6';
}

function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Splits IpPermissions into single rules, one per peer, each keeping its own description. */
export function explode(permissions: readonly IpPermission[] | undefined, direction: Direction): Rule[] {
  const rules: Rule[] = [];
  for (const permission of permissions ?? []) {
    const protocol = normalizeProtocol(permission.IpProtocol);
    const ports = protocolHasPorts(protocol) ? { fromPort: permission.FromPort, toPort: permission.ToPort } : {};
    const base = { direction, protocol, ...ports };
    for (const range of permission.IpRanges ?? []) {
      if (range.CidrIp)
        rules.push(clean({ ...base, peer: { kind: 'cidr4', cidr: range.CidrIp }, description: range.Description }));
    }
    for (const range of permission.Ipv6Ranges ?? []) {
      if (range.CidrIpv6)
        rules.push(
          clean({
            ...base,
            peer: { kind: 'cidr6', cidr: range.CidrIpv6.toLowerCase() },
            description: range.Description,
          }),
        );
    }
    for (const list of permission.PrefixListIds ?? []) {
      if (list.PrefixListId)
        rules.push(
          clean({
            ...base,
            peer: { kind: 'prefix-list', prefixListId: list.PrefixListId },
            description: list.Description,
          }),
        );
    }
    for (const pair of permission.UserIdGroupPairs ?? []) {
      if (pair.GroupId) rules.push(clean({ ...base, peer: groupPeer(pair) as Peer, description: pair.Description }));
    }
  }
  return rules;
}

function groupPeer(pair: UserIdGroupPair): Peer {
  return clean({
    kind: 'group' as const,
    groupId: pair.GroupId ?? '',
    userId: pair.UserId,
    vpcId: pair.VpcId,
    vpcPeeringConnectionId: pair.VpcPeeringConnectionId,
  });
}

export function peerKey(peer: Peer): string {
  switch (peer.kind) {
    case 'cidr4':
      return `cidr4:${peer.cidr}`;
    case 'cidr6':
      return `cidr6:${peer.cidr.toLowerCase()}`;
    case 'prefix-list':
      return `pl:${peer.prefixListId}`;
    case 'group':
      return `sg:${peer.groupId}`;
  }
}

/** Identity of a rule as EC2 sees it: direction, protocol, ports and peer. Descriptions are not part of it. */
export function ruleKey(rule: Rule): string {
  const ports = protocolHasPorts(rule.protocol) ? `${rule.fromPort ?? ''}-${rule.toPort ?? ''}` : '';
  return `${rule.direction}|${rule.protocol}|${ports}|${peerKey(rule.peer)}`;
}

/** One rule as the single-peer IpPermission the Authorize/Revoke calls take. */
export function toIpPermission(rule: Rule): IpPermission {
  return implode([rule])[0] as IpPermission;
}

/** Folds single rules back into as few IpPermissions as possible (one per protocol and port range). */
export function implode(rules: readonly Rule[]): IpPermission[] {
  const byRange = new Map<string, IpPermission>();
  for (const rule of rules) {
    const rangeKey = `${rule.protocol}|${rule.fromPort ?? ''}|${rule.toPort ?? ''}`;
    let permission = byRange.get(rangeKey);
    if (!permission) {
      permission = clean({
        IpProtocol: rule.protocol,
        FromPort: protocolHasPorts(rule.protocol) ? rule.fromPort : undefined,
        ToPort: protocolHasPorts(rule.protocol) ? rule.toPort : undefined,
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [],
      });
      byRange.set(rangeKey, permission);
    }
    const description = rule.description;
    const peer = rule.peer;
    if (peer.kind === 'cidr4') permission.IpRanges?.push(clean({ CidrIp: peer.cidr, Description: description }));
    else if (peer.kind === 'cidr6')
      permission.Ipv6Ranges?.push(clean({ CidrIpv6: peer.cidr, Description: description }));
    else if (peer.kind === 'prefix-list')
      permission.PrefixListIds?.push(clean({ PrefixListId: peer.prefixListId, Description: description }));
    else
      permission.UserIdGroupPairs?.push(
        clean({
          GroupId: peer.groupId,
          UserId: peer.userId,
          VpcId: peer.vpcId,
          VpcPeeringConnectionId: peer.vpcPeeringConnectionId,
          Description: description,
        }),
      );
  }
  return [...byRange.values()];
}

export function referencesGroup(rule: Rule, groupId: string): boolean {
  return rule.peer.kind === 'group' && rule.peer.groupId === groupId;
}

/** The same rule pointing at `toGroupId` where it pointed at `fromGroupId` (description and peering kept). */
export function retarget(rule: Rule, fromGroupId: string, toGroupId: string): Rule {
  if (!referencesGroup(rule, fromGroupId)) return rule;
  return { ...rule, peer: { ...(rule.peer as Extract<Peer, { kind: 'group' }>), groupId: toGroupId } };
}

/** Rules of `a` whose key is not in `b`. */
export function minus(a: readonly Rule[], b: readonly Rule[]): Rule[] {
  const keys = new Set(b.map(ruleKey));
  return a.filter((rule) => !keys.has(ruleKey(rule)));
}

/** Removes rules with the same key, keeping the first. */
export function dedupe(rules: readonly Rule[]): Rule[] {
  const seen = new Set<string>();
  return rules.filter((rule) => {
    const key = ruleKey(rule);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Rules present in both with a different description: [current, wanted]. */
export function descriptionChanges(current: readonly Rule[], wanted: readonly Rule[]): Rule[] {
  const byKey = new Map(current.map((rule) => [ruleKey(rule), rule]));
  return wanted.filter((rule) => {
    const existing = byKey.get(ruleKey(rule));
    return existing !== undefined && (existing.description ?? '') !== (rule.description ?? '');
  });
}

/** All rules of a security group, ingress then egress. */
export function rulesOf(group: { IpPermissions?: IpPermission[]; IpPermissionsEgress?: IpPermission[] }): Rule[] {
  return [...explode(group.IpPermissions, 'ingress'), ...explode(group.IpPermissionsEgress, 'egress')];
}
