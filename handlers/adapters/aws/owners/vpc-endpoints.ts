/** Interface VPC endpoints over the SDK: ModifyVpcEndpoint adds and removes groups, at once. */
import { DescribeVpcEndpointsCommand, EC2Client, ModifyVpcEndpointCommand } from '@aws-sdk/client-ec2';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import { stackEntry } from '../../../core/stacks.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { explainingSend } from '../sdk-errors.ts';
import type { CapturedRecords, CaptureScope } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

export class SdkVpcEndpointOwner implements OwnerAdapter {
  private readonly send: EC2Client['send'];

  constructor(client: EC2Client) {
    this.send = explainingSend(client, 'XML');
  }

  async describe({ id }: ResourceRef): Promise<ResourceState | undefined> {
    const endpoint = (await this.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints?.[0];
    if (!endpoint) return undefined;
    return {
      kind: 'vpc-endpoint',
      id,
      groups: (endpoint.Groups ?? []).map((g) => g.GroupId ?? ''),
      ...(endpoint.VpcId ? { vpcId: endpoint.VpcId } : {}),
      // Tags come with the describe (no extra call): the stack tag names its stack (core/stacks.ts).
      ...stackEntry(endpoint.Tags),
    };
  }

  /** ModifyVpcEndpoint adds and removes: the difference between the current list and the wanted one. */
  async setGroups(ref: ResourceRef, groups: string[]): Promise<void> {
    const current = (await this.describe(ref))?.groups ?? [];
    const add = groups.filter((g) => !current.includes(g));
    const remove = current.filter((g) => !groups.includes(g));
    if (add.length === 0 && remove.length === 0) return;
    await this.send(
      new ModifyVpcEndpointCommand({
        VpcEndpointId: ref.id,
        ...(add.length > 0 ? { AddSecurityGroupIds: add } : {}),
        ...(remove.length > 0 ? { RemoveSecurityGroupIds: remove } : {}),
      }),
    );
  }

  async settled(): Promise<boolean> {
    return true;
  }
}

export const sdkVpcEndpointOwner = (config: SdkOwnerConfig): OwnerAdapter =>
  new SdkVpcEndpointOwner(new EC2Client(config));

/**
 * `VpcEndpoints` for `capture`: DescribeVpcEndpoints filtered on the VPC, 1,000 a page.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpoints.html
 */
export async function captureVpcEndpoints(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new EC2Client(config), 'XML');
  const found: Record<string, unknown>[] = [];
  let token: string | undefined;
  do {
    const page = await send(
      new DescribeVpcEndpointsCommand({
        Filters: [{ Name: 'vpc-id', Values: [scope.vpcId] }],
        MaxResults: 1000,
        NextToken: token,
      }),
    );
    for (const endpoint of page.VpcEndpoints ?? []) found.push({ ...endpoint });
    token = page.NextToken;
  } while (token);
  return { VpcEndpoints: found };
}
