/**
 * Local RDS: `DBInstances` (`aws rds describe-db-instances`) and `DBClusters` (`aws rds describe-db-clusters`)
 * records. Errors as ModifyDBInstance / ModifyDBCluster answer them
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html).
 */
import * as z from 'zod';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import { stackEntry } from '../../../core/stacks.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalOwner, type LocalOwnerModel } from './model.ts';

/** TagList, as describe-db-instances / describe-db-clusters answer it: the stack tag names the stack (core/stacks.ts). */
const tagList = z.array(z.looseObject({ Key: z.string(), Value: z.string().optional() }));
const vpcGroupRefs = z.array(z.looseObject({ VpcSecurityGroupId: z.string(), Status: z.string().optional() }));
const dbInstance = z.looseObject({
  DBInstanceIdentifier: z.string().min(1),
  DBClusterIdentifier: z.string().optional(),
  VpcSecurityGroups: vpcGroupRefs.optional(),
  TagList: tagList.optional(),
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
  TagList: tagList.optional(),
  DBClusterMembers: z.array(z.looseObject({ DBInstanceIdentifier: z.string() })).optional(),
});
const records = z.looseObject({
  DBInstances: z.array(dbInstance).optional(),
  DBClusters: z.array(dbCluster).optional(),
});
type Records = z.infer<typeof records>;
type DbInstance = z.infer<typeof dbInstance>;

const sorted = (ids: readonly string[]) => [...ids].sort().join(',');

/** Interfaces linked to RDS instances once per simulator: the interface does not name its instance (see `links`). */
const linksBySimulator = new WeakMap<Ec2Simulator, Map<string, string[]>>();

class LocalRds implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  findUsing(vpcId: string, groupId: string): ResourceState[] {
    const found: ResourceState[] = [];
    for (const instance of this.records.DBInstances ?? []) {
      if (instance.DBSubnetGroup?.VpcId !== vpcId || instance.DBClusterIdentifier) continue;
      const groups = (instance.VpcSecurityGroups ?? []).map((ref) => ref.VpcSecurityGroupId);
      if (groups.includes(groupId))
        found.push({
          kind: 'rds-instance',
          id: instance.DBInstanceIdentifier,
          vpcId,
          groups,
          ...stackEntry(instance.TagList),
        });
    }
    for (const cluster of this.records.DBClusters ?? []) {
      const inVpc = this.clusterInstances(cluster.DBClusterIdentifier).some((i) => i.DBSubnetGroup?.VpcId === vpcId);
      const groups = (cluster.VpcSecurityGroups ?? []).map((ref) => ref.VpcSecurityGroupId);
      if (inVpc && groups.includes(groupId))
        found.push({
          kind: 'rds-cluster',
          id: cluster.DBClusterIdentifier,
          vpcId,
          groups,
          ...stackEntry(cluster.TagList),
        });
    }
    return found;
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    const record =
      ref.kind === 'rds-instance'
        ? (this.records.DBInstances ?? []).find((i) => i.DBInstanceIdentifier === ref.id)
        : this.cluster(ref.id);
    return record ? (record.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId) : undefined;
  }

  stackOf(ref: ResourceRef): string | undefined {
    const record =
      ref.kind === 'rds-instance'
        ? (this.records.DBInstances ?? []).find((i) => i.DBInstanceIdentifier === ref.id)
        : this.cluster(ref.id);
    return stackEntry(record?.TagList).stack;
  }

  interfacesOf(ref: ResourceRef): string[] {
    if (ref.kind === 'rds-instance') return this.links().get(ref.id) ?? [];
    return this.clusterInstances(ref.id).flatMap((i) => this.links().get(i.DBInstanceIdentifier) ?? []);
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    if (ref.kind === 'rds-instance') {
      const instance = (this.records.DBInstances ?? []).find((i) => i.DBInstanceIdentifier === ref.id);
      if (!instance) fail('DBInstanceNotFound', `DBInstance ${ref.id} not found.`);
      if (instance.DBClusterIdentifier)
        fail(
          'InvalidParameterCombination',
          'The requested DB Instance will be a member of a DB Cluster. Set VPC security groups for the DB Cluster.',
        );
      if (unknown.length > 0) fail('InvalidVPCNetworkStateFault', `Invalid security groups: ${unknown.join(', ')}`);
      instance.VpcSecurityGroups = groups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }));
      return;
    }
    const cluster = this.cluster(ref.id);
    if (!cluster) fail('DBClusterNotFoundFault', `DBCluster ${ref.id} not found.`);
    if (unknown.length > 0) fail('InvalidVPCNetworkStateFault', `Invalid security groups: ${unknown.join(', ')}`);
    cluster.VpcSecurityGroups = groups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }));
    for (const instance of this.clusterInstances(ref.id)) instance.VpcSecurityGroups = cluster.VpcSecurityGroups;
  }

  private cluster(id: string) {
    return (this.records.DBClusters ?? []).find((c) => c.DBClusterIdentifier === id);
  }

  private clusterInstances(clusterId: string): DbInstance[] {
    return (this.records.DBInstances ?? []).filter((i) => i.DBClusterIdentifier === clusterId);
  }

  /**
   * RDS interfaces ("RDSNetworkInterface") do not name their instance. The simulator links each, once, to the first
   * DB instance (file order) in the same VPC whose groups are the interface's groups and, when the instance lists
   * its subnets, whose subnet group holds the interface's subnet.
   */
  private links(): Map<string, string[]> {
    let links = linksBySimulator.get(this.ec2);
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
    linksBySimulator.set(this.ec2, links);
    return links;
  }
}

export const localRds: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalRds(ec2, live),
};
