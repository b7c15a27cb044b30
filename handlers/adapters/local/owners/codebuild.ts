/**
 * Local CodeBuild: `projects` records (`aws codebuild batch-get-projects` output). A project owns no interface
 * between builds; a build's interface is not moved (core/owners/codebuild.ts). Errors as UpdateProject answers them
 * (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_UpdateProject.html): ResourceNotFoundException, and
 * InvalidInputException for a group that does not exist (assumed: CodeBuild checks the VPC configuration when it is
 * set).
 */
import * as z from 'zod';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalOwner, type LocalOwnerModel } from './model.ts';

const project = z.looseObject({
  name: z.string().min(1),
  vpcConfig: z
    .looseObject({
      vpcId: z.string().optional(),
      subnets: z.array(z.string()).optional(),
      securityGroupIds: z.array(z.string()).optional(),
    })
    .optional(),
});
const records = z.looseObject({ projects: z.array(project).optional() });
type Records = z.infer<typeof records>;

class LocalCodeBuild implements LocalOwnerModel {
  constructor(
    _ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  findUsing(vpcId: string, groupId: string): ResourceState[] {
    return (this.records.projects ?? [])
      .filter((p) => p.vpcConfig?.vpcId === vpcId && (p.vpcConfig.securityGroupIds ?? []).includes(groupId))
      .map((p) => ({
        kind: 'codebuild-project',
        id: p.name,
        vpcId,
        groups: [...(p.vpcConfig?.securityGroupIds ?? [])],
      }));
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    const record = this.project(ref.id);
    return record ? [...(record.vpcConfig?.securityGroupIds ?? [])] : undefined;
  }

  interfacesOf(): string[] {
    return [];
  }

  vpcOf(ref: ResourceRef): string | undefined {
    return this.project(ref.id)?.vpcConfig?.vpcId;
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    const record = this.project(ref.id);
    if (!record) fail('ResourceNotFoundException', `Project cannot be found: ${ref.id}`);
    if (groups.length > 5) fail('InvalidInputException', 'A maximum of 5 security groups are allowed.');
    if (unknown.length > 0) fail('InvalidInputException', `Invalid security group ids: ${unknown.join(', ')}`);
    record.vpcConfig = { ...record.vpcConfig, securityGroupIds: groups };
  }

  private project(name: string) {
    return (this.records.projects ?? []).find((p) => p.name === name);
  }
}

export const localCodeBuild: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalCodeBuild(ec2, live),
};
