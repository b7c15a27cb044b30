/**
 * Local VPC endpoints: `VpcEndpoints` records (`aws ec2 describe-vpc-endpoints` output), their interfaces the
 * record's `NetworkInterfaceIds`. Errors as ModifyVpcEndpoint answers them
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcEndpoint.html).
 */
import * as z from 'zod';
import type { ResourceRef } from '../../../core/resources.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalOwner, type LocalOwnerModel } from './model.ts';

const vpcEndpoint = z.looseObject({
  VpcEndpointId: z.string().regex(/^vpce-[0-9a-f]+$/, 'must look like vpce-…'),
  VpcEndpointType: z.string().optional(),
  VpcId: z.string().optional(),
  Groups: z.array(z.looseObject({ GroupId: z.string(), GroupName: z.string().optional() })).optional(),
  NetworkInterfaceIds: z.array(z.string()).optional(),
});
const records = z.looseObject({ VpcEndpoints: z.array(vpcEndpoint).optional() });
type Records = z.infer<typeof records>;

class LocalVpcEndpoints implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  private endpoint(id: string) {
    return (this.records.VpcEndpoints ?? []).find((e) => e.VpcEndpointId === id);
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    const endpoint = this.endpoint(ref.id);
    return endpoint ? (endpoint.Groups ?? []).map((g) => g.GroupId) : undefined;
  }

  interfacesOf(ref: ResourceRef): string[] {
    return this.endpoint(ref.id)?.NetworkInterfaceIds ?? [];
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    const endpoint = this.endpoint(ref.id);
    if (!endpoint) fail('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${ref.id}' does not exist`);
    if (unknown.length > 0) fail('InvalidGroup.NotFound', `The security group '${unknown[0]}' does not exist`);
    // DescribeVpcEndpoints answers each group with its name.
    endpoint.Groups = groups.map((id) => ({ GroupId: id, GroupName: this.ec2.groupInfo(id)?.groupName ?? '' }));
  }
}

export const localVpcEndpoints: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalVpcEndpoints(ec2, live),
};
