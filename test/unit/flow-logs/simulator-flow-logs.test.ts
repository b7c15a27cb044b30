/**
 * DescribeFlowLogs in the EC2 simulator, as https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html
 * describes it: the state's `FlowLogs` (describe-flow-logs output), the filters the reference lists (any other name is
 * InvalidParameterValue), `Filter` (not `Filters`), MaxResults 5-1000 with NextToken, and a state whose flow logs are
 * not the API's shape refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { Ec2Simulator } from '../../../handlers/adapters/local/ec2-simulator.ts';
import type { FlowLog } from '../../../handlers/core/ec2-shapes.ts';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const GROUP = {
  GroupId: 'sg-0a1b2c3d4e5f60718',
  GroupName: 'default',
  Description: 'default VPC security group',
  VpcId: VPC,
  OwnerId: '111122223333',
};

const logs: FlowLog[] = [
  {
    FlowLogId: 'fl-0000000000000000a',
    ResourceId: VPC,
    FlowLogStatus: 'ACTIVE',
    TrafficType: 'ALL',
    LogDestinationType: 's3',
    LogDestination: 'arn:aws:s3:::flow-logs-bucket/vpc',
    DeliverLogsStatus: 'SUCCESS',
    MaxAggregationInterval: 60,
    DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false },
    Tags: [{ Key: 'team', Value: 'network' }],
  },
  {
    FlowLogId: 'fl-0000000000000000b',
    ResourceId: 'subnet-0a1b2c3d4e5f60718',
    FlowLogStatus: 'ACTIVE',
    TrafficType: 'REJECT',
    LogDestinationType: 'cloud-watch-logs',
    LogGroupName: '/vpc/flow',
    DeliverLogsStatus: 'FAILED',
    MaxAggregationInterval: 600,
  },
  ...Array.from({ length: 7 }, (_, i) => ({
    FlowLogId: `fl-00000000000000${String(i).padStart(3, '0')}`,
    ResourceId: `eni-0a1b2c3d4e5f6${String(i).padStart(4, '0')}`,
    FlowLogStatus: 'ACTIVE',
    TrafficType: 'ACCEPT',
    LogDestinationType: 'kinesis-data-firehose',
    LogDestination: 'arn:aws:firehose:us-east-1:111122223333:deliverystream/flows',
  })),
];

const simulator = () => Ec2Simulator.fromState({ SecurityGroups: [GROUP], FlowLogs: logs });

describe('DescribeFlowLogs in the simulator', () => {
  it('answers the state file flow logs as they are, filtered by resource id, traffic type, destination and tag', async () => {
    const ec2 = simulator();
    expect((await ec2.describeFlowLogs({})).FlowLogs).toEqual(logs);
    const byResource = await ec2.describeFlowLogs({
      Filter: [{ Name: 'resource-id', Values: [VPC, 'subnet-0a1b2c3d4e5f60718'] }],
    });
    expect(byResource.FlowLogs?.map((log) => log.FlowLogId)).toEqual(['fl-0000000000000000a', 'fl-0000000000000000b']);
    const filtered = await ec2.describeFlowLogs({
      Filter: [
        { Name: 'traffic-type', Values: ['ACCEPT', 'ALL'] },
        { Name: 'log-destination-type', Values: ['s3', 'cloud-watch-logs'] },
      ],
    });
    expect(filtered.FlowLogs?.map((log) => log.FlowLogId)).toEqual(['fl-0000000000000000a']);
    expect(
      (await ec2.describeFlowLogs({ Filter: [{ Name: 'deliver-log-status', Values: ['FAILED'] }] })).FlowLogs,
    ).toHaveLength(1);
    expect(
      (await ec2.describeFlowLogs({ Filter: [{ Name: 'log-group-name', Values: ['/vpc/*'] }] })).FlowLogs?.[0]
        ?.FlowLogId,
    ).toBe('fl-0000000000000000b');
    expect(
      (await ec2.describeFlowLogs({ Filter: [{ Name: 'tag:team', Values: ['network'] }] })).FlowLogs?.[0]?.FlowLogId,
    ).toBe('fl-0000000000000000a');
    expect((await ec2.describeFlowLogs({ FlowLogIds: ['fl-0000000000000000b'] })).FlowLogs).toHaveLength(1);
    expect(ec2.callCounts().DescribeFlowLogs).toBe(7);
  });

  it('pages with MaxResults 5-1000 and refuses other sizes and unknown filter names, as EC2 does', async () => {
    const ec2 = simulator();
    const first = await ec2.describeFlowLogs({ MaxResults: 5 });
    expect(first.FlowLogs).toHaveLength(5);
    const second = await ec2.describeFlowLogs({ MaxResults: 5, NextToken: first.NextToken });
    expect(second.FlowLogs).toHaveLength(4);
    expect(second.NextToken).toBeUndefined();
    await expect(ec2.describeFlowLogs({ MaxResults: 4 })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(ec2.describeFlowLogs({ Filter: [{ Name: 'vpc-id', Values: [VPC] }] })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
  });

  it('refuses a state whose flow logs are not the API shape, naming the field', () => {
    expect(() =>
      Ec2Simulator.fromState({ SecurityGroups: [GROUP], FlowLogs: [{ ...logs[0], TrafficType: 'accepted' }] }),
    ).toThrow(/FlowLogs\[0\]\.TrafficType/);
    expect(() =>
      Ec2Simulator.fromState({ SecurityGroups: [GROUP], FlowLogs: [{ ...logs[0], FlowLogId: 'log-1' }] }),
    ).toThrow(/FlowLogs\[0\]\.FlowLogId/);
  });
});
