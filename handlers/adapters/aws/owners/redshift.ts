/**
 * Redshift clusters over the SDK: ModifyCluster VpcSecurityGroupIds, then DescribeClusters until the cluster is
 * `available` with every group `active`.
 */
import { type Cluster, DescribeClustersCommand, ModifyClusterCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { explainingSend } from '../sdk-errors.ts';
import type { CapturedRecords, CaptureScope } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

const STACK_TAG = 'aws:cloudformation:stack-name';

function stateOf(cluster: Cluster): ResourceState {
  const stack = cluster.Tags?.find((tag) => tag.Key === STACK_TAG)?.Value;
  return {
    kind: 'redshift-cluster',
    id: cluster.ClusterIdentifier ?? '',
    groups: (cluster.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? ''),
    ...(cluster.VpcId ? { vpcId: cluster.VpcId } : {}),
    ...(stack ? { stack } : {}),
  };
}

export class SdkRedshiftOwner implements OwnerAdapter {
  private readonly send: RedshiftClient['send'];

  constructor(client: RedshiftClient) {
    this.send = explainingSend(client, 'XML');
  }

  async findUsing(vpcId: string, groupId: string): Promise<ResourceState[]> {
    const found: ResourceState[] = [];
    let marker: string | undefined;
    do {
      const page = await this.send(new DescribeClustersCommand({ Marker: marker, MaxRecords: 100 }));
      for (const cluster of page.Clusters ?? []) {
        const state = stateOf(cluster);
        if (cluster.VpcId === vpcId && state.groups.includes(groupId)) found.push(state);
      }
      marker = page.Marker;
    } while (marker);
    return found;
  }

  async describe({ id }: ResourceRef): Promise<ResourceState | undefined> {
    const cluster = await this.cluster(id);
    return cluster ? stateOf(cluster) : undefined;
  }

  async setGroups({ id }: ResourceRef, groups: string[]): Promise<void> {
    await this.send(new ModifyClusterCommand({ ClusterIdentifier: id, VpcSecurityGroupIds: groups }));
  }

  async settled({ id }: ResourceRef): Promise<boolean> {
    const cluster = await this.cluster(id);
    if (!cluster) return true;
    return (
      cluster.ClusterStatus === 'available' &&
      (cluster.VpcSecurityGroups ?? []).every((g) => g.Status === undefined || g.Status === 'active')
    );
  }

  private async cluster(id: string): Promise<Cluster | undefined> {
    return (await this.send(new DescribeClustersCommand({ ClusterIdentifier: id }))).Clusters?.[0];
  }
}

export const sdkRedshiftOwner = (config: SdkOwnerConfig): OwnerAdapter =>
  new SdkRedshiftOwner(new RedshiftClient(config));

/**
 * `Clusters` for `capture`: DescribeClusters, 100 a page, those in the VPC.
 * https://docs.aws.amazon.com/redshift/latest/APIReference/API_DescribeClusters.html
 */
export async function captureRedshift(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new RedshiftClient(config), 'XML');
  const found: Record<string, unknown>[] = [];
  let marker: string | undefined;
  do {
    const page = await send(new DescribeClustersCommand({ Marker: marker, MaxRecords: 100 }));
    for (const cluster of page.Clusters ?? []) if (cluster.VpcId === scope.vpcId) found.push({ ...cluster });
    marker = page.Marker;
  } while (marker);
  return { Clusters: found };
}
