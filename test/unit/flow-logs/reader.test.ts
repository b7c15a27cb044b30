/**
 * Reading flow logs: records as https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html and
 * flow-logs-records-examples.html write them (default format, custom formats with tcp-flags and pkt-* fields,
 * NODATA/SKIPDATA, the S3 files' header line and gzip), folded without keeping records.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { fileLines } from '../../../handlers/adapters/flow-logs/lines.ts';
import {
  FlowAggregator,
  type FlowBucket,
  PEERS_PER_BUCKET,
  readLines,
} from '../../../handlers/core/flow-logs/aggregate.ts';
import {
  DEFAULT_LOG_FORMAT,
  FlowLogFormatError,
  logFormatOf,
  parseLogFormat,
  RECOMMENDED_LOG_FORMAT,
} from '../../../handlers/core/flow-logs/format.ts';

const ENI = 'eni-1235b8ca123456789';
const DAY = 86400;
// The AWS examples are from 2014-2019; a window around them.
const WINDOW = { start: 1418500000, end: 1418500000 + 30 * DAY };

function aggregator(interfaces: Record<string, string[]> = { [ENI]: ['172.31.16.21'] }, window = WINDOW) {
  return new FlowAggregator({ interfaces: new Map(Object.entries(interfaces)), window });
}

function bucketsOf(agg: FlowAggregator): FlowBucket[] {
  return agg.observations().buckets;
}

const temp = mkdtempSync(join(tmpdir(), 'flow-logs-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('default format (version 2)', () => {
  it('reads the accepted SSH example as an inbound connection to port 22 (port pattern: 22 against 20641)', async () => {
    const agg = aggregator();
    await readLines(
      [`2 123456789010 ${ENI} 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK`],
      agg,
      parseLogFormat(DEFAULT_LOG_FORMAT),
    );
    const [bucket] = bucketsOf(agg);
    expect(bucket).toMatchObject({ interfaceId: ENI, opener: 'peer', protocol: 6, port: 22, otherPort: -1 });
    expect(bucket?.evidence['port pattern']).toBe(1);
    expect([...(bucket?.peers.keys() ?? [])]).toEqual(['172.31.16.139']);
    expect(agg.counts.accepted).toBe(1);
  });

  it('counts REJECT records apart and proposes nothing from them', async () => {
    const agg = aggregator({ [ENI]: ['172.31.9.12'] });
    await readLines(
      [`2 123456789010 ${ENI} 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK`],
      agg,
      parseLogFormat(DEFAULT_LOG_FORMAT),
    );
    expect(bucketsOf(agg)).toEqual([]);
    expect(agg.counts.rejected).toBe(1);
  });

  it('reads NODATA as covered time without flows and SKIPDATA as skipped time', async () => {
    const agg = aggregator({ [ENI]: ['172.31.16.21'] }, { start: 1431280000, end: 1431280000 + DAY });
    await readLines(
      [
        `2 123456789010 ${ENI} - - - - - - - 1431280876 1431280934 - NODATA`,
        `2 123456789010 ${ENI} - - - - - - - 1431280876 1431280934 - SKIPDATA`,
      ],
      agg,
      parseLogFormat(DEFAULT_LOG_FORMAT),
    );
    const observations = agg.observations();
    expect(observations.counts).toMatchObject({ noData: 1, skipData: 1, malformed: 0, accepted: 0 });
    expect(observations.coverage.hoursCovered).toBe(1);
    expect(observations.coverage.hoursSkipped).toBe(1);
    expect(observations.interfacesSeen).toEqual([ENI]);
  });

  it('counts lines with the wrong number of fields or a bad number as malformed, and reads on', async () => {
    const agg = aggregator();
    await readLines(
      [
        `2 123456789010 ${ENI} 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 ACCEPT OK`,
        `2 123456789010 ${ENI} 172.31.16.139 172.31.16.21 port 22 6 20 4249 1418530010 1418530070 ACCEPT OK`,
        `2 123456789010 ${ENI} 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK`,
      ],
      agg,
      parseLogFormat(DEFAULT_LOG_FORMAT),
    );
    expect(agg.counts).toMatchObject({ lines: 3, malformed: 2, accepted: 1 });
  });
});

describe('custom formats', () => {
  // The TCP flag sequence example of flow-logs-records-examples.html (version 3 fields, in that page's order).
  const V3 = logFormatOf(
    (
      'version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport ' +
      'pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status'
    ).split(' '),
  );
  const prefix = '3 vpc-abcda60e subnet-aaaa3333 i-01234567890123456 eni-33333333333333333 123456789010 IPv4';
  const flows = (client: number, server: number, flags: [number, number]) => [
    `${prefix} 52.213.180.42 10.0.0.62 ${client} ${server} 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT ${flags[0]} OK`,
    `${prefix} 10.0.0.62 52.213.180.42 ${server} ${client} 10.0.0.62 52.213.180.42 6 376 7 1566848875 1566848933 ACCEPT ${flags[1]} OK`,
  ];
  const interfaces = { 'eni-33333333333333333': ['10.0.0.62'] };
  const window = { start: 1566800000, end: 1566800000 + 30 * DAY };

  it('takes the listening side from SYN / SYN-ACK even when the ports say the opposite', async () => {
    // The client uses port 80 as its source and connects to 45000: the port pattern alone would get it backwards.
    const agg = aggregator(interfaces, window);
    await readLines(flows(80, 45000, [2, 18]), agg, parseLogFormat(V3));
    const buckets = bucketsOf(agg);
    expect(buckets).toHaveLength(1);
    expect(buckets[0]).toMatchObject({ opener: 'peer', port: 45000, protocol: 6 });
    expect(buckets[0]?.evidence).toEqual({ 'tcp-flags': 2, 'port pattern': 0, uncertain: 0 });
  });

  it('reads flags OR-ed over the interval (SYN+FIN = 3, SYN-ACK+FIN = 19) the same way', async () => {
    const agg = aggregator(interfaces, window);
    await readLines(flows(43416, 5001, [3, 19]), agg, parseLogFormat(V3));
    expect(bucketsOf(agg)).toMatchObject([{ opener: 'peer', port: 5001 }]);
    expect(bucketsOf(agg)[0]?.evidence['tcp-flags']).toBe(2);
  });

  it('marks a flow uncertain when neither flags nor ports tell, keeping the other port', async () => {
    const agg = aggregator(interfaces, window);
    await readLines(flows(40000, 45000, [0, 0]), agg, parseLogFormat(V3));
    const buckets = bucketsOf(agg);
    expect(buckets.every((bucket) => bucket.evidence.uncertain > 0)).toBe(true);
    // The guess (the lower port listens) is wrong here — the peer opened from 40000 to 45000 — which is why the bucket
    // keeps the other port: the proposal allows both ways round and marks the rule uncertain.
    expect(buckets.map((bucket) => [bucket.opener, bucket.port, bucket.otherPort])).toEqual([['local', 40000, 45000]]);
  });

  it('names the peer by pkt-srcaddr when it differs from srcaddr (traffic through a NAT or to a pod address)', async () => {
    const layout = parseLogFormat(RECOMMENDED_LOG_FORMAT);
    const agg = aggregator({ [ENI]: ['10.0.1.5'] });
    await readLines(
      [
        `5 123456789010 ${ENI} 10.0.9.9 10.0.1.5 51000 443 6 3 180 1418530010 1418530070 ACCEPT OK 2 203.0.113.7 10.0.1.5 ingress`,
      ],
      agg,
      layout,
    );
    expect([...(bucketsOf(agg)[0]?.peers.keys() ?? [])]).toEqual(['203.0.113.7']);
  });

  it('refuses an unknown field or a format without the fields a proposal needs, naming them', () => {
    expect(() => parseLogFormat(logFormatOf(['version', 'interface-id', 'srcaddress']))).toThrow(
      new FlowLogFormatError('LogFormat: unknown flow log field "srcaddress"'),
    );
    expect(() => parseLogFormat(logFormatOf(['version', 'interface-id', 'srcaddr', 'dstaddr']))).toThrow(
      /lacks srcport, dstport/,
    );
    expect(() => parseLogFormat('version interface-id')).toThrow(/is not a \$\{field\}/);
  });
});

describe('files and S3 objects', () => {
  it('reads a gzip file with the header line S3 objects start with, the header giving the format', async () => {
    const header = DEFAULT_LOG_FORMAT.replace(/\$\{([a-z-]+)\}/g, '$1');
    const body = [
      header,
      `2 123456789010 ${ENI} 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK`,
      `2 123456789010 ${ENI} 172.31.16.21 8.8.8.8 40000 53 17 1 60 1418530010 1418530070 ACCEPT OK`,
      '',
    ].join('\n');
    const path = join(temp, '123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0000Z_hash.log.gz');
    writeFileSync(path, gzipSync(body));
    const agg = aggregator();
    await readLines(fileLines(path), agg, undefined);
    expect(agg.counts).toMatchObject({ headers: 1, lines: 2, malformed: 0, accepted: 2 });
    expect(bucketsOf(agg).map((b) => `${b.opener} ${b.protocol}/${b.port}`)).toEqual(['local 17/53', 'peer 6/22']);
  });

  it('reads a plain file with CRLF line ends', async () => {
    const path = join(temp, 'plain.log');
    writeFileSync(
      path,
      `2 123456789010 ${ENI} 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\r\n`,
    );
    const agg = aggregator();
    await readLines(fileLines(path), agg, parseLogFormat(DEFAULT_LOG_FORMAT));
    expect(agg.counts).toMatchObject({ lines: 1, accepted: 1, malformed: 0 });
  });
});

describe('bounded memory and the window', () => {
  it('keeps at most PEERS_PER_BUCKET peer addresses per bucket and summarises the rest', async () => {
    const agg = aggregator({ [ENI]: ['10.0.1.5'] });
    const layout = parseLogFormat(DEFAULT_LOG_FORMAT);
    for (let i = 0; i < 5000; i++)
      agg.addLine(
        `2 123456789010 ${ENI} 10.0.1.5 198.51.${i >> 8}.${i & 255} ${40000 + (i % 1000)} 443 6 5 300 1418530010 1418530070 ACCEPT OK`,
        layout,
      );
    const [bucket] = bucketsOf(agg);
    expect(bucket?.peers.size).toBe(PEERS_PER_BUCKET);
    expect(bucket?.overflow).toMatchObject({ count: 5000 - PEERS_PER_BUCKET, public4: true });
    expect(bucket).toMatchObject({ opener: 'local', port: 443 });
  });

  it('leaves out records outside the window and reports the gaps between covered hours', async () => {
    const start = 1418500000;
    const agg = aggregator({ [ENI]: ['172.31.16.21'] }, { start, end: start + DAY });
    const layout = parseLogFormat(DEFAULT_LOG_FORMAT);
    const at = (hour: number) =>
      `2 123456789010 ${ENI} - - - - - - - ${start + hour * 3600 + 10} ${start + hour * 3600 + 70} - NODATA`;
    for (const line of [at(0), at(1), at(5), at(6), at(40)]) agg.addLine(line, layout);
    const { coverage, counts } = agg.observations();
    expect(counts.outsideWindow).toBe(1);
    expect(coverage.hoursCovered).toBe(4);
    expect(coverage.gaps).toEqual([[start + 2 * 3600, start + 5 * 3600]]);
  });

  it('gives the same observations whatever the order of the records', async () => {
    const layout = parseLogFormat(DEFAULT_LOG_FORMAT);
    const lines = Array.from(
      { length: 50 },
      (_, i) =>
        `2 123456789010 ${ENI} 172.31.16.${i % 7} 172.31.16.21 ${20000 + i} ${i % 3 === 0 ? 22 : 443} 6 1 60 ${1418530010 + i} 1418530070 ACCEPT OK`,
    );
    const a = aggregator();
    const b = aggregator();
    for (const line of lines) a.addLine(line, layout);
    for (const line of [...lines].reverse()) b.addLine(line, layout);
    expect(b.observations()).toEqual(a.observations());
  });
});
