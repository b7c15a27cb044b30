/**
 * Local ElastiCache: `ReplicationGroups` (`aws elasticache describe-replication-groups`) and `CacheClusters`
 * (`aws elasticache describe-cache-clusters`) records, node interfaces described "ElastiCache <CacheClusterId>".
 * Errors as ModifyReplicationGroup / ModifyCacheCluster answer them
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyReplicationGroup.html,
 * https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyCacheCluster.html).
 */
import * as z from 'zod';
import type { ResourceRef } from '../../../core/resources.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalOwner, type LocalOwnerModel, managedInterfaces } from './model.ts';

const replicationGroup = z.looseObject({
  ReplicationGroupId: z.string().min(1),
  MemberClusters: z.array(z.string()).optional(),
});
const cacheCluster = z.looseObject({
  CacheClusterId: z.string().min(1),
  ReplicationGroupId: z.string().optional(),
  SecurityGroups: z.array(z.looseObject({ SecurityGroupId: z.string(), Status: z.string().optional() })).optional(),
});
const records = z.looseObject({
  ReplicationGroups: z.array(replicationGroup).optional(),
  CacheClusters: z.array(cacheCluster).optional(),
});
type Records = z.infer<typeof records>;

class LocalElastiCache implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  resolveMember(cacheClusterId: string): ResourceRef | undefined {
    const cluster = this.cluster(cacheClusterId);
    if (!cluster) return undefined;
    return cluster.ReplicationGroupId
      ? { kind: 'elasticache-replication-group', id: cluster.ReplicationGroupId }
      : { kind: 'elasticache-cluster', id: cacheClusterId };
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    if (ref.kind === 'elasticache-replication-group') {
      if (!this.group(ref.id)) return undefined;
      return (this.nodes(ref.id)[0]?.SecurityGroups ?? []).map((g) => g.SecurityGroupId);
    }
    const cluster = this.cluster(ref.id);
    return cluster ? (cluster.SecurityGroups ?? []).map((g) => g.SecurityGroupId) : undefined;
  }

  membersOf(ref: ResourceRef): string[] | undefined {
    return ref.kind === 'elasticache-replication-group' ? this.nodes(ref.id).map((c) => c.CacheClusterId) : undefined;
  }

  interfacesOf(ref: ResourceRef): string[] {
    const nodes =
      ref.kind === 'elasticache-replication-group' ? this.nodes(ref.id).map((c) => c.CacheClusterId) : [ref.id];
    return nodes.flatMap((node) => managedInterfaces(this.ec2, (d) => d === `ElastiCache ${node}`));
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    const refs = () => groups.map((id) => ({ SecurityGroupId: id, Status: 'active' }));
    if (ref.kind === 'elasticache-replication-group') {
      if (!this.group(ref.id)) fail('ReplicationGroupNotFoundFault', `Replication group ${ref.id} not found.`);
      if (unknown.length > 0) fail('InvalidVPCNetworkStateFault', `Invalid security groups: ${unknown.join(', ')}`);
      for (const node of this.nodes(ref.id)) node.SecurityGroups = refs();
      return;
    }
    const cluster = this.cluster(ref.id);
    if (!cluster) fail('CacheClusterNotFound', `CacheCluster ${ref.id} not found.`);
    if (unknown.length > 0) fail('InvalidVPCNetworkStateFault', `Invalid security groups: ${unknown.join(', ')}`);
    cluster.SecurityGroups = refs();
  }

  private group(id: string) {
    return (this.records.ReplicationGroups ?? []).find((g) => g.ReplicationGroupId === id);
  }

  private cluster(id: string) {
    return (this.records.CacheClusters ?? []).find((c) => c.CacheClusterId === id);
  }

  /** A replication group's nodes: the clusters that name it. */
  private nodes(replicationGroupId: string) {
    return (this.records.CacheClusters ?? []).filter((c) => c.ReplicationGroupId === replicationGroupId);
  }
}

export const localElastiCache: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalElastiCache(ec2, live),
};
