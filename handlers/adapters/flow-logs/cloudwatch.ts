/**
 * Flow logs published to CloudWatch Logs, read with Logs Insights queries
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html, API_GetQueryResults.html).
 * Each log event's message is one record in the flow log's format, without a header line, so the caller passes the
 * layout from the log's `LogFormat` (DescribeFlowLogs).
 *
 * A query answers at most 10,000 rows (StartQuery `limit`), so the window is queried in slices: a slice that comes
 * back full is split in two and asked again, down to one second. Rows are read slice by slice, never all at once.
 *
 * `@aws-sdk/client-cloudwatch-logs` is not a dependency of this project yet: `LogsInsights` is the port, shaped as
 * the two API calls, which a thin adapter over `CloudWatchLogsClient` will implement (not done here).
 */
import type { FlowLogLayout } from '../../core/flow-logs/format.ts';
import type { FlowLogPiece, FlowLogSource } from './sources.ts';

/** The two Logs Insights calls, with the API's field names. Times are Unix seconds, as StartQuery takes them. */
export interface LogsInsights {
  startQuery(input: {
    logGroupName: string;
    startTime: number;
    endTime: number;
    queryString: string;
    limit: number;
  }): Promise<{ queryId?: string }>;
  getQueryResults(input: {
    queryId: string;
  }): Promise<{ status?: string; results?: { field?: string; value?: string }[][] }>;
}

/** The most rows one query answers (StartQuery `limit` maximum). */
export const QUERY_ROW_LIMIT = 10000;
const QUERY = 'fields @message | sort @timestamp asc';

export class CloudWatchFlowLogSource implements FlowLogSource {
  readonly label: string;

  constructor(
    private readonly insights: LogsInsights,
    private readonly logGroupName: string,
    private readonly layout: FlowLogLayout,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    private readonly pollMs = 1000,
  ) {
    this.label = `CloudWatch Logs ${logGroupName}`;
  }

  async *pieces(window: { start: number; end: number }): AsyncGenerator<FlowLogPiece> {
    const slices: [number, number][] = [[window.start, window.end]];
    while (slices.length > 0) {
      const [start, end] = slices.shift() as [number, number];
      const rows = await this.query(start, end);
      if (rows.length >= QUERY_ROW_LIMIT && end - start > 1) {
        const middle = Math.floor((start + end) / 2);
        slices.unshift([start, middle], [middle + 1, end]);
        continue;
      }
      yield { lines: rows, layout: this.layout };
    }
  }

  private async query(start: number, end: number): Promise<string[]> {
    const { queryId } = await this.insights.startQuery({
      logGroupName: this.logGroupName,
      startTime: start,
      endTime: end,
      queryString: QUERY,
      limit: QUERY_ROW_LIMIT,
    });
    if (!queryId) throw new Error(`${this.label}: StartQuery answered no queryId`);
    for (;;) {
      const answer = await this.insights.getQueryResults({ queryId });
      if (answer.status === 'Complete')
        return (answer.results ?? []).flatMap((row) =>
          row.filter((f) => f.field === '@message').map((f) => f.value ?? ''),
        );
      if (answer.status !== 'Running' && answer.status !== 'Scheduled')
        throw new Error(`${this.label}: the query ended ${answer.status ?? 'without a status'}`);
      await this.sleep(this.pollMs);
    }
  }
}
