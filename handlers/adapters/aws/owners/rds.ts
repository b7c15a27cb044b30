/**
 * RDS DB instances and clusters over the SDK: ModifyDBInstance / ModifyDBCluster VpcSecurityGroupIds with
 * ApplyImmediately, then Describe* until every VpcSecurityGroups entry is `active`.
 */
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import { stackEntry } from '../../../core/stacks.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { explainingSend } from '../sdk-errors.ts';
import type { CapturedRecords, CaptureScope } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

export class SdkRdsOwner implements OwnerAdapter {
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
          found.push({
            kind: 'rds-instance',
            id: instance.DBInstanceIdentifier,
            vpcId,
            groups,
            ...stackEntry(instance.TagList),
          });
      }
      marker = page.Marker;
    } while (marker);
    for (const id of clusters) {
      const cluster = await this.describe({ kind: 'rds-cluster', id });
      if (cluster) found.push({ ...cluster, vpcId });
    }
    return found;
  }

  async describe({ kind, id }: ResourceRef): Promise<ResourceState | undefined> {
    const record = await this.record(kind, id);
    if (!record?.VpcSecurityGroups) return undefined;
    // TagList comes with the describe (no extra call): the stack tag names its stack (core/stacks.ts).
    return {
      kind,
      id,
      groups: record.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId ?? ''),
      ...stackEntry(record.TagList),
    };
  }

  async setGroups({ kind, id }: ResourceRef, groups: string[]): Promise<void> {
    if (kind === 'rds-instance')
      await this.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, VpcSecurityGroupIds: groups, ApplyImmediately: true }),
      );
    else
      await this.send(
        new ModifyDBClusterCommand({ DBClusterIdentifier: id, VpcSecurityGroupIds: groups, ApplyImmediately: true }),
      );
  }

  async settled({ kind, id }: ResourceRef): Promise<boolean> {
    return ((await this.record(kind, id))?.VpcSecurityGroups ?? []).every(
      (g) => g.Status === undefined || g.Status === 'active',
    );
  }

  private async record(kind: ResourceRef['kind'], id: string) {
    return kind === 'rds-instance'
      ? (await this.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]
      : (await this.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
  }
}

export const sdkRdsOwner = (config: SdkOwnerConfig): OwnerAdapter => new SdkRdsOwner(new RDSClient(config));

/**
 * `DBInstances` and `DBClusters` for `capture`: the instances whose subnet group is in the VPC (TagList included) and
 * the clusters they are members of, each describe paged 100 at a time (Marker).
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html, API_DescribeDBClusters.html
 */
export async function captureRds(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new RDSClient(config), 'XML');
  const instances: Record<string, unknown>[] = [];
  const clusterIds = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await send(new DescribeDBInstancesCommand({ Marker: marker, MaxRecords: 100 }));
    for (const instance of page.DBInstances ?? []) {
      if (instance.DBSubnetGroup?.VpcId !== scope.vpcId) continue;
      instances.push({ ...instance });
      if (instance.DBClusterIdentifier) clusterIds.add(instance.DBClusterIdentifier);
    }
    marker = page.Marker;
  } while (marker);
  const clusters: Record<string, unknown>[] = [];
  if (clusterIds.size > 0) {
    let next: string | undefined;
    do {
      const page = await send(new DescribeDBClustersCommand({ Marker: next, MaxRecords: 100 }));
      for (const cluster of page.DBClusters ?? [])
        if (cluster.DBClusterIdentifier && clusterIds.has(cluster.DBClusterIdentifier)) clusters.push({ ...cluster });
      next = page.Marker;
    } while (next);
  }
  return { DBInstances: instances, DBClusters: clusters };
}
