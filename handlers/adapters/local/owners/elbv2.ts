/**
 * Local ELBv2: `LoadBalancers` records (`aws elbv2 describe-load-balancers` output), their interfaces described
 * "ELB <app|net>/<name>/<id>". Errors as SetSecurityGroups answers them
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetSecurityGroups.html).
 */
import * as z from 'zod';
import type { ResourceRef } from '../../../core/resources.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalOwner, type LocalOwnerModel, managedInterfaces } from './model.ts';

const loadBalancer = z.looseObject({
  LoadBalancerArn: z.string().regex(/:loadbalancer\/(app|net|gwy)\/[^/]+\/[0-9a-f]+$/, 'must be an ELBv2 ARN'),
  VpcId: z.string().optional(),
  Type: z.string().optional(),
  SecurityGroups: z.array(z.string()).optional(),
});
const records = z.looseObject({ LoadBalancers: z.array(loadBalancer).optional() });
type Records = z.infer<typeof records>;

class LocalLoadBalancers implements LocalOwnerModel {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  private lb(arn: string) {
    return (this.records.LoadBalancers ?? []).find((l) => l.LoadBalancerArn === arn);
  }

  groupsOf(ref: ResourceRef): string[] | undefined {
    const lb = this.lb(ref.id);
    return lb ? [...(lb.SecurityGroups ?? [])] : undefined;
  }

  interfacesOf(ref: ResourceRef): string[] {
    const suffix = ref.id.replace(/^.*:loadbalancer\//, '');
    return managedInterfaces(this.ec2, (d) => d === `ELB ${suffix}`);
  }

  vpcOf(ref: ResourceRef): string | undefined {
    return this.lb(ref.id)?.VpcId;
  }

  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void {
    const lb = this.lb(ref.id);
    if (!lb) fail('LoadBalancerNotFound', `One or more load balancers not found: '${ref.id}'`);
    if (lb.Type === 'gateway')
      fail('InvalidConfigurationRequest', 'Gateway Load Balancers do not support security groups');
    if (lb.Type === 'network' && (lb.SecurityGroups ?? []).length === 0)
      fail(
        'InvalidConfigurationRequest',
        'You cannot set security groups on a Network Load Balancer created without security groups',
      );
    if (unknown.length > 0) fail('InvalidSecurityGroup', `Security group '${unknown[0]}' does not exist`);
    lb.SecurityGroups = groups;
  }
}

export const localLoadBalancers: LocalOwner<Records> = {
  records,
  model: (ec2, live) => new LocalLoadBalancers(ec2, live),
};
