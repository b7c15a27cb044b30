/**
 * Local Lambda, RDS, ELBv2, EFS, VPC endpoint and ElastiCache, as far as their security groups go, over the EC2
 * simulator's interfaces: a resource owns its requester-managed interfaces, and changing the resource's groups
 * changes theirs (as the services do). Records come from the state file's extra top-level keys, in each service's
 * describe output shape (docs/simulator-fidelity.md), and are changed in place so `toState` writes them back.
 *
 * Errors carry the service's error code in `name`, from each API reference:
 * - Lambda UpdateFunctionConfiguration: https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
 * - RDS ModifyDBInstance / ModifyDBCluster: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html
 * - ELBv2 SetSecurityGroups: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetSecurityGroups.html
 * - EFS ModifyMountTargetSecurityGroups: https://docs.aws.amazon.com/efs/latest/ug/API_ModifyMountTargetSecurityGroups.html
 * - EC2 ModifyVpcEndpoint: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcEndpoint.html
 * - ElastiCache ModifyReplicationGroup / ModifyCacheCluster:
 *   https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyReplicationGroup.html,
 *   https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyCacheCluster.html
 */
import * as z from 'zod';
import { Ec2ApiError, InvalidInputError } from '../../core/errors.ts';
import type { ResourceRef, ResourceState } from '../../core/resources.ts';
import type { ServicesPort } from '../../ports.ts';
import type { Ec2Simulator } from './ec2-simulator.ts';

const groupIds = z.array(z.string());
const functionRecord = z.looseObject({
  FunctionName: z.string().min(1),
  /** `$LATEST` (or absent) for the function itself; a number for a published version of it. */
  Version: z.string().optional(),
  VpcConfig: z.looseObject({ VpcId: z.string().optional(), SecurityGroupIds: groupIds.optional() }).optional(),
  LastUpdateStatus: z.string().optional(),
});
const vpcGroupRefs = z.array(z.looseObject({ VpcSecurityGroupId: z.string(), Status: z.string().optional() }));
const dbInstance = z.looseObject({
  DBInstanceIdentifier: z.string().min(1),
  DBClusterIdentifier: z.string().optional(),
  VpcSecurityGroups: vpcGroupRefs.optional(),
  DBSubnetGroup: z
    .looseObject({
      VpcId: z.string().optional(),
      Subnets: z.array(z.looseObject({ SubnetIdentifier: z.string().optional() })).optional(),
    })
    .optional(),
});
const dbCluster = z.looseObject({
  DBClusterIdentifier: z.string().min(1),
  VpcSecurityGroups: vpcGroupRefs.optional(),
  DBClusterMembers: z.array(z.looseObject({ DBInstanceIdentifier: z.string() })).optional(),
});
const loadBalancer = z.looseObject({
  LoadBalancerArn: z.string().regex(/:loadbalancer\/(app|net|gwy)\/[^/]+\/[0-9a-f]+$/, 'must be an ELBv2 ARN'),
  VpcId: z.string().optional(),
  Type: z.string().optional(),
  SecurityGroups: groupIds.optional(),
});
const mountTarget = z.looseObject({
  MountTargetId: z.string().regex(/^fsmt-[0-9a-f]{8,40}$/, 'must look like fsmt-…'),
  NetworkInterfaceId: z.string().optional(),
  VpcId: z.string().optional(),
  LifeCycleState: z.string().optional(),
  /** Not in DescribeMountTargets: DescribeMountTargetSecurityGroups' answer, kept on the record. */
  SecurityGroups: groupIds.optional(),
});
const vpcEndpoint = z.looseObject({
  VpcEndpointId: z.string().regex(/^vpce-[0-9a-f]+$/, 'must look like vpce-…'),
  VpcEndpointType: z.string().optional(),
  VpcId: z.string().optional(),
  Groups: z.array(z.looseObject({ GroupId: z.string(), GroupName: z.string().optional() })).optional(),
  NetworkInterfaceIds: z.array(z.string()).optional(),
});
const replicationGroup = z.looseObject({
  ReplicationGroupId: z.string().min(1),
  MemberClusters: z.array(z.string()).optional(),
});
const cacheCluster = z.looseObject({
  CacheClusterId: z.string().min(1),
  ReplicationGroupId: z.string().optional(),
  SecurityGroups: z.array(z.looseObject({ SecurityGroupId: z.string(), Status: z.string().optional() })).optional(),
});

const recordsSchema = z.looseObject({
  Functions: z.array(functionRecord).optional(),
  DBInstances: z.array(dbInstance).optional(),
  DBClusters: z.array(dbCluster).optional(),
  LoadBalancers: z.array(loadBalancer).optional(),
  MountTargets: z.array(mountTarget).optional(),
  VpcEndpoints: z.array(vpcEndpoint).optional(),
  ReplicationGroups: z.array(replicationGroup).optional(),
  CacheClusters: z.array(cacheCluster).optional(),
});

type Records = z.infer<typeof recordsSchema>;
type DbInstance = z.infer<typeof dbInstance>;

function fail(code: string, message: string): never {
  throw new Ec2ApiError(code, message);
}

const sorted = (ids: readonly string[]) => [...ids].sort().join(',');

/** Interfaces linked to RDS instances once per simulator: the interface does not name its instance (see linkRds). */
const rdsLinks = new WeakMap<Ec2Simulator, Map<string, string[]>>();

export class ServiceSimulator implements ServicesPort {
  private readonly records: Records;

  constructor(private readonly ec2: Ec2Simulator) {
    const parsed = recordsSchema.safeParse(ec2.serviceRecords());
    if (!parsed.success) {
      throw new InvalidInputError(
        parsed.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`),
      );
    }
    // The live records (not zod's copies): changes must reach toState.
    this.records = ec2.serviceRecords() as Records;
  }

  async findUsing(service: 'rds' | 'lambda', vpcId: string, groupId: string): Promise<ResourceState[]> {
    if (service === 'lambda') {
      // ListFunctions with FunctionVersion ALL: published versions too.
      return (this.records.Functions ?? [])
        .filter((fn) => fn.VpcConfig?.VpcId === vpcId && (fn.VpcConfig.SecurityGroupIds ?? []).includes(groupId))
        .map((fn) => {
          const published = isPublished(fn) ? fn.Version : undefined;
          return {
            kind: 'lambda-function',
            id: published ? `${fn.FunctionName}:${published}` : fn.FunctionName,
            vpcId,
            groups: [...(fn.VpcConfig?.SecurityGroupIds ?? [])],
            ...(published ? { publishedVersion: published } : {}),
          };
        });
    }
    const found: ResourceState[] = [];
    for (const instance of this.records.DBInstances ?? []) {
      if (instance.DBSubnetGroup?.VpcId !== vpcId || instance.DBClusterIdentifier) continue;
      const groups = (instance.VpcSecurityGroups ?? []).map((ref) => ref.VpcSecurityGroupId);
      if (groups.includes(groupId))
        found.push({ kind: 'rds-instance', id: instance.DBInstanceIdentifier, vpcId, groups });
    }
    for (const cluster of this.records.DBClusters ?? []) {
      const inVpc = this.clusterInstances(cluster.DBClusterIdentifier).some((i) => i.DBSubnetGroup?.VpcId === vpcId);
      const groups = (cluster.VpcSecurityGroups ?? []).map((ref) => ref.VpcSecurityGroupId);
      if (inVpc && groups.includes(groupId))
        found.push({ kind: 'rds-cluster', id: cluster.DBClusterIdentifier, vpcId, groups });
    }
    return found;
  }

  async resolveCacheCluster(cacheClusterId: string): Promise<ResourceState | undefined> {
    const cluster = (this.records.CacheClusters ?? []).find((c) => c.CacheClusterId === cacheClusterId);
    if (!cluster) return undefined;
    const ref: ResourceRef = cluster.ReplicationGroupId
      ? { kind: 'elasticache-replication-group', id: cluster.ReplicationGroupId }
      : { kind: 'elasticache-cluster', id: cacheClusterId };
    return this.describe(ref);
  }

  async describe(ref: ResourceRef): Promise<ResourceState | undefined> {
    const groups = this.groupsOf(ref);
    if (!groups) return undefined;
    const vpcId = this.interfacesOf(ref)
      .map((id) => this.ec2.interfaceSummaries().find((eni) => eni.id === id)?.vpcId)
      .find(Boolean);
    const members =
      ref.kind === 'elasticache-replication-group' ? this.cacheMembers(ref.id).map((c) => c.CacheClusterId) : undefined;
    return { ...ref, groups, ...(vpcId ? { vpcId } : {}), ...(members ? { members } : {}) };
  }

  async setGroups(ref: ResourceRef, groups: string[]): Promise<void> {
    const unique = [...new Set(groups)];
    const enis = this.interfacesOf(ref);
    const vpcId = this.vpcOf(ref, enis);
    const unknown = unique.filter((id) => {
      const group = this.ec2.groupInfo(id);
      return !group || (vpcId !== undefined && group.vpcId !== vpcId);
    });
    switch (ref.kind) {
      case 'lambda-function': {
        const fn = (this.records.Functions ?? []).find((f) => f.FunctionName === ref.id && !isPublished(f));
        if (!fn) fail('ResourceNotFoundException', `Function not found: ${ref.id}`);
        if (fn.LastUpdateStatus === 'InProgress')
          fail('ResourceConflictException', `An update is in progress for resource: ${ref.id}`);
        if (unique.length > 5)
          fail('InvalidParameterValueException', 'The maximum number of security groups for a function is 5.');
        if (unknown.length > 0)
          fail('InvalidParameterValueException', `Error occurred while DescribeSecurityGroups: ${unknown.join(', ')}`);
        fn.VpcConfig = { ...fn.VpcConfig, SecurityGroupIds: unique };
        fn.LastUpdateStatus = 'Successful';
        break;
      }
      case 'rds-instance': {
        const instance = this.dbInstance(ref.id);
        if (instance.DBClusterIdentifier)
          fail(
            'InvalidParameterCombination',
            'The requested DB Instance will be a member of a DB Cluster. Set VPC security groups for the DB Cluster.',
          );
        if (unknown.length > 0) fail('InvalidVPCNetworkStateFault', `Invalid security groups: ${unknown.join(', ')}`);
        instance.VpcSecurityGroups = unique.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }));
        break;
      }
      case 'rds-cluster': {
        const cluster = (this.records.DBClusters ?? []).find((c) => c.DBClusterIdentifier === ref.id);
        if (!cluster) fail('DBClusterNotFoundFault', `DBCluster ${ref.id} not found.`);
        if (unknown.length > 0) fail('InvalidVPCNetworkStateFault', `Invalid security groups: ${unknown.join(', ')}`);
        cluster.VpcSecurityGroups = unique.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }));
        for (const instance of this.clusterInstances(ref.id)) instance.VpcSecurityGroups = cluster.VpcSecurityGroups;
        break;
      }
      case 'load-balancer': {
        const lb = (this.records.LoadBalancers ?? []).find((l) => l.LoadBalancerArn === ref.id);
        if (!lb) fail('LoadBalancerNotFound', `One or more load balancers not found: '${ref.id}'`);
        if (lb.Type === 'gateway')
          fail('InvalidConfigurationRequest', 'Gateway Load Balancers do not support security groups');
        if (lb.Type === 'network' && (lb.SecurityGroups ?? []).length === 0)
          fail(
            'InvalidConfigurationRequest',
            'You cannot set security groups on a Network Load Balancer created without security groups',
          );
        if (unknown.length > 0) fail('InvalidSecurityGroup', `Security group '${unknown[0]}' does not exist`);
        lb.SecurityGroups = unique;
        break;
      }
      case 'efs-mount-target': {
        const target = (this.records.MountTargets ?? []).find((m) => m.MountTargetId === ref.id);
        if (!target || target.LifeCycleState === 'deleted')
          fail('MountTargetNotFound', `Mount target '${ref.id}' does not exist.`);
        if (target.LifeCycleState && target.LifeCycleState !== 'available')
          fail('IncorrectMountTargetState', `Mount target '${ref.id}' is ${target.LifeCycleState}.`);
        if (unique.length > 5)
          fail('SecurityGroupLimitExceeded', 'The number of security groups exceeds the limit of 5.');
        if (unknown.length > 0)
          fail('SecurityGroupNotFound', `Security group '${unknown[0]}' does not exist in the subnet's VPC.`);
        target.SecurityGroups = unique;
        break;
      }
      case 'vpc-endpoint': {
        const endpoint = (this.records.VpcEndpoints ?? []).find((e) => e.VpcEndpointId === ref.id);
        if (!endpoint) fail('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${ref.id}' does not exist`);
        if (unknown.length > 0) fail('InvalidGroup.NotFound', `The security group '${unknown[0]}' does not exist`);
        // DescribeVpcEndpoints answers each group with its name.
        endpoint.Groups = unique.map((id) => ({ GroupId: id, GroupName: this.ec2.groupInfo(id)?.groupName ?? '' }));
        break;
      }
      case 'elasticache-replication-group': {
        const group = (this.records.ReplicationGroups ?? []).find((g) => g.ReplicationGroupId === ref.id);
        if (!group) fail('ReplicationGroupNotFoundFault', `Replication group ${ref.id} not found.`);
        if (unknown.length > 0) fail('InvalidVPCNetworkStateFault', `Invalid security groups: ${unknown.join(', ')}`);
        for (const member of this.cacheMembers(ref.id))
          member.SecurityGroups = unique.map((id) => ({ SecurityGroupId: id, Status: 'active' }));
        break;
      }
      case 'elasticache-cluster': {
        const cluster = (this.records.CacheClusters ?? []).find((c) => c.CacheClusterId === ref.id);
        if (!cluster) fail('CacheClusterNotFound', `CacheCluster ${ref.id} not found.`);
        if (unknown.length > 0) fail('InvalidVPCNetworkStateFault', `Invalid security groups: ${unknown.join(', ')}`);
        cluster.SecurityGroups = unique.map((id) => ({ SecurityGroupId: id, Status: 'active' }));
        break;
      }
    }
    // The service puts its interfaces on the resource's new groups.
    this.ec2.setServiceInterfaceGroups(enis, unique);
  }

  /** Changes apply at once here: Lambda's LastUpdateStatus is Successful and RDS groups active as soon as set. */
  async waitUntilSettled(_ref: ResourceRef): Promise<void> {}

  // -------------------------------------------------------------------------------------------------------------

  private groupsOf(ref: ResourceRef): string[] | undefined {
    const r = this.records;
    switch (ref.kind) {
      case 'lambda-function': {
        const fn = (r.Functions ?? []).find((f) => f.FunctionName === ref.id && !isPublished(f));
        return fn ? [...(fn.VpcConfig?.SecurityGroupIds ?? [])] : undefined;
      }
      case 'rds-instance': {
        const instance = (r.DBInstances ?? []).find((i) => i.DBInstanceIdentifier === ref.id);
        return instance ? (instance.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId) : undefined;
      }
      case 'rds-cluster': {
        const cluster = (r.DBClusters ?? []).find((c) => c.DBClusterIdentifier === ref.id);
        return cluster ? (cluster.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId) : undefined;
      }
      case 'load-balancer': {
        const lb = (r.LoadBalancers ?? []).find((l) => l.LoadBalancerArn === ref.id);
        return lb ? [...(lb.SecurityGroups ?? [])] : undefined;
      }
      case 'efs-mount-target': {
        const target = (r.MountTargets ?? []).find((m) => m.MountTargetId === ref.id);
        return target && target.LifeCycleState !== 'deleted' ? [...(target.SecurityGroups ?? [])] : undefined;
      }
      case 'vpc-endpoint': {
        const endpoint = (r.VpcEndpoints ?? []).find((e) => e.VpcEndpointId === ref.id);
        return endpoint ? (endpoint.Groups ?? []).map((g) => g.GroupId) : undefined;
      }
      case 'elasticache-replication-group': {
        if (!(r.ReplicationGroups ?? []).some((g) => g.ReplicationGroupId === ref.id)) return undefined;
        return (this.cacheMembers(ref.id)[0]?.SecurityGroups ?? []).map((g) => g.SecurityGroupId);
      }
      case 'elasticache-cluster': {
        const cluster = (r.CacheClusters ?? []).find((c) => c.CacheClusterId === ref.id);
        return cluster ? (cluster.SecurityGroups ?? []).map((g) => g.SecurityGroupId) : undefined;
      }
    }
  }

  /** The interfaces the resource owns (see docs/simulator-fidelity.md for how each is recognised). */
  private interfacesOf(ref: ResourceRef): string[] {
    const enis = this.ec2.interfaceSummaries();
    const byDescription = (test: (description: string) => boolean) =>
      enis.filter((eni) => eni.requesterManaged && test(eni.description)).map((eni) => eni.id);
    switch (ref.kind) {
      case 'lambda-function':
        return byDescription(
          (d) =>
            d.startsWith('AWS Lambda VPC ENI') &&
            d.replace(/^AWS Lambda VPC ENI-?/, '').replace(/-[0-9a-f-]{36}$/, '') === ref.id,
        );
      case 'rds-instance':
        return this.rdsLinks().get(ref.id) ?? [];
      case 'rds-cluster':
        return this.clusterInstances(ref.id).flatMap((i) => this.rdsLinks().get(i.DBInstanceIdentifier) ?? []);
      case 'load-balancer': {
        const suffix = ref.id.replace(/^.*:loadbalancer\//, '');
        return byDescription((d) => d === `ELB ${suffix}`);
      }
      case 'efs-mount-target': {
        const target = (this.records.MountTargets ?? []).find((m) => m.MountTargetId === ref.id);
        return target?.NetworkInterfaceId
          ? [target.NetworkInterfaceId]
          : byDescription((d) => d.includes(`(${ref.id})`));
      }
      case 'vpc-endpoint': {
        const endpoint = (this.records.VpcEndpoints ?? []).find((e) => e.VpcEndpointId === ref.id);
        return endpoint?.NetworkInterfaceIds ?? [];
      }
      case 'elasticache-replication-group':
        return this.cacheMembers(ref.id).flatMap((member) =>
          byDescription((d) => d === `ElastiCache ${member.CacheClusterId}`),
        );
      case 'elasticache-cluster':
        return byDescription((d) => d === `ElastiCache ${ref.id}`);
    }
  }

  private vpcOf(ref: ResourceRef, enis: string[]): string | undefined {
    if (ref.kind === 'lambda-function')
      return (this.records.Functions ?? []).find((f) => f.FunctionName === ref.id && !isPublished(f))?.VpcConfig?.VpcId;
    if (ref.kind === 'load-balancer')
      return (this.records.LoadBalancers ?? []).find((l) => l.LoadBalancerArn === ref.id)?.VpcId;
    const summaries = this.ec2.interfaceSummaries();
    return enis.map((id) => summaries.find((eni) => eni.id === id)?.vpcId).find(Boolean);
  }

  private dbInstance(id: string): DbInstance {
    const instance = (this.records.DBInstances ?? []).find((i) => i.DBInstanceIdentifier === id);
    if (!instance) fail('DBInstanceNotFound', `DBInstance ${id} not found.`);
    return instance;
  }

  private clusterInstances(clusterId: string): DbInstance[] {
    return (this.records.DBInstances ?? []).filter((i) => i.DBClusterIdentifier === clusterId);
  }

  private cacheMembers(replicationGroupId: string) {
    return (this.records.CacheClusters ?? []).filter((c) => c.ReplicationGroupId === replicationGroupId);
  }

  /**
   * RDS interfaces ("RDSNetworkInterface") do not name their instance. The simulator links each, once, to the first
   * DB instance (file order) in the same VPC whose groups are the interface's groups and, when the instance lists
   * its subnets, whose subnet group holds the interface's subnet.
   */
  private rdsLinks(): Map<string, string[]> {
    let links = rdsLinks.get(this.ec2);
    if (links) return links;
    links = new Map();
    for (const eni of this.ec2.interfaceSummaries()) {
      if (!eni.requesterManaged || (eni.description !== 'RDSNetworkInterface' && eni.requesterId !== 'amazon-rds'))
        continue;
      const owner = (this.records.DBInstances ?? []).find((instance) => {
        const subnets = (instance.DBSubnetGroup?.Subnets ?? []).map((s) => s.SubnetIdentifier).filter(Boolean);
        return (
          instance.DBSubnetGroup?.VpcId === eni.vpcId &&
          sorted((instance.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId)) === sorted(eni.groupIds) &&
          (subnets.length === 0 || (eni.subnetId !== undefined && subnets.includes(eni.subnetId)))
        );
      });
      if (owner) links.set(owner.DBInstanceIdentifier, [...(links.get(owner.DBInstanceIdentifier) ?? []), eni.id]);
    }
    rdsLinks.set(this.ec2, links);
    return links;
  }
}

/** A published version's record (its configuration cannot change); `$LATEST` is the function itself. */
function isPublished(fn: { Version?: string | undefined }): boolean {
  return fn.Version !== undefined && fn.Version !== '$LATEST';
}
