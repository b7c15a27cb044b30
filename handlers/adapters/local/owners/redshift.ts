/**
 * Local Redshift: `Clusters` records (`aws redshift describe-clusters` output); their interfaces are the
 * "RedshiftNetworkInterface" ones of the cluster's VPC with the cluster's groups. Errors as ModifyCluster answers them
 * (https://docs.aws.amazon.com/redshift/latest/APIReference/API_ModifyCluster.html): ClusterNotFound,
 * InvalidClusterState while the cluster is not `available`, InvalidVPCNetworkStateFault for a group that is not in
 * the cluster's VPC. The change applies at once (the cluster stays `available`).
 */
import * as z from 'zod';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, interfacesWithGroups, type LocalOwner, type LocalOwnerModel } from './model.ts';

const cluster = z.looseObject({
  ClusterIdentifier: z.string().min(1),
  ClusterStatus: z.string().optional(),
  VpcId: z.string().optional(),
  VpcSecurityGroups: z
    .array(z.looseObject({ VpcSecurityGroupId: z.string(), Status: z.string().optional() }))
    .optional(),
});
const records = z.looseObject({ Clusters: z.array(cluster).optional() });
type Records = z.infer<typeof records>;

class LocalRedshift implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  findUsing(vpcId: string, groupId: string): ResourceState[] {
    return (this.records.Clusters ?? [])
      .filter((c) => c.VpcId === vpcId && groupsOf(c).includes(groupId))
      .map((c) => ({ kind: 'redshift-cluster', id: c.ClusterIdentifier, vpcId, groups: groupsOf(c) }));
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    const record = this.cluster(ref.id);
    return record ? groupsOf(record) : undefined;
  }

  interfacesOf(ref: ResourceRef): string[] {
    const record = this.cluster(ref.id);
    return record ? interfacesWithGroups(this.ec2, 'RedshiftNetworkInterface', record.VpcId, groupsOf(record)) : [];
  }

  vpcOf(ref: ResourceRef): string | undefined {
    return this.cluster(ref.id)?.VpcId;
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    const record = this.cluster(ref.id);
    if (!record) fail('ClusterNotFound', `Cluster ${ref.id} not found.`);
    if ((record.ClusterStatus ?? 'available') !== 'available')
      fail('InvalidClusterState', `The cluster ${ref.id} is not in the available state (${record.ClusterStatus}).`);
    if (unknown.length > 0) fail('InvalidVPCNetworkStateFault', `Invalid security groups: ${unknown.join(', ')}`);
    record.VpcSecurityGroups = groups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }));
  }

  private cluster(id: string) {
    return (this.records.Clusters ?? []).find((c) => c.ClusterIdentifier === id);
  }
}

function groupsOf(record: z.infer<typeof cluster>): string[] {
  return (record.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId);
}

export const localRedshift: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalRedshift(ec2, live),
};
