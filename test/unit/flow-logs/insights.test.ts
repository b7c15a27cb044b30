/**
 * The Logs Insights adapter over `CloudWatchLogsClient` (aws-sdk-client-mock), as the API reference describes the two
 * calls: StartQuery (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html: errors
 * LimitExceededException when the account runs its concurrent queries, MalformedQueryException,
 * ResourceNotFoundException, InvalidParameterException, ServiceUnavailableException; ThrottlingException for every
 * call) and GetQueryResults (statuses Scheduled, Running, Complete, Failed, Cancelled, Timeout, Unknown).
 */
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  LimitExceededException,
  MalformedQueryException,
  ResourceNotFoundException,
  StartQueryCommand,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchFlowLogSource, queryFor } from '../../../handlers/adapters/flow-logs/cloudwatch.ts';
import { LogGroupNotFoundError, SdkLogsInsights } from '../../../handlers/adapters/flow-logs/insights.ts';
import { readSources } from '../../../handlers/adapters/flow-logs/sources.ts';
import { FlowAggregator } from '../../../handlers/core/flow-logs/aggregate.ts';
import { DEFAULT_LOG_FORMAT, parseLogFormat } from '../../../handlers/core/flow-logs/format.ts';

const logs = mockClient(CloudWatchLogsClient);
const client = new CloudWatchLogsClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  maxAttempts: 1,
});
const ENI = 'eni-0a1b2c3d4e5f60718';
const START = Date.UTC(2026, 10, 30) / 1000;
const WINDOW = { start: START, end: START + 3600 };
const record = (time: number) =>
  `2 111122223333 ${ENI} 10.0.0.5 10.0.1.9 50000 443 6 3 180 ${time} ${time + 60} ACCEPT OK`;
const meta = { $metadata: { httpStatusCode: 400 } };

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

beforeEach(() => logs.reset());
afterAll(() => logs.restore());

describe('SdkLogsInsights', () => {
  it('sends StartQuery and GetQueryResults with the API fields and answers their output', async () => {
    logs.on(StartQueryCommand).resolves({ queryId: 'q-1' });
    logs.on(GetQueryResultsCommand).resolves({
      status: 'Complete',
      results: [[{ field: '@message', value: record(START) }]],
    });
    const insights = new SdkLogsInsights(client);
    const input = { logGroupName: '/vpc/flow', startTime: START, endTime: START + 60, queryString: 'q', limit: 10 };
    expect(await insights.startQuery(input)).toEqual({ queryId: 'q-1' });
    expect(logs.commandCalls(StartQueryCommand)[0]?.args[0].input).toEqual(input);
    expect(await insights.getQueryResults({ queryId: 'q-1' })).toEqual({
      status: 'Complete',
      results: [[{ field: '@message', value: record(START) }]],
    });
  });

  it('waits out LimitExceededException (too many concurrent queries), backing off, then starts the query', async () => {
    const limit = new LimitExceededException({
      message: 'Account maximum query concurrency limit of [30] reached',
      ...meta,
    });
    logs.on(StartQueryCommand).rejectsOnce(limit).rejectsOnce(limit).resolves({ queryId: 'q-2' });
    const { waits, sleep } = recordingSleep();
    const insights = new SdkLogsInsights(client, { sleep, baseDelayMs: 1000, maxDelayMs: 1500 });
    const answer = await insights.startQuery({
      logGroupName: '/vpc/flow',
      startTime: START,
      endTime: START + 60,
      queryString: 'q',
      limit: 10,
    });
    expect(answer).toEqual({ queryId: 'q-2' });
    expect(waits).toEqual([1000, 1500]);
  });

  it('gives up after the attempts, saying the account runs too many queries', async () => {
    logs.on(StartQueryCommand).rejects(new LimitExceededException({ message: 'limit', ...meta }));
    const { waits, sleep } = recordingSleep();
    const insights = new SdkLogsInsights(client, { sleep, attempts: 3 });
    await expect(
      insights.startQuery({ logGroupName: '/vpc/flow', startTime: 0, endTime: 60, queryString: 'q', limit: 10 }),
    ).rejects.toThrow(
      /StartQuery: the account is running as many Logs Insights queries as it may at once \(3 attempts/,
    );
    expect(waits).toHaveLength(2);
  });

  it('retries GetQueryResults when throttled', async () => {
    logs
      .on(GetQueryResultsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', ...meta }))
      .resolves({ status: 'Running' });
    const { sleep } = recordingSleep();
    expect(await new SdkLogsInsights(client, { sleep }).getQueryResults({ queryId: 'q' })).toEqual({
      status: 'Running',
    });
    expect(logs.commandCalls(GetQueryResultsCommand)).toHaveLength(2);
  });

  it('names a log group that does not exist, and does not retry a malformed query', async () => {
    logs
      .on(StartQueryCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'Log group does not exist', ...meta }))
      .rejectsOnce(new MalformedQueryException({ message: 'unexpected symbol', ...meta }));
    const insights = new SdkLogsInsights(client, { sleep: async () => {} });
    const input = { logGroupName: '/vpc/none', startTime: 0, endTime: 60, queryString: 'q', limit: 10 };
    const missing = await insights.startQuery(input).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(LogGroupNotFoundError);
    expect((missing as Error).message).toBe('the log group /vpc/none does not exist in this account and region');
    await expect(insights.startQuery(input)).rejects.toMatchObject({ name: 'MalformedQueryException' });
    expect(logs.commandCalls(StartQueryCommand)).toHaveLength(2);
  });
});

describe('CloudWatchFlowLogSource over the SDK adapter', () => {
  it('polls while Scheduled or Running, splits a slice whose query timed out, and reads every record once', async () => {
    let query = 0;
    logs.on(StartQueryCommand).callsFake(async () => ({ queryId: `q-${++query}` }));
    const statuses = new Map<string, string[]>([
      ['q-1', ['Scheduled', 'Running', 'Timeout']],
      ['q-2', ['Running', 'Complete']],
      ['q-3', ['Complete']],
    ]);
    logs.on(GetQueryResultsCommand).callsFake(async ({ queryId }: { queryId: string }) => {
      const status = statuses.get(queryId)?.shift() ?? 'Unknown';
      const time = queryId === 'q-2' ? START + 60 : START + 3000;
      return { status, results: status === 'Complete' ? [[{ field: '@message', value: record(time) }]] : [] };
    });
    const source = new CloudWatchFlowLogSource(
      new SdkLogsInsights(client),
      '/vpc/flow',
      parseLogFormat(DEFAULT_LOG_FORMAT),
      {
        sleep: async () => {},
        interfaceIds: [ENI],
      },
    );
    const aggregator = new FlowAggregator({ interfaces: new Map([[ENI, ['10.0.0.5']]]), window: WINDOW });
    await readSources([source], aggregator, WINDOW);
    expect(aggregator.counts.accepted).toBe(2);
    const ranges = logs
      .commandCalls(StartQueryCommand)
      .map((call) => [call.args[0].input.startTime, call.args[0].input.endTime]);
    expect(ranges).toEqual([
      [START, START + 3600],
      [START, START + 1800],
      [START + 1801, START + 3600],
    ]);
    expect(logs.commandCalls(StartQueryCommand)[0]?.args[0].input.queryString).toBe(
      `fields @message | filter @message like /${ENI}/ | sort @timestamp asc`,
    );
  });

  it('fails naming the log group when a query ends Cancelled or Unknown', async () => {
    logs.on(StartQueryCommand).resolves({ queryId: 'q' });
    logs.on(GetQueryResultsCommand).resolves({ status: 'Cancelled' });
    const source = new CloudWatchFlowLogSource(
      new SdkLogsInsights(client),
      '/vpc/flow',
      parseLogFormat(DEFAULT_LOG_FORMAT),
    );
    const aggregator = new FlowAggregator({ interfaces: new Map([[ENI, ['10.0.0.5']]]), window: WINDOW });
    await expect(readSources([source], aggregator, WINDOW)).rejects.toThrow(
      'CloudWatch Logs /vpc/flow: the query ended Cancelled',
    );
  });

  it('filters by interface only with well-formed ids, and not past the cap', () => {
    expect(queryFor()).toBe('fields @message | sort @timestamp asc');
    expect(queryFor(['eni-0a1b2c3d', 'eni-0a1b2c3d4e5f60718'])).toBe(
      'fields @message | filter @message like /eni-0a1b2c3d|eni-0a1b2c3d4e5f60718/ | sort @timestamp asc',
    );
    expect(queryFor(['eni-0a1b2c3d', 'x/ | delete'])).toBe('fields @message | sort @timestamp asc');
    const many = Array.from({ length: 201 }, (_, i) => `eni-${String(i).padStart(8, '0')}`);
    expect(queryFor(many)).toBe('fields @message | sort @timestamp asc');
  });
});
