/**
 * Local Batch: `computeEnvironments` records (`aws batch describe-compute-environments` output). An environment's
 * instances are the account's own interfaces (moved by EC2 like any), so the model links none. UpdateComputeEnvironment
 * refuses what the user guide says Batch does not update in place (core/owners/batch.ts) with ClientException, as the
 * API answers every request error (https://docs.aws.amazon.com/batch/latest/APIReference/API_UpdateComputeEnvironment.html);
 * a change is applied at once (status VALID).
 */
import * as z from 'zod';
import { batchEnvironmentBlock } from '../../../core/owners/batch.ts';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalOwner, type LocalOwnerModel } from './model.ts';

const environment = z.looseObject({
  computeEnvironmentName: z.string().min(1),
  status: z.string().optional(),
  serviceRole: z.string().optional(),
  computeResources: z
    .looseObject({
      type: z.string().optional(),
      allocationStrategy: z.string().optional(),
      subnets: z.array(z.string()).optional(),
      securityGroupIds: z.array(z.string()).optional(),
    })
    .optional(),
});
const records = z.looseObject({ computeEnvironments: z.array(environment).optional() });
type Records = z.infer<typeof records>;
type Environment = z.infer<typeof environment>;

class LocalBatch implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  findUsing(vpcId: string, groupId: string): ResourceState[] {
    if (this.ec2.groupInfo(groupId)?.vpcId !== vpcId) return [];
    return (this.records.computeEnvironments ?? [])
      .filter((e) => groupsOf(e).includes(groupId))
      .map((e) => {
        const blocked = batchEnvironmentBlock(e);
        return {
          kind: 'batch-compute-environment',
          id: e.computeEnvironmentName,
          vpcId,
          groups: groupsOf(e),
          ...(blocked ? { blocked } : {}),
        };
      });
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    const record = this.environment(ref.id);
    return record ? groupsOf(record) : undefined;
  }

  blockedOf(ref: ResourceRef): string | undefined {
    const record = this.environment(ref.id);
    return record ? batchEnvironmentBlock(record) : undefined;
  }

  interfacesOf(): string[] {
    return [];
  }

  vpcOf(ref: ResourceRef): string | undefined {
    return (this.groupsOf(ref) ?? []).map((id) => this.ec2.groupInfo(id)?.vpcId).find(Boolean);
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    const record = this.environment(ref.id);
    if (!record?.computeResources)
      fail('ClientException', `Compute environment ${ref.id} does not exist or is unmanaged.`);
    if (record.status === 'UPDATING') fail('ClientException', `Compute environment ${ref.id} is being updated.`);
    const blocked = batchEnvironmentBlock(record);
    if (blocked) fail('ClientException', blocked);
    if (unknown.length > 0) fail('ClientException', `Security groups ${unknown.join(', ')} do not exist.`);
    record.computeResources = { ...record.computeResources, securityGroupIds: groups };
    record.status = 'VALID';
  }

  private environment(name: string): Environment | undefined {
    return (this.records.computeEnvironments ?? []).find((e) => e.computeEnvironmentName === name);
  }
}

function groupsOf(record: Environment): string[] {
  return [...(record.computeResources?.securityGroupIds ?? [])];
}

export const localBatch: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalBatch(ec2, live),
};
