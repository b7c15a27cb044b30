import { DescribeVpcEndpointsCommand, EC2Client, ModifyVpcEndpointCommand } from '@aws-sdk/client-ec2';
import {
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  ModifyMountTargetSecurityGroupsCommand,
} from '@aws-sdk/client-efs';
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  SetSecurityGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  ModifyReplicationGroupCommand,
} from '@aws-sdk/client-elasticache';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListTagsCommand,
  ResourceNotFoundException,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkServices } from '../../../handlers/adapters/aws/services.ts';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const config = { region: 'us-east-1', credentials };
const mocks = {
  lambda: mockClient(LambdaClient),
  rds: mockClient(RDSClient),
  elbv2: mockClient(ElasticLoadBalancingV2Client),
  efs: mockClient(EFSClient),
  ec2: mockClient(EC2Client),
  elasticache: mockClient(ElastiCacheClient),
};
const sleeps: number[] = [];
const services = new SdkServices(config, {
  intervalMs: 10,
  attempts: 3,
  sleep: async (ms) => void sleeps.push(ms),
});

const VPC = 'vpc-0a5e00000000000f1';
const DEFAULT = 'sg-0d5e000000000d001';
const COPY = 'sg-0d5e000000000e001';
const OTHER = 'sg-0d5e000000000a001';

beforeEach(() => {
  for (const mock of Object.values(mocks)) mock.reset();
  sleeps.length = 0;
});

afterAll(() => {
  for (const mock of Object.values(mocks)) mock.restore();
});

describe('Lambda', () => {
  it('findUsing pages through ListFunctions and keeps the VPC functions on the group', async () => {
    mocks.lambda
      .on(ListFunctionsCommand, { Marker: undefined })
      .resolves({
        Functions: [
          { FunctionName: 'a', VpcConfig: { VpcId: VPC, SecurityGroupIds: [DEFAULT] } },
          { FunctionName: 'b', VpcConfig: { VpcId: 'vpc-0ffffffffffffffff', SecurityGroupIds: [DEFAULT] } },
        ],
        NextMarker: 'm1',
      })
      .on(ListFunctionsCommand, { Marker: 'm1' })
      .resolves({
        Functions: [{ FunctionName: 'c', VpcConfig: { VpcId: VPC, SecurityGroupIds: [OTHER] } }, { FunctionName: 'd' }],
      });
    expect(await services.findUsing('lambda', VPC, DEFAULT)).toEqual([
      { kind: 'lambda-function', id: 'a', vpcId: VPC, groups: [DEFAULT] },
    ]);
    expect(mocks.lambda.commandCalls(ListFunctionsCommand)).toHaveLength(2);
  });

  it('findUsing asks for every published version and names a version on the group as name:version', async () => {
    mocks.lambda.on(ListFunctionsCommand).resolves({
      Functions: [
        { FunctionName: 'a', Version: '$LATEST', VpcConfig: { VpcId: VPC, SecurityGroupIds: [OTHER] } },
        { FunctionName: 'a', Version: '7', VpcConfig: { VpcId: VPC, SecurityGroupIds: [DEFAULT] } },
      ],
    });
    expect(await services.findUsing('lambda', VPC, DEFAULT)).toEqual([
      { kind: 'lambda-function', id: 'a:7', vpcId: VPC, groups: [DEFAULT], publishedVersion: '7' },
    ]);
    expect(mocks.lambda.commandCalls(ListFunctionsCommand)[0]?.args[0].input.FunctionVersion).toBe('ALL');
  });

  it('findUsing reads the stack of each function on the group with ListTags (ListFunctions answers no tags)', async () => {
    const arn = 'arn:aws:lambda:us-east-1:111122223333:function:a';
    mocks.lambda.on(ListFunctionsCommand).resolves({
      Functions: [
        { FunctionName: 'a', FunctionArn: arn, VpcConfig: { VpcId: VPC, SecurityGroupIds: [DEFAULT] } },
        { FunctionName: 'c', FunctionArn: `${arn}-c`, VpcConfig: { VpcId: VPC, SecurityGroupIds: [OTHER] } },
      ],
    });
    mocks.lambda
      .on(ListTagsCommand, { Resource: arn })
      .resolves({ Tags: { 'aws:cloudformation:stack-name': 'reports', team: 'data' } });
    expect(await services.findUsing('lambda', VPC, DEFAULT)).toEqual([
      { kind: 'lambda-function', id: 'a', vpcId: VPC, groups: [DEFAULT], stack: 'reports' },
    ]);
    // One ListTags, for the function on the group only.
    expect(mocks.lambda.commandCalls(ListTagsCommand).map((call) => call.args[0].input)).toEqual([{ Resource: arn }]);
  });

  it('setGroups replaces VpcConfig keeping the subnets and the revision; then waits for LastUpdateStatus', async () => {
    mocks.lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce({
        VpcConfig: { VpcId: VPC, SubnetIds: ['subnet-1', 'subnet-2'], SecurityGroupIds: [DEFAULT] },
        RevisionId: 'rev-1',
      })
      .resolvesOnce({ LastUpdateStatus: 'InProgress' })
      .resolves({ LastUpdateStatus: 'Successful' });
    mocks.lambda.on(UpdateFunctionConfigurationCommand).resolves({});
    const ref = { kind: 'lambda-function' as const, id: 'orders-api' };
    await services.setGroups(ref, [COPY]);
    expect(mocks.lambda.commandCalls(UpdateFunctionConfigurationCommand)[0]?.args[0].input).toEqual({
      FunctionName: 'orders-api',
      VpcConfig: { SubnetIds: ['subnet-1', 'subnet-2'], SecurityGroupIds: [COPY] },
      RevisionId: 'rev-1',
    });
    await services.waitUntilSettled(ref);
    expect(sleeps).toEqual([10]);
  });

  it('a failed update is ResourceMoveFailed; one still in progress after the attempts is ResourceBusy (retried)', async () => {
    const ref = { kind: 'lambda-function' as const, id: 'orders-api' };
    mocks.lambda
      .on(GetFunctionConfigurationCommand)
      .resolves({ LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'ENI limit' });
    await expect(services.waitUntilSettled(ref)).rejects.toMatchObject({
      name: 'ResourceMoveFailed',
      message: /ENI limit/,
    });
    mocks.lambda.on(GetFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'InProgress' });
    await expect(services.waitUntilSettled(ref)).rejects.toMatchObject({
      name: 'ResourceBusy',
      message: 'lambda-function orders-api is still applying its new security groups.',
    });
  });

  it('describe answers undefined for a deleted function', async () => {
    mocks.lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));
    expect(await services.describe({ kind: 'lambda-function', id: 'gone' })).toBeUndefined();
  });
});

describe('RDS', () => {
  it('describe names the stack from the TagList the describe answers (no extra call)', async () => {
    mocks.rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'db1',
          VpcSecurityGroups: [{ VpcSecurityGroupId: DEFAULT }],
          TagList: [{ Key: 'aws:cloudformation:stack-name', Value: 'orders' }],
        },
      ],
    });
    expect(await services.describe({ kind: 'rds-instance', id: 'db1' })).toEqual({
      kind: 'rds-instance',
      id: 'db1',
      groups: [DEFAULT],
      stack: 'orders',
    });
    expect(mocks.rds.calls()).toHaveLength(1);
  });

  it('findUsing: standalone instances as instances, cluster members as their cluster', async () => {
    mocks.rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'db1',
          DBSubnetGroup: { VpcId: VPC },
          VpcSecurityGroups: [{ VpcSecurityGroupId: DEFAULT }],
        },
        {
          DBInstanceIdentifier: 'aurora-1',
          DBClusterIdentifier: 'aurora',
          DBSubnetGroup: { VpcId: VPC },
          VpcSecurityGroups: [{ VpcSecurityGroupId: DEFAULT }],
        },
        {
          DBInstanceIdentifier: 'db2',
          DBSubnetGroup: { VpcId: VPC },
          VpcSecurityGroups: [{ VpcSecurityGroupId: OTHER }],
        },
      ],
    });
    mocks.rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'aurora',
          VpcSecurityGroups: [{ VpcSecurityGroupId: DEFAULT }, { VpcSecurityGroupId: OTHER }],
        },
      ],
    });
    expect(await services.findUsing('rds', VPC, DEFAULT)).toEqual([
      { kind: 'rds-instance', id: 'db1', vpcId: VPC, groups: [DEFAULT] },
      { kind: 'rds-cluster', id: 'aurora', vpcId: VPC, groups: [DEFAULT, OTHER] },
    ]);
  });

  it('ModifyDBInstance / ModifyDBCluster with ApplyImmediately; settled when every group is active', async () => {
    mocks.rds.on(ModifyDBInstanceCommand).resolves({});
    mocks.rds.on(ModifyDBClusterCommand).resolves({});
    await services.setGroups({ kind: 'rds-instance', id: 'db1' }, [COPY]);
    await services.setGroups({ kind: 'rds-cluster', id: 'aurora' }, [COPY, OTHER]);
    expect(mocks.rds.commandCalls(ModifyDBInstanceCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'db1',
      VpcSecurityGroupIds: [COPY],
      ApplyImmediately: true,
    });
    expect(mocks.rds.commandCalls(ModifyDBClusterCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: 'aurora',
      VpcSecurityGroupIds: [COPY, OTHER],
      ApplyImmediately: true,
    });
    mocks.rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ VpcSecurityGroups: [{ VpcSecurityGroupId: COPY, Status: 'adding' }] }] })
      .resolves({ DBInstances: [{ VpcSecurityGroups: [{ VpcSecurityGroupId: COPY, Status: 'active' }] }] });
    await services.waitUntilSettled({ kind: 'rds-instance', id: 'db1' });
    expect(sleeps).toHaveLength(1);
  });

  it('describe answers undefined for a deleted instance', async () => {
    mocks.rds
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }));
    expect(await services.describe({ kind: 'rds-instance', id: 'gone' })).toBeUndefined();
  });
});

describe('ELBv2, EFS, VPC endpoints, ElastiCache', () => {
  const LB = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188';

  it('SetSecurityGroups with the whole list', async () => {
    mocks.elbv2
      .on(DescribeLoadBalancersCommand)
      .resolves({ LoadBalancers: [{ VpcId: VPC, SecurityGroups: [DEFAULT, OTHER] }] });
    mocks.elbv2.on(SetSecurityGroupsCommand).resolves({});
    expect(await services.describe({ kind: 'load-balancer', id: LB })).toEqual({
      kind: 'load-balancer',
      id: LB,
      vpcId: VPC,
      groups: [DEFAULT, OTHER],
    });
    await services.setGroups({ kind: 'load-balancer', id: LB }, [COPY, OTHER]);
    expect(mocks.elbv2.commandCalls(SetSecurityGroupsCommand)[0]?.args[0].input).toEqual({
      LoadBalancerArn: LB,
      SecurityGroups: [COPY, OTHER],
    });
  });

  it('EFS reads the mount target and its groups; ModifyMountTargetSecurityGroups', async () => {
    mocks.efs.on(DescribeMountTargetsCommand).resolves({
      MountTargets: [
        {
          MountTargetId: 'fsmt-1',
          FileSystemId: 'fs-1',
          SubnetId: 's',
          LifeCycleState: 'available',
          OwnerId: '1',
          VpcId: VPC,
        },
      ],
    });
    mocks.efs.on(DescribeMountTargetSecurityGroupsCommand).resolves({ SecurityGroups: [DEFAULT] });
    mocks.efs.on(ModifyMountTargetSecurityGroupsCommand).resolves({});
    expect(await services.describe({ kind: 'efs-mount-target', id: 'fsmt-1' })).toEqual({
      kind: 'efs-mount-target',
      id: 'fsmt-1',
      vpcId: VPC,
      groups: [DEFAULT],
    });
    await services.setGroups({ kind: 'efs-mount-target', id: 'fsmt-1' }, [COPY]);
    expect(mocks.efs.commandCalls(ModifyMountTargetSecurityGroupsCommand)[0]?.args[0].input).toEqual({
      MountTargetId: 'fsmt-1',
      SecurityGroups: [COPY],
    });
  });

  it('ModifyVpcEndpoint adds and removes the difference only', async () => {
    mocks.ec2
      .on(DescribeVpcEndpointsCommand)
      .resolves({ VpcEndpoints: [{ VpcId: VPC, Groups: [{ GroupId: DEFAULT }, { GroupId: OTHER }] }] });
    mocks.ec2.on(ModifyVpcEndpointCommand).resolves({ Return: true });
    await services.setGroups({ kind: 'vpc-endpoint', id: 'vpce-1' }, [COPY, OTHER]);
    expect(mocks.ec2.commandCalls(ModifyVpcEndpointCommand)[0]?.args[0].input).toEqual({
      VpcEndpointId: 'vpce-1',
      AddSecurityGroupIds: [COPY],
      RemoveSecurityGroupIds: [DEFAULT],
    });
    await services.setGroups({ kind: 'vpc-endpoint', id: 'vpce-1' }, [DEFAULT, OTHER]);
    expect(mocks.ec2.commandCalls(ModifyVpcEndpointCommand)).toHaveLength(1);
  });

  it('ElastiCache: a node resolves to its replication group, moved with ModifyReplicationGroup', async () => {
    mocks.elasticache.on(DescribeCacheClustersCommand).resolves({
      CacheClusters: [
        {
          CacheClusterId: 'sessions-0001-001',
          ReplicationGroupId: 'sessions',
          SecurityGroups: [{ SecurityGroupId: DEFAULT, Status: 'active' }],
        },
      ],
    });
    mocks.elasticache
      .on(DescribeReplicationGroupsCommand)
      .resolves({ ReplicationGroups: [{ ReplicationGroupId: 'sessions', MemberClusters: ['sessions-0001-001'] }] });
    mocks.elasticache.on(ModifyReplicationGroupCommand).resolves({});
    expect(await services.resolveMember('elasticache', 'sessions-0001-001')).toEqual({
      kind: 'elasticache-replication-group',
      id: 'sessions',
      groups: [DEFAULT],
      members: ['sessions-0001-001'],
    });
    await services.setGroups({ kind: 'elasticache-replication-group', id: 'sessions' }, [COPY]);
    expect(mocks.elasticache.commandCalls(ModifyReplicationGroupCommand)[0]?.args[0].input).toEqual({
      ReplicationGroupId: 'sessions',
      SecurityGroupIds: [COPY],
      ApplyImmediately: true,
    });
  });
});
