/**
 * Which of an account's flow logs to read for a group's interfaces, and what cannot be read and why. Pure: the
 * DescribeFlowLogs rows (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html) and the scope in,
 * the logs to read (destination, format, the interfaces each is read for) and notes out.
 *
 * - A log records an interface when its `ResourceId` is the interface, its subnet or its VPC.
 * - Readable: `FlowLogStatus` ACTIVE; `TrafficType` ACCEPT or ALL (a REJECT log shows nothing that was allowed);
 *   destination S3 in plain text (`DestinationOptions.FileFormat` parquet is a columnar file this reader cannot read
 *   line by line) or CloudWatch Logs in this account; a `LogFormat` with the fields a proposal needs. Kinesis Data
 *   Firehose destinations cannot be read back (the stream delivers elsewhere).
 * - Each interface is read from exactly one log, so that a flow recorded by both a VPC's and a subnet's log is not
 *   counted twice: a log whose delivery works before one whose `DeliverLogsStatus` is FAILED, then the narrowest
 *   (interface, then subnet, then VPC — the one set up for it), then the smallest id. A log also recording interfaces
 *   read from another log is `shared`: its records are kept to its own interfaces.
 * - A log whose delivery FAILED is still read when no other log records the interface (the records before the
 *   failure are real; the window report shows the gaps), with a note.
 *
 * Text from the account (log group names, bucket names, delivery error messages) is quoted (core/untrusted.ts).
 */
import type { FlowLog } from '../ec2-shapes.ts';
import { quote } from '../untrusted.ts';
import { createFlowLogsCommand, DEFAULT_LOG_FORMAT, FlowLogFormatError, parseLogFormat } from './format.ts';

export interface FlowLogCoverage {
  accountId: string;
  vpcId: string;
  /** The group's interfaces and the subnet of each (undefined when not known). */
  interfaces: ReadonlyMap<string, string | undefined>;
}

export type FlowLogDestination =
  | {
      kind: 's3';
      bucket: string;
      /** The folder inside the bucket the log writes under (before `AWSLogs/`), if any. */
      prefix?: string;
      /** `DestinationOptions.HiveCompatiblePartitions`: `AWSLogs/aws-account-id=…/aws-service=vpcflowlogs/…`. */
      hive: boolean;
    }
  | { kind: 'cloudwatch'; logGroupName: string };

export interface FlowLogRead {
  flowLogId: string;
  /** The VPC, subnet or interface the log records. */
  resourceId: string;
  destination: FlowLogDestination;
  /** The log's `LogFormat` (the default format when DescribeFlowLogs gives none). */
  logFormat: string;
  /** The group's interfaces read from this log, sorted. */
  interfaceIds: string[];
  /** The log also records interfaces read from another log: keep only `interfaceIds`' records. */
  shared: boolean;
  /** What to say about the log when it is read (its delivery fails, it publishes to another account, no tcp-flags). */
  notes: string[];
}

export interface FlowLogChoice {
  reads: FlowLogRead[];
  /** What cannot be read and why, interfaces no log records, and the command to turn flow logs on when none can be. */
  notes: string[];
}

/** `arn:<partition>:s3:::bucket[/folder/…]` → bucket and folder; undefined when it is not an S3 bucket ARN. */
export function parseS3Destination(arn: string): { bucket: string; prefix?: string } | undefined {
  const match = /^arn:[a-z-]+:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(arn);
  if (!match) return undefined;
  const bucket = match[1] as string;
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return prefix === '' ? { bucket } : { bucket, prefix };
}

/** `arn:<partition>:logs:<region>:<account>:log-group:<name>[:*]` → account and name. */
export function parseLogGroupArn(arn: string): { accountId: string; logGroupName: string } | undefined {
  const match = /^arn:[a-z-]+:logs:[a-z0-9-]*:(\d{12}):log-group:(.+?)(?::\*)?$/.exec(arn);
  return match ? { accountId: match[1] as string, logGroupName: match[2] as string } : undefined;
}

const LEVEL: Record<'interface' | 'subnet' | 'vpc', number> = { interface: 0, subnet: 1, vpc: 2 };

interface Candidate {
  log: FlowLog;
  id: string;
  level: keyof typeof LEVEL;
  covers: string[];
  failing: boolean;
  destination: FlowLogDestination;
  logFormat: string;
}

function where(log: FlowLog, level: keyof typeof LEVEL): string {
  return `${level === 'vpc' ? 'VPC' : level} ${log.ResourceId}`;
}

/** Why the log cannot be read, or its destination and format. */
function readable(
  log: FlowLog,
  accountId: string,
): { reason: string } | { destination: FlowLogDestination; logFormat: string } {
  if (log.FlowLogStatus !== undefined && log.FlowLogStatus !== 'ACTIVE')
    return { reason: `it is not active (FlowLogStatus ${quote(log.FlowLogStatus, 40)})` };
  if (log.TrafficType === 'REJECT')
    return {
      reason: 'it records only rejected traffic (TrafficType REJECT), which says nothing about what is allowed',
    };
  const logFormat = log.LogFormat?.trim() ? log.LogFormat : DEFAULT_LOG_FORMAT;
  try {
    parseLogFormat(logFormat);
  } catch (error) {
    if (!(error instanceof FlowLogFormatError)) throw error;
    return { reason: `its format cannot be read (${error.message})` };
  }
  const destinationArn = log.LogDestination ?? '';
  switch (log.LogDestinationType) {
    case 's3': {
      if (log.DestinationOptions?.FileFormat === 'parquet')
        return {
          reason: `it writes Apache Parquet files to ${quote(destinationArn)}, which this tool cannot read line by line (plain-text logs only)`,
        };
      const s3 = parseS3Destination(destinationArn);
      if (!s3) return { reason: `its destination ${quote(destinationArn)} is not an S3 bucket ARN` };
      return {
        destination: { kind: 's3', ...s3, hive: log.DestinationOptions?.HiveCompatiblePartitions === true },
        logFormat,
      };
    }
    case 'cloud-watch-logs': {
      const group = parseLogGroupArn(destinationArn);
      if (group && group.accountId !== accountId)
        return {
          reason: `it publishes to the log group ${quote(group.logGroupName)} of account ${group.accountId}; query it from that account`,
        };
      const logGroupName = log.LogGroupName ?? group?.logGroupName;
      if (!logGroupName) return { reason: 'it names no log group' };
      return { destination: { kind: 'cloudwatch', logGroupName }, logFormat };
    }
    case 'kinesis-data-firehose':
      return {
        reason:
          `it publishes to Kinesis Data Firehose (${quote(destinationArn)}): records cannot be read back from a delivery ` +
          'stream; read them where the stream delivers them (--flow-logs s3://bucket/prefix or FILE …)',
      };
    default:
      return { reason: `its destination type ${quote(String(log.LogDestinationType), 40)} is not one this tool reads` };
  }
}

export function chooseFlowLogs(logs: readonly FlowLog[], scope: FlowLogCoverage): FlowLogChoice {
  if (scope.interfaces.size === 0)
    return { reads: [], notes: ['the group has no interfaces: there is no traffic of its members to read.'] };
  const notes: string[] = [];
  const subnets = new Set([...scope.interfaces.values()].filter((s): s is string => s !== undefined));
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const log of logs) {
    const id = log.FlowLogId ?? '';
    const resource = log.ResourceId ?? '';
    if (seen.has(id)) continue;
    seen.add(id);
    const level: keyof typeof LEVEL | undefined =
      resource === scope.vpcId
        ? 'vpc'
        : subnets.has(resource)
          ? 'subnet'
          : scope.interfaces.has(resource)
            ? 'interface'
            : undefined;
    if (!level) continue;
    const covers = [...scope.interfaces]
      .filter(([eni, subnet]) => level === 'vpc' || (level === 'subnet' ? subnet === resource : eni === resource))
      .map(([eni]) => eni);
    const answer = readable(log, scope.accountId);
    if ('reason' in answer) {
      notes.push(`flow log ${id} (${where(log, level)}) is not read: ${answer.reason}.`);
      continue;
    }
    candidates.push({ log, id, level, covers, failing: log.DeliverLogsStatus === 'FAILED', ...answer });
  }
  candidates.sort(
    (a, b) =>
      Number(a.failing) - Number(b.failing) ||
      LEVEL[a.level] - LEVEL[b.level] ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );

  const readFrom = new Map<string, Candidate>();
  for (const eni of [...scope.interfaces.keys()].sort()) {
    const chosen = candidates.find((c) => c.covers.includes(eni));
    if (chosen) readFrom.set(eni, chosen);
  }
  const reads: FlowLogRead[] = [];
  for (const candidate of candidates) {
    const interfaceIds = candidate.covers.filter((eni) => readFrom.get(eni) === candidate).sort();
    if (interfaceIds.length === 0) {
      const others = [...new Set(candidate.covers.map((eni) => readFrom.get(eni)?.id))].sort().join(', ');
      notes.push(
        `flow log ${candidate.id} (${where(candidate.log, candidate.level)}) is not read: ${others} records the same ` +
          'interfaces (reading both would count each flow twice).',
      );
      continue;
    }
    const readNotes: string[] = [];
    if (candidate.failing)
      readNotes.push(
        `flow log ${candidate.id} (${where(candidate.log, candidate.level)}) fails to deliver` +
          `${candidate.log.DeliverLogsErrorMessage ? ` (${quote(candidate.log.DeliverLogsErrorMessage)})` : ''}: ` +
          'it is read, but records may be missing (see the gaps in the window).',
      );
    if (candidate.log.DeliverCrossAccountRole)
      readNotes.push(
        `flow log ${candidate.id} publishes through the role ${quote(candidate.log.DeliverCrossAccountRole)} to another ` +
          "account's destination: reading it needs that account's grant (a bucket policy allowing s3:ListBucket and s3:GetObject).",
      );
    if (!parseLogFormat(candidate.logFormat).fields.includes('tcp-flags'))
      readNotes.push(
        `flow log ${candidate.id} has no tcp-flags field: which side opened a connection is read from its ports, ` +
          'less surely (the recommended format adds tcp-flags).',
      );
    reads.push({
      flowLogId: candidate.id,
      resourceId: candidate.log.ResourceId ?? '',
      destination: candidate.destination,
      logFormat: candidate.logFormat,
      interfaceIds,
      shared: interfaceIds.length < candidate.covers.length,
      notes: readNotes,
    });
  }

  const unread = [...scope.interfaces.keys()].filter((eni) => !readFrom.has(eni)).sort();
  if (reads.length === 0)
    notes.push(
      `no readable flow log records the group's interfaces (VPC ${scope.vpcId}, their subnets, the interfaces): turn ` +
        `flow logs on with the recommended format, e.g. ${createFlowLogsCommand(scope.vpcId)}`,
    );
  else if (unread.length > 0)
    notes.push(
      `${unread.length} interface(s) of the group are recorded by no readable flow log (` +
        `${unread.slice(0, 5).join(', ')}${unread.length > 5 ? ', …' : ''}): their traffic is not known.`,
    );
  return { reads, notes };
}
