/**
 * Redshift, DMS, CodeBuild and Batch on the default group, end to end on the real state machine definitions: a
 * Redshift cluster and a DMS replication instance (each with its interface on the group), a CodeBuild project and a
 * Fargate Batch compute environment (no interface between builds and jobs). Records in the shapes the AWS CLI prints
 * (`Clusters`, `ReplicationInstances`, `projects`, `computeEnvironments`; docs/simulator-fidelity.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State, NetworkInterface } from '../../handlers/core/ec2-shapes.ts';
import { disposeAll, eniGroups, newGroups, normalizeState, remediateState, scenarioState } from '../support/harness.ts';

afterEach(disposeAll);

const ACCOUNT = '111122223333';
const WEB_GROUP = 'sg-0c5aafc3d843c98bd';
const DMS_ARN = `arn:aws:dms:us-east-1:${ACCOUNT}:rep:ABCDEFGHIJKLMNOPQRSTUVWXYZ`;

type Records = Ec2State & {
  Clusters: { ClusterIdentifier: string; VpcSecurityGroups: { VpcSecurityGroupId: string }[] }[];
  ReplicationInstances: { VpcSecurityGroups: { VpcSecurityGroupId: string }[] }[];
  projects: { name: string; vpcConfig: { vpcId: string; subnets: string[]; securityGroupIds: string[] } }[];
  computeEnvironments: { computeEnvironmentName: string; computeResources: { securityGroupIds: string[] } }[];
};

function managedEni(id: string, vpcId: string, description: string, groups: string[]): NetworkInterface {
  return {
    NetworkInterfaceId: id,
    VpcId: vpcId,
    SubnetId: 'subnet-0a1b2c3d4e5f60718',
    AvailabilityZone: 'us-east-1a',
    Description: description,
    InterfaceType: 'interface',
    OwnerId: ACCOUNT,
    RequesterManaged: true,
    Status: 'in-use',
    PrivateIpAddress: '10.0.1.77',
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.1.77' }],
    Groups: groups.map((GroupId) => ({ GroupId })),
    Attachment: { AttachmentId: `ela-attach-${id.slice(4)}`, Status: 'attached' },
    SourceDestCheck: true,
    TagSet: [],
  } as NetworkInterface;
}

function mixedState(batchEnvironment: (defaultGroup: string) => Record<string, unknown> = () => ({})): {
  state: Records;
  defaultGroup: string;
} {
  const state = scenarioState('empty-default') as Records;
  const group = state.SecurityGroups?.find((g) => g.GroupName === 'default');
  const defaultGroup = group?.GroupId ?? '';
  const vpcId = group?.VpcId ?? '';
  state.NetworkInterfaces = [
    ...(state.NetworkInterfaces ?? []),
    managedEni('eni-0aed000000000e001', vpcId, 'RedshiftNetworkInterface', [defaultGroup]),
    managedEni('eni-0aed000000000e002', vpcId, 'DMSNetworkInterface', [WEB_GROUP, defaultGroup]),
  ];
  state.Clusters = [
    {
      ClusterIdentifier: 'analytics',
      ClusterStatus: 'available',
      VpcId: vpcId,
      VpcSecurityGroups: [{ VpcSecurityGroupId: defaultGroup, Status: 'active' }],
    } as unknown as Records['Clusters'][number],
  ];
  state.ReplicationInstances = [
    {
      ReplicationInstanceIdentifier: 'migrate-orders',
      ReplicationInstanceArn: DMS_ARN,
      ReplicationInstanceStatus: 'available',
      ReplicationSubnetGroup: { VpcId: vpcId },
      VpcSecurityGroups: [
        { VpcSecurityGroupId: WEB_GROUP, Status: 'active' },
        { VpcSecurityGroupId: defaultGroup, Status: 'active' },
      ],
    } as unknown as Records['ReplicationInstances'][number],
  ];
  state.projects = [
    {
      name: 'integration-tests',
      vpcConfig: { vpcId, subnets: ['subnet-0a1b2c3d4e5f60718'], securityGroupIds: [defaultGroup] },
    },
  ];
  state.computeEnvironments = [
    {
      computeEnvironmentName: 'nightly-jobs',
      type: 'MANAGED',
      state: 'ENABLED',
      status: 'VALID',
      computeResources: {
        type: 'FARGATE',
        subnets: ['subnet-0a1b2c3d4e5f60718'],
        securityGroupIds: [defaultGroup],
        maxvCpus: 16,
      },
      ...batchEnvironment(defaultGroup),
    } as Records['computeEnvironments'][number],
  ];
  return { state, defaultGroup };
}

function ownerGroups(state: Ec2State): Record<string, string[]> {
  const r = state as Records;
  return {
    redshift: r.Clusters.flatMap((c) => c.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId)),
    dms: r.ReplicationInstances.flatMap((i) => i.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId)),
    codebuild: r.projects.flatMap((p) => p.vpcConfig.securityGroupIds),
    batch: r.computeEnvironments.flatMap((e) => e.computeResources.securityGroupIds),
  };
}

describe('a default group used by Redshift, DMS, a CodeBuild project and a Fargate Batch environment', () => {
  it('moves each through its own API (interfaces following), strips the group, and rollback restores them exactly', async () => {
    const { state, defaultGroup } = mixedState();
    const run = await remediateState(state);
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    expect(run.result.output?.outcome).toBe('remediated');
    const copy = newGroups(run.before, run.after)[0]?.GroupId ?? '';
    expect(copy).toMatch(/^sg-/);
    expect(ownerGroups(run.after)).toEqual({
      redshift: [copy],
      dms: [WEB_GROUP, copy],
      codebuild: [copy],
      batch: [copy],
    });
    // The project keeps its VPC and subnets.
    expect((run.after as Records).projects[0]?.vpcConfig.subnets).toEqual(['subnet-0a1b2c3d4e5f60718']);
    expect(eniGroups(run.after, 'eni-0aed000000000e001')).toEqual([copy]);
    expect(eniGroups(run.after, 'eni-0aed000000000e002')).toEqual([WEB_GROUP, copy]);
    const stripped = run.after.SecurityGroups?.find((g) => g.GroupId === defaultGroup);
    expect(stripped?.IpPermissions ?? []).toEqual([]);
    expect(stripped?.IpPermissionsEgress ?? []).toEqual([]);
    const notice = run.notifications.map((n) => n.message).join('\n');
    for (const name of ['Redshift cluster analytics', 'CodeBuild project integration-tests', 'nightly-jobs', DMS_ARN])
      expect(notice).toContain(name);

    const rollback = await run.rollback();
    expect(rollback.result.output?.outcome).toBe('rolled-back');
    expect(ownerGroups(rollback.after)).toEqual(ownerGroups(run.before));
    expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
  });

  it('an EC2 Batch environment with the BEST_FIT strategy blocks the plan with the change to make, nothing changed', async () => {
    const { state } = mixedState((defaultGroup) => ({
      computeResources: {
        type: 'EC2',
        allocationStrategy: 'BEST_FIT',
        subnets: ['subnet-0a1b2c3d4e5f60718'],
        securityGroupIds: [defaultGroup],
        maxvCpus: 16,
      },
    }));
    const run = await remediateState(state);
    expect(run.result.output?.outcome).toBe('blocked');
    const output = JSON.stringify(run.result.output);
    expect(output).toMatch(/nightly-jobs uses the BEST_FIT allocation strategy/);
    expect(output).toMatch(/put it in its job queues in its place/);
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
  });
});
