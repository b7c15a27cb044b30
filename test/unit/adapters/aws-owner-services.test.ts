/**
 * The AWS adapters of the owner services added for issue 11 (ECS, …), through the dispatcher as the steps call them,
 * with aws-sdk-client-mock: the calls each move sends and their inputs, and how "gone" and "busy" answers read.
 */

import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  UpdateComputeEnvironmentCommand,
} from '@aws-sdk/client-batch';
import {
  BatchGetProjectsCommand,
  CodeBuildClient,
  ListProjectsCommand,
  UpdateProjectCommand,
} from '@aws-sdk/client-codebuild';
import {
  DatabaseMigrationServiceClient,
  DescribeReplicationInstancesCommand,
  InvalidResourceStateFault,
  ModifyReplicationInstanceCommand,
} from '@aws-sdk/client-database-migration-service';
import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  ClusterNotFoundFault,
  DescribeClustersCommand,
  InvalidClusterStateFault,
  ModifyClusterCommand,
  RedshiftClient,
} from '@aws-sdk/client-redshift';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkServices } from '../../../handlers/adapters/aws/services.ts';

const config = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
const mocks = {
  ecs: mockClient(ECSClient),
  redshift: mockClient(RedshiftClient),
  dms: mockClient(DatabaseMigrationServiceClient),
  codebuild: mockClient(CodeBuildClient),
  batch: mockClient(BatchClient),
};
const sleeps: number[] = [];
const services = new SdkServices(config, { intervalMs: 10, attempts: 3, sleep: async (ms) => void sleeps.push(ms) });

const VPC = 'vpc-0a5e00000000000f1';
const DEFAULT = 'sg-0d5e000000000d001';
const COPY = 'sg-0d5e000000000e001';
const OTHER = 'sg-0d5e000000000a001';
const CLUSTER = 'arn:aws:ecs:us-east-1:111122223333:cluster/prod';
const ATTACHMENT = '0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d';

beforeEach(() => {
  for (const mock of Object.values(mocks)) mock.reset();
  sleeps.length = 0;
});

afterAll(() => {
  for (const mock of Object.values(mocks)) mock.restore();
});

const awsvpc = (securityGroups: string[]) => ({
  awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups, assignPublicIp: 'ENABLED' as const },
});

describe('ECS', () => {
  it('findUsing lists every cluster and service, keeps the active ones naming the group, with their tasks and stack', async () => {
    mocks.ecs.on(ListClustersCommand).resolves({ clusterArns: [CLUSTER] });
    mocks.ecs
      .on(ListServicesCommand, { cluster: CLUSTER, nextToken: undefined })
      .resolves({ serviceArns: ['arn:…/web', 'arn:…/old'], nextToken: 't1' })
      .on(ListServicesCommand, { cluster: CLUSTER, nextToken: 't1' })
      .resolves({ serviceArns: ['arn:…/other'] });
    mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'web',
          clusterArn: CLUSTER,
          status: 'ACTIVE',
          networkConfiguration: awsvpc([DEFAULT]),
          tags: [{ key: 'aws:cloudformation:stack-name', value: 'web-stack' }],
        },
        { serviceName: 'old', clusterArn: CLUSTER, status: 'INACTIVE', networkConfiguration: awsvpc([DEFAULT]) },
        { serviceName: 'other', clusterArn: CLUSTER, status: 'ACTIVE', networkConfiguration: awsvpc([OTHER]) },
      ],
    });
    mocks.ecs.on(ListTasksCommand).resolves({ taskArns: ['arn:aws:ecs:us-east-1:111122223333:task/prod/abc'] });
    mocks.ecs.on(DescribeTasksCommand).resolves({
      tasks: [{ taskArn: 'arn:…/abc', attachments: [{ id: ATTACHMENT, type: 'ElasticNetworkInterface' }] }],
    });
    expect(await services.findUsing('ecs', VPC, DEFAULT)).toEqual([
      { kind: 'ecs-service', id: 'prod/web', vpcId: VPC, groups: [DEFAULT], members: [ATTACHMENT], stack: 'web-stack' },
    ]);
    expect(mocks.ecs.commandCalls(ListServicesCommand)).toHaveLength(2);
    expect(mocks.ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toMatchObject({
      cluster: CLUSTER,
      include: ['TAGS'],
    });
    expect(mocks.ecs.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({ serviceName: 'web' });
  });

  it('resolveMember finds the task of an attachment: its service, or the standalone task blocked with the fix', async () => {
    mocks.ecs.on(ListClustersCommand).resolves({ clusterArns: [CLUSTER] });
    mocks.ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2'] });
    mocks.ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/prod/t1',
          clusterArn: CLUSTER,
          group: 'service:web',
          attachments: [{ id: ATTACHMENT, type: 'ElasticNetworkInterface' }],
        },
        {
          taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/prod/t2',
          clusterArn: CLUSTER,
          group: 'family:migrate',
          startedBy: 'nightly',
          attachments: [{ id: 'ffffffff-4e5f-4a7b-8c9d-0e1f2a3b4c5d', type: 'ElasticNetworkInterface' }],
        },
      ],
    });
    mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [
        { serviceName: 'web', clusterArn: CLUSTER, status: 'ACTIVE', networkConfiguration: awsvpc([DEFAULT]) },
      ],
    });
    expect(await services.resolveMember('ecs', ATTACHMENT)).toMatchObject({
      kind: 'ecs-service',
      id: 'prod/web',
      groups: [DEFAULT],
    });
    const standalone = await services.resolveMember('ecs', 'ffffffff-4e5f-4a7b-8c9d-0e1f2a3b4c5d');
    expect(standalone).toMatchObject({ kind: 'ecs-task', id: 'arn:aws:ecs:us-east-1:111122223333:task/prod/t2' });
    expect(standalone?.blocked).toMatch(/started by "nightly".*RunTask.*run it again with another group/);
  });

  it('setGroups sends the whole awsvpcConfiguration (subnets, assignPublicIp kept); the wait ends at steady state', async () => {
    mocks.ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({
        services: [
          { serviceName: 'web', clusterArn: CLUSTER, status: 'ACTIVE', networkConfiguration: awsvpc([DEFAULT, OTHER]) },
        ],
      })
      .resolvesOnce({
        services: [
          {
            status: 'ACTIVE',
            deployments: [
              {
                status: 'PRIMARY',
                rolloutState: 'IN_PROGRESS',
                desiredCount: 2,
                runningCount: 1,
                networkConfiguration: awsvpc([COPY, OTHER]),
              },
              { status: 'ACTIVE', rolloutState: 'COMPLETED', desiredCount: 2, runningCount: 1 },
            ],
          },
        ],
      })
      .resolves({
        services: [
          {
            status: 'ACTIVE',
            deployments: [
              {
                status: 'PRIMARY',
                rolloutState: 'COMPLETED',
                desiredCount: 2,
                runningCount: 2,
                networkConfiguration: awsvpc([COPY, OTHER]),
              },
            ],
          },
        ],
      });
    mocks.ecs.on(UpdateServiceCommand).resolves({});
    const ref = { kind: 'ecs-service' as const, id: 'prod/web' };
    await services.setGroups(ref, [COPY, OTHER]);
    expect(mocks.ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      service: 'web',
      networkConfiguration: awsvpc([COPY, OTHER]),
    });
    await services.waitUntilSettled(ref);
    expect(sleeps).toEqual([10]);
  });

  it('a failed rollout, or ECS rolling the deployment back to the old groups, fails the move for good', async () => {
    const ref = { kind: 'ecs-service' as const, id: 'prod/web' };
    mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          networkConfiguration: awsvpc([DEFAULT]),
          deployments: [
            { id: 'ecs-svc/2', status: 'PRIMARY', rolloutState: 'FAILED', rolloutStateReason: 'circuit breaker' },
          ],
        },
      ],
    });
    await expect(services.waitUntilSettled(ref)).rejects.toMatchObject({
      name: 'ResourceMoveFailed',
      message: /circuit breaker/,
    });
    mocks.ecs.on(UpdateServiceCommand).resolves({});
    await services.setGroups(ref, [COPY]);
    mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          deployments: [
            {
              id: 'ecs-svc/3',
              status: 'PRIMARY',
              rolloutState: 'COMPLETED',
              rolloutStateReason: 'rolling back to deploymentId ecs-svc/1',
              desiredCount: 1,
              runningCount: 1,
              networkConfiguration: awsvpc([DEFAULT]),
            },
          ],
        },
      ],
    });
    await expect(services.waitUntilSettled(ref)).rejects.toMatchObject({
      name: 'ResourceMoveFailed',
      message: /ECS rolled the new deployment back/,
    });
  });

  it('does not start a deployment on top of one in progress: ResourceBusy, nothing sent', async () => {
    mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'web',
          clusterArn: CLUSTER,
          status: 'ACTIVE',
          networkConfiguration: awsvpc([DEFAULT]),
          deployments: [{ id: 'ecs-svc/7', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }],
        },
      ],
    });
    await expect(services.setGroups({ kind: 'ecs-service', id: 'prod/web' }, [COPY])).rejects.toMatchObject({
      name: 'ResourceBusy',
      message: /deployment ecs-svc\/7/,
    });
    expect(mocks.ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('a missing service or cluster reads as gone', async () => {
    mocks.ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    expect(await services.describe({ kind: 'ecs-service', id: 'prod/web' })).toBeUndefined();
    mocks.ecs
      .on(DescribeServicesCommand)
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));
    expect(await services.describe({ kind: 'ecs-service', id: 'prod/web' })).toBeUndefined();
  });
});

describe('Redshift', () => {
  it('findUsing keeps the VPC clusters on the group (with their stack); ModifyCluster; settled when available and active', async () => {
    mocks.redshift.on(DescribeClustersCommand, { Marker: undefined, MaxRecords: 100 }).resolves({
      Clusters: [
        {
          ClusterIdentifier: 'analytics',
          VpcId: VPC,
          VpcSecurityGroups: [{ VpcSecurityGroupId: DEFAULT, Status: 'active' }],
          Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'warehouse' }],
        },
        {
          ClusterIdentifier: 'elsewhere',
          VpcId: 'vpc-0ffffffffffffffff',
          VpcSecurityGroups: [{ VpcSecurityGroupId: DEFAULT }],
        },
      ],
    });
    expect(await services.findUsing('redshift', VPC, DEFAULT)).toEqual([
      { kind: 'redshift-cluster', id: 'analytics', vpcId: VPC, groups: [DEFAULT], stack: 'warehouse' },
    ]);
    mocks.redshift.on(ModifyClusterCommand).resolves({});
    mocks.redshift
      .on(DescribeClustersCommand, { ClusterIdentifier: 'analytics' })
      .resolvesOnce({
        Clusters: [{ ClusterStatus: 'modifying', VpcSecurityGroups: [{ VpcSecurityGroupId: COPY, Status: 'adding' }] }],
      })
      .resolves({
        Clusters: [{ ClusterStatus: 'available', VpcSecurityGroups: [{ VpcSecurityGroupId: COPY, Status: 'active' }] }],
      });
    const ref = { kind: 'redshift-cluster' as const, id: 'analytics' };
    await services.setGroups(ref, [COPY]);
    expect(mocks.redshift.commandCalls(ModifyClusterCommand)[0]?.args[0].input).toEqual({
      ClusterIdentifier: 'analytics',
      VpcSecurityGroupIds: [COPY],
    });
    await services.waitUntilSettled(ref);
    expect(sleeps).toEqual([10]);
  });

  it('a cluster being modified is ResourceBusy; a deleted one reads as gone', async () => {
    mocks.redshift
      .on(ModifyClusterCommand)
      .rejects(new InvalidClusterStateFault({ message: 'The cluster is modifying', $metadata: {} }));
    await expect(services.setGroups({ kind: 'redshift-cluster', id: 'analytics' }, [COPY])).rejects.toMatchObject({
      name: 'ResourceBusy',
      message: /InvalidClusterStateFault/,
    });
    mocks.redshift
      .on(DescribeClustersCommand)
      .rejects(new ClusterNotFoundFault({ message: 'not found', $metadata: {} }));
    expect(await services.describe({ kind: 'redshift-cluster', id: 'analytics' })).toBeUndefined();
  });
});

describe('DMS', () => {
  it('ModifyReplicationInstance with ApplyImmediately; busy while not available', async () => {
    const arn = 'arn:aws:dms:us-east-1:111122223333:rep:ABC';
    mocks.dms
      .on(ModifyReplicationInstanceCommand)
      .resolvesOnce({})
      .rejects(new InvalidResourceStateFault({ message: 'Replication instance is in modifying state', $metadata: {} }));
    mocks.dms.on(DescribeReplicationInstancesCommand).resolves({
      ReplicationInstances: [
        {
          ReplicationInstanceArn: arn,
          ReplicationInstanceStatus: 'available',
          VpcSecurityGroups: [{ VpcSecurityGroupId: COPY, Status: 'active' }],
        },
      ],
    });
    const ref = { kind: 'dms-replication-instance' as const, id: arn };
    await services.setGroups(ref, [OTHER, COPY]);
    expect(mocks.dms.commandCalls(ModifyReplicationInstanceCommand)[0]?.args[0].input).toEqual({
      ReplicationInstanceArn: arn,
      VpcSecurityGroupIds: [OTHER, COPY],
      ApplyImmediately: true,
    });
    await services.waitUntilSettled(ref);
    await expect(services.setGroups(ref, [COPY])).rejects.toMatchObject({ name: 'ResourceBusy' });
  });
});

describe('CodeBuild', () => {
  it('findUsing reads every project in batches; UpdateProject keeps the VPC and subnets', async () => {
    mocks.codebuild.on(ListProjectsCommand).resolves({ projects: ['integration-tests', 'docs'] });
    mocks.codebuild.on(BatchGetProjectsCommand).resolves({
      projects: [
        {
          name: 'integration-tests',
          vpcConfig: { vpcId: VPC, subnets: ['subnet-1'], securityGroupIds: [DEFAULT] },
          tags: [{ key: 'aws:cloudformation:stack-name', value: 'ci' }],
        },
        { name: 'docs' },
      ],
    });
    expect(await services.findUsing('codebuild', VPC, DEFAULT)).toEqual([
      { kind: 'codebuild-project', id: 'integration-tests', vpcId: VPC, groups: [DEFAULT], stack: 'ci' },
    ]);
    mocks.codebuild.on(UpdateProjectCommand).resolves({});
    await services.setGroups({ kind: 'codebuild-project', id: 'integration-tests' }, [COPY]);
    expect(mocks.codebuild.commandCalls(UpdateProjectCommand)[0]?.args[0].input).toEqual({
      name: 'integration-tests',
      vpcConfig: { vpcId: VPC, subnets: ['subnet-1'], securityGroupIds: [COPY] },
    });
  });
});

describe('Batch', () => {
  it('UpdateComputeEnvironment sends the groups only; UPDATING waits, INVALID fails the move for good', async () => {
    mocks.batch.on(UpdateComputeEnvironmentCommand).resolves({});
    const ref = { kind: 'batch-compute-environment' as const, id: 'nightly-jobs' };
    await services.setGroups(ref, [COPY]);
    expect(mocks.batch.commandCalls(UpdateComputeEnvironmentCommand)[0]?.args[0].input).toEqual({
      computeEnvironment: 'nightly-jobs',
      computeResources: { securityGroupIds: [COPY] },
    });
    mocks.batch
      .on(DescribeComputeEnvironmentsCommand)
      .resolvesOnce({
        computeEnvironments: [
          { computeEnvironmentName: 'nightly-jobs', computeEnvironmentArn: 'a', status: 'UPDATING' },
        ],
      })
      .resolves({
        computeEnvironments: [{ computeEnvironmentName: 'nightly-jobs', computeEnvironmentArn: 'a', status: 'VALID' }],
      });
    await services.waitUntilSettled(ref);
    expect(sleeps).toEqual([10]);
    mocks.batch.on(DescribeComputeEnvironmentsCommand).resolves({
      computeEnvironments: [
        {
          computeEnvironmentName: 'nightly-jobs',
          computeEnvironmentArn: 'a',
          status: 'INVALID',
          statusReason: 'CLIENT_ERROR - subnet',
        },
      ],
    });
    await expect(services.waitUntilSettled(ref)).rejects.toMatchObject({
      name: 'ResourceMoveFailed',
      message: /subnet/,
    });
  });

  it('an EC2 environment on BEST_FIT, or without the service-linked role, is found blocked with the fix', async () => {
    mocks.batch.on(DescribeComputeEnvironmentsCommand).resolves({
      computeEnvironments: [
        {
          computeEnvironmentName: 'old',
          computeEnvironmentArn: 'a',
          computeResources: { type: 'EC2', maxvCpus: 4, subnets: [], securityGroupIds: [DEFAULT] },
        },
        {
          computeEnvironmentName: 'custom-role',
          computeEnvironmentArn: 'b',
          serviceRole: 'arn:aws:iam::111122223333:role/batch-service',
          computeResources: {
            type: 'SPOT',
            allocationStrategy: 'SPOT_CAPACITY_OPTIMIZED',
            maxvCpus: 4,
            subnets: [],
            securityGroupIds: [DEFAULT],
          },
        },
        {
          computeEnvironmentName: 'fargate',
          computeEnvironmentArn: 'c',
          computeResources: { type: 'FARGATE', maxvCpus: 4, subnets: [], securityGroupIds: [DEFAULT] },
        },
      ],
    });
    const found = await services.findUsing('batch', VPC, DEFAULT);
    expect(found.map((e) => [e.id, e.blocked !== undefined])).toEqual([
      ['old', true],
      ['custom-role', true],
      ['fargate', false],
    ]);
    expect(found[0]?.blocked).toMatch(/BEST_FIT allocation strategy/);
    expect(found[1]?.blocked).toMatch(/AWSServiceRoleForBatch/);
  });
});
