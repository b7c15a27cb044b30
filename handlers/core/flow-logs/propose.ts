/**
 * Least-privilege rules for a group (the remediation's copy) from what its members were seen doing in the flow logs'
 * window — CIS AWS 5.4's remediation ("create least privilege security groups … use VPC Flow Logs to learn which
 * ports are needed"). Pure: the state, the group and the observations in; the proposal out, the same for the same
 * inputs whatever the order the records were read in.
 *
 * - Security groups are stateful (replies are always allowed), so each connection needs one rule, on the side that
 *   opened it: an egress rule when a member opened it, an ingress rule when the peer did. A flow between two members
 *   needs both (the egress of one, the ingress of the other): both are proposed from either record.
 * - A peer that is an interface of the state becomes a group: the copy itself when the peer is a member, else the
 *   peer's first group (by id) that is not a VPC's `default` group (which the remediation empties); a peer with no
 *   such group stays an address.
 * - Other peers become CIDR blocks per direction, protocol and port: each address a /32 (/128), exact siblings merged;
 *   more than `MAX_BLOCKS_PER_PORT` of them, or more than the reader kept, widen to one block: 0.0.0.0/0 (::/0) when
 *   any is public — "egress to many internet destinations on tcp 443" is one rule —, else the smallest block holding
 *   them all.
 * - Ports seen next to each other (8080, 8081) become one range; nothing else is widened.
 * - Uncertain flows (neither tcp-flags nor the port pattern tells who opened, or a protocol without ports) are
 *   allowed both ways round and marked `uncertain`, so that the guarantee holds whichever side it was.
 */
import type { Ec2State, IpPermission } from '../ec2-shapes.ts';
import { parseCidr, parseIpv4, parseIpv6 } from '../reachability.ts';
import { dedupe, implode, type Peer, type Rule, ruleKey, rulesOf } from '../rules.ts';
import { type Evidence, type FlowBucket, isPrivateIpv4, type Observations } from './aggregate.ts';
import { createFlowLogsCommand } from './format.ts';

export const DEFAULT_WINDOW_DAYS = 30;
/** Under this many days of logs, the proposal warns that weekly or rarer traffic may be missing. */
export const MIN_COVERED_DAYS = 14;
/** More distinct outside addresses than this on one port widen to one block. */
export const MAX_BLOCKS_PER_PORT = 8;
/** EC2's default quota of inbound (outbound) rules per security group, per IP version. */
export const RULES_PER_DIRECTION_QUOTA = 60;

const DAY = 86400;
const CERTAINTY_ORDER: Record<Evidence, number> = { 'tcp-flags': 2, 'port pattern': 1, uncertain: 0 };
const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

export class ProposalInputError extends Error {
  override readonly name = 'ProposalInputError';
}

export interface ProposedRule {
  rule: Rule;
  /** How sure the opening side is: the best evidence among the flows behind the rule. */
  certainty: Evidence;
  /** Records behind the rule. */
  records: number;
}

export interface InterfaceClass {
  /** The groups every interface of the class is in (the copy among them), sorted. */
  groups: string[];
  interfaces: string[];
  /** Keys (`ruleKey`) of the proposed rules that this class's flows need. */
  needs: string[];
}

export interface WindowReport {
  /** The window asked for, ISO dates. */
  from: string;
  to: string;
  days: number;
  /** Days with at least one record (hours covered / 24, one decimal). */
  coveredDays: number;
  firstRecord?: string;
  lastRecord?: string;
  gaps: { from: string; to: string }[];
  skippedHours: number;
}

export interface Proposal {
  groupId: string;
  /** False when there is nothing to go on (no flow log records): the group is left as it is. */
  tighten: boolean;
  classes: InterfaceClass[];
  /** The group's rules after tightening, sorted by key, with why each is there. */
  rules: ProposedRule[];
  /** Rules to authorize (not on the group yet) and to revoke (on the group, not proposed). */
  add: Rule[];
  revoke: Rule[];
  window: WindowReport;
  warnings: string[];
  /** Counts from the reader, for the person: what was read and left out. */
  counts: Observations['counts'];
}

/** The members of `groupId` and their addresses: the scope to read the logs for. */
export function membersOf(state: Ec2State, groupId: string): Map<string, string[]> {
  if (!state.SecurityGroups.some((group) => group.GroupId === groupId))
    throw new ProposalInputError(`group ${groupId} is not in the state`);
  const members = new Map<string, string[]>();
  for (const eni of state.NetworkInterfaces) {
    if (!eni.NetworkInterfaceId || !(eni.Groups ?? []).some((group) => group.GroupId === groupId)) continue;
    members.set(eni.NetworkInterfaceId, addressesOf(eni));
  }
  return new Map([...members].sort(([a], [b]) => compare(a, b)));
}

function addressesOf(eni: Ec2State['NetworkInterfaces'][number]): string[] {
  const addresses = [
    eni.PrivateIpAddress,
    ...(eni.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress),
    eni.Ipv6Address,
    ...(eni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address),
  ].filter((a): a is string => !!a);
  return [...new Set(addresses.map((a) => (a.includes(':') ? a.toLowerCase() : a)))];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

interface ResolvedPeer {
  /** The group a rule names for the peer, when the peer is an interface with a usable group. */
  peer?: Peer;
  /** The groups of the interface with that address (empty for an outside address). */
  groups: readonly string[];
}

/** The peer a rule names for an address: a group when the address is an interface's (see the module comment). */
function peerResolver(state: Ec2State, groupId: string): (address: string) => ResolvedPeer {
  const defaults = new Set(
    state.SecurityGroups.filter((group) => group.GroupName === 'default').map((group) => group.GroupId),
  );
  const byAddress = new Map<string, ResolvedPeer>();
  for (const eni of state.NetworkInterfaces) {
    const groups = (eni.Groups ?? []).map((group) => group.GroupId).filter((id): id is string => !!id);
    const chosen = groups.includes(groupId) ? groupId : groups.filter((id) => !defaults.has(id)).sort(compare)[0];
    const resolved: ResolvedPeer =
      chosen === undefined ? { groups } : { peer: { kind: 'group', groupId: chosen }, groups };
    for (const address of addressesOf(eni)) if (!byAddress.has(address)) byAddress.set(address, resolved);
  }
  return (address) => byAddress.get(address.includes(':') ? address.toLowerCase() : address) ?? { groups: [] };
}

/**
 * Whether the group's current rules let this connection through in `direction`: the proposal only narrows. A
 * connection the group never allowed that way went through another of the interface's groups (which stays as it is),
 * or ran the other way round (an uncertain flow's wrong guess): the group needs no rule for it. Prefix lists are not
 * resolved, so a prefix-list rule counts as letting it through (the proposal then keeps the rule: never narrower
 * than the truth). `address` undefined: a peer summarised past the reader's cap, matched by any CIDR rule.
 */
function currentlyAllowed(
  current: readonly Rule[],
  need: Pick<Need, 'direction' | 'protocol' | 'port'>,
  address: string | undefined,
  groups: readonly string[],
): boolean {
  const name = PROTOCOL_NAMES[need.protocol] ?? String(need.protocol);
  return current.some((rule) => {
    if (rule.direction !== need.direction) return false;
    if (rule.protocol !== '-1' && rule.protocol !== name) return false;
    if ((name === 'tcp' || name === 'udp') && rule.protocol !== '-1') {
      const from = rule.fromPort === undefined || rule.fromPort < 0 ? 0 : rule.fromPort;
      const to = rule.toPort === undefined || rule.toPort < 0 ? 65535 : rule.toPort;
      if (need.port < from || need.port > to) return false;
    }
    const peer = rule.peer;
    if (peer.kind === 'prefix-list') return true;
    if (peer.kind === 'group') return groups.includes(peer.groupId);
    if (address === undefined) return true;
    const v6 = address.includes(':');
    if (v6 !== (peer.kind === 'cidr6')) return false;
    const block = parseCidr(peer.cidr, v6 ? 6 : 4);
    const point = v6 ? parseIpv6(address) : parseIpv4(address);
    return block !== undefined && point !== undefined && point >= block.first && point <= block.last;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses and blocks

function ipv4Value(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function ipv4Text(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** Blocks as [network, length]; exact siblings merged into their parent, repeatedly. */
function mergeSiblings(blocks: [number, number][]): [number, number][] {
  let current = [...new Map(blocks.map((b) => [`${b[0]}/${b[1]}`, b])).values()];
  for (let changed = true; changed; ) {
    changed = false;
    const keys = new Set(current.map(([n, l]) => `${n}/${l}`));
    const next: [number, number][] = [];
    const used = new Set<string>();
    for (const [network, length] of current) {
      const key = `${network}/${length}`;
      if (used.has(key)) continue;
      if (length > 0) {
        const size = 2 ** (32 - length);
        const sibling = network % (size * 2) === 0 ? network + size : network - size;
        const siblingKey = `${sibling}/${length}`;
        if (keys.has(siblingKey) && !used.has(siblingKey)) {
          used.add(key).add(siblingKey);
          next.push([Math.min(network, sibling), length - 1]);
          changed = true;
          continue;
        }
      }
      used.add(key);
      next.push([network, length]);
    }
    current = next;
  }
  return current.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** The smallest block holding every address. */
function commonBlock(values: readonly number[]): [number, number] {
  let length = 32;
  const first = values[0] as number;
  while (
    length > 0 &&
    values.some((v) => Math.floor(v / 2 ** (32 - length)) !== Math.floor(first / 2 ** (32 - length)))
  )
    length--;
  const size = 2 ** (32 - length);
  return [Math.floor(first / size) * size, length];
}

interface OutsidePeers {
  v4: Set<number>;
  v6: Set<string>;
  /** Peers the reader summarised (past its cap). */
  overflow: { public4: boolean; public6: boolean; private4?: [number, number]; private6: boolean };
}

/** The CIDR blocks for a set of outside addresses on one port (see the module comment). */
function blocksFor(peers: OutsidePeers): Peer[] {
  const out: Peer[] = [];
  const v4 = [...peers.v4].sort((a, b) => a - b);
  if (v4.length > 0 || peers.overflow.public4 || peers.overflow.private4) {
    const anyPublic = peers.overflow.public4 || v4.some((v) => !isPrivateIpv4(v));
    const widen = v4.length > MAX_BLOCKS_PER_PORT || peers.overflow.public4 || peers.overflow.private4 !== undefined;
    let blocks: [number, number][];
    if (!widen) blocks = mergeSiblings(v4.map((v) => [v, 32]));
    else if (anyPublic) blocks = [[0, 0]];
    else {
      const [network, length] = peers.overflow.private4 ?? [v4[0] as number, 32];
      const edges = [network, network + 2 ** (32 - length) - 1, ...v4];
      blocks = [commonBlock(edges)];
    }
    for (const [network, length] of blocks) out.push({ kind: 'cidr4', cidr: `${ipv4Text(network)}/${length}` });
  }
  const v6 = [...peers.v6].sort(compare);
  if (peers.overflow.public6 || peers.overflow.private6 || v6.length > MAX_BLOCKS_PER_PORT)
    out.push({ kind: 'cidr6', cidr: '::/0' });
  else for (const address of v6) out.push({ kind: 'cidr6', cidr: `${address}/128` });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The proposal

interface Need {
  direction: 'ingress' | 'egress';
  protocol: number;
  port: number;
  certainty: Evidence;
  records: number;
  interfaceId: string;
}

function ruleOf(need: Pick<Need, 'direction' | 'protocol' | 'port'>, peer: Peer, fromPort?: number): Rule {
  const protocol = PROTOCOL_NAMES[need.protocol] ?? String(need.protocol);
  const ports =
    protocol === 'tcp' || protocol === 'udp'
      ? { fromPort: fromPort ?? need.port, toPort: need.port }
      : protocol === 'icmp' || protocol === 'icmpv6'
        ? { fromPort: -1, toPort: -1 }
        : {};
  return { direction: need.direction, protocol, ...ports, peer };
}

/** The needs one bucket stands for: its own orientation, and the reverse when uncertain. */
function needsOf(bucket: FlowBucket): Need[] {
  const records = bucket.evidence['tcp-flags'] + bucket.evidence['port pattern'] + bucket.evidence.uncertain;
  const certainty: Evidence =
    bucket.evidence['tcp-flags'] > 0 ? 'tcp-flags' : bucket.evidence['port pattern'] > 0 ? 'port pattern' : 'uncertain';
  const direction = bucket.opener === 'local' ? 'egress' : 'ingress';
  const base = { protocol: bucket.protocol, records, interfaceId: bucket.interfaceId };
  const needs: Need[] = [{ ...base, direction, port: bucket.port, certainty }];
  if (certainty === 'uncertain') {
    const reverse = direction === 'egress' ? 'ingress' : 'egress';
    needs.push({ ...base, direction: reverse, port: bucket.otherPort, certainty });
  }
  return needs;
}

export interface ProposeOptions {
  /** The VPC's id, for the command that turns flow logs on (read from the group when absent). */
  vpcId?: string;
}

export function propose(
  state: Ec2State,
  groupId: string,
  observations: Observations,
  options: ProposeOptions = {},
): Proposal {
  const members = membersOf(state, groupId);
  const group = state.SecurityGroups.find((g) => g.GroupId === groupId);
  const resolve = peerResolver(state, groupId);
  const current = dedupe(rulesOf(group ?? {}));
  const proposed = new Map<string, ProposedRule>();
  const outside = new Map<string, { need: Need; peers: OutsidePeers; interfaces: Set<string> }>();

  const needsByInterface = new Map<string, Rule[]>();
  const addRule = (rule: Rule, need: Need, interfaces: Iterable<string> = [need.interfaceId]) => {
    const key = ruleKey(rule);
    const known = proposed.get(key);
    if (!known) proposed.set(key, { rule, certainty: need.certainty, records: need.records });
    else {
      known.records += need.records;
      if (CERTAINTY_ORDER[need.certainty] > CERTAINTY_ORDER[known.certainty]) known.certainty = need.certainty;
    }
    for (const interfaceId of interfaces) {
      const list = needsByInterface.get(interfaceId);
      if (list) list.push(rule);
      else needsByInterface.set(interfaceId, [rule]);
    }
  };

  /** The outside peers of one direction, protocol and port, across interfaces; `need` merged into it. */
  const slotFor = (slotKey: string, need: Need) => {
    let slot = outside.get(slotKey);
    if (!slot) {
      slot = {
        need: { ...need },
        peers: { v4: new Set(), v6: new Set(), overflow: { public4: false, public6: false, private6: false } },
        interfaces: new Set(),
      };
      outside.set(slotKey, slot);
    } else {
      slot.need.records += need.records;
      if (CERTAINTY_ORDER[need.certainty] > CERTAINTY_ORDER[slot.need.certainty]) slot.need.certainty = need.certainty;
    }
    return slot;
  };

  for (const bucket of observations.buckets) {
    if (!members.has(bucket.interfaceId)) continue;
    for (const need of needsOf(bucket)) {
      if ((need.protocol === 6 || need.protocol === 17) && need.port < 0) continue;
      const slotKey = `${need.direction}|${need.protocol}|${need.port}`;
      for (const [address, stats] of bucket.peers) {
        const resolved = resolve(address);
        if (!currentlyAllowed(current, need, address, resolved.groups)) continue;
        const peerNeed = { ...need, records: stats.records };
        const peer = resolved.peer;
        if (peer) {
          addRule(ruleOf(peerNeed, peer), peerNeed);
          // Both ends members: the other end's rule in the other direction is the same group's.
          const reverse = {
            ...peerNeed,
            direction: need.direction === 'egress' ? ('ingress' as const) : ('egress' as const),
          };
          if (
            peer.kind === 'group' &&
            peer.groupId === groupId &&
            currentlyAllowed(current, reverse, undefined, [groupId])
          )
            addRule(ruleOf(reverse, peer), reverse);
          continue;
        }
        const slot = slotFor(slotKey, peerNeed);
        slot.interfaces.add(bucket.interfaceId);
        if (address.includes(':')) slot.peers.v6.add(address.toLowerCase());
        else {
          const value = ipv4Value(address);
          if (value !== undefined) slot.peers.v4.add(value);
        }
      }
      if (bucket.overflow && currentlyAllowed(current, need, undefined, [])) {
        const slot = slotFor(slotKey, { ...need, records: bucket.overflow.count });
        slot.interfaces.add(bucket.interfaceId);
        const o = slot.peers.overflow;
        o.public4 ||= bucket.overflow.public4;
        o.public6 ||= bucket.overflow.public6;
        o.private6 ||= bucket.overflow.private6;
        if (bucket.overflow.private4) {
          const [network, length] = bucket.overflow.private4;
          o.private4 = o.private4
            ? commonBlock([
                o.private4[0],
                o.private4[0] + 2 ** (32 - o.private4[1]) - 1,
                network,
                network + 2 ** (32 - length) - 1,
              ])
            : [network, length];
        }
      }
    }
  }
  for (const { need, peers, interfaces } of outside.values())
    for (const peer of blocksFor(peers)) addRule(ruleOf(need, peer), need, [...interfaces].sort(compare));

  const rules = mergePortRanges([...proposed.values()]);
  const proposedKeys = new Set(rules.map((r) => ruleKey(r.rule)));
  const currentKeys = new Set(current.map(ruleKey));
  const window = windowReport(observations);
  const anyRecords = observations.counts.accepted + observations.counts.noData > 0;
  const warnings = windowWarnings(observations, window, members, group?.VpcId ?? options.vpcId);
  const tighten = anyRecords && observations.counts.accepted > 0;
  for (const direction of ['ingress', 'egress'] as const) {
    const count = rules.filter((r) => r.rule.direction === direction).length;
    if (tighten && count > RULES_PER_DIRECTION_QUOTA)
      warnings.push(
        `${count} ${direction} rules exceed EC2's default quota of ${RULES_PER_DIRECTION_QUOTA} per group: raise the quota or widen by hand`,
      );
  }
  const holder = holderOf(rules);

  const classes = new Map<string, InterfaceClass>();
  for (const eni of state.NetworkInterfaces) {
    const id = eni.NetworkInterfaceId;
    if (!id || !members.has(id)) continue;
    const groups = [...new Set((eni.Groups ?? []).map((g) => g.GroupId).filter((g): g is string => !!g))].sort(compare);
    const key = groups.join(',');
    let cls = classes.get(key);
    if (!cls) {
      cls = { groups, interfaces: [], needs: [] };
      classes.set(key, cls);
    }
    cls.interfaces.push(id);
    const needs = (needsByInterface.get(id) ?? []).map(holder);
    cls.needs = [...new Set([...cls.needs, ...needs])].sort(compare);
  }

  return {
    groupId,
    tighten,
    classes: [...classes.values()]
      .map((c) => ({ ...c, interfaces: c.interfaces.sort(compare) }))
      .sort((a, b) => compare(a.groups.join(), b.groups.join())),
    rules: tighten ? rules : current.map((rule) => ({ rule, certainty: 'uncertain' as Evidence, records: 0 })),
    add: tighten ? rules.map((r) => r.rule).filter((r) => !currentKeys.has(ruleKey(r))) : [],
    revoke: tighten ? current.filter((r) => !proposedKeys.has(ruleKey(r))) : [],
    window,
    warnings: tighten
      ? warnings
      : [...warnings, "nothing is tightened: no accepted flow of the group's interfaces is in the logs"],
    counts: observations.counts,
  };
}

/** Rules that differ only by adjacent ports (same direction, protocol, peer) merged into ranges. */
function mergePortRanges(rules: ProposedRule[]): ProposedRule[] {
  const groups = new Map<string, ProposedRule[]>();
  const out: ProposedRule[] = [];
  for (const proposed of rules) {
    const { rule } = proposed;
    if (rule.protocol !== 'tcp' && rule.protocol !== 'udp') {
      out.push(proposed);
      continue;
    }
    const key = ruleKey({ ...rule, fromPort: undefined, toPort: undefined });
    const list = groups.get(key);
    if (list) list.push(proposed);
    else groups.set(key, [proposed]);
  }
  for (const list of groups.values()) {
    list.sort((a, b) => (a.rule.fromPort ?? 0) - (b.rule.fromPort ?? 0));
    let run: ProposedRule | undefined;
    for (const proposed of list) {
      if (run && (proposed.rule.fromPort ?? 0) <= (run.rule.toPort ?? 0) + 1) {
        run.rule = { ...run.rule, toPort: Math.max(run.rule.toPort ?? 0, proposed.rule.toPort ?? 0) };
        run.records += proposed.records;
        if (CERTAINTY_ORDER[proposed.certainty] < CERTAINTY_ORDER[run.certainty]) run.certainty = proposed.certainty;
      } else {
        if (run) out.push(run);
        run = { ...proposed, rule: { ...proposed.rule } };
      }
    }
    if (run) out.push(run);
  }
  return out
    .map((r) => ({ ...r, rule: { ...r.rule, description: `flow logs: ${r.certainty}` } }))
    .sort((a, b) => compare(ruleKey(a.rule), ruleKey(b.rule)));
}

/** The key of the proposed rule (port runs merged) that holds a single-port rule. */
function holderOf(rules: readonly ProposedRule[]): (rule: Rule) => string {
  const byBase = new Map<string, Rule[]>();
  for (const { rule } of rules) {
    const base = ruleKey({ ...rule, fromPort: undefined, toPort: undefined });
    const list = byBase.get(base);
    if (list) list.push(rule);
    else byBase.set(base, [rule]);
  }
  return (rule) => {
    if (rule.protocol !== 'tcp' && rule.protocol !== 'udp') return ruleKey(rule);
    const base = ruleKey({ ...rule, fromPort: undefined, toPort: undefined });
    const port = rule.toPort ?? 0;
    const holder = byBase.get(base)?.find((r) => (r.fromPort ?? 0) <= port && port <= (r.toPort ?? 0));
    return ruleKey(holder ?? rule);
  };
}

function windowReport(observations: Observations): WindowReport {
  const { coverage } = observations;
  return {
    from: iso(coverage.window.start),
    to: iso(coverage.window.end),
    days: Math.round(((coverage.window.end - coverage.window.start) / DAY) * 10) / 10,
    coveredDays: Math.round((coverage.hoursCovered / 24) * 10) / 10,
    ...(coverage.first !== undefined && coverage.last !== undefined
      ? { firstRecord: iso(coverage.first), lastRecord: iso(coverage.last) }
      : {}),
    gaps: coverage.gaps.map(([from, to]) => ({ from: iso(from), to: iso(to) })),
    skippedHours: coverage.hoursSkipped,
  };
}

function windowWarnings(
  observations: Observations,
  window: WindowReport,
  members: ReadonlyMap<string, string[]>,
  vpcId: string | undefined,
): string[] {
  const warnings: string[] = [];
  const { counts } = observations;
  if (counts.accepted + counts.noData + counts.rejected === 0) {
    warnings.push(
      `no flow log records of the group's interfaces in the window: turn flow logs on with the recommended format, e.g. ` +
        createFlowLogsCommand(vpcId),
    );
    return warnings;
  }
  if (window.coveredDays < MIN_COVERED_DAYS)
    warnings.push(
      `the logs cover ${window.coveredDays} of the ${window.days} days asked for (under ${MIN_COVERED_DAYS}): traffic that runs weekly or less often may be missing`,
    );
  if (window.gaps.length > 0) {
    const shown = window.gaps.slice(0, 5).map((g) => `${g.from} to ${g.to}`);
    warnings.push(
      `the logs have ${window.gaps.length} gap(s) with no record at all: ${shown.join('; ')}${window.gaps.length > 5 ? '; …' : ''}`,
    );
  }
  if (window.skippedHours > 0)
    warnings.push(`${window.skippedHours} hour(s) have SKIPDATA records: some flows were not captured`);
  const unseen = [...members.keys()].filter((id) => !observations.interfacesSeen.includes(id));
  if (unseen.length > 0)
    warnings.push(
      `${unseen.length} interface(s) of the group have no record in the window (${unseen.slice(0, 5).join(', ')}${unseen.length > 5 ? ', …' : ''}): their traffic is not known`,
    );
  if (counts.malformed > 0) warnings.push(`${counts.malformed} line(s) could not be read and were left out`);
  if (counts.unplaced > 0)
    warnings.push(`${counts.unplaced} accepted record(s) name neither of the interface's addresses and were left out`);
  warnings.push(
    'jobs that run monthly or quarterly (reports, backups, certificate renewals) may not be in the window: check them before approving',
  );
  return warnings;
}

/** The group's permissions after tightening, as the EC2 calls take them. */
export function permissionsOf(rules: readonly ProposedRule[]): { ingress: IpPermission[]; egress: IpPermission[] } {
  return {
    ingress: implode(rules.filter((r) => r.rule.direction === 'ingress').map((r) => r.rule)),
    egress: implode(rules.filter((r) => r.rule.direction === 'egress').map((r) => r.rule)),
  };
}

/** A rule in words: `inbound tcp 443 from sg-… (tcp-flags, 12 records)`. Ids and blocks only: no account text. */
export function describeRule(proposed: { rule: Rule; certainty?: Evidence; records?: number }): string {
  const { rule } = proposed;
  const what =
    rule.protocol === '-1'
      ? 'all traffic'
      : rule.protocol === 'tcp' || rule.protocol === 'udp'
        ? `${rule.protocol} ${rule.fromPort === rule.toPort ? rule.fromPort : `${rule.fromPort}-${rule.toPort}`}`
        : rule.protocol === 'icmp' || rule.protocol === 'icmpv6'
          ? `${rule.protocol} (all types)`
          : `protocol ${rule.protocol}`;
  const peer = rule.peer;
  const who = peer.kind === 'group' ? peer.groupId : peer.kind === 'prefix-list' ? peer.prefixListId : peer.cidr;
  const why = proposed.certainty === undefined ? '' : ` (${proposed.certainty}, ${proposed.records ?? 0} records)`;
  return `${rule.direction === 'ingress' ? 'inbound' : 'outbound'} ${what} ${rule.direction === 'ingress' ? 'from' : 'to'} ${who}${why}`;
}
