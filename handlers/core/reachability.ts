/**
 * The traffic model used to prove invariant I1 (traffic is preserved): which traffic the security groups of a state
 * allow between every pair of network interfaces, and between each interface and any address outside the state.
 * Two states allow the same traffic iff their models are equal (`flowsEqual`); `diffFlows` says what changed.
 * `compareTraffic` gives the same verdict from the two states directly, by classes of interfaces, at any size.
 *
 * Semantics (security groups only: NACLs, route tables, and the OS are out of scope):
 * - Stateful: only the initiating direction is modelled; replies are always allowed.
 * - x → y of traffic t is allowed iff some egress rule of some group of x allows t to y AND some ingress rule of some
 *   group of y allows t from x. A rule's peer matches an interface when: a CIDR peer contains one of the interface's
 *   addresses of that family (PrivateIpAddress / PrivateIpAddresses for IPv4, Ipv6Address / Ipv6Addresses for IPv6);
 *   a group peer names a group the interface is a member of (its `Groups`), whatever the VPC or account; a prefix list
 *   never matches an interface. An interface is never its own peer (traffic to oneself does not cross a security
 *   group), and address families are not told apart between two interfaces (a coarsening: an IPv4-only egress rule
 *   and an IPv6-only ingress rule between the same two interfaces count as a flow).
 * - Outside the state: for each interface, what it accepts from outside (ingress rules with CIDR peers, as real
 *   address intervals — IPv4 32-bit, IPv6 128-bit —, with prefix-list peers, and with group peers that are outside
 *   the state, all three kept apart) and what it may send outside (egress, likewise). A referenced group is "outside
 *   the state" when the state neither describes it (SecurityGroups) nor lists a member of it: its members are
 *   unknown, so it stands for itself, by id. A group the state describes is taken as fully known: its members are the
 *   interfaces that list it, possibly none. This is what makes the remediation's intermediate states comparable: once
 *   every interface has moved from the default group to its copy, rules that still reference the (now empty)
 *   default group allow nothing, exactly as in EC2.
 *   CIDR space is compared as address intervals, so 10.0.0.0/8 ≡ 10.0.0.0/9 + 10.128.0.0/9; the addresses of the
 *   state's own interfaces are part of that space (a CIDR rule is also a statement about unknown hosts).
 * - Traffic is a set of (protocol, value) points: protocol 0–255; value 0–65535 = the port for tcp (6) and udp (17),
 *   type*256+code for icmp (1) and icmpv6 (58) (type or code -1 = all); every other protocol has no ports, so a rule
 *   for it covers all its values. `-1` is all protocols, all values. EC2 accepts protocols by name or number; both
 *   normalise through `rules.ts`.
 *
 * Canonical form: a traffic set is a sorted list of protocol runs, each with a sorted list of disjoint, non-adjacent
 * value ranges; adjacent runs with identical ranges are merged ("split axes into atoms at breakpoints, merge
 * identical neighbours"). Its text key (`6:22;17:53`, `0-255:0-65535` = all) is therefore equal for equal sets, and
 * every set in the model is stored as its key. Address segments are canonical the same way (merged neighbours with
 * equal traffic). The model is plain JSON data built in sorted order, so it can be stored, compared and shown.
 *
 * Classes: the traffic x → y depends only on x's groups and which CIDR peers of *ingress* rules contain one of x's
 * addresses (x's source class), and on y's groups and which CIDR peers of *egress* rules contain one of y's addresses
 * (y's destination class); outside views depend on the group set only. So the model is computed per class, never per
 * interface pair, except where `computeFlows` writes the n² table out.
 *
 * Complexity, with n interfaces, A addresses per interface, L distinct CIDR prefix lengths, g distinct group sets, s
 * source and d destination classes (g ≤ s, d ≤ n; usually ≪ n, as CIDR peers are mostly blocks every interface of a
 * tier matches): matching O(n·A·L) through a per-length index; "what group set G lets out to (in from) class C" cells
 * O(|groups| + |CIDR peers| of C) each, filled lazily, unions and intersections memoised by their operands' keys.
 * `computeFlows`: O(1) per interface pair, O(n²) in all (or O(n·k) with k = |options.interfaces|). `compareTraffic`:
 * O(S·D) look-ups for S joint source and D joint destination classes of the two states. Measured on a 2-core machine
 * under load: `computeFlows` on 300 interfaces (89,700 allowed pairs, 20 tiers, per-host /32 rules) in 0.1–0.9 s;
 * `compareTraffic` on 10,000 interfaces of the benchmark's VPC in about 0.3 s, and on 10,000 interfaces each singled
 * out by its own /32 inbound rule (10,000 × 167 classes) in 3.6 s.
 */
import type { Ec2State } from './ec2-shapes.ts';
import { type Peer, rulesOf } from './rules.ts';

// ---------------------------------------------------------------------------------------------------------------
// Public model

/** The traffic model of a state. Plain, JSON-serialisable data; traffic sets are canonical keys (see `describeTraffic`). */
export interface FlowModel {
  /** Every interface of the state, sorted. Informational: equality looks at traffic only. */
  interfaces: string[];
  /** `flows[x][y]`: the traffic x may open to y. Absent = none. */
  flows: Record<string, Record<string, string>>;
  /** `inbound[x]`: what x accepts from outside the state. Absent = nothing. */
  inbound: Record<string, OutsideView>;
  /** `outbound[x]`: what x may send outside the state. Absent = nothing. */
  outbound: Record<string, OutsideView>;
}

export interface OutsideView {
  /** IPv4 address intervals (sorted, disjoint, merged) and the traffic allowed with each. */
  ipv4: AddressSegment[];
  ipv6: AddressSegment[];
  /** Prefix list id → traffic (prefix lists are not resolved: they stand for themselves). */
  prefixLists: Record<string, string>;
  /** Id of a group outside the state → traffic. */
  groups: Record<string, string>;
}

export interface AddressSegment {
  first: string;
  last: string;
  traffic: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Traffic sets

const PROTOCOL_MAX = 255;
const VALUE_MAX = 65535;

/** Protocols lo..hi, each allowing the value ranges `ranges` (flat: [from0, to0, from1, to1, …], sorted, merged). */
interface Run {
  lo: number;
  hi: number;
  ranges: readonly number[];
}
type Traffic = readonly Run[];

const EMPTY: Traffic = [];
const ALL_KEY = `0-${PROTOCOL_MAX}:0-${VALUE_MAX}`;

/** Merges [from, to] pairs (any order, may overlap or touch) into a flat, sorted, non-adjacent range list. */
function mergeRanges(pairs: [number, number][]): number[] {
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: number[] = [];
  for (const [from, to] of pairs) {
    const last = out.length - 1;
    if (last > 0 && from <= (out[last] as number) + 1) out[last] = Math.max(out[last] as number, to);
    else out.push(from, to);
  }
  return out;
}

function unionRanges(lists: readonly (readonly number[])[]): number[] {
  if (lists.length === 1) return [...(lists[0] as number[])];
  const pairs: [number, number][] = [];
  for (const list of lists)
    for (let i = 0; i < list.length; i += 2) pairs.push([list[i] as number, list[i + 1] as number]);
  return mergeRanges(pairs);
}

function intersectRanges(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const from = Math.max(a[i] as number, b[j] as number);
    const to = Math.min(a[i + 1] as number, b[j + 1] as number);
    if (from <= to) out.push(from, to);
    if ((a[i + 1] as number) < (b[j + 1] as number)) i += 2;
    else j += 2;
  }
  return out;
}

function subtractRanges(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let from = a[i] as number;
    const to = a[i + 1] as number;
    while (j < b.length && (b[j + 1] as number) < from) j += 2;
    let k = j;
    while (k < b.length && (b[k] as number) <= to && from <= to) {
      if ((b[k] as number) > from) out.push(from, (b[k] as number) - 1);
      from = Math.max(from, (b[k + 1] as number) + 1);
      k += 2;
    }
    if (from <= to) out.push(from, to);
  }
  return out;
}

function sameRanges(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Canonical form from protocol atoms (sorted, disjoint): drops empty atoms, merges touching atoms with equal ranges. */
function normalize(atoms: Run[]): Traffic {
  const out: Run[] = [];
  for (const atom of atoms) {
    if (atom.ranges.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.hi + 1 === atom.lo && sameRanges(last.ranges, atom.ranges))
      out[out.length - 1] = { ...last, hi: atom.hi };
    else out.push(atom);
  }
  return out;
}

/** Protocol breakpoints of several sets: the atoms on which every set is constant. */
function atomsOf(sets: readonly Traffic[]): [number, number][] {
  const points = new Set<number>();
  for (const set of sets) for (const run of set) points.add(run.lo).add(run.hi + 1);
  const sorted = [...points].sort((a, b) => a - b);
  const atoms: [number, number][] = [];
  for (let i = 0; i + 1 < sorted.length; i++) atoms.push([sorted[i] as number, (sorted[i + 1] as number) - 1]);
  return atoms;
}

/** The ranges of `set` for protocol atom starting at `lo` (atoms never straddle a run boundary). */
function rangesAt(set: Traffic, cursor: { index: number }, lo: number): readonly number[] {
  while (cursor.index < set.length && (set[cursor.index] as Run).hi < lo) cursor.index++;
  const run = set[cursor.index];
  return run && run.lo <= lo ? run.ranges : [];
}

function unionTraffic(sets: readonly Traffic[]): Traffic {
  const nonEmpty = sets.filter((set) => set.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? EMPTY;
  const cursors = nonEmpty.map(() => ({ index: 0 }));
  const atoms = atomsOf(nonEmpty).map(([lo, hi]) => {
    const lists = nonEmpty.map((set, i) => rangesAt(set, cursors[i] as { index: number }, lo)).filter((r) => r.length);
    return { lo, hi, ranges: lists.length === 0 ? [] : unionRanges(lists) };
  });
  return normalize(atoms);
}

function combineTraffic(a: Traffic, b: Traffic, op: (x: readonly number[], y: readonly number[]) => number[]): Traffic {
  const ca = { index: 0 };
  const cb = { index: 0 };
  return normalize(
    atomsOf([a, b]).map(([lo, hi]) => ({ lo, hi, ranges: op(rangesAt(a, ca, lo), rangesAt(b, cb, lo)) })),
  );
}

function trafficKey(set: Traffic): string {
  return set
    .map((run) => {
      const ranges: string[] = [];
      for (let i = 0; i < run.ranges.length; i += 2)
        ranges.push(span(run.ranges[i] as number, run.ranges[i + 1] as number));
      return `${span(run.lo, run.hi)}:${ranges.join(',')}`;
    })
    .join(';');
}

function span(from: number, to: number): string {
  return from === to ? `${from}` : `${from}-${to}`;
}

function parseTrafficKey(key: string): Traffic {
  if (key === '') return EMPTY;
  return key.split(';').map((part) => {
    const [protocols = '', values = ''] = part.split(':');
    const [lo, hi] = parseSpan(protocols);
    return { lo, hi, ranges: values.split(',').flatMap(parseSpan) };
  });
}

function parseSpan(text: string): [number, number] {
  const [from, to] = text.split('-');
  return [Number(from), Number(to ?? from)];
}

const NAMED_PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

/** A traffic key in words: `all traffic`, `tcp 22, 80-81; udp 53`, `icmp 8/0`, `protocol 50`, … */
export function describeTraffic(key: string): string {
  if (key === '') return 'no traffic';
  if (key === ALL_KEY) return 'all traffic';
  return parseTrafficKey(key)
    .map((run) => {
      const full = run.ranges.length === 2 && run.ranges[0] === 0 && run.ranges[1] === VALUE_MAX;
      if (run.lo !== run.hi) {
        const what = `protocols ${run.lo}-${run.hi}`;
        return full ? `${what} (all)` : `${what} values ${describeRanges(run.ranges, false)}`;
      }
      const name = NAMED_PROTOCOLS[run.lo];
      if (name === undefined)
        return full ? `protocol ${run.lo}` : `protocol ${run.lo} values ${describeRanges(run.ranges, false)}`;
      const icmp = run.lo === 1 || run.lo === 58;
      if (full) return `${name} (all ${icmp ? 'types' : 'ports'})`;
      return `${name} ${describeRanges(run.ranges, icmp)}`;
    })
    .join('; ');
}

function describeRanges(ranges: readonly number[], icmp: boolean): string {
  const parts: string[] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    const from = ranges[i] as number;
    const to = ranges[i + 1] as number;
    if (!icmp) parts.push(span(from, to));
    else if (from === to) parts.push(`${from >> 8}/${from & 255}`);
    else if ((from & 255) === 0 && (to & 255) === 255)
      parts.push(from >> 8 === to >> 8 ? `type ${from >> 8}` : `types ${from >> 8}-${to >> 8}`);
    else parts.push(`${from >> 8}/${from & 255}-${to >> 8}/${to & 255}`);
  }
  return parts.join(', ');
}

/** The traffic one rule allows (protocol and ports/type-code only; the peer is handled apart). */
function ruleTraffic(protocol: string, fromPort: number | undefined, toPort: number | undefined): Traffic {
  const box = (p: number, from: number, to: number): Traffic =>
    from > to ? EMPTY : [{ lo: p, hi: p, ranges: [from, to] }];
  switch (protocol) {
    case '-1':
      return [{ lo: 0, hi: PROTOCOL_MAX, ranges: [0, VALUE_MAX] }];
    case 'tcp':
    case 'udp': {
      const from = fromPort === undefined || fromPort < 0 ? 0 : Math.min(fromPort, VALUE_MAX);
      const to = toPort === undefined || toPort < 0 ? VALUE_MAX : Math.min(toPort, VALUE_MAX);
      return box(protocol === 'tcp' ? 6 : 17, from, to);
    }
    case 'icmp':
    case 'icmpv6': {
      const p = protocol === 'icmp' ? 1 : 58;
      const type = fromPort ?? -1;
      const code = toPort ?? -1;
      if (type < 0 || type > 255) return box(p, 0, VALUE_MAX);
      if (code < 0 || code > 255) return box(p, type * 256, type * 256 + 255);
      return box(p, type * 256 + code, type * 256 + code);
    }
    default: {
      const p = Number(protocol);
      return Number.isInteger(p) && p >= 0 && p <= PROTOCOL_MAX ? box(p, 0, VALUE_MAX) : EMPTY;
    }
  }
}

/** Set algebra on traffic keys, memoised per model computation so that each distinct operation runs once. */
class TrafficAlgebra {
  private readonly sets = new Map<string, Traffic>([['', EMPTY]]);
  private readonly unions = new Map<string, string>();
  private readonly intersections = new Map<string, Map<string, string>>();

  intern(set: Traffic): string {
    const key = trafficKey(set);
    if (!this.sets.has(key)) this.sets.set(key, set);
    return key;
  }

  set(key: string): Traffic {
    let set = this.sets.get(key);
    if (!set) {
      set = parseTrafficKey(key);
      this.sets.set(key, set);
    }
    return set;
  }

  /** Union of keys (order and duplicates do not matter). */
  union(keys: readonly string[]): string {
    const distinct = [...new Set(keys)].filter((key) => key !== '');
    if (distinct.length === 0) return '';
    if (distinct.length === 1) return distinct[0] as string;
    if (distinct.includes(ALL_KEY)) return ALL_KEY;
    distinct.sort();
    const memo = distinct.join('|');
    let result = this.unions.get(memo);
    if (result === undefined) {
      result = this.intern(unionTraffic(distinct.map((key) => this.set(key))));
      this.unions.set(memo, result);
    }
    return result;
  }

  intersect(a: string, b: string): string {
    if (a === '' || b === '') return '';
    if (a === b || b === ALL_KEY) return a;
    if (a === ALL_KEY) return b;
    // Nested maps, not a concatenated key: no string is built on the hot path (one call per interface pair).
    let row = this.intersections.get(a);
    if (!row) {
      row = new Map();
      this.intersections.set(a, row);
    }
    let result = row.get(b);
    if (result === undefined) {
      result = this.intern(combineTraffic(this.set(a), this.set(b), intersectRanges));
      row.set(b, result);
    }
    return result;
  }

  minus(a: string, b: string): string {
    if (a === '' || a === b) return '';
    if (b === '') return a;
    return this.intern(combineTraffic(this.set(a), this.set(b), subtractRanges));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses

type Family = 4 | 6;
const BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

export function parseIpv6(text: string): bigint | undefined {
  let source = text.trim().toLowerCase();
  if (source.length === 0 || source.length > 45) return undefined;
  // Embedded IPv4 (::ffff:10.0.0.1) becomes two hex groups.
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(source);
  if (dotted) {
    const v4 = parseIpv4(dotted[2] as string);
    if (v4 === undefined) return undefined;
    source = `${dotted[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = source.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 255n).toString()).join('.');
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function formatAddress(value: bigint, family: Family): string {
  return family === 4 ? formatIpv4(value) : formatIpv6(value);
}

function parseAddress(text: string, family: Family): bigint | undefined {
  return family === 4 ? parseIpv4(text) : parseIpv6(text);
}

/** A CIDR block as an address interval; host bits are ignored, as EC2 does. */
export function parseCidr(text: string, family: Family): { first: bigint; last: bigint } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress(text.slice(0, slash), family);
  const lengthText = text.slice(slash + 1);
  if (address === undefined || !/^\d{1,3}$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  const bits = BITS[family];
  if (length > bits) return undefined;
  const hostBits = BigInt(bits - length);
  const first = (address >> hostBits) << hostBits;
  return { first, last: first + (1n << hostBits) - 1n };
}

/** An interval in words: the CIDR blocks that make it up (up to 3), else `first-last`. */
function describeInterval(first: bigint, last: bigint, family: Family): string {
  const bits = BITS[family];
  const blocks: string[] = [];
  let cursor = first;
  while (cursor <= last && blocks.length <= 3) {
    let size = 0;
    while (size < bits && cursor % (1n << BigInt(size + 1)) === 0n && cursor + (1n << BigInt(size + 1)) - 1n <= last)
      size++;
    blocks.push(`${formatAddress(cursor, family)}/${bits - size}`);
    cursor += 1n << BigInt(size);
  }
  if (cursor > last && blocks.length <= 3) return blocks.join(', ');
  return `${formatAddress(first, family)}-${formatAddress(last, family)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Computing the model

type Direction = 'ingress' | 'egress';

interface ModelRule {
  peer: Peer;
  traffic: string;
  /** Index of the CIDR peer among the CIDR peers of the rule's direction (cidr4/cidr6 rules only). */
  cidr?: number;
}

/** The rules of a group set in one direction, and their traffic by the peer they name. */
interface RuleIndex {
  rules: ModelRule[];
  byGroup: Map<string, string[]>;
  byCidr: Map<number, string[]>;
}

/** The groups an interface is in, and their rules: interfaces with the same groups share their outside views. */
interface GroupSet {
  index: number;
  groups: readonly string[];
  ingress: RuleIndex;
  egress: RuleIndex;
}

/**
 * Interfaces that one direction's rules cannot tell apart: the same groups, and the same CIDR peers of that direction
 * containing one of their addresses. Ingress rules look at the source of a flow and egress rules at its destination,
 * so the traffic x → y depends on x's source class and y's destination class only.
 */
interface PeerClass {
  index: number;
  groupSet: GroupSet;
  cidrs: readonly number[];
}

interface Placement {
  groupSet: GroupSet;
  source: PeerClass;
  destination: PeerClass;
}

interface OutsideViews {
  inbound?: OutsideView;
  outbound?: OutsideView;
}

/** A state's interfaces sorted into classes, and the traffic of classes: what `computeFlows` and `compareTraffic` share. */
interface ClassedState {
  /** Every interface id, sorted (the first description of an id wins). */
  interfaces: string[];
  placement: ReadonlyMap<string, Placement>;
  /** The traffic a member of `source` may open to another interface, a member of `destination`. */
  pairTraffic(source: PeerClass, destination: PeerClass): string;
  /** What a member of `groupSet` accepts from, and may send to, outside the state. */
  outside(groupSet: GroupSet): OutsideViews;
}

/**
 * CIDR peers by address family, prefix length and network: the peers that contain an address are one look-up per
 * distinct prefix length away (CIDR blocks are aligned), not a scan of every peer.
 */
class CidrIndex {
  private readonly keys = new Map<string, number>();
  private readonly blocks: Record<Family, Map<number, Map<bigint, number[]>>> = { 4: new Map(), 6: new Map() };

  /** The index of a CIDR peer, added on first sight; undefined when the text is not an address block. */
  indexOf(cidr: string, family: Family): number | undefined {
    const key = `${family}|${cidr}`;
    const known = this.keys.get(key);
    if (known !== undefined) return known;
    const block = parseCidr(cidr, family);
    if (!block) return undefined;
    const index = this.keys.size;
    this.keys.set(key, index);
    let hostBits = 0;
    while (1n << BigInt(hostBits) <= block.last - block.first) hostBits++;
    let networks = this.blocks[family].get(hostBits);
    if (!networks) {
      networks = new Map();
      this.blocks[family].set(hostBits, networks);
    }
    const network = block.first >> BigInt(hostBits);
    const peers = networks.get(network);
    if (peers) peers.push(index);
    else networks.set(network, [index]);
    return index;
  }

  /** The indexes of the peers containing any of the addresses, sorted. */
  matching(addresses: Record<Family, bigint[]>): number[] {
    const matched = new Set<number>();
    for (const family of [4, 6] as const) {
      if (addresses[family].length === 0) continue;
      for (const [hostBits, networks] of this.blocks[family]) {
        const shift = BigInt(hostBits);
        for (const address of addresses[family])
          for (const peer of networks.get(address >> shift) ?? []) matched.add(peer);
      }
    }
    return [...matched].sort((a, b) => a - b);
  }
}

function indexRules(rules: ModelRule[]): RuleIndex {
  const byGroup = new Map<string, string[]>();
  const byCidr = new Map<number, string[]>();
  const add = <K>(map: Map<K, string[]>, key: K, traffic: string) => {
    const list = map.get(key);
    if (list) list.push(traffic);
    else map.set(key, [traffic]);
  };
  for (const rule of rules) {
    if (rule.peer.kind === 'group') add(byGroup, rule.peer.groupId, rule.traffic);
    else if (rule.cidr !== undefined) add(byCidr, rule.cidr, rule.traffic);
  }
  return { rules, byGroup, byCidr };
}

/**
 * Sorts the interfaces of `state` into group sets and peer classes and prepares the per-class tables (see the module
 * comment): matching O(n·A·L) with L distinct prefix lengths; the pair tables fill lazily, O(|groups| + |CIDRs|) a cell.
 */
function classify(state: Ec2State, algebra: TrafficAlgebra): ClassedState {
  // Rules of every described group (first description wins if a group is listed twice).
  const cidrs: Record<Direction, CidrIndex> = { ingress: new CidrIndex(), egress: new CidrIndex() };
  const rulesByGroup = new Map<string, Record<Direction, ModelRule[]>>();
  for (const group of state.SecurityGroups ?? []) {
    if (!group.GroupId || rulesByGroup.has(group.GroupId)) continue;
    const entry: Record<Direction, ModelRule[]> = { ingress: [], egress: [] };
    for (const rule of rulesOf(group)) {
      const traffic = algebra.intern(ruleTraffic(rule.protocol, rule.fromPort, rule.toPort));
      if (traffic === '') continue;
      const modelRule: ModelRule = { peer: rule.peer, traffic };
      if (rule.peer.kind === 'cidr4' || rule.peer.kind === 'cidr6') {
        const cidr = cidrs[rule.direction].indexOf(rule.peer.cidr, rule.peer.kind === 'cidr4' ? 4 : 6);
        if (cidr === undefined) continue; // not an address block: allows nothing (EC2 would not have accepted it)
        modelRule.cidr = cidr;
      }
      entry[rule.direction].push(modelRule);
    }
    rulesByGroup.set(group.GroupId, entry);
  }

  // Interfaces, sorted by id (first description wins), and group membership.
  const endpoints = new Map<string, { groups: string[]; addresses: Record<Family, bigint[]> }>();
  for (const eni of state.NetworkInterfaces ?? []) {
    const id = eni.NetworkInterfaceId;
    if (!id || endpoints.has(id)) continue;
    const groups = [
      ...new Set((eni.Groups ?? []).map((group) => group.GroupId).filter((g): g is string => !!g)),
    ].sort();
    const v4 = [eni.PrivateIpAddress, ...(eni.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress)];
    const v6 = [eni.Ipv6Address, ...(eni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address)];
    endpoints.set(id, { groups, addresses: { 4: addressesOf(v4, 4), 6: addressesOf(v6, 6) } });
  }
  const interfaces = [...endpoints.keys()].sort(compare);
  const members = new Set<string>();
  for (const endpoint of endpoints.values()) for (const group of endpoint.groups) members.add(group);
  const outsideGroup = (groupId: string) => !rulesByGroup.has(groupId) && !members.has(groupId);

  // Group sets, and the classes each direction's rules see.
  const groupSets = new Map<string, GroupSet>();
  const classes: Record<'source' | 'destination', Map<string, PeerClass>> = {
    source: new Map(),
    destination: new Map(),
  };
  const classFor = (role: 'source' | 'destination', groupSet: GroupSet, matched: number[]): PeerClass => {
    const key = `${groupSet.index}|${matched.join(',')}`;
    let cls = classes[role].get(key);
    if (!cls) {
      cls = { index: classes[role].size, groupSet, cidrs: matched };
      classes[role].set(key, cls);
    }
    return cls;
  };
  const placement = new Map<string, Placement>();
  for (const id of interfaces) {
    const endpoint = endpoints.get(id) as { groups: string[]; addresses: Record<Family, bigint[]> };
    const groupsKey = endpoint.groups.join(',');
    let groupSet = groupSets.get(groupsKey);
    if (!groupSet) {
      const own = endpoint.groups.map((group) => rulesByGroup.get(group));
      groupSet = {
        index: groupSets.size,
        groups: endpoint.groups,
        ingress: indexRules(own.flatMap((rules) => rules?.ingress ?? [])),
        egress: indexRules(own.flatMap((rules) => rules?.egress ?? [])),
      };
      groupSets.set(groupsKey, groupSet);
    }
    placement.set(id, {
      groupSet,
      // Ingress rules see a flow's source, egress rules its destination.
      source: classFor('source', groupSet, cidrs.ingress.matching(endpoint.addresses)),
      destination: classFor('destination', groupSet, cidrs.egress.matching(endpoint.addresses)),
    });
  }

  /** What the rules allow with a peer class: the union of the rules naming one of its groups or CIDR peers. */
  const allowed = (rules: RuleIndex, peer: PeerClass): string => {
    const matched: string[] = [];
    for (const group of peer.groupSet.groups) matched.push(...(rules.byGroup.get(group) ?? []));
    for (const cidr of peer.cidrs) matched.push(...(rules.byCidr.get(cidr) ?? []));
    return algebra.union(matched);
  };

  // What the egress (ingress) rules of a group set allow to (from) each class, lazily, in arrays indexed by group set
  // and class: the comparison looks a cell up once per pair of classes.
  const egressTo: (string | undefined)[][] = [];
  const ingressFrom: (string | undefined)[][] = [];
  const views: OutsideViews[] = [];
  return {
    interfaces,
    placement,
    pairTraffic(source, destination) {
      let egressRow = egressTo[source.groupSet.index];
      if (!egressRow) {
        egressRow = [];
        egressTo[source.groupSet.index] = egressRow;
      }
      let egress = egressRow[destination.index];
      if (egress === undefined) {
        egress = allowed(source.groupSet.egress, destination);
        egressRow[destination.index] = egress;
      }
      if (egress === '') return '';
      let ingressRow = ingressFrom[destination.groupSet.index];
      if (!ingressRow) {
        ingressRow = [];
        ingressFrom[destination.groupSet.index] = ingressRow;
      }
      let ingress = ingressRow[source.index];
      if (ingress === undefined) {
        ingress = allowed(destination.groupSet.ingress, source);
        ingressRow[source.index] = ingress;
      }
      return algebra.intersect(egress, ingress);
    },
    outside(groupSet) {
      let view = views[groupSet.index];
      if (!view) {
        const inbound = outsideView(groupSet.ingress.rules, algebra, outsideGroup);
        const outbound = outsideView(groupSet.egress.rules, algebra, outsideGroup);
        view = { ...(inbound ? { inbound } : {}), ...(outbound ? { outbound } : {}) };
        views[groupSet.index] = view;
      }
      return view;
    },
  };
}

/** The traffic model of `state`; with `options.interfaces`, only pairs with an end in the list and their outside views. */
export function computeFlows(state: Ec2State, options?: { interfaces?: string[] }): FlowModel {
  const model = classify(state, new TrafficAlgebra());
  const interfaces = model.interfaces;
  const placements = interfaces.map((id) => model.placement.get(id) as Placement);
  const scope = options?.interfaces ? new Set(options.interfaces) : undefined;
  const scoped = interfaces.map((id) => !scope || scope.has(id));

  // Pairs.
  const flows: [string, Record<string, string>][] = [];
  for (let i = 0; i < interfaces.length; i++) {
    const row: [string, string][] = [];
    const source = (placements[i] as Placement).source;
    for (let j = 0; j < interfaces.length; j++) {
      if (j === i || !(scoped[i] || scoped[j])) continue;
      const traffic = model.pairTraffic(source, (placements[j] as Placement).destination);
      if (traffic !== '') row.push([interfaces[j] as string, traffic]);
    }
    if (row.length > 0) flows.push([interfaces[i] as string, Object.fromEntries(row)]);
  }

  // Outside views.
  const inbound: [string, OutsideView][] = [];
  const outbound: [string, OutsideView][] = [];
  for (let i = 0; i < interfaces.length; i++) {
    if (!scoped[i]) continue;
    const views = model.outside((placements[i] as Placement).groupSet);
    if (views.inbound) inbound.push([interfaces[i] as string, views.inbound]);
    if (views.outbound) outbound.push([interfaces[i] as string, views.outbound]);
  }

  return {
    interfaces,
    flows: Object.fromEntries(flows),
    inbound: Object.fromEntries(inbound),
    outbound: Object.fromEntries(outbound),
  };
}

function addressesOf(texts: (string | undefined)[], family: Family): bigint[] {
  const values = new Set<bigint>();
  for (const text of texts) {
    const value = text === undefined ? undefined : parseAddress(text, family);
    if (value !== undefined) values.add(value);
  }
  return [...values];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What one direction's rules allow with the outside; undefined when nothing. */
function outsideView(
  rules: readonly ModelRule[],
  algebra: TrafficAlgebra,
  outsideGroup: (groupId: string) => boolean,
): OutsideView | undefined {
  const intervals: Record<Family, { first: bigint; last: bigint; traffic: string }[]> = { 4: [], 6: [] };
  const prefixLists = new Map<string, string[]>();
  const groups = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, traffic: string) => {
    const list = map.get(key);
    if (list) list.push(traffic);
    else map.set(key, [traffic]);
  };
  for (const rule of rules) {
    const peer = rule.peer;
    if (peer.kind === 'cidr4' || peer.kind === 'cidr6') {
      const family: Family = peer.kind === 'cidr4' ? 4 : 6;
      const interval = parseCidr(peer.cidr, family);
      if (interval) intervals[family].push({ ...interval, traffic: rule.traffic });
    } else if (peer.kind === 'prefix-list') add(prefixLists, peer.prefixListId, rule.traffic);
    else if (outsideGroup(peer.groupId)) add(groups, peer.groupId, rule.traffic);
  }
  const view: OutsideView = {
    ipv4: sweep(intervals[4], 4, algebra),
    ipv6: sweep(intervals[6], 6, algebra),
    prefixLists: unionEach(prefixLists, algebra),
    groups: unionEach(groups, algebra),
  };
  const empty =
    view.ipv4.length === 0 &&
    view.ipv6.length === 0 &&
    Object.keys(view.prefixLists).length === 0 &&
    Object.keys(view.groups).length === 0;
  return empty ? undefined : view;
}

function unionEach(map: Map<string, string[]>, algebra: TrafficAlgebra): Record<string, string> {
  return Object.fromEntries(
    [...map.keys()].sort(compare).map((key) => [key, algebra.union(map.get(key) as string[])] as const),
  );
}

/** Address intervals with traffic → canonical segments: cut at every interval end, union, merge equal neighbours. */
function sweep(
  intervals: readonly { first: bigint; last: bigint; traffic: string }[],
  family: Family,
  algebra: TrafficAlgebra,
): AddressSegment[] {
  if (intervals.length === 0) return [];
  const points = [...new Set(intervals.flatMap((i) => [i.first, i.last + 1n]))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const merged: { first: bigint; last: bigint; traffic: string }[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const first = points[i] as bigint;
    const last = (points[i + 1] as bigint) - 1n;
    const traffic = algebra.union(intervals.filter((x) => x.first <= first && first <= x.last).map((x) => x.traffic));
    if (traffic === '') continue;
    const previous = merged[merged.length - 1];
    if (previous && previous.last + 1n === first && previous.traffic === traffic) previous.last = last;
    else merged.push({ first, last, traffic });
  }
  return merged.map((s) => ({
    first: formatAddress(s.first, family),
    last: formatAddress(s.last, family),
    traffic: s.traffic,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing models

/** Whether two models allow exactly the same traffic. */
export function flowsEqual(a: FlowModel, b: FlowModel): boolean {
  return (
    sameData(a.flows, b.flows) &&
    sameData(a.inbound ?? {}, b.inbound ?? {}) &&
    sameData(a.outbound ?? {}, b.outbound ?? {})
  );
}

function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const key of ka) {
    if (!Object.hasOwn(b, key)) return false;
    if (!sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

function sortedKeys(...records: (Record<string, unknown> | undefined)[]): string[] {
  return [...new Set(records.flatMap((r) => (r ? Object.keys(r) : [])))].sort(compare);
}

/** Difference lines, as `diffFlows` and `compareTraffic` word them: at most `limit`, then one `… and N more` line. */
class DiffWriter {
  private readonly lines: string[] = [];
  private dropped = 0;

  constructor(
    private readonly algebra: TrafficAlgebra,
    private readonly limit: number,
  ) {}

  /** What `subject` lost (allowed before, denied after) and gained between the traffic sets `was` and `now`. */
  emit(subject: string, was: string, now: string): void {
    if (was === now) return;
    for (const [traffic, verdict] of [
      [this.algebra.minus(was, now), 'allowed before, denied after'],
      [this.algebra.minus(now, was), 'denied before, allowed after'],
    ] as const) {
      if (traffic === '') continue;
      if (this.lines.length < this.limit) this.lines.push(`${subject}: ${describeTraffic(traffic)} ${verdict}`);
      else this.dropped++;
    }
  }

  /** The differences between what interface `id` accepts from (sends to) outside before and after. */
  emitViews(direction: 'inbound' | 'outbound', id: string, was?: OutsideView, now?: OutsideView): void {
    const subject = (outside: string) => (direction === 'inbound' ? `${outside} → ${id}` : `${id} → ${outside}`);
    for (const family of [4, 6] as const) {
      const key = family === 4 ? 'ipv4' : 'ipv6';
      for (const change of diffSegments(was?.[key] ?? [], now?.[key] ?? [], family))
        this.emit(subject(change.where), change.was, change.now);
    }
    for (const pl of sortedKeys(was?.prefixLists, now?.prefixLists))
      this.emit(subject(`prefix list ${pl}`), own(was?.prefixLists, pl) ?? '', own(now?.prefixLists, pl) ?? '');
    for (const group of sortedKeys(was?.groups, now?.groups))
      this.emit(
        subject(`group ${group} (outside the state)`),
        own(was?.groups, group) ?? '',
        own(now?.groups, group) ?? '',
      );
  }

  result(): string[] {
    return this.dropped > 0 ? [...this.lines, `… and ${this.dropped} more differences`] : [...this.lines];
  }
}

/**
 * What changed between two models, one line per difference, e.g.
 * `eni-1 → eni-2: tcp 8443 allowed before, denied after`, `0.0.0.0/0 → eni-3: tcp 443 denied before, allowed after`.
 * Empty when the models allow the same traffic. At most `limit` lines (default 200), then one `… and N more` line.
 */
export function diffFlows(before: FlowModel, after: FlowModel, options?: { limit?: number }): string[] {
  const writer = new DiffWriter(new TrafficAlgebra(), options?.limit ?? 200);
  for (const from of sortedKeys(before.flows, after.flows)) {
    const was = own(before.flows, from);
    const now = own(after.flows, from);
    for (const to of sortedKeys(was, now)) writer.emit(`${from} → ${to}`, own(was, to) ?? '', own(now, to) ?? '');
  }
  for (const [direction, wasViews, nowViews] of [
    ['inbound', before.inbound, after.inbound],
    ['outbound', before.outbound, after.outbound],
  ] as const) {
    for (const id of sortedKeys(wasViews, nowViews))
      writer.emitViews(direction, id, own(wasViews, id), own(nowViews, id));
  }
  return writer.result();
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing two states by classes

export interface TrafficComparison {
  /** Whether both states allow exactly the same traffic: always `flowsEqual(computeFlows(before), computeFlows(after))`. */
  equal: boolean;
  /**
   * What changed, worded as `diffFlows` words it, one line per pair of joint classes (per joint group set for the
   * outside) naming one example, e.g. `eni-1 → eni-2 (and 41 more pairs alike): tcp 22 allowed before, denied after`.
   * Empty when `equal`. At most `limit` lines (default 200), then one `… and N more` line.
   */
  differences: string[];
  /** Interfaces compared (those of either state). */
  interfaces: number;
  /** Joint source and destination classes compared (their product bounds the work). */
  classes: { sources: number; destinations: number };
}

/** Interfaces with the same class in `before` and the same class in `after` (absent from a state: no class there). */
interface Joint<T> {
  index: number;
  before?: T;
  after?: T;
  members: number;
  /** The first two members by id, to name examples. */
  first: string;
  second?: string;
}

function joinClasses<T extends { index: number }>(
  joints: Map<string, Joint<T>>,
  id: string,
  before: T | undefined,
  after: T | undefined,
): Joint<T> {
  const key = `${before?.index ?? '-'}|${after?.index ?? '-'}`;
  let joint = joints.get(key);
  if (!joint) {
    joint = { index: joints.size, before, after, members: 0, first: id };
    joints.set(key, joint);
  } else if (joint.second === undefined) joint.second = id;
  joint.members++;
  return joint;
}

const alike = (count: number, what: string) => (count > 1 ? ` (and ${count - 1} more ${what} alike)` : '');

/**
 * Compares the traffic two states allow without building the n² pair table. Each interface gets a joint source class
 * (its source class before, its source class after), a joint destination class and a joint group set. The traffic
 * x → y depends on x's source class and y's destination class only, so it is compared once per pair of joint classes
 * that holds two different interfaces (an interface is never its own peer: a joint source class and a joint
 * destination class that are the same single interface hold no pair), and the outside views once per joint group set.
 * O(n·A·L) to classify, then S·D table look-ups for S joint source and D joint destination classes (each ≤ n; a
 * handful in a remediation, where classes follow the tiers), and one view comparison per joint group set.
 */
export function compareTraffic(before: Ec2State, after: Ec2State, options?: { limit?: number }): TrafficComparison {
  const algebra = new TrafficAlgebra();
  const was = classify(before, algebra);
  const now = classify(after, algebra);

  const sources = new Map<string, Joint<PeerClass>>();
  const destinations = new Map<string, Joint<PeerClass>>();
  const groupSets = new Map<string, Joint<GroupSet>>();
  const ids = [...new Set([...was.interfaces, ...now.interfaces])].sort(compare);
  const roles: [Joint<PeerClass>, Joint<PeerClass>][] = [];
  for (const id of ids) {
    const placedBefore = was.placement.get(id);
    const placedAfter = now.placement.get(id);
    roles.push([
      joinClasses(sources, id, placedBefore?.source, placedAfter?.source),
      joinClasses(destinations, id, placedBefore?.destination, placedAfter?.destination),
    ]);
    joinClasses(groupSets, id, placedBefore?.groupSet, placedAfter?.groupSet);
  }
  // Interfaces that are both in a joint source class and in a joint destination class: the self-pairs to leave out.
  const both = new Map<number, number>();
  for (const [source, destination] of roles) {
    const key = source.index * destinations.size + destination.index;
    both.set(key, (both.get(key) ?? 0) + 1);
  }

  const writer = new DiffWriter(algebra, options?.limit ?? 200);
  let equal = true;
  for (const from of sources.values()) {
    for (const to of destinations.values()) {
      if (from.members === 1 && to.members === 1 && from.first === to.first) continue;
      const trafficBefore = from.before && to.before ? was.pairTraffic(from.before, to.before) : '';
      const trafficAfter = from.after && to.after ? now.pairTraffic(from.after, to.after) : '';
      if (trafficBefore === trafficAfter) continue;
      equal = false;
      const pairs = from.members * to.members - (both.get(from.index * destinations.size + to.index) ?? 0);
      const [x, y] =
        from.first !== to.first
          ? [from.first, to.first]
          : to.second !== undefined
            ? [from.first, to.second]
            : [from.second as string, to.first];
      writer.emit(`${x} → ${y}${alike(pairs, 'pairs')}`, trafficBefore, trafficAfter);
    }
  }
  for (const direction of ['inbound', 'outbound'] as const) {
    for (const joint of groupSets.values()) {
      const viewBefore = joint.before ? was.outside(joint.before)[direction] : undefined;
      const viewAfter = joint.after ? now.outside(joint.after)[direction] : undefined;
      if (sameData(viewBefore, viewAfter)) continue;
      equal = false;
      writer.emitViews(direction, `${joint.first}${alike(joint.members, 'interfaces')}`, viewBefore, viewAfter);
    }
  }
  return {
    equal,
    differences: writer.result(),
    interfaces: ids.length,
    classes: { sources: sources.size, destinations: destinations.size },
  };
}

/** The address intervals where two segment lists differ, each maximal for its (before, after) traffic pair. */
function diffSegments(
  was: readonly AddressSegment[],
  now: readonly AddressSegment[],
  family: Family,
): { where: string; was: string; now: string }[] {
  const parse = (segments: readonly AddressSegment[]) =>
    segments.map((s) => ({
      first: parseAddress(s.first, family) ?? 0n,
      last: parseAddress(s.last, family) ?? 0n,
      traffic: s.traffic,
    }));
  const a = parse(was);
  const b = parse(now);
  const points = [...new Set([...a, ...b].flatMap((s) => [s.first, s.last + 1n]))].sort((x, y) =>
    x < y ? -1 : x > y ? 1 : 0,
  );
  const at = (segments: typeof a, point: bigint) =>
    segments.find((s) => s.first <= point && point <= s.last)?.traffic ?? '';
  const changes: { first: bigint; last: bigint; was: string; now: string }[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const first = points[i] as bigint;
    const last = (points[i + 1] as bigint) - 1n;
    const before = at(a, first);
    const after = at(b, first);
    if (before === after) continue;
    const previous = changes[changes.length - 1];
    if (previous && previous.last + 1n === first && previous.was === before && previous.now === after)
      previous.last = last;
    else changes.push({ first, last, was: before, now: after });
  }
  return changes.map((c) => ({ where: describeInterval(c.first, c.last, family), was: c.was, now: c.now }));
}
