/**
 * Where flow log lines come from. A source yields pieces (a file, an object, a query slice) of lines, with the
 * layout of lines that have no header (the log's `LogFormat` from DescribeFlowLogs); S3 files carry their own
 * header line. The pure reader (handlers/core/flow-logs/aggregate.ts) folds the lines as they come.
 */
import { type FlowAggregator, readLines } from '../../core/flow-logs/aggregate.ts';
import type { FlowLogLayout } from '../../core/flow-logs/format.ts';

export interface FlowLogPiece {
  lines: AsyncIterable<string> | Iterable<string>;
  layout?: FlowLogLayout;
}

export interface FlowLogSource {
  /** What the source reads, for messages (a path, a bucket and prefix, a log group). */
  readonly label: string;
  pieces(window: { start: number; end: number }): AsyncIterable<FlowLogPiece>;
}

/** Reads every piece of the sources into the aggregator, one piece at a time. */
export async function readSources(
  sources: readonly FlowLogSource[],
  aggregator: FlowAggregator,
  window: { start: number; end: number },
): Promise<void> {
  for (const source of sources)
    for await (const piece of source.pieces(window)) await readLines(piece.lines, aggregator, piece.layout);
}
