/**
 * The ServicesPort over the AWS SDK v3: one small mover per service, each taking its client in the constructor, and
 * a dispatcher by resource kind. Group lists are replaced as a whole, as the services' APIs do:
 * - Lambda UpdateFunctionConfiguration VpcConfig, then GetFunctionConfiguration until LastUpdateStatus leaves
 *   InProgress (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html);
 * - RDS ModifyDBInstance / ModifyDBCluster VpcSecurityGroupIds with ApplyImmediately, then Describe* until every
 *   VpcSecurityGroups entry is `active`;
 * - ELBv2 SetSecurityGroups; EFS ModifyMountTargetSecurityGroups; EC2 ModifyVpcEndpoint (add / remove);
 * - ElastiCache ModifyReplicationGroup / ModifyCacheCluster SecurityGroupIds with ApplyImmediately, then
 *   DescribeCacheClusters until the nodes' SecurityGroups are `active`.
 */
import { DescribeVpcEndpointsCommand, type EC2Client, ModifyVpcEndpointCommand } from '@aws-sdk/client-ec2';
import {
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  type EFSClient,
  ModifyMountTargetSecurityGroupsCommand,
} from '@aws-sdk/client-efs';
import {
  DescribeLoadBalancersCommand,
  type ElasticLoadBalancingV2Client,
  SetSecurityGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  type ElastiCacheClient,
  ModifyCacheClusterCommand,
  ModifyReplicationGroupCommand,
} from '@aws-sdk/client-elasticache';
import {
  GetFunctionConfigurationCommand,
  type LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { errorCode } from '../../core/errors.ts';
import {
  RESOURCE_NOT_FOUND_CODES,
  type ResourceKind,
  type ResourceRef,
  type ResourceState,
} from '../../core/resources.ts';
import type { ServicesPort } from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

async function unlessGone<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (RESOURCE_NOT_FOUND_CODES.has(errorCode(error) ?? '')) return undefined;
    throw error;
  }
}

/** An error named for the state machine: the service has not applied the change yet (the Task retries it). */
export class ResourceMoveError extends Error {
  constructor(name: 'ResourceMoveInProgress' | 'ResourceMoveFailed', message: string) {
    super(message);
    this.name = name;
  }
}

export interface WaitOptions {
  /** Between two reads. Default 5 s. */
  intervalMs?: number;
  /** Reads before giving up with ResourceMoveInProgress. Default 120 (10 minutes at 5 s). */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

async function waitFor(ref: ResourceRef, settled: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const attempts = options.attempts ?? 120;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await settled()) return;
    await sleep(options.intervalMs ?? 5000);
  }
  throw new ResourceMoveError(
    'ResourceMoveInProgress',
    `${ref.kind} ${ref.id} is still applying its new security groups.`,
  );
}

/** One service's resources: read and replace the group list, wait for it to apply. */
export interface ResourceMover {
  describe(id: string): Promise<ResourceState | undefined>;
  setGroups(id: string, groups: string[]): Promise<void>;
  settled(id: string): Promise<boolean>;
}

export class LambdaMover implements ResourceMover {
  private readonly send: LambdaClient['send'];

  constructor(client: LambdaClient) {
    this.send = explainingSend(client, 'JSON');
  }

  async findUsing(vpcId: string, groupId: string): Promise<ResourceState[]> {
    const found: ResourceState[] = [];
    let marker: string | undefined;
    do {
      // ALL: published versions too — they keep the groups they were published with and share the interfaces
      // (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html).
      const page = await this.send(new ListFunctionsCommand({ Marker: marker, MaxItems: 50, FunctionVersion: 'ALL' }));
      for (const fn of page.Functions ?? []) {
        const groups = fn.VpcConfig?.SecurityGroupIds ?? [];
        if (!fn.FunctionName || fn.VpcConfig?.VpcId !== vpcId || !groups.includes(groupId)) continue;
        const published = fn.Version && fn.Version !== '$LATEST' ? fn.Version : undefined;
        found.push({
          kind: 'lambda-function',
          id: published ? `${fn.FunctionName}:${published}` : fn.FunctionName,
          vpcId,
          groups,
          ...(published ? { publishedVersion: published } : {}),
        });
      }
      marker = page.NextMarker;
    } while (marker);
    return found;
  }

  describe(id: string): Promise<ResourceState | undefined> {
    return unlessGone(async () => {
      const fn = await this.send(new GetFunctionConfigurationCommand({ FunctionName: id }));
      return {
        kind: 'lambda-function',
        id,
        groups: fn.VpcConfig?.SecurityGroupIds ?? [],
        ...(fn.VpcConfig?.VpcId ? { vpcId: fn.VpcConfig.VpcId } : {}),
      };
    });
  }

  async setGroups(id: string, groups: string[]): Promise<void> {
    // VpcConfig is replaced as a whole: keep the function's subnets and dual-stack setting.
    const fn = await this.send(new GetFunctionConfigurationCommand({ FunctionName: id }));
    await this.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: id,
        VpcConfig: {
          SubnetIds: fn.VpcConfig?.SubnetIds ?? [],
          SecurityGroupIds: groups,
          ...(fn.VpcConfig?.Ipv6AllowedForDualStack !== undefined
            ? { Ipv6AllowedForDualStack: fn.VpcConfig.Ipv6AllowedForDualStack }
            : {}),
        },
        ...(fn.RevisionId ? { RevisionId: fn.RevisionId } : {}),
      }),
    );
  }

  async settled(id: string): Promise<boolean> {
    const fn = await this.send(new GetFunctionConfigurationCommand({ FunctionName: id }));
    if (fn.LastUpdateStatus === 'Failed')
      throw new ResourceMoveError(
        'ResourceMoveFailed',
        `Lambda function ${id} failed to apply its new configuration: ${fn.LastUpdateStatusReason ?? 'no reason given'}`,
      );
    return fn.LastUpdateStatus !== 'InProgress';
  }
}

export class RdsMover {
  private readonly send: RDSClient['send'];

  constructor(client: RDSClient) {
    this.send = explainingSend(client, 'XML');
  }

  async findUsing(vpcId: string, groupId: string): Promise<ResourceState[]> {
    const found: ResourceState[] = [];
    const clusters = new Set<string>();
    let marker: string | undefined;
    do {
      const page = await this.send(new DescribeDBInstancesCommand({ Marker: marker, MaxRecords: 100 }));
      for (const instance of page.DBInstances ?? []) {
        const groups = (instance.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? '');
        if (instance.DBSubnetGroup?.VpcId !== vpcId || !groups.includes(groupId)) continue;
        // A cluster member's groups are the cluster's: move the cluster.
        if (instance.DBClusterIdentifier) clusters.add(instance.DBClusterIdentifier);
        else if (instance.DBInstanceIdentifier)
          found.push({ kind: 'rds-instance', id: instance.DBInstanceIdentifier, vpcId, groups });
      }
      marker = page.Marker;
    } while (marker);
    for (const id of clusters) {
      const cluster = await this.describe('rds-cluster', id);
      if (cluster) found.push({ ...cluster, vpcId });
    }
    return found;
  }

  describe(kind: 'rds-instance' | 'rds-cluster', id: string): Promise<ResourceState | undefined> {
    return unlessGone(async () => {
      const refs =
        kind === 'rds-instance'
          ? (await this.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]
              ?.VpcSecurityGroups
          : (await this.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0]
              ?.VpcSecurityGroups;
      if (!refs) return undefined;
      return { kind, id, groups: refs.map((g) => g.VpcSecurityGroupId ?? '') };
    });
  }

  async setGroups(kind: 'rds-instance' | 'rds-cluster', id: string, groups: string[]): Promise<void> {
    if (kind === 'rds-instance')
      await this.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, VpcSecurityGroupIds: groups, ApplyImmediately: true }),
      );
    else
      await this.send(
        new ModifyDBClusterCommand({ DBClusterIdentifier: id, VpcSecurityGroupIds: groups, ApplyImmediately: true }),
      );
  }

  async settled(kind: 'rds-instance' | 'rds-cluster', id: string): Promise<boolean> {
    const refs =
      kind === 'rds-instance'
        ? (await this.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]
            ?.VpcSecurityGroups
        : (await this.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0]
            ?.VpcSecurityGroups;
    return (refs ?? []).every((g) => g.Status === undefined || g.Status === 'active');
  }
}

export class LoadBalancerMover implements ResourceMover {
  private readonly send: ElasticLoadBalancingV2Client['send'];

  constructor(client: ElasticLoadBalancingV2Client) {
    this.send = explainingSend(client, 'XML');
  }

  describe(arn: string): Promise<ResourceState | undefined> {
    return unlessGone(async () => {
      const lb = (await this.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).LoadBalancers?.[0];
      if (!lb) return undefined;
      return {
        kind: 'load-balancer',
        id: arn,
        groups: lb.SecurityGroups ?? [],
        ...(lb.VpcId ? { vpcId: lb.VpcId } : {}),
      };
    });
  }

  async setGroups(arn: string, groups: string[]): Promise<void> {
    await this.send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: groups }));
  }

  async settled(): Promise<boolean> {
    return true;
  }
}

export class MountTargetMover implements ResourceMover {
  private readonly send: EFSClient['send'];

  constructor(client: EFSClient) {
    this.send = explainingSend(client, 'JSON');
  }

  describe(id: string): Promise<ResourceState | undefined> {
    return unlessGone(async () => {
      const target = (await this.send(new DescribeMountTargetsCommand({ MountTargetId: id }))).MountTargets?.[0];
      if (!target) return undefined;
      const groups = (await this.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: id })))
        .SecurityGroups;
      return { kind: 'efs-mount-target', id, groups: groups ?? [], ...(target.VpcId ? { vpcId: target.VpcId } : {}) };
    });
  }

  async setGroups(id: string, groups: string[]): Promise<void> {
    await this.send(new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: id, SecurityGroups: groups }));
  }

  async settled(): Promise<boolean> {
    return true;
  }
}

export class VpcEndpointMover implements ResourceMover {
  private readonly send: EC2Client['send'];

  constructor(client: EC2Client) {
    this.send = explainingSend(client, 'XML');
  }

  describe(id: string): Promise<ResourceState | undefined> {
    return unlessGone(async () => {
      const endpoint = (await this.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints?.[0];
      if (!endpoint) return undefined;
      return {
        kind: 'vpc-endpoint',
        id,
        groups: (endpoint.Groups ?? []).map((g) => g.GroupId ?? ''),
        ...(endpoint.VpcId ? { vpcId: endpoint.VpcId } : {}),
      };
    });
  }

  /** ModifyVpcEndpoint adds and removes: the difference between the current list and the wanted one. */
  async setGroups(id: string, groups: string[]): Promise<void> {
    const current = (await this.describe(id))?.groups ?? [];
    const add = groups.filter((g) => !current.includes(g));
    const remove = current.filter((g) => !groups.includes(g));
    if (add.length === 0 && remove.length === 0) return;
    await this.send(
      new ModifyVpcEndpointCommand({
        VpcEndpointId: id,
        ...(add.length > 0 ? { AddSecurityGroupIds: add } : {}),
        ...(remove.length > 0 ? { RemoveSecurityGroupIds: remove } : {}),
      }),
    );
  }

  async settled(): Promise<boolean> {
    return true;
  }
}

export class ElastiCacheMover {
  private readonly send: ElastiCacheClient['send'];

  constructor(client: ElastiCacheClient) {
    this.send = explainingSend(client, 'XML');
  }

  private async node(id: string) {
    return (await this.send(new DescribeCacheClustersCommand({ CacheClusterId: id }))).CacheClusters?.[0];
  }

  private async members(replicationGroupId: string): Promise<string[]> {
    const group = (await this.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId })))
      .ReplicationGroups?.[0];
    return group?.MemberClusters ?? [];
  }

  async resolve(cacheClusterId: string): Promise<ResourceState | undefined> {
    const node = await unlessGone(() => this.node(cacheClusterId));
    if (!node) return undefined;
    return node.ReplicationGroupId
      ? this.describe('elasticache-replication-group', node.ReplicationGroupId)
      : this.describe('elasticache-cluster', cacheClusterId);
  }

  describe(
    kind: 'elasticache-replication-group' | 'elasticache-cluster',
    id: string,
  ): Promise<ResourceState | undefined> {
    return unlessGone(async () => {
      const members = kind === 'elasticache-replication-group' ? await this.members(id) : [id];
      const first = members[0] ? await this.node(members[0]) : undefined;
      if (!first) return undefined;
      return {
        kind,
        id,
        groups: (first.SecurityGroups ?? []).map((g) => g.SecurityGroupId ?? ''),
        ...(kind === 'elasticache-replication-group' ? { members } : {}),
      };
    });
  }

  async setGroups(
    kind: 'elasticache-replication-group' | 'elasticache-cluster',
    id: string,
    groups: string[],
  ): Promise<void> {
    if (kind === 'elasticache-replication-group')
      await this.send(
        new ModifyReplicationGroupCommand({ ReplicationGroupId: id, SecurityGroupIds: groups, ApplyImmediately: true }),
      );
    else
      await this.send(
        new ModifyCacheClusterCommand({ CacheClusterId: id, SecurityGroupIds: groups, ApplyImmediately: true }),
      );
  }

  async settled(kind: 'elasticache-replication-group' | 'elasticache-cluster', id: string): Promise<boolean> {
    const members = kind === 'elasticache-replication-group' ? await this.members(id) : [id];
    for (const member of members) {
      const node = await this.node(member);
      if ((node?.SecurityGroups ?? []).some((g) => g.Status !== undefined && g.Status !== 'active')) return false;
    }
    return true;
  }
}

export interface SdkServicesClients {
  lambda: LambdaClient;
  rds: RDSClient;
  elbv2: ElasticLoadBalancingV2Client;
  efs: EFSClient;
  ec2: EC2Client;
  elasticache: ElastiCacheClient;
}

/** The ServicesPort over the SDK: dispatches each resource kind to its service's mover. */
export class SdkServices implements ServicesPort {
  private readonly lambda: LambdaMover;
  private readonly rds: RdsMover;
  private readonly loadBalancers: LoadBalancerMover;
  private readonly mountTargets: MountTargetMover;
  private readonly endpoints: VpcEndpointMover;
  private readonly elasticache: ElastiCacheMover;

  constructor(
    clients: SdkServicesClients,
    private readonly wait: WaitOptions = {},
  ) {
    this.lambda = new LambdaMover(clients.lambda);
    this.rds = new RdsMover(clients.rds);
    this.loadBalancers = new LoadBalancerMover(clients.elbv2);
    this.mountTargets = new MountTargetMover(clients.efs);
    this.endpoints = new VpcEndpointMover(clients.ec2);
    this.elasticache = new ElastiCacheMover(clients.elasticache);
  }

  findUsing(service: 'rds' | 'lambda', vpcId: string, groupId: string): Promise<ResourceState[]> {
    return service === 'lambda' ? this.lambda.findUsing(vpcId, groupId) : this.rds.findUsing(vpcId, groupId);
  }

  resolveCacheCluster(cacheClusterId: string): Promise<ResourceState | undefined> {
    return this.elasticache.resolve(cacheClusterId);
  }

  describe(ref: ResourceRef): Promise<ResourceState | undefined> {
    return this.route(ref.kind, {
      simple: (mover) => mover.describe(ref.id),
      rds: (kind) => this.rds.describe(kind, ref.id),
      cache: (kind) => this.elasticache.describe(kind, ref.id),
    });
  }

  setGroups(ref: ResourceRef, groups: string[]): Promise<void> {
    return this.route(ref.kind, {
      simple: (mover) => mover.setGroups(ref.id, groups),
      rds: (kind) => this.rds.setGroups(kind, ref.id, groups),
      cache: (kind) => this.elasticache.setGroups(kind, ref.id, groups),
    });
  }

  waitUntilSettled(ref: ResourceRef): Promise<void> {
    const settled = () =>
      this.route(ref.kind, {
        simple: (mover) => mover.settled(ref.id),
        rds: (kind) => this.rds.settled(kind, ref.id),
        cache: (kind) => this.elasticache.settled(kind, ref.id),
      });
    return waitFor(ref, settled, this.wait);
  }

  private route<T>(
    kind: ResourceKind,
    routes: {
      simple: (mover: ResourceMover) => Promise<T>;
      rds: (kind: 'rds-instance' | 'rds-cluster') => Promise<T>;
      cache: (kind: 'elasticache-replication-group' | 'elasticache-cluster') => Promise<T>;
    },
  ): Promise<T> {
    switch (kind) {
      case 'lambda-function':
        return routes.simple(this.lambda);
      case 'load-balancer':
        return routes.simple(this.loadBalancers);
      case 'efs-mount-target':
        return routes.simple(this.mountTargets);
      case 'vpc-endpoint':
        return routes.simple(this.endpoints);
      case 'rds-instance':
      case 'rds-cluster':
        return routes.rds(kind);
      case 'elasticache-replication-group':
      case 'elasticache-cluster':
        return routes.cache(kind);
    }
  }
}
