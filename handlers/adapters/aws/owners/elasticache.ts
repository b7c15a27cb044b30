/**
 * ElastiCache replication groups and clusters over the SDK: ModifyReplicationGroup / ModifyCacheCluster
 * SecurityGroupIds with ApplyImmediately, then DescribeCacheClusters until the nodes' SecurityGroups are `active`.
 */
import {
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  ModifyCacheClusterCommand,
  ModifyReplicationGroupCommand,
} from '@aws-sdk/client-elasticache';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { explainingSend } from '../sdk-errors.ts';
import { type CapturedRecords, type CaptureScope, namesGroupOf } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

export class SdkElastiCacheOwner implements OwnerAdapter {
  private readonly send: ElastiCacheClient['send'];

  constructor(client: ElastiCacheClient) {
    this.send = explainingSend(client, 'XML');
  }

  /** A node's replication group, or the node itself when it is in none. */
  async resolveMember(cacheClusterId: string): Promise<ResourceState | undefined> {
    const node = await this.node(cacheClusterId);
    if (!node) return undefined;
    return node.ReplicationGroupId
      ? this.describe({ kind: 'elasticache-replication-group', id: node.ReplicationGroupId })
      : this.describe({ kind: 'elasticache-cluster', id: cacheClusterId });
  }

  async describe({ kind, id }: ResourceRef): Promise<ResourceState | undefined> {
    const members = kind === 'elasticache-replication-group' ? await this.members(id) : [id];
    const first = members[0] ? await this.node(members[0]) : undefined;
    if (!first) return undefined;
    return {
      kind,
      id,
      groups: (first.SecurityGroups ?? []).map((g) => g.SecurityGroupId ?? ''),
      ...(kind === 'elasticache-replication-group' ? { members } : {}),
    };
  }

  async setGroups({ kind, id }: ResourceRef, groups: string[]): Promise<void> {
    if (kind === 'elasticache-replication-group')
      await this.send(
        new ModifyReplicationGroupCommand({ ReplicationGroupId: id, SecurityGroupIds: groups, ApplyImmediately: true }),
      );
    else
      await this.send(
        new ModifyCacheClusterCommand({ CacheClusterId: id, SecurityGroupIds: groups, ApplyImmediately: true }),
      );
  }

  async settled({ kind, id }: ResourceRef): Promise<boolean> {
    const members = kind === 'elasticache-replication-group' ? await this.members(id) : [id];
    for (const member of members) {
      const node = await this.node(member);
      if ((node?.SecurityGroups ?? []).some((g) => g.Status !== undefined && g.Status !== 'active')) return false;
    }
    return true;
  }

  private async node(id: string) {
    return (await this.send(new DescribeCacheClustersCommand({ CacheClusterId: id }))).CacheClusters?.[0];
  }

  private async members(replicationGroupId: string): Promise<string[]> {
    const group = (await this.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId })))
      .ReplicationGroups?.[0];
    return group?.MemberClusters ?? [];
  }
}

export const sdkElastiCacheOwner = (config: SdkOwnerConfig): OwnerAdapter =>
  new SdkElastiCacheOwner(new ElastiCacheClient(config));

/**
 * `CacheClusters` and `ReplicationGroups` for `capture`: the nodes on a group of the VPC (DescribeCacheClusters, 100
 * a page) and the replication groups they belong to (DescribeReplicationGroups, 100 a page).
 * https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_DescribeCacheClusters.html
 */
export async function captureElastiCache(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new ElastiCacheClient(config), 'XML');
  const clusters: Record<string, unknown>[] = [];
  const groupIds = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await send(new DescribeCacheClustersCommand({ Marker: marker, MaxRecords: 100 }));
    for (const node of page.CacheClusters ?? []) {
      if (
        !namesGroupOf(
          scope,
          (node.SecurityGroups ?? []).map((g) => g.SecurityGroupId),
        )
      )
        continue;
      clusters.push({ ...node });
      if (node.ReplicationGroupId) groupIds.add(node.ReplicationGroupId);
    }
    marker = page.Marker;
  } while (marker);
  const replicationGroups: Record<string, unknown>[] = [];
  if (groupIds.size > 0) {
    let next: string | undefined;
    do {
      const page = await send(new DescribeReplicationGroupsCommand({ Marker: next, MaxRecords: 100 }));
      for (const group of page.ReplicationGroups ?? [])
        if (group.ReplicationGroupId && groupIds.has(group.ReplicationGroupId)) replicationGroups.push({ ...group });
      next = page.Marker;
    } while (next);
  }
  return { CacheClusters: clusters, ReplicationGroups: replicationGroups };
}
