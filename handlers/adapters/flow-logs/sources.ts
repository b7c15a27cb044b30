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

/**
 * Finds the flow logs that record a VPC's traffic and opens them as sources: on a real account from DescribeFlowLogs
 * (S3 or CloudWatch Logs destinations, each with its `LogFormat`), locally from the files the person names. The
 * tighten workflow's "propose" step reads through this port, whichever side it runs on.
 */
export interface FlowLogFinder {
  find(scope: FlowLogScope): Promise<FoundFlowLogs>;
}

export interface FlowLogScope {
  accountId: string;
  region: string;
  vpcId: string;
  /** The interfaces whose traffic matters (the copy's members): a log on one of them, its subnet or the VPC counts. */
  interfaceIds: readonly string[];
}

export interface FoundFlowLogs {
  sources: FlowLogSource[];
  /** What could not be read and why (no flow log at all, a Firehose destination, a log that is not ACCEPT/ALL, …). */
  notes: string[];
}
