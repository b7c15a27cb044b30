/**
 * Flow log records folded, as they are read, into what a proposal needs: per interface of interest, who opened which
 * connections to which peer on which port, with the evidence for the opening side; and how much of the window the
 * logs cover. Records are never kept: memory grows with the distinct (interface, opener, protocol, port) buckets and
 * at most `PEERS_PER_BUCKET` peer addresses each (beyond that a bucket keeps a summary: public or which private
 * blocks), plus one byte per hour of the window — not with the number of records.
 *
 * Which side opened (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html, `tcp-flags`): the value
 * is a bitmask of FIN (1), SYN (2), RST (4) and SYN-ACK (18), OR-ed over the aggregation interval; ACK alone is not
 * recorded. A record whose flags include SYN but not SYN-ACK was sent by the side that opened the connection; one
 * with SYN-ACK, by the side that answered. Without SYN (later intervals of a long connection, no `tcp-flags` in the
 * format, UDP) the port pattern decides: a well-known port (≤ 1023) against a higher one, or a port below the
 * ephemeral range (32768, Linux's default start; Windows and NAT gateways use 49152+ and 1024–65535) against one in
 * it: the lower port is the listener. Otherwise the flow is `uncertain` and the proposal allows both directions.
 * Protocols without ports (ICMP, …) are always `uncertain`: a reply cannot be told from a request.
 */
import {
  emptyRecord,
  type FlowLogLayout,
  type FlowRecord,
  isHeaderLine,
  parseHeaderLine,
  parseRecord,
} from './format.ts';

export type Evidence = 'tcp-flags' | 'port pattern' | 'uncertain';

/** Peer addresses kept per bucket; past this the bucket keeps a summary and the proposal widens its CIDR. */
export const PEERS_PER_BUCKET = 64;
export const EPHEMERAL_START = 32768;
const HOUR = 3600;
const TCP = 6;
const UDP = 17;
const SYN = 2;
const SYN_ACK = 18;

export interface AggregationScope {
  /** Interface id → its private addresses (IPv4 and IPv6 text, as the state lists them). Others are skipped. */
  interfaces: ReadonlyMap<string, readonly string[]>;
  /** The window, Unix seconds: records ending before `start` or starting after `end` are not counted. */
  window: { start: number; end: number };
}

export interface PeerStats {
  records: number;
  first: number;
  last: number;
}

/** Peers past the cap: only what widening needs. */
export interface PeerOverflow {
  count: number;
  public4: boolean;
  public6: boolean;
  /** Private IPv4 peers: the smallest common prefix, as [network, length]. */
  private4?: [number, number];
  private6: boolean;
}

export interface FlowBucket {
  interfaceId: string;
  /** `local`: the interface opened the connections (its group needs an egress rule); `peer`: the peer did (ingress). */
  opener: 'local' | 'peer';
  protocol: number;
  /** The listener's port; -1 for protocols without ports. */
  port: number;
  /** Uncertain buckets: the opener's port, in case the guess is the wrong way round (-1 otherwise). */
  otherPort: number;
  evidence: Record<Evidence, number>;
  peers: Map<string, PeerStats>;
  overflow?: PeerOverflow;
}

export interface Coverage {
  /** The window asked for, Unix seconds. */
  window: { start: number; end: number };
  /** Earliest start and latest end of a counted record (OK or NODATA), or undefined when none. */
  first?: number;
  last?: number;
  /** Hours of the window with at least one record (OK or NODATA) of an interface of interest. */
  hoursCovered: number;
  hoursInWindow: number;
  /** Runs of hours without records between `first` and `last`: [start, end) Unix seconds. */
  gaps: [number, number][];
  /** Hours with a SKIPDATA record (flows the service could not capture). */
  hoursSkipped: number;
}

export interface RecordCounts {
  lines: number;
  malformed: number;
  headers: number;
  outsideWindow: number;
  otherInterfaces: number;
  rejected: number;
  noData: number;
  skipData: number;
  /** ACCEPT records of the interfaces of interest whose local side could not be told (neither address is theirs). */
  unplaced: number;
  accepted: number;
}

export interface Observations {
  buckets: FlowBucket[];
  coverage: Coverage;
  counts: RecordCounts;
  /** Interfaces of interest with at least one record in the window (OK or NODATA). */
  interfacesSeen: string[];
}

function ipv4Number(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!Number.isInteger(octet) || octet < 0 || octet > 255 || part === '') return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** RFC 1918 and the other ranges EC2 uses privately (100.64.0.0/10 carrier-grade NAT, 169.254.0.0/16 link-local). */
export function isPrivateIpv4(value: number): boolean {
  return (
    value >>> 24 === 10 ||
    value >>> 20 === (172 << 4) + 1 ||
    value >>> 16 === (192 << 8) + 168 ||
    value >>> 22 === (100 << 2) + 1 ||
    value >>> 16 === (169 << 8) + 254
  );
}

/** The smallest prefix containing both [network, length] and the address. */
function widen(prefix: [number, number] | undefined, address: number): [number, number] {
  if (!prefix) return [address, 32];
  let [network, length] = prefix;
  while (length > 0 && network >>> (32 - length) !== (address >>> (32 - length)) >>> 0) {
    length--;
    network = length === 0 ? 0 : ((network >>> (32 - length)) << (32 - length)) >>> 0;
  }
  return [network >>> 0, length];
}

/** Which side of a record opened the connection, and how sure that is. */
function opening(record: FlowRecord): { sourceOpened: boolean; evidence: Evidence } {
  if (record.protocol === TCP && record.tcpFlags >= 0 && (record.tcpFlags & SYN) !== 0)
    return { sourceOpened: (record.tcpFlags & SYN_ACK) !== SYN_ACK, evidence: 'tcp-flags' };
  if ((record.protocol === TCP || record.protocol === UDP) && record.srcport >= 0 && record.dstport >= 0) {
    const src = record.srcport;
    const dst = record.dstport;
    // The lower port listens; ties: the destination (the record was sent to it).
    const sourceOpened = src >= dst;
    if (src <= 1023 !== dst <= 1023 || src >= EPHEMERAL_START !== dst >= EPHEMERAL_START)
      return { sourceOpened, evidence: 'port pattern' };
    return { sourceOpened, evidence: 'uncertain' };
  }
  return { sourceOpened: true, evidence: 'uncertain' };
}

export class FlowAggregator {
  private readonly buckets = new Map<string, FlowBucket>();
  private readonly hours: Uint8Array;
  private readonly seen = new Set<string>();
  private readonly localAddresses: Map<string, Set<string>>;
  private readonly record = emptyRecord();
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;
  readonly counts: RecordCounts = {
    lines: 0,
    malformed: 0,
    headers: 0,
    outsideWindow: 0,
    otherInterfaces: 0,
    rejected: 0,
    noData: 0,
    skipData: 0,
    unplaced: 0,
    accepted: 0,
  };

  constructor(private readonly scope: AggregationScope) {
    const { start, end } = scope.window;
    if (!(end > start)) throw new RangeError('the window must end after it starts');
    this.hours = new Uint8Array(Math.ceil((end - start) / HOUR));
    this.localAddresses = new Map([...scope.interfaces].map(([id, addresses]) => [id, new Set(addresses)]));
  }

  /**
   * Reads one line of a log. A header line (`version account-id …`, as S3 files start) sets the layout of the lines
   * after it; the answer is the layout to use next. Lines that do not parse are counted, not thrown: a log is read
   * to the end and the count is reported.
   */
  addLine(line: string, layout: FlowLogLayout | undefined): FlowLogLayout | undefined {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed === '') return layout;
    if (isHeaderLine(trimmed)) {
      this.counts.headers++;
      return parseHeaderLine(trimmed);
    }
    this.counts.lines++;
    if (!layout || parseRecord(trimmed, layout, this.record) !== 'ok') {
      this.counts.malformed++;
      return layout;
    }
    this.add(this.record);
    return layout;
  }

  add(record: FlowRecord): void {
    const local = this.localAddresses.get(record.interfaceId);
    if (!local) {
      this.counts.otherInterfaces++;
      return;
    }
    const { start, end } = this.scope.window;
    if (record.end < start || record.start > end) {
      this.counts.outsideWindow++;
      return;
    }
    this.seen.add(record.interfaceId);
    if (record.logStatus === 'SKIPDATA') {
      this.counts.skipData++;
      this.markHours(record, 2);
      return;
    }
    this.markHours(record, 1);
    this.first = Math.min(this.first, Math.max(record.start, start));
    this.last = Math.max(this.last, Math.min(record.end, end));
    if (record.logStatus === 'NODATA') {
      this.counts.noData++;
      return;
    }
    if (record.action !== 'ACCEPT') {
      this.counts.rejected++;
      return;
    }
    const localIsSource =
      record.flowDirection !== undefined
        ? record.flowDirection === 'egress'
        : local.has(record.srcaddr)
          ? true
          : local.has(record.dstaddr)
            ? false
            : undefined;
    if (localIsSource === undefined) {
      this.counts.unplaced++;
      return;
    }
    this.counts.accepted++;
    const { sourceOpened, evidence } = opening(record);
    const opener = localIsSource === sourceOpened ? 'local' : 'peer';
    const peer = localIsSource ? record.pktDstaddr : record.pktSrcaddr;
    const hasPorts = record.protocol === TCP || record.protocol === UDP;
    const port = !hasPorts ? -1 : sourceOpened ? record.dstport : record.srcport;
    const otherPort = !hasPorts || evidence !== 'uncertain' ? -1 : sourceOpened ? record.srcport : record.dstport;
    const key = `${record.interfaceId}|${opener}|${record.protocol}|${port}|${otherPort}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = {
        interfaceId: record.interfaceId,
        opener,
        protocol: record.protocol,
        port,
        otherPort,
        evidence: { 'tcp-flags': 0, 'port pattern': 0, uncertain: 0 },
        peers: new Map(),
      };
      this.buckets.set(key, bucket);
    }
    bucket.evidence[evidence]++;
    const stats = bucket.peers.get(peer);
    if (stats) {
      stats.records++;
      stats.first = Math.min(stats.first, record.start);
      stats.last = Math.max(stats.last, record.end);
    } else if (bucket.peers.size < PEERS_PER_BUCKET) {
      bucket.peers.set(peer, { records: 1, first: record.start, last: record.end });
    } else {
      bucket.overflow = addOverflow(bucket.overflow, peer);
    }
  }

  private markHours(record: FlowRecord, flag: number): void {
    const { start } = this.scope.window;
    const from = Math.max(0, Math.floor((record.start - start) / HOUR));
    const to = Math.min(this.hours.length - 1, Math.floor((record.end - start) / HOUR));
    for (let hour = from; hour <= to; hour++) this.hours[hour] = (this.hours[hour] as number) | flag;
  }

  /** What was read so far, buckets sorted (the same records in any order give the same observations). */
  observations(): Observations {
    const { start, end } = this.scope.window;
    let covered = 0;
    let skipped = 0;
    const gaps: [number, number][] = [];
    const firstHour = Number.isFinite(this.first) ? Math.floor((this.first - start) / HOUR) : 0;
    const lastHour = Number.isFinite(this.last) ? Math.floor((this.last - start) / HOUR) : -1;
    let gapStart = -1;
    for (let hour = 0; hour < this.hours.length; hour++) {
      const flags = this.hours[hour] as number;
      if (flags & 1) covered++;
      if (flags & 2) skipped++;
      const inside = hour >= firstHour && hour <= lastHour;
      if (inside && !(flags & 1) && gapStart < 0) gapStart = hour;
      if (gapStart >= 0 && (flags & 1 || hour === lastHour)) {
        const gapEnd = flags & 1 ? hour : hour + 1;
        gaps.push([start + gapStart * HOUR, start + gapEnd * HOUR]);
        gapStart = -1;
      }
    }
    const buckets = [...this.buckets.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, bucket]) => ({
        ...bucket,
        peers: new Map([...bucket.peers.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      }));
    return {
      buckets,
      coverage: {
        window: { start, end },
        ...(Number.isFinite(this.first) ? { first: this.first, last: this.last } : {}),
        hoursCovered: covered,
        hoursInWindow: this.hours.length,
        gaps,
        hoursSkipped: skipped,
      },
      counts: { ...this.counts },
      interfacesSeen: [...this.seen].sort(),
    };
  }
}

function addOverflow(overflow: PeerOverflow | undefined, peer: string): PeerOverflow {
  const next = overflow ?? { count: 0, public4: false, public6: false, private6: false };
  next.count++;
  if (peer.includes(':')) {
    // fc00::/7 (unique local) and fe80::/10 (link-local) are private; every other IPv6 address is public.
    const head = peer.toLowerCase();
    if (head.startsWith('fc') || head.startsWith('fd') || head.startsWith('fe8')) next.private6 = true;
    else next.public6 = true;
    return next;
  }
  const value = ipv4Number(peer);
  if (value === undefined || !isPrivateIpv4(value)) next.public4 = true;
  else next.private4 = widen(next.private4, value);
  return next;
}

/** Reads a whole log (any async iterable of lines) into the aggregator; `logFormat` for logs without a header line. */
export async function readLines(
  lines: AsyncIterable<string> | Iterable<string>,
  aggregator: FlowAggregator,
  layout: FlowLogLayout | undefined,
): Promise<void> {
  let current = layout;
  for await (const line of lines) current = aggregator.addLine(line, current);
}
