/**
 * Local DMS: `ReplicationInstances` records (`aws dms describe-replication-instances` output); their interfaces are
 * the "DMSNetworkInterface" ones of the instance's VPC with the instance's groups. Errors as ModifyReplicationInstance
 * answers them (https://docs.aws.amazon.com/dms/latest/APIReference/API_ModifyReplicationInstance.html):
 * ResourceNotFoundFault, InvalidResourceStateFault while the instance is not `available`; an unknown group is assumed
 * to be InvalidParameterValueException (the page does not say). The change applies at once.
 */
import * as z from 'zod';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, interfacesWithGroups, type LocalOwner, type LocalOwnerModel } from './model.ts';

const instance = z.looseObject({
  ReplicationInstanceIdentifier: z.string().optional(),
  ReplicationInstanceArn: z.string().min(1),
  ReplicationInstanceStatus: z.string().optional(),
  ReplicationSubnetGroup: z.looseObject({ VpcId: z.string().optional() }).optional(),
  VpcSecurityGroups: z
    .array(z.looseObject({ VpcSecurityGroupId: z.string(), Status: z.string().optional() }))
    .optional(),
});
const records = z.looseObject({ ReplicationInstances: z.array(instance).optional() });
type Records = z.infer<typeof records>;
type Instance = z.infer<typeof instance>;

class LocalDms implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  findUsing(vpcId: string, groupId: string): ResourceState[] {
    return (this.records.ReplicationInstances ?? [])
      .filter((i) => i.ReplicationSubnetGroup?.VpcId === vpcId && groupsOf(i).includes(groupId))
      .map((i) => ({ kind: 'dms-replication-instance', id: i.ReplicationInstanceArn, vpcId, groups: groupsOf(i) }));
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    const record = this.instance(ref.id);
    return record ? groupsOf(record) : undefined;
  }

  interfacesOf(ref: ResourceRef): string[] {
    const record = this.instance(ref.id);
    return record
      ? interfacesWithGroups(this.ec2, 'DMSNetworkInterface', record.ReplicationSubnetGroup?.VpcId, groupsOf(record))
      : [];
  }

  vpcOf(ref: ResourceRef): string | undefined {
    return this.instance(ref.id)?.ReplicationSubnetGroup?.VpcId;
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    const record = this.instance(ref.id);
    if (!record) fail('ResourceNotFoundFault', `Replication instance ${ref.id} not found.`);
    if ((record.ReplicationInstanceStatus ?? 'available') !== 'available')
      fail('InvalidResourceStateFault', `Replication instance is in ${record.ReplicationInstanceStatus} state.`);
    if (unknown.length > 0)
      fail('InvalidParameterValueException', `The security group(s) ${unknown.join(', ')} do not exist in the VPC.`);
    record.VpcSecurityGroups = groups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }));
  }

  private instance(arn: string): Instance | undefined {
    return (this.records.ReplicationInstances ?? []).find((i) => i.ReplicationInstanceArn === arn);
  }
}

function groupsOf(record: Instance): string[] {
  return (record.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId);
}

export const localDms: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalDms(ec2, live),
};
