/**
 * Local Lambda: `Functions` records (`aws lambda list-functions` output; a `Version` other than `$LATEST` is a
 * published version), their interfaces recognised by description. Errors as UpdateFunctionConfiguration answers them
 * (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html).
 */
import * as z from 'zod';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import { stackEntry } from '../../../core/stacks.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalOwner, type LocalOwnerModel, managedInterfaces } from './model.ts';

const functionRecord = z.looseObject({
  FunctionName: z.string().min(1),
  /** `$LATEST` (or absent) for the function itself; a number for a published version of it. */
  Version: z.string().optional(),
  VpcConfig: z
    .looseObject({ VpcId: z.string().optional(), SecurityGroupIds: z.array(z.string()).optional() })
    .optional(),
  LastUpdateStatus: z.string().optional(),
  /**
   * The function's tags as `aws lambda list-tags` answers them (a map), merged into its record: list-functions does
   * not answer tags. The `aws:cloudformation:stack-name` tag names its stack (core/stacks.ts).
   */
  Tags: z.record(z.string(), z.string()).optional(),
});
const records = z.looseObject({ Functions: z.array(functionRecord).optional() });
type Records = z.infer<typeof records>;

/** A published version's record (its configuration cannot change); `$LATEST` is the function itself. */
function isPublished(fn: { Version?: string | undefined }): boolean {
  return fn.Version !== undefined && fn.Version !== '$LATEST';
}

class LocalLambda implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  private fn(name: string) {
    return (this.records.Functions ?? []).find((f) => f.FunctionName === name && !isPublished(f));
  }

  findUsing(vpcId: string, groupId: string): ResourceState[] {
    // ListFunctions with FunctionVersion ALL: published versions too.
    return (this.records.Functions ?? [])
      .filter((fn) => fn.VpcConfig?.VpcId === vpcId && (fn.VpcConfig.SecurityGroupIds ?? []).includes(groupId))
      .map((fn) => {
        const published = isPublished(fn) ? fn.Version : undefined;
        return {
          kind: 'lambda-function',
          id: published ? `${fn.FunctionName}:${published}` : fn.FunctionName,
          vpcId,
          groups: [...(fn.VpcConfig?.SecurityGroupIds ?? [])],
          ...(published ? { publishedVersion: published } : stackEntry(fn.Tags)),
        };
      });
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    const fn = this.fn(ref.id);
    return fn ? [...(fn.VpcConfig?.SecurityGroupIds ?? [])] : undefined;
  }

  stackOf(ref: ResourceRef): string | undefined {
    return stackEntry(this.fn(ref.id)?.Tags).stack;
  }

  interfacesOf(ref: ResourceRef): string[] {
    return managedInterfaces(
      this.ec2,
      (d) =>
        d.startsWith('AWS Lambda VPC ENI') &&
        d.replace(/^AWS Lambda VPC ENI-?/, '').replace(/-[0-9a-f-]{36}$/, '') === ref.id,
    );
  }

  vpcOf(ref: ResourceRef): string | undefined {
    return this.fn(ref.id)?.VpcConfig?.VpcId;
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    const fn = this.fn(ref.id);
    if (!fn) fail('ResourceNotFoundException', `Function not found: ${ref.id}`);
    if (fn.LastUpdateStatus === 'InProgress')
      fail('ResourceConflictException', `An update is in progress for resource: ${ref.id}`);
    if (groups.length > 5)
      fail('InvalidParameterValueException', 'The maximum number of security groups for a function is 5.');
    if (unknown.length > 0)
      fail('InvalidParameterValueException', `Error occurred while DescribeSecurityGroups: ${unknown.join(', ')}`);
    fn.VpcConfig = { ...fn.VpcConfig, SecurityGroupIds: groups };
    fn.LastUpdateStatus = 'Successful';
  }
}

export const localLambda: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalLambda(ec2, live),
};
