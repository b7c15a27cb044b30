/**
 * Which flow logs tighten reads, from DescribeFlowLogs rows shaped as the API reference gives them
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html: LogDestinationType cloud-watch-logs | s3 |
 * kinesis-data-firehose, TrafficType ACCEPT | REJECT | ALL, FlowLogStatus ACTIVE, DeliverLogsStatus SUCCESS | FAILED,
 * DestinationOptions FileFormat plain-text | parquet), and what it says about the ones it cannot read.
 */
import { describe, expect, it } from 'vitest';
import type { FlowLog } from '../../../handlers/core/ec2-shapes.ts';
import {
  chooseFlowLogs,
  type FlowLogCoverage,
  parseLogGroupArn,
  parseS3Destination,
} from '../../../handlers/core/flow-logs/choose.ts';
import { logFormatOf, RECOMMENDED_LOG_FORMAT } from '../../../handlers/core/flow-logs/format.ts';

const ACCOUNT = '111122223333';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET_A = 'subnet-0aaaaaaaaaaaaaaa1';
const SUBNET_B = 'subnet-0bbbbbbbbbbbbbbb2';
const ENI_1 = 'eni-0000000000000aa01';
const ENI_2 = 'eni-0000000000000aa02';
const ENI_3 = 'eni-0000000000000bb03';
const scope: FlowLogCoverage = {
  accountId: ACCOUNT,
  vpcId: VPC,
  interfaces: new Map([
    [ENI_1, SUBNET_A],
    [ENI_2, SUBNET_A],
    [ENI_3, SUBNET_B],
  ]),
};

const s3Log = (id: string, resource: string, extra: Partial<FlowLog> = {}): FlowLog => ({
  FlowLogId: id,
  ResourceId: resource,
  FlowLogStatus: 'ACTIVE',
  TrafficType: 'ALL',
  LogDestinationType: 's3',
  LogDestination: 'arn:aws:s3:::flow-logs-bucket/vpc-flows/',
  LogFormat: RECOMMENDED_LOG_FORMAT,
  DeliverLogsStatus: 'SUCCESS',
  MaxAggregationInterval: 60,
  DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false },
  ...extra,
});

describe('chooseFlowLogs', () => {
  it('reads a VPC log to S3 with its format, bucket and folder', () => {
    const { reads, notes } = chooseFlowLogs([s3Log('fl-0000000000000000a', VPC)], scope);
    expect(reads).toEqual([
      {
        flowLogId: 'fl-0000000000000000a',
        resourceId: VPC,
        destination: { kind: 's3', bucket: 'flow-logs-bucket', prefix: 'vpc-flows', hive: false },
        logFormat: RECOMMENDED_LOG_FORMAT,
        interfaceIds: [ENI_1, ENI_2, ENI_3],
        shared: false,
        notes: [],
      },
    ]);
    expect(notes).toEqual([]);
  });

  it('reads each interface from one log only: the subnet log for its interfaces, the VPC log for the rest, kept to them', () => {
    const { reads, notes } = chooseFlowLogs(
      [
        s3Log('fl-0000000000000000a', VPC),
        {
          FlowLogId: 'fl-0000000000000000b',
          ResourceId: SUBNET_A,
          FlowLogStatus: 'ACTIVE',
          TrafficType: 'ACCEPT',
          LogDestinationType: 'cloud-watch-logs',
          LogGroupName: '/vpc/subnet-a',
          LogDestination: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/vpc/subnet-a`,
          DeliverLogsStatus: 'SUCCESS',
          MaxAggregationInterval: 600,
        },
      ],
      scope,
    );
    expect(reads.map((r) => [r.flowLogId, r.interfaceIds, r.shared])).toEqual([
      ['fl-0000000000000000b', [ENI_1, ENI_2], false],
      ['fl-0000000000000000a', [ENI_3], true],
    ]);
    expect(reads[0]?.destination).toEqual({ kind: 'cloudwatch', logGroupName: '/vpc/subnet-a' });
    // The default format (no LogFormat) has no tcp-flags: said when the log is read, not refused.
    expect(notes).toEqual([]);
    expect(reads[0]?.notes).toEqual([expect.stringContaining('flow log fl-0000000000000000b has no tcp-flags field')]);
  });

  it('leaves out a wider log whose interfaces all have a narrower one, saying it would count each flow twice', () => {
    const { reads, notes } = chooseFlowLogs(
      [
        s3Log('fl-0000000000000000a', VPC),
        s3Log('fl-0000000000000000c', SUBNET_A),
        s3Log('fl-0000000000000000d', SUBNET_B),
      ],
      scope,
    );
    expect(reads.map((r) => r.flowLogId)).toEqual(['fl-0000000000000000c', 'fl-0000000000000000d']);
    expect(notes).toEqual([
      `flow log fl-0000000000000000a (VPC ${VPC}) is not read: fl-0000000000000000c, fl-0000000000000000d records the same interfaces (reading both would count each flow twice).`,
    ]);
  });

  it('says why it cannot read Firehose, REJECT-only, Parquet, inactive and unreadable-format logs', () => {
    const { reads, notes } = chooseFlowLogs(
      [
        s3Log('fl-00000000000000001', VPC, {
          LogDestinationType: 'kinesis-data-firehose',
          LogDestination: `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/flows`,
        }),
        s3Log('fl-00000000000000002', VPC, { TrafficType: 'REJECT' }),
        s3Log('fl-00000000000000003', VPC, { DestinationOptions: { FileFormat: 'parquet' } }),
        s3Log('fl-00000000000000004', SUBNET_A, { FlowLogStatus: 'DELETING' }),
        s3Log('fl-00000000000000005', ENI_3, { LogFormat: logFormatOf(['version', 'interface-id', 'action']) }),
      ],
      scope,
    );
    expect(reads).toEqual([]);
    expect(notes).toHaveLength(6);
    expect(notes[0]).toMatch(/fl-00000000000000001 \(VPC .*\) is not read: it publishes to Kinesis Data Firehose/);
    expect(notes[1]).toMatch(/fl-00000000000000002 .* only rejected traffic \(TrafficType REJECT\)/);
    expect(notes[2]).toMatch(
      /fl-00000000000000003 .* Apache Parquet files to "arn:aws:s3:::flow-logs-bucket\/vpc-flows\/"/,
    );
    expect(notes[3]).toMatch(
      /fl-00000000000000004 \(subnet .*\) is not read: it is not active \(FlowLogStatus "DELETING"\)/,
    );
    expect(notes[4]).toMatch(
      /fl-00000000000000005 \(interface .*\) is not read: its format cannot be read \(LogFormat: the format lacks srcaddr/,
    );
    // None readable: the command that turns flow logs on, with the recommended format.
    expect(notes[5]).toContain(`aws ec2 create-flow-logs --resource-type VPC --resource-ids ${VPC} --traffic-type ALL`);
    expect(notes[5]).toContain(RECOMMENDED_LOG_FORMAT);
  });

  it('with no flow log at all offers the command, and names interfaces no log records', () => {
    expect(chooseFlowLogs([], scope).notes).toEqual([expect.stringContaining('aws ec2 create-flow-logs')]);
    const partial = chooseFlowLogs([s3Log('fl-0000000000000000c', SUBNET_A)], scope);
    expect(partial.reads.map((r) => r.interfaceIds)).toEqual([[ENI_1, ENI_2]]);
    expect(partial.notes).toEqual([
      `1 interface(s) of the group are recorded by no readable flow log (${ENI_3}): their traffic is not known.`,
    ]);
  });

  it('reads nothing for a group without interfaces, and says so', () => {
    expect(chooseFlowLogs([s3Log('fl-0000000000000000a', VPC)], { ...scope, interfaces: new Map() })).toEqual({
      reads: [],
      notes: ['the group has no interfaces: there is no traffic of its members to read.'],
    });
  });

  it('prefers a delivering log to a failing one, and reads a failing one when it is the only one, saying so', () => {
    const failing = s3Log('fl-0000000000000000c', SUBNET_A, {
      DeliverLogsStatus: 'FAILED',
      DeliverLogsErrorMessage: 'Access error',
    });
    const both = chooseFlowLogs([failing, s3Log('fl-0000000000000000a', VPC)], scope);
    expect(both.reads.map((r) => r.flowLogId)).toEqual(['fl-0000000000000000a']);
    const alone = chooseFlowLogs([failing], scope);
    expect(alone.reads.map((r) => r.flowLogId)).toEqual(['fl-0000000000000000c']);
    expect(alone.notes).toEqual([expect.stringContaining(`recorded by no readable flow log (${ENI_3})`)]);
    expect(alone.reads[0]?.notes[0]).toBe(
      `flow log fl-0000000000000000c (subnet ${SUBNET_A}) fails to deliver ("Access error"): it is read, but records may be missing (see the gaps in the window).`,
    );
  });

  it('notes destinations in another account: a log group it cannot query, a bucket it may not be allowed to read', () => {
    const { reads, notes } = chooseFlowLogs(
      [
        s3Log('fl-0000000000000000c', SUBNET_A, {
          LogDestinationType: 'cloud-watch-logs',
          LogDestination: 'arn:aws:logs:us-east-1:444455556666:log-group:/central/flows:*',
          LogGroupName: '/central/flows',
        }),
        s3Log('fl-0000000000000000a', VPC, {
          DeliverCrossAccountRole: 'arn:aws:iam::111122223333:role/flow-logs-delivery',
        }),
      ],
      scope,
    );
    expect(reads.map((r) => r.flowLogId)).toEqual(['fl-0000000000000000a']);
    expect(notes[0]).toMatch(
      /fl-0000000000000000c .* is not read: it publishes to the log group "\/central\/flows" of account 444455556666/,
    );
    expect(notes).toHaveLength(1);
    expect(reads[0]?.notes[0]).toMatch(
      /fl-0000000000000000a publishes through the role .* another account's destination/,
    );
  });

  it('reads the Hive-compatible layout flag, and quotes text from the account', () => {
    const hive = chooseFlowLogs(
      [
        s3Log('fl-0000000000000000a', VPC, {
          DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: true },
        }),
      ],
      scope,
    );
    expect(hive.reads[0]?.destination).toMatchObject({ hive: true });
    const hostile = chooseFlowLogs([s3Log('fl-0000000000000000a', VPC, { FlowLogStatus: 'x\u202Ey\nz' })], scope);
    expect(hostile.notes[0]).toContain('"x\\u{202E}y\\nz"');
  });
});

describe('destination ARNs', () => {
  it('parses S3 bucket ARNs with and without a folder, and refuses others', () => {
    expect(parseS3Destination('arn:aws:s3:::my-bucket')).toEqual({ bucket: 'my-bucket' });
    expect(parseS3Destination('arn:aws-cn:s3:::my-bucket/a/b/')).toEqual({ bucket: 'my-bucket', prefix: 'a/b' });
    expect(parseS3Destination('arn:aws:logs:us-east-1:111122223333:log-group:x')).toBeUndefined();
    expect(parseS3Destination('arn:aws:s3:::Bad_Bucket')).toBeUndefined();
  });

  it('parses log group ARNs with and without the :* suffix', () => {
    expect(parseLogGroupArn('arn:aws:logs:eu-west-1:111122223333:log-group:/vpc/flows:*')).toEqual({
      accountId: '111122223333',
      logGroupName: '/vpc/flows',
    });
    expect(parseLogGroupArn('arn:aws:logs:eu-west-1:111122223333:log-group:flows')).toEqual({
      accountId: '111122223333',
      logGroupName: 'flows',
    });
  });
});
