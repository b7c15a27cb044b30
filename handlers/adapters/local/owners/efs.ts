/**
 * Local EFS: `MountTargets` records (`aws efs describe-mount-targets` output plus `SecurityGroups` from
 * `describe-mount-target-security-groups`). Errors as ModifyMountTargetSecurityGroups answers them
 * (https://docs.aws.amazon.com/efs/latest/ug/API_ModifyMountTargetSecurityGroups.html).
 */
import * as z from 'zod';
import type { ResourceRef } from '../../../core/resources.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalOwner, type LocalOwnerModel, managedInterfaces } from './model.ts';

const mountTarget = z.looseObject({
  MountTargetId: z.string().regex(/^fsmt-[0-9a-f]{8,40}$/, 'must look like fsmt-…'),
  NetworkInterfaceId: z.string().optional(),
  VpcId: z.string().optional(),
  LifeCycleState: z.string().optional(),
  /** Not in DescribeMountTargets: DescribeMountTargetSecurityGroups' answer, kept on the record. */
  SecurityGroups: z.array(z.string()).optional(),
});
const records = z.looseObject({ MountTargets: z.array(mountTarget).optional() });
type Records = z.infer<typeof records>;

class LocalMountTargets implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  private target(id: string) {
    return (this.records.MountTargets ?? []).find((m) => m.MountTargetId === id);
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    const target = this.target(ref.id);
    return target && target.LifeCycleState !== 'deleted' ? [...(target.SecurityGroups ?? [])] : undefined;
  }

  interfacesOf(ref: ResourceRef): string[] {
    const target = this.target(ref.id);
    return target?.NetworkInterfaceId
      ? [target.NetworkInterfaceId]
      : managedInterfaces(this.ec2, (d) => d.includes(`(${ref.id})`));
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    const target = this.target(ref.id);
    if (!target || target.LifeCycleState === 'deleted')
      fail('MountTargetNotFound', `Mount target '${ref.id}' does not exist.`);
    if (target.LifeCycleState && target.LifeCycleState !== 'available')
      fail('IncorrectMountTargetState', `Mount target '${ref.id}' is ${target.LifeCycleState}.`);
    if (groups.length > 5) fail('SecurityGroupLimitExceeded', 'The number of security groups exceeds the limit of 5.');
    if (unknown.length > 0)
      fail('SecurityGroupNotFound', `Security group '${unknown[0]}' does not exist in the subnet's VPC.`);
    target.SecurityGroups = groups;
  }
}

export const localMountTargets: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalMountTargets(ec2, live),
};
