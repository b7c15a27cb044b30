/**
 * The S3 and CloudWatch Logs sources: the S3 object layout of
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html (one day prefix at a time, gzip objects
 * with a header line), and Logs Insights queries answering at most 10,000 rows (StartQuery `limit`).
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, type GetObjectCommandOutput, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  CloudWatchFlowLogSource,
  type LogsInsights,
  QUERY_ROW_LIMIT,
} from '../../../handlers/adapters/flow-logs/cloudwatch.ts';
import { dayPrefixes, S3FlowLogSource } from '../../../handlers/adapters/flow-logs/s3.ts';
import { readSources } from '../../../handlers/adapters/flow-logs/sources.ts';
import { FlowAggregator } from '../../../handlers/core/flow-logs/aggregate.ts';
import { DEFAULT_FIELDS, DEFAULT_LOG_FORMAT, parseLogFormat } from '../../../handlers/core/flow-logs/format.ts';

const ENI = 'eni-0a1b2c3d4e5f60718';
const START = Date.UTC(2026, 10, 30, 22) / 1000; // 2026-11-30 22:00 UTC
const WINDOW = { start: START, end: START + 6 * 3600 }; // crosses midnight
const record = (time: number, port: number) =>
  `2 111122223333 ${ENI} 10.0.0.5 10.0.1.9 ${port} 443 6 3 180 ${time} ${time + 60} ACCEPT OK`;

describe('S3 flow log objects', () => {
  it('lists the day prefixes the window touches, with the destination folder', () => {
    expect(
      dayPrefixes({ bucket: 'logs', prefix: 'flows/', accountId: '111122223333', region: 'eu-west-1' }, WINDOW),
    ).toEqual([
      'flows/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/11/30/',
      'flows/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/12/01/',
    ]);
  });

  it('lists the Hive-compatible day prefixes (flow-logs-s3-path.html) when the log uses them', () => {
    expect(
      dayPrefixes(
        { bucket: 'logs', prefix: 'flows', accountId: '111122223333', region: 'eu-west-1', hive: true },
        WINDOW,
      ),
    ).toEqual([
      'flows/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=30/',
      'flows/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=12/day=01/',
    ]);
  });

  it('streams every .log.gz object of each day (pages followed), header line included, other flow logs left out', async () => {
    const s3 = mockClient(S3Client);
    const base = 'AWSLogs/111122223333/vpcflowlogs/us-east-1';
    const header = DEFAULT_FIELDS.join(' ');
    const object = (...lines: string[]) =>
      ({ Body: Readable.from([gzipSync(`${[header, ...lines].join('\n')}\n`)]) }) as unknown as GetObjectCommandOutput;
    s3.on(ListObjectsV2Command, { Prefix: `${base}/2026/11/30/` })
      .resolvesOnce({
        Contents: [{ Key: `${base}/2026/11/30/111122223333_vpcflowlogs_us-east-1_fl-1_20261130T2200Z_a.log.gz` }],
        IsTruncated: true,
        NextContinuationToken: 't',
      })
      .resolvesOnce({
        Contents: [
          { Key: `${base}/2026/11/30/111122223333_vpcflowlogs_us-east-1_fl-2_20261130T2300Z_b.log.gz` },
          { Key: `${base}/2026/11/30/111122223333_vpcflowlogs_us-east-1_fl-1_20261130T2300Z_c.log.gz` },
        ],
      });
    s3.on(ListObjectsV2Command, { Prefix: `${base}/2026/12/01/` }).resolves({
      Contents: [{ Key: `${base}/2026/12/01/111122223333_vpcflowlogs_us-east-1_fl-1_20261201T0100Z_d.log.gz` }],
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.includes('_fl-2_')) throw new Error('another flow log must not be read');
      return object(record(START + 600, 50000), record(START + 3 * 3600, 50001));
    });
    const aggregator = new FlowAggregator({ interfaces: new Map([[ENI, ['10.0.0.5']]]), window: WINDOW });
    const source = new S3FlowLogSource(new S3Client({ region: 'us-east-1' }), {
      bucket: 'logs',
      accountId: '111122223333',
      region: 'us-east-1',
      flowLogId: 'fl-1',
    });
    await readSources([source], aggregator, WINDOW);
    expect(aggregator.counts).toMatchObject({ headers: 3, lines: 6, accepted: 6, malformed: 0 });
    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.ContinuationToken)).toEqual([
      undefined,
      't',
      undefined,
    ]);
    s3.restore();
  });
});

describe('CloudWatch Logs (Logs Insights)', () => {
  /** A fake Logs Insights over a list of events: answers rows in the time range, at most `limit`. */
  function insightsOver(events: { time: number; message: string }[]): LogsInsights & { queries: [number, number][] } {
    const queries: [number, number][] = [];
    const results = new Map<string, string[]>();
    return {
      queries,
      async startQuery({ startTime, endTime, limit }) {
        queries.push([startTime, endTime]);
        const id = `q${queries.length}`;
        results.set(
          id,
          events
            .filter((e) => e.time >= startTime && e.time <= endTime)
            .slice(0, limit)
            .map((e) => e.message),
        );
        return { queryId: id };
      },
      async getQueryResults({ queryId }) {
        const rows = results.get(queryId) ?? [];
        return {
          status: 'Complete',
          results: rows.map((value) => [
            { field: '@timestamp', value: '0' },
            { field: '@message', value },
          ]),
        };
      },
    };
  }

  it('splits a slice that came back full until every slice is under the row limit, reading every record once', async () => {
    const events = Array.from({ length: QUERY_ROW_LIMIT + 2500 }, (_, i) => {
      const time = START + Math.floor((i * 6 * 3600) / (QUERY_ROW_LIMIT + 2500));
      return { time, message: record(time, 40000 + (i % 20000)) };
    });
    const insights = insightsOver(events);
    const aggregator = new FlowAggregator({ interfaces: new Map([[ENI, ['10.0.0.5']]]), window: WINDOW });
    await readSources(
      [
        new CloudWatchFlowLogSource(insights, '/vpc/flow-logs', parseLogFormat(DEFAULT_LOG_FORMAT), {
          sleep: async () => {},
        }),
      ],
      aggregator,
      WINDOW,
    );
    expect(aggregator.counts.accepted).toBe(events.length);
    expect(insights.queries.length).toBe(3); // the whole window (full), then its two halves
  });

  it('fails naming the log group when a query ends Failed', async () => {
    const insights: LogsInsights = {
      startQuery: async () => ({ queryId: 'q' }),
      getQueryResults: async () => ({ status: 'Failed' }),
    };
    const aggregator = new FlowAggregator({ interfaces: new Map([[ENI, ['10.0.0.5']]]), window: WINDOW });
    await expect(
      readSources(
        [new CloudWatchFlowLogSource(insights, '/vpc/flow-logs', parseLogFormat(DEFAULT_LOG_FORMAT))],
        aggregator,
        WINDOW,
      ),
    ).rejects.toThrow('CloudWatch Logs /vpc/flow-logs: the query ended Failed');
  });
});
