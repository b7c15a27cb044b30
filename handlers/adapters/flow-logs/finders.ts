/**
 * The command line's flow log finder (files named with --flow-logs, read as they are), and the finder where none is
 * given (the command line's deps without files). The deployment reads through `AwsFlowLogFinder` (./finder.ts,
 * handlers/lambda/runtime.ts); the propose step reads through `FlowLogFinder` (./sources.ts) either way.
 */
import type { FlowLogLayout } from '../../core/flow-logs/format.ts';
import { FileFlowLogSource } from './lines.ts';
import type { FlowLogFinder, FoundFlowLogs } from './sources.ts';

/** The files the person named: every record in them counts, whatever interface or VPC the scope names. */
export class LocalFlowLogFinder implements FlowLogFinder {
  constructor(
    private readonly paths: readonly string[],
    private readonly layout?: FlowLogLayout,
  ) {}

  async find(): Promise<FoundFlowLogs> {
    if (this.paths.length === 0) return { sources: [], notes: ['No flow log files were named (--flow-logs).'] };
    return { sources: [new FileFlowLogSource(this.paths, this.layout)], notes: [] };
  }
}

/** Where no finder is given: the propose step fails saying so. */
export const UNCONFIGURED_FLOW_LOG_FINDER: FlowLogFinder = {
  async find() {
    const error = new Error(
      'No flow log source is configured for this deployment: the tighten workflow cannot read flow logs here. Run tighten from the command line with --flow-logs FILE.',
    );
    error.name = 'FlowLogsNotConfigured';
    throw error;
  },
};
