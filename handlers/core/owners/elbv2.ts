/**
 * Elastic Load Balancing v2: Application and Network Load Balancers own interfaces described "ELB app/<name>/<id>" /
 * "ELB net/<name>/<id>" (requester `amazon-elb`) and move with SetSecurityGroups, which replaces the whole list;
 * Gateway Load Balancers have no groups, nor do Network Load Balancers created without any
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetSecurityGroups.html).
 */
import { defineOwner, SETTLED_IN_THE_CALL } from './types.ts';

/** The partition of a region, for ARNs built from an interface's description. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The ARN of an Application or Network Load Balancer from the `app/<name>/<id>` / `net/<name>/<id>` part of its
 * interfaces' description ("ELB app/web/50dc6c495c0c9188").
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html
 */
export function loadBalancerArn(suffix: string, region: string, accountId: string): string {
  return `arn:${partitionOf(region)}:elasticloadbalancing:${region}:${accountId}:loadbalancer/${suffix}`;
}

export const elbv2 = defineOwner({
  service: 'elbv2',
  title: 'Elastic Load Balancing',
  ownerKinds: { 'load-balancer': 'load balancer' },
  resources: {
    'load-balancer': {
      label: 'load balancer',
      moveAction: 'elasticloadbalancing:SetSecurityGroups',
      // DescribeLoadBalancers, SetSecurityGroups (applied at once).
      callsPerMove: 2,
      settleSeconds: SETTLED_IN_THE_CALL,
    },
  },
  recognise(eni, context) {
    const description = eni.Description ?? '';
    const type = eni.InterfaceType ?? 'interface';
    // A Gateway Load Balancer endpoint is an endpoint (vpc-endpoints.ts), although its type names load balancers.
    if (type === 'gateway_load_balancer_endpoint') return undefined;
    if (!description.startsWith('ELB ') && eni.RequesterId !== 'amazon-elb' && !type.includes('load_balancer'))
      return undefined;
    const suffix = description.replace(/^ELB /, '');
    const label = `load balancer ${suffix || '(unknown)'}`;
    if (/^(app|net)\/[^/]+\/[0-9a-f]+$/.test(suffix)) {
      const region = context.region ?? /^([a-z]{2}(?:-[a-z]+)+-\d+)/.exec(eni.AvailabilityZone ?? '')?.[1] ?? '';
      const accountId = context.accountId ?? eni.OwnerId ?? '';
      return {
        kind: 'load-balancer',
        label,
        mover: 'service',
        resource: { kind: 'load-balancer', id: loadBalancerArn(suffix, region, accountId) },
      };
    }
    return {
      kind: 'load-balancer',
      label,
      unmovable: suffix.startsWith('gwy/')
        ? 'a Gateway Load Balancer has no security groups'
        : 'only Application and Network Load Balancers (ELB app/… or net/…) are moved, with SetSecurityGroups',
    };
  },
  // SetSecurityGroups has no "busy" answer: it applies at once.
  errors: { notFound: ['LoadBalancerNotFound', 'LoadBalancerNotFoundException'], busy: [] },
  iam: {
    readOnAny: ['elasticloadbalancing:DescribeLoadBalancers'],
    reads: [],
    moveOnAny: [],
    moves: [
      {
        sid: 'MoveApplicationAndNetworkLoadBalancers',
        actions: ['elasticloadbalancing:SetSecurityGroups'],
        resources: [
          { service: 'elasticloadbalancing', resource: 'loadbalancer/app/*/*' },
          { service: 'elasticloadbalancing', resource: 'loadbalancer/net/*/*' },
        ],
        // elasticloadbalancing:SecurityGroup holds the groups a request sets: a move always names at least one.
        conditions: { Null: { 'elasticloadbalancing:SecurityGroup': 'false' } },
      },
    ],
  },
  // ELB API version 2 has its own token buckets per account and Region, per kind of action ("non-mutating" Describe*
  // 40 / 10 per second; https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html).
  // The row for SetSecurityGroups could not be read from the sources available here: paced as EC2's mutating bucket,
  // as before the registry (docs/decisions.md).
  rateLimit: {
    key: 'elasticloadbalancing:mutating',
    capacity: 50,
    refillPerSecond: 5,
    source:
      'assumed: EC2 mutating bucket; see https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html',
    documented: false,
  },
});
