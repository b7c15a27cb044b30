/**
 * The AWS flow log finder over mocked EC2, S3 and CloudWatch Logs clients (aws-sdk-client-mock), with DescribeFlowLogs
 * answers shaped as https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html gives them: it asks for the
 * logs on the VPC, the members' subnets and the members (paginated), reads each interface from one log only, keeps a
 * wider log to the interfaces it is read for, and turns a bucket it cannot list into a note.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeFlowLogsCommand, DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkEc2 } from '../../../handlers/adapters/aws/ec2.ts';
import { AwsFlowLogFinder } from '../../../handlers/adapters/flow-logs/finder.ts';
import { SdkLogsInsights } from '../../../handlers/adapters/flow-logs/insights.ts';
import { readSources } from '../../../handlers/adapters/flow-logs/sources.ts';
import { FlowAggregator } from '../../../handlers/core/flow-logs/aggregate.ts';
import { DEFAULT_FIELDS, RECOMMENDED_LOG_FORMAT } from '../../../handlers/core/flow-logs/format.ts';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const ec2Mock = mockClient(EC2Client);
const s3Mock = mockClient(S3Client);
const logsMock = mockClient(CloudWatchLogsClient);
const ec2 = new SdkEc2(new EC2Client({ region: 'us-east-1', credentials }));
const s3 = new S3Client({ region: 'us-east-1', credentials });
const insights = new SdkLogsInsights(new CloudWatchLogsClient({ region: 'us-east-1', credentials }), {
  sleep: async () => {},
});

const ACCOUNT = '111122223333';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET_A = 'subnet-0aaaaaaaaaaaaaaa1';
const SUBNET_B = 'subnet-0bbbbbbbbbbbbbbb2';
const ENI_1 = 'eni-0000000000000aa01';
const ENI_3 = 'eni-0000000000000bb03';
const START = Date.UTC(2026, 10, 30, 1) / 1000;
const WINDOW = { start: START, end: START + 3600 };
const scope = { accountId: ACCOUNT, region: 'us-east-1', vpcId: VPC, interfaceIds: [ENI_1, ENI_3] };
const addresses = new Map([
  [ENI_1, ['10.0.1.11']],
  [ENI_3, ['10.0.2.13']],
]);
const record = (eni: string, address: string, port: number) =>
  `2 ${ACCOUNT} ${eni} 10.0.9.9 ${address} ${port} 443 6 3 180 ${START + 60} ${START + 120} ACCEPT OK`;

const vpcLog = {
  FlowLogId: 'fl-0000000000000000a',
  ResourceId: VPC,
  FlowLogStatus: 'ACTIVE',
  TrafficType: 'ALL',
  LogDestinationType: 's3',
  LogDestination: 'arn:aws:s3:::flow-logs-bucket/vpc',
  DeliverLogsStatus: 'SUCCESS',
  MaxAggregationInterval: 60,
  DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: true },
} as const;
const subnetLog = {
  FlowLogId: 'fl-0000000000000000b',
  ResourceId: SUBNET_A,
  FlowLogStatus: 'ACTIVE',
  TrafficType: 'ACCEPT',
  LogDestinationType: 'cloud-watch-logs',
  LogGroupName: '/vpc/subnet-a',
  LogDestination: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/vpc/subnet-a`,
  LogFormat: RECOMMENDED_LOG_FORMAT.split(' ').slice(0, 14).join(' '),
  DeliverLogsStatus: 'SUCCESS',
  MaxAggregationInterval: 60,
} as const;

beforeEach(() => {
  ec2Mock.reset();
  s3Mock.reset();
  logsMock.reset();
  ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({
    NetworkInterfaces: [
      { NetworkInterfaceId: ENI_1, SubnetId: SUBNET_A, VpcId: VPC },
      { NetworkInterfaceId: ENI_3, SubnetId: SUBNET_B, VpcId: VPC },
    ],
  });
});

afterAll(() => {
  ec2Mock.restore();
  s3Mock.restore();
  logsMock.restore();
});

describe('AwsFlowLogFinder', () => {
  it('finds the logs on the VPC, the subnets and the interfaces (all pages) and reads each interface once', async () => {
    ec2Mock
      .on(DescribeFlowLogsCommand)
      .resolvesOnce({ FlowLogs: [vpcLog], NextToken: 'page-2' })
      .resolvesOnce({ FlowLogs: [subnetLog] });
    const key = `vpc/AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/2026/11/30/01/${ACCOUNT}_vpcflowlogs_us-east-1_fl-0000000000000000a_20261130T0105Z_a.log.gz`;
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: key }] });
    // The VPC's log has both interfaces' records; ENI_1 is read from the subnet's log only.
    s3Mock.on(GetObjectCommand).callsFake(
      async () =>
        ({
          Body: Readable.from([
            gzipSync(
              `${[DEFAULT_FIELDS.join(' '), record(ENI_1, '10.0.1.11', 50001), record(ENI_3, '10.0.2.13', 50003)].join('\n')}\n`,
            ),
          ]),
        }) as unknown as GetObjectCommandOutput,
    );
    logsMock.on(StartQueryCommand).resolves({ queryId: 'q' });
    logsMock.on(GetQueryResultsCommand).resolves({
      status: 'Complete',
      results: [[{ field: '@message', value: record(ENI_1, '10.0.1.11', 50001) }]],
    });

    const found = await new AwsFlowLogFinder(ec2, s3, insights).find(scope);
    // Both logs use the default format (version 2): read, with what that costs said.
    expect(found.notes).toEqual([
      expect.stringMatching(/^flow log fl-0000000000000000b has no tcp-flags field/),
      expect.stringMatching(/^flow log fl-0000000000000000a has no tcp-flags field/),
    ]);
    expect(found.sources.map((s) => s.label)).toEqual([
      'CloudWatch Logs /vpc/subnet-a',
      's3://flow-logs-bucket/vpc (1 interface(s))',
    ]);
    const filter = ec2Mock.commandCalls(DescribeFlowLogsCommand)[0]?.args[0].input.Filter;
    expect(filter).toEqual([{ Name: 'resource-id', Values: [VPC, SUBNET_A, SUBNET_B, ENI_1, ENI_3] }]);
    expect(ec2Mock.commandCalls(DescribeFlowLogsCommand)[1]?.args[0].input.NextToken).toBe('page-2');

    const aggregator = new FlowAggregator({ interfaces: addresses, window: WINDOW });
    await readSources(found.sources, aggregator, WINDOW);
    // One record of each interface: ENI_1's second copy (in the VPC's log) is not counted.
    expect(aggregator.counts.accepted).toBe(2);
    expect(aggregator.observations().interfacesSeen).toEqual([ENI_1, ENI_3]);
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toContain(
      `vpc/AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/2026/11/30/`,
    );
    expect(logsMock.commandCalls(StartQueryCommand)[0]?.args[0].input.queryString).toContain(`like /${ENI_1}/`);
  });

  it('notes a bucket it cannot list instead of failing halfway through the read', async () => {
    ec2Mock.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [vpcLog] });
    s3Mock.on(ListObjectsV2Command).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'Access Denied',
      }),
    );
    const found = await new AwsFlowLogFinder(ec2, s3, insights).find(scope);
    expect(found.sources).toEqual([]);
    expect(found.notes).toEqual([
      'flow log fl-0000000000000000a is not read: cannot list "s3://flow-logs-bucket/vpc/AWSLogs/" (access denied: the bucket may be another account\'s, whose bucket policy must allow s3:ListBucket and s3:GetObject, or this role lacks them).',
    ]);
  });

  it('without flow logs answers no source and the create-flow-logs command', async () => {
    ec2Mock.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    const found = await new AwsFlowLogFinder(ec2, s3, insights).find(scope);
    expect(found.sources).toEqual([]);
    expect(found.notes[0]).toContain(`aws ec2 create-flow-logs --resource-type VPC --resource-ids ${VPC}`);
  });
});
