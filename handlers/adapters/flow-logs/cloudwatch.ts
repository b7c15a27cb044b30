/**
 * Flow logs published to CloudWatch Logs, read with Logs Insights queries
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html, API_GetQueryResults.html).
 * Each log event's message is one record in the flow log's format, without a header line, so the caller passes the
 * layout from the log's `LogFormat` (DescribeFlowLogs).
 *
 * A query answers at most 10,000 rows (StartQuery `limit`), so the window is queried in slices: a slice that comes
 * back full is split in two and asked again, down to one second; so is a slice whose query ended `Timeout` ("Queries
 * time out after 60 minutes of runtime … reduce the time range being searched or partition your query", StartQuery).
 * Rows are read slice by slice, never all at once. With `interfaceIds`, the query keeps only the events that name one
 * of them (a log group often holds a whole VPC's interfaces), so fewer slices come back full.
 *
 * `LogsInsights` is the port, shaped as the two API calls; insights.ts implements it over `CloudWatchLogsClient`.
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
/** Past this many interfaces the query reads every event (the filter would make the query string too long). */
export const MAX_FILTERED_INTERFACES = 200;
const ENI_ID = /^eni-[0-9a-f]{8,17}$/;

/** The Logs Insights query: every event's message, oldest first; only the events naming these interfaces, if given. */
export function queryFor(interfaceIds: readonly string[] = []): string {
  const ids = [...new Set(interfaceIds)].filter((id) => ENI_ID.test(id)).sort();
  const filter =
    ids.length > 0 && ids.length === new Set(interfaceIds).size && ids.length <= MAX_FILTERED_INTERFACES
      ? ` | filter @message like /${ids.join('|')}/`
      : '';
  return `fields @message${filter} | sort @timestamp asc`;
}

export interface CloudWatchSourceOptions {
  /** The interfaces whose records are wanted (others are left in the log group). */
  interfaceIds?: readonly string[];
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
}

export class CloudWatchFlowLogSource implements FlowLogSource {
  readonly label: string;
  private readonly query: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly pollMs: number;

  constructor(
    private readonly insights: LogsInsights,
    private readonly logGroupName: string,
    private readonly layout: FlowLogLayout,
    options: CloudWatchSourceOptions = {},
  ) {
    this.label = `CloudWatch Logs ${logGroupName}`;
    this.query = queryFor(options.interfaceIds);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.pollMs = options.pollMs ?? 1000;
  }

  async *pieces(window: { start: number; end: number }): AsyncGenerator<FlowLogPiece> {
    const slices: [number, number][] = [[window.start, window.end]];
    while (slices.length > 0) {
      const [start, end] = slices.shift() as [number, number];
      const rows = await this.rows(start, end);
      if ((rows === 'timeout' || rows.length >= QUERY_ROW_LIMIT) && end - start > 1) {
        const middle = Math.floor((start + end) / 2);
        slices.unshift([start, middle], [middle + 1, end]);
        continue;
      }
      if (rows === 'timeout') throw new Error(`${this.label}: the query of one second timed out`);
      yield { lines: rows, layout: this.layout };
    }
  }

  private async rows(start: number, end: number): Promise<string[] | 'timeout'> {
    const { queryId } = await this.insights.startQuery({
      logGroupName: this.logGroupName,
      startTime: start,
      endTime: end,
      queryString: this.query,
      limit: QUERY_ROW_LIMIT,
    });
    if (!queryId) throw new Error(`${this.label}: StartQuery answered no queryId`);
    for (;;) {
      const answer = await this.insights.getQueryResults({ queryId });
      if (answer.status === 'Complete')
        return (answer.results ?? []).flatMap((row) =>
          row.filter((f) => f.field === '@message').map((f) => f.value ?? ''),
        );
      if (answer.status === 'Timeout') return 'timeout';
      if (answer.status !== 'Running' && answer.status !== 'Scheduled')
        throw new Error(`${this.label}: the query ended ${answer.status ?? 'without a status'}`);
      await this.sleep(this.pollMs);
    }
  }
}
