/**
 * `LogsInsights` (cloudwatch.ts) over the SDK's `CloudWatchLogsClient`: StartQuery and GetQueryResults
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetQueryResults.html).
 *
 * The errors, as the API reference lists them:
 * - `LimitExceededException` on StartQuery: the account runs as many Logs Insights queries as it may at once (30 or
 *   more, dashboards included: "You can have up to 30 concurrent CloudWatch Logs insights queries"). Other queries end
 *   within minutes (a query times out after 60), so the call waits and starts again, backing off, a bounded number of
 *   times; then it fails saying so.
 * - `ThrottlingException` ("The request was throttled because of quota limits") and `ServiceUnavailableException`:
 *   the SDK's standard retry already retries them (3 attempts); past those, the same backoff as above.
 * - `ResourceNotFoundException`: the log group does not exist — `LogGroupNotFoundError`, which names it (the command
 *   line answers exit 2 when the person named the group).
 * - `MalformedQueryException` and `InvalidParameterException`: a bug of this tool or a time range the group refuses;
 *   not retried, the message says which.
 * GetQueryResults' statuses (Scheduled, Running, Complete, Failed, Cancelled, Timeout, Unknown) are read by
 * CloudWatchFlowLogSource: Timeout splits the slice, the others fail.
 */
import {
  type CloudWatchLogsClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { explainingSend } from '../aws/sdk-errors.ts';
import type { LogsInsights } from './cloudwatch.ts';

/** The log group a query named does not exist (StartQuery ResourceNotFoundException). */
export class LogGroupNotFoundError extends Error {
  override readonly name = 'LogGroupNotFound';
  constructor(readonly logGroupName: string) {
    super(`the log group ${logGroupName} does not exist in this account and region`);
  }
}

/** Errors worth waiting out: too many queries at once, throttling, the service briefly unavailable. */
const WAIT_AND_RETRY = new Set(['LimitExceededException', 'ThrottlingException', 'ServiceUnavailableException']);

export interface InsightsRetry {
  /** Attempts per call, the first included. */
  attempts: number;
  /** The first wait; doubled after each attempt, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

const DEFAULT_RETRY: InsightsRetry = {
  attempts: 8,
  baseDelayMs: 2000,
  maxDelayMs: 30000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class SdkLogsInsights implements LogsInsights {
  private readonly send: CloudWatchLogsClient['send'];
  private readonly retry: InsightsRetry;

  constructor(client: CloudWatchLogsClient, retry: Partial<InsightsRetry> = {}) {
    this.send = explainingSend(client, 'JSON');
    this.retry = { ...DEFAULT_RETRY, ...retry };
  }

  async startQuery(input: Parameters<LogsInsights['startQuery']>[0]): Promise<{ queryId?: string }> {
    try {
      const output = await this.withRetry('StartQuery', () => this.send(new StartQueryCommand(input)));
      return output.queryId === undefined ? {} : { queryId: output.queryId };
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') throw new LogGroupNotFoundError(input.logGroupName);
      throw error;
    }
  }

  async getQueryResults(input: { queryId: string }): ReturnType<LogsInsights['getQueryResults']> {
    const output: GetQueryResultsCommandOutput = await this.withRetry('GetQueryResults', () =>
      this.send(new GetQueryResultsCommand(input)),
    );
    return {
      ...(output.status === undefined ? {} : { status: output.status }),
      ...(output.results === undefined ? {} : { results: output.results }),
    };
  }

  private async withRetry<T>(operation: string, call: () => Promise<T>): Promise<T> {
    let delay = this.retry.baseDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const name = (error as Error).name;
        if (!WAIT_AND_RETRY.has(name)) throw error;
        if (attempt >= this.retry.attempts) {
          const why =
            name === 'LimitExceededException'
              ? 'the account is running as many Logs Insights queries as it may at once'
              : 'CloudWatch Logs kept refusing the call';
          throw Object.assign(
            new Error(`${operation}: ${why} (${attempt} attempts over the backoff); try again later`),
            {
              name,
              cause: error,
            },
          );
        }
        await this.retry.sleep(delay);
        delay = Math.min(delay * 2, this.retry.maxDelayMs);
      }
    }
  }
}
