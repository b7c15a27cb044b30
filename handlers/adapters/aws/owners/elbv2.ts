/** Application and Network Load Balancers over the SDK: SetSecurityGroups replaces the whole list, at once. */
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  SetSecurityGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { explainingSend } from '../sdk-errors.ts';
import type { CapturedRecords, CaptureScope } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

export class SdkLoadBalancerOwner implements OwnerAdapter {
  private readonly send: ElasticLoadBalancingV2Client['send'];

  constructor(client: ElasticLoadBalancingV2Client) {
    this.send = explainingSend(client, 'XML');
  }

  async describe({ id: arn }: ResourceRef): Promise<ResourceState | undefined> {
    const lb = (await this.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).LoadBalancers?.[0];
    if (!lb) return undefined;
    return {
      kind: 'load-balancer',
      id: arn,
      groups: lb.SecurityGroups ?? [],
      ...(lb.VpcId ? { vpcId: lb.VpcId } : {}),
    };
  }

  async setGroups({ id: arn }: ResourceRef, groups: string[]): Promise<void> {
    await this.send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: groups }));
  }

  async settled(): Promise<boolean> {
    return true;
  }
}

export const sdkLoadBalancerOwner = (config: SdkOwnerConfig): OwnerAdapter =>
  new SdkLoadBalancerOwner(new ElasticLoadBalancingV2Client(config));

/**
 * `LoadBalancers` for `capture`: DescribeLoadBalancers, 400 a page (Marker / NextMarker), those in the VPC.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeLoadBalancers.html
 */
export async function captureLoadBalancers(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const send = explainingSend(new ElasticLoadBalancingV2Client(config), 'XML');
  const found: Record<string, unknown>[] = [];
  let marker: string | undefined;
  do {
    const page = await send(new DescribeLoadBalancersCommand({ Marker: marker, PageSize: 400 }));
    for (const lb of page.LoadBalancers ?? []) if (lb.VpcId === scope.vpcId) found.push({ ...lb });
    marker = page.NextMarker;
  } while (marker);
  return { LoadBalancers: found };
}
