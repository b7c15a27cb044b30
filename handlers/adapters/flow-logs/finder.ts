/**
 * `FlowLogFinder` on an account: the interfaces' subnets (DescribeNetworkInterfaces), the flow logs on the VPC, those
 * subnets and the interfaces (DescribeFlowLogs, filter `resource-id`, paginated), the choice of core/flow-logs/choose.ts,
 * then a source per log read: S3 objects (after one ListObjectsV2 of the log's folder, so that a bucket this role
 * cannot list — another account's without a bucket policy for it, or no s3:ListBucket — is a note, not a failure
 * halfway through the read) or a CloudWatch Logs group (Logs Insights). A log that also records interfaces read from
 * another log is kept to its own (`OnlyInterfaces`), so no flow is counted twice.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { FlowLog } from '../../core/ec2-shapes.ts';
import { chooseFlowLogs, type FlowLogRead, parseS3Destination } from '../../core/flow-logs/choose.ts';
import { type FlowLogLayout, isHeaderLine, parseHeaderLine, parseLogFormat } from '../../core/flow-logs/format.ts';
import { chunk } from '../../core/plan.ts';
import { quote } from '../../core/untrusted.ts';
import type { Ec2Port } from '../../ports.ts';
import { CloudWatchFlowLogSource, type LogsInsights } from './cloudwatch.ts';
import { S3FlowLogSource } from './s3.ts';
import type { FlowLogFinder, FlowLogPiece, FlowLogScope, FlowLogSource, FoundFlowLogs } from './sources.ts';

/** Values per filter in one describe call (EC2 accepts up to 200). */
const FILTER_VALUES = 200;
const PAGE_SIZE = 1000;

/** The lines of `lines` whose `interface-id` is one of `keep`; header lines and lines that do not split pass. */
async function* linesOf(
  lines: AsyncIterable<string> | Iterable<string>,
  layout: FlowLogLayout | undefined,
  keep: ReadonlySet<string>,
): AsyncGenerator<string> {
  let current = layout;
  for await (const line of lines) {
    if (isHeaderLine(line.trim())) {
      current = parseHeaderLine(line);
      yield line;
      continue;
    }
    const id = current ? line.split(' ', current.interfaceId + 1)[current.interfaceId] : undefined;
    if (id === undefined || keep.has(id)) yield line;
  }
}

/** A source kept to some interfaces' records: a log that also records interfaces read from another log. */
export class OnlyInterfaces implements FlowLogSource {
  readonly label: string;
  private readonly keep: ReadonlySet<string>;

  constructor(
    private readonly source: FlowLogSource,
    interfaceIds: readonly string[],
  ) {
    this.label = `${source.label} (${interfaceIds.length} interface(s))`;
    this.keep = new Set(interfaceIds);
  }

  async *pieces(window: { start: number; end: number }): AsyncGenerator<FlowLogPiece> {
    for await (const piece of this.source.pieces(window))
      yield { ...piece, lines: linesOf(piece.lines, piece.layout, this.keep) };
  }
}

/** A destination the person named: only the flow logs that write there are read. */
export type NamedDestination =
  | { kind: 's3'; bucket: string; prefix?: string }
  | { kind: 'cloudwatch'; logGroupName: string };

/** Whether a flow log writes to the named destination (S3 folders compared without their slashes). */
export function writesTo(log: FlowLog, named: NamedDestination): boolean {
  if (named.kind === 'cloudwatch')
    return log.LogDestinationType === 'cloud-watch-logs' && log.LogGroupName === named.logGroupName;
  const s3 = log.LogDestinationType === 's3' ? parseS3Destination(log.LogDestination ?? '') : undefined;
  const folder = (prefix: string | undefined) => (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return s3 !== undefined && s3.bucket === named.bucket && folder(s3.prefix) === folder(named.prefix);
}

export class AwsFlowLogFinder implements FlowLogFinder {
  constructor(
    private readonly ec2: Pick<Ec2Port, 'describeFlowLogs' | 'describeNetworkInterfaces'>,
    private readonly s3: S3Client,
    private readonly insights: LogsInsights,
    /** Only the logs that write here (the command line's `--flow-logs s3://…` or `cloudwatch:…`). */
    private readonly named?: NamedDestination,
  ) {}

  /** `considered`: the flow logs on the scope (writing to the named destination, when one is named), read or not. */
  async find(scope: FlowLogScope): Promise<FoundFlowLogs & { considered: number }> {
    const interfaces = await this.subnetsOf(scope.interfaceIds);
    const subnets = [...new Set([...interfaces.values()].filter((s): s is string => s !== undefined))].sort();
    const logs = await this.flowLogsOn([scope.vpcId, ...subnets, ...scope.interfaceIds]);
    const named = this.named;
    const considered = named ? logs.filter((log) => writesTo(log, named)) : logs;
    const choice = chooseFlowLogs(considered, {
      accountId: scope.accountId,
      vpcId: scope.vpcId,
      interfaces,
    });
    const sources: FlowLogSource[] = [];
    const notes = [...choice.notes];
    for (const read of choice.reads) {
      const opened = await this.open(read, scope);
      if (typeof opened === 'string') notes.push(opened);
      else {
        sources.push(read.shared ? new OnlyInterfaces(opened, read.interfaceIds) : opened);
        notes.push(...read.notes);
      }
    }
    return { sources, notes, considered: considered.length };
  }

  /** Interface id → subnet, for the interfaces that still exist (a filter does not fail on one that is gone). */
  private async subnetsOf(interfaceIds: readonly string[]): Promise<Map<string, string | undefined>> {
    const found = new Map<string, string | undefined>(interfaceIds.map((id) => [id, undefined]));
    for (const ids of chunk([...new Set(interfaceIds)], FILTER_VALUES)) {
      let token: string | undefined;
      do {
        const page = await this.ec2.describeNetworkInterfaces({
          Filters: [{ Name: 'network-interface-id', Values: ids }],
          MaxResults: PAGE_SIZE,
          NextToken: token,
        });
        for (const eni of page.NetworkInterfaces ?? [])
          if (eni.NetworkInterfaceId && found.has(eni.NetworkInterfaceId))
            found.set(eni.NetworkInterfaceId, eni.SubnetId);
        token = page.NextToken;
      } while (token);
    }
    return found;
  }

  private async flowLogsOn(resourceIds: readonly string[]): Promise<FlowLog[]> {
    const logs: FlowLog[] = [];
    for (const ids of chunk([...new Set(resourceIds)], FILTER_VALUES)) {
      let token: string | undefined;
      do {
        const page = await this.ec2.describeFlowLogs({
          Filter: [{ Name: 'resource-id', Values: ids }],
          MaxResults: PAGE_SIZE,
          NextToken: token,
        });
        logs.push(...(page.FlowLogs ?? []));
        token = page.NextToken;
      } while (token);
    }
    return logs;
  }

  /** The log's source, or a note saying why it cannot be read from here. */
  private async open(read: FlowLogRead, scope: FlowLogScope): Promise<FlowLogSource | string> {
    const destination = read.destination;
    if (destination.kind === 'cloudwatch')
      return new CloudWatchFlowLogSource(this.insights, destination.logGroupName, parseLogFormat(read.logFormat), {
        interfaceIds: read.interfaceIds,
      });
    const location = {
      bucket: destination.bucket,
      ...(destination.prefix ? { prefix: destination.prefix } : {}),
      accountId: scope.accountId,
      region: scope.region,
      flowLogId: read.flowLogId,
      hive: destination.hive,
    };
    const folder = `${destination.prefix ? `${destination.prefix}/` : ''}AWSLogs/`;
    try {
      await this.s3.send(new ListObjectsV2Command({ Bucket: destination.bucket, Prefix: folder, MaxKeys: 1 }));
    } catch (error) {
      const name = (error as Error).name;
      const why =
        name === 'NoSuchBucket'
          ? 'the bucket does not exist'
          : name === 'AccessDenied' ||
              (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403
            ? "access denied: the bucket may be another account's, whose bucket policy must allow s3:ListBucket and s3:GetObject, or this role lacks them"
            : `${name}: ${quote((error as Error).message)}`;
      return `flow log ${read.flowLogId} is not read: cannot list ${quote(`s3://${destination.bucket}/${folder}`)} (${why}).`;
    }
    return new S3FlowLogSource(this.s3, location);
  }
}
