/**
 * A VPC whose default group is used by the owner services added for issue 11, for the fault sweep
 * (test/faults/faults.ts): an ECS service with two running tasks and one scaled to zero, a Redshift cluster, a DMS
 * replication instance (each with its interface on the group), a CodeBuild project and a Fargate Batch compute
 * environment (no interface), besides the `empty-default` scenario's groups and instances. Records in the shapes the
 * AWS CLI prints (docs/simulator-fidelity.md); the ECS services leave out `deployments`, so a change is in place at once
 * and "exactly as before" covers their whole records.
 */
import type { Ec2State, NetworkInterface } from '../../handlers/core/ec2-shapes.ts';
import { scenarioState } from './harness.ts';
import {
  batchComputeEnvironment,
  codebuildProject,
  dmsReplicationInstance,
  ecsAttachmentDescription,
  ecsService,
  ecsTask,
  redshiftCluster,
} from './owner-records.ts';

const ACCOUNT = '111122223333';
const SUBNET = 'subnet-0a1b2c3d4e5f60718';
const WEB_GROUP = 'sg-0c5aafc3d843c98bd';
const CLUSTER = `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/prod`;

function managedInterface(
  id: string,
  vpcId: string,
  description: string,
  groups: string[],
  ip: string,
): NetworkInterface {
  return {
    NetworkInterfaceId: id,
    VpcId: vpcId,
    SubnetId: SUBNET,
    AvailabilityZone: 'us-east-1a',
    Description: description,
    InterfaceType: 'interface',
    OwnerId: ACCOUNT,
    RequesterManaged: true,
    Status: 'in-use',
    PrivateIpAddress: ip,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }],
    Groups: groups.map((GroupId) => ({ GroupId })),
    Attachment: { AttachmentId: `ela-attach-${id.slice(4)}`, Status: 'attached' },
    SourceDestCheck: true,
    TagSet: [],
  } as NetworkInterface;
}

export function mixedOwnersState(): Ec2State {
  const state = scenarioState('empty-default') as Ec2State & Record<string, unknown>;
  const group = state.SecurityGroups.find((g) => g.GroupName === 'default');
  const defaultGroup = group?.GroupId ?? '';
  const vpcId = group?.VpcId ?? '';
  const attachments = ['0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c01', '0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c02'];
  const taskInterfaces = attachments.map((attachment, index) =>
    managedInterface(
      `eni-0ec500000000000${index + 1}0`,
      vpcId,
      ecsAttachmentDescription('us-east-1', ACCOUNT, attachment),
      [defaultGroup],
      `10.0.1.${41 + index}`,
    ),
  );
  state.NetworkInterfaces = [
    ...(state.NetworkInterfaces ?? []),
    ...taskInterfaces,
    managedInterface('eni-0aed000000000e001', vpcId, 'RedshiftNetworkInterface', [defaultGroup], '10.0.1.51'),
    managedInterface('eni-0aed000000000e002', vpcId, 'DMSNetworkInterface', [WEB_GROUP, defaultGroup], '10.0.1.52'),
  ];
  state.services = [
    ecsService({ name: 'web', clusterArn: CLUSTER, subnets: [SUBNET], groups: [defaultGroup], running: 2 }),
    ecsService({
      name: 'reports',
      clusterArn: CLUSTER,
      subnets: [SUBNET],
      groups: [WEB_GROUP, defaultGroup],
      running: 0,
    }),
  ];
  state.tasks = attachments.map((attachment, index) =>
    ecsTask({
      taskArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f${index}`,
      clusterArn: CLUSTER,
      service: 'web',
      attachment,
      networkInterfaceId: taskInterfaces[index]?.NetworkInterfaceId ?? '',
    }),
  );
  state.Clusters = [redshiftCluster('analytics', vpcId, [defaultGroup])];
  state.ReplicationInstances = [
    dmsReplicationInstance({
      id: 'migrate-orders',
      arn: `arn:aws:dms:us-east-1:${ACCOUNT}:rep:ABCDEFGHIJKLMNOPQRSTUVWXYZ`,
      vpcId,
      groups: [WEB_GROUP, defaultGroup],
    }),
  ];
  state.projects = [codebuildProject('integration-tests', vpcId, [SUBNET], [defaultGroup])];
  state.computeEnvironments = [batchComputeEnvironment('nightly-jobs', [SUBNET], [defaultGroup])];
  return state;
}
