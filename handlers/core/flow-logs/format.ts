/**
 * VPC Flow Logs records, as https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html describes them:
 * one line per flow and aggregation interval, fields separated by single spaces, `-` where a field does not apply
 * (NODATA and SKIPDATA records, ports of protocols without ports, `pkt-srcaddr` when it equals `srcaddr` is still
 * written, but fields of later versions are `-` when the data is not available). The default format is version 2;
 * a custom format is any list of the available fields, in the order the log's `LogFormat` (DescribeFlowLogs) gives,
 * e.g. `${version} ${interface-id} ${srcaddr} …`. Files the service writes to S3 start with a header line naming the
 * fields (`version account-id interface-id …`), which is the format of that file.
 *
 * Pure: no I/O. A record is parsed into a reused object (no allocation per line beyond the split) so that a million
 * lines parse in well under a second of the benchmark's budget.
 */

/** Every field a flow log record can carry (flow-log-records.html, "Available fields", versions 2 to 5+). */
export const FLOW_LOG_FIELDS = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
  'region',
  'az-id',
  'sublocation-type',
  'sublocation-id',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
  'ecs-cluster-arn',
  'ecs-cluster-name',
  'ecs-container-instance-arn',
  'ecs-container-instance-id',
  'ecs-container-id',
  'ecs-second-container-id',
  'ecs-service-name',
  'ecs-task-definition-arn',
  'ecs-task-arn',
  'ecs-task-id',
  'reject-reason',
  'resource-id',
  'encryption-status',
] as const;

export type FlowLogField = (typeof FLOW_LOG_FIELDS)[number];

/** A `LogFormat` naming these fields: `${version} ${account-id} …`. */
export function logFormatOf(fields: readonly string[]): string {
  return fields.map((field) => `\${${field}}`).join(' ');
}

/**
 * The fields of the default format (version 2), as the service writes it when no LogFormat is given: the list above up
 * to `log-status`, in that order.
 */
export const DEFAULT_FIELDS: readonly FlowLogField[] = FLOW_LOG_FIELDS.slice(
  0,
  FLOW_LOG_FIELDS.indexOf('log-status') + 1,
);

export const DEFAULT_LOG_FORMAT = logFormatOf(DEFAULT_FIELDS);

/**
 * The custom format this tool recommends (what `tighten` offers to turn on): the default fields plus `tcp-flags`
 * (which side opened a TCP connection), `pkt-srcaddr`/`pkt-dstaddr` (the packet's own addresses behind a NAT or a
 * pod address) and `flow-direction`.
 */
export const RECOMMENDED_LOG_FORMAT = logFormatOf([
  ...DEFAULT_FIELDS,
  'tcp-flags',
  'pkt-srcaddr',
  'pkt-dstaddr',
  'flow-direction',
]);

/**
 * The command that turns flow logs on for a VPC with the recommended format, all traffic, 1-minute aggregation, to an
 * S3 bucket the person names (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-create-flow-log.html).
 */
export function createFlowLogsCommand(vpcId: string | undefined): string {
  return (
    `aws ec2 create-flow-logs --resource-type VPC --resource-ids ${vpcId ?? '<vpc-id>'} --traffic-type ALL ` +
    `--log-destination-type s3 --log-destination arn:aws:s3:::<bucket> --max-aggregation-interval 60 ` +
    `--log-format '${RECOMMENDED_LOG_FORMAT}'`
  );
}

/** The fields a proposal cannot do without. */
const REQUIRED_FIELDS: readonly FlowLogField[] = [
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'start',
  'end',
  'action',
];

const KNOWN = new Set<string>(FLOW_LOG_FIELDS);

/** A bad format or record: names what is wrong, for exit code 2. */
export class FlowLogFormatError extends Error {
  override readonly name = 'FlowLogFormatError';
}

/** Column positions of the fields the reader uses (-1 when the format lacks the field). */
export interface FlowLogLayout {
  fields: readonly FlowLogField[];
  interfaceId: number;
  srcaddr: number;
  dstaddr: number;
  srcport: number;
  dstport: number;
  protocol: number;
  packets: number;
  bytes: number;
  start: number;
  end: number;
  action: number;
  logStatus: number;
  tcpFlags: number;
  pktSrcaddr: number;
  pktDstaddr: number;
  flowDirection: number;
}

function layoutOf(fields: readonly string[], source: string): FlowLogLayout {
  for (const field of fields)
    if (!KNOWN.has(field)) throw new FlowLogFormatError(`${source}: unknown flow log field "${field.slice(0, 60)}"`);
  const missing = REQUIRED_FIELDS.filter((field) => !fields.includes(field));
  if (missing.length > 0)
    throw new FlowLogFormatError(`${source}: the format lacks ${missing.join(', ')} (needed to read flows)`);
  const at = (field: FlowLogField) => fields.indexOf(field);
  return {
    fields: fields as FlowLogField[],
    interfaceId: at('interface-id'),
    srcaddr: at('srcaddr'),
    dstaddr: at('dstaddr'),
    srcport: at('srcport'),
    dstport: at('dstport'),
    protocol: at('protocol'),
    packets: at('packets'),
    bytes: at('bytes'),
    start: at('start'),
    end: at('end'),
    action: at('action'),
    logStatus: at('log-status'),
    tcpFlags: at('tcp-flags'),
    pktSrcaddr: at('pkt-srcaddr'),
    pktDstaddr: at('pkt-dstaddr'),
    flowDirection: at('flow-direction'),
  };
}

/** The layout of a `LogFormat` as DescribeFlowLogs answers it: `${field} ${field} …`. */
export function parseLogFormat(logFormat: string): FlowLogLayout {
  const tokens = logFormat.trim().split(/\s+/);
  const fields = tokens.map((token) => {
    const match = /^\$\{([a-z0-9-]+)\}$/.exec(token);
    if (!match) throw new FlowLogFormatError(`LogFormat: "${token.slice(0, 60)}" is not a \${field}`);
    return match[1] as string;
  });
  return layoutOf(fields, 'LogFormat');
}

/** Whether a line is the header line of a flow log file (field names, as the service writes to S3). */
export function isHeaderLine(line: string): boolean {
  return line.startsWith('version ') || /^[a-z][a-z-]*( [a-z][a-z-]*)+$/.test(line.trim());
}

/** The layout of a header line (`version account-id interface-id …`). */
export function parseHeaderLine(line: string): FlowLogLayout {
  return layoutOf(line.trim().split(/\s+/), 'header line');
}

/** One record, as read. Addresses and ids are the text of the log; absent numbers are -1 (`-` in the log). */
export interface FlowRecord {
  interfaceId: string;
  srcaddr: string;
  dstaddr: string;
  /** `pkt-srcaddr`/`pkt-dstaddr` when the format has them and they are not `-`, else srcaddr/dstaddr. */
  pktSrcaddr: string;
  pktDstaddr: string;
  srcport: number;
  dstport: number;
  protocol: number;
  packets: number;
  bytes: number;
  /** Unix seconds. */
  start: number;
  end: number;
  action: 'ACCEPT' | 'REJECT' | '-';
  logStatus: 'OK' | 'NODATA' | 'SKIPDATA';
  /** The OR of the TCP flags seen in the interval (-1 when the format lacks it or it is `-`). */
  tcpFlags: number;
  flowDirection: 'ingress' | 'egress' | undefined;
}

export function emptyRecord(): FlowRecord {
  return {
    interfaceId: '',
    srcaddr: '',
    dstaddr: '',
    pktSrcaddr: '',
    pktDstaddr: '',
    srcport: -1,
    dstport: -1,
    protocol: -1,
    packets: -1,
    bytes: -1,
    start: -1,
    end: -1,
    action: '-',
    logStatus: 'OK',
    tcpFlags: -1,
    flowDirection: undefined,
  };
}

function numberAt(parts: readonly string[], index: number): number {
  if (index < 0) return -1;
  const text = parts[index] as string;
  if (text === '-') return -1;
  const value = Number(text);
  return Number.isFinite(value) ? value : Number.NaN;
}

function textAt(parts: readonly string[], index: number): string {
  return index < 0 ? '-' : (parts[index] as string);
}

/**
 * Parses `line` into `into` (reused), or answers why not: `malformed` (wrong field count or a number that is not
 * one). NODATA and SKIPDATA records parse with `-` fields (ports and addresses empty).
 */
export function parseRecord(line: string, layout: FlowLogLayout, into: FlowRecord): 'ok' | 'malformed' {
  const parts = line.split(' ');
  if (parts.length !== layout.fields.length) return 'malformed';
  const status = textAt(parts, layout.logStatus);
  into.logStatus = status === 'NODATA' ? 'NODATA' : status === 'SKIPDATA' ? 'SKIPDATA' : 'OK';
  if (status !== '-' && status !== 'OK' && status !== 'NODATA' && status !== 'SKIPDATA') return 'malformed';
  into.interfaceId = textAt(parts, layout.interfaceId);
  into.start = numberAt(parts, layout.start);
  into.end = numberAt(parts, layout.end);
  if (Number.isNaN(into.start) || Number.isNaN(into.end)) return 'malformed';
  if (into.logStatus !== 'OK') {
    into.action = '-';
    into.srcaddr = into.dstaddr = into.pktSrcaddr = into.pktDstaddr = '';
    return 'ok';
  }
  const action = textAt(parts, layout.action);
  if (action !== 'ACCEPT' && action !== 'REJECT') return 'malformed';
  into.action = action;
  into.srcaddr = textAt(parts, layout.srcaddr);
  into.dstaddr = textAt(parts, layout.dstaddr);
  const pktSrc = textAt(parts, layout.pktSrcaddr);
  const pktDst = textAt(parts, layout.pktDstaddr);
  into.pktSrcaddr = pktSrc === '-' ? into.srcaddr : pktSrc;
  into.pktDstaddr = pktDst === '-' ? into.dstaddr : pktDst;
  into.srcport = numberAt(parts, layout.srcport);
  into.dstport = numberAt(parts, layout.dstport);
  into.protocol = numberAt(parts, layout.protocol);
  into.packets = numberAt(parts, layout.packets);
  into.bytes = numberAt(parts, layout.bytes);
  into.tcpFlags = numberAt(parts, layout.tcpFlags);
  const direction = textAt(parts, layout.flowDirection);
  into.flowDirection = direction === 'ingress' || direction === 'egress' ? direction : undefined;
  if (
    Number.isNaN(into.srcport) ||
    Number.isNaN(into.dstport) ||
    Number.isNaN(into.protocol) ||
    Number.isNaN(into.tcpFlags) ||
    into.protocol < 0 ||
    into.protocol > 255
  )
    return 'malformed';
  return 'ok';
}
