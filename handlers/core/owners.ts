/**
 * Who owns a network interface, read from the fields EC2 returns (InterfaceType, RequesterManaged, RequesterId,
 * Description, Attachment), and whether this workflow can move it to another security group.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html lists the requester-managed kinds.
 */
import type { NetworkInterface } from './ec2-shapes.ts';
import { loadBalancerArn, type ResourceRef, type ResourceState, resourceKey } from './resources.ts';
import { quote } from './untrusted.ts';

/** EC2 takes interface descriptions of up to 255 characters: a label quotes all of it (escaped). */
const DESCRIPTION_MAX_CHARS = 255;

export type OwnerKind =
  | 'ec2-instance'
  | 'detached-interface'
  | 'lambda'
  | 'rds'
  | 'load-balancer'
  | 'vpc-endpoint'
  | 'nat-gateway'
  | 'efs'
  | 'elasticache'
  | 'ecs-task'
  | 'other-managed';

export interface InterfaceOwner {
  kind: OwnerKind;
  /** Human-readable: "EC2 instance i-0abc", "Lambda function my-fn", "load balancer app/web/50dc…". */
  label: string;
  /**
   * How the interface moves: by EC2 directly, or (`service`) by moving its owner through the owner's service, the
   * interface following. Undefined when nothing can move it.
   */
  mover?: 'ec2-modify-network-interface' | 'service';
  /** The owning resource, when the interface alone names it (Lambda function, load balancer, mount target, endpoint). */
  resource?: ResourceRef;
  /**
   * Owners the interface does not name, resolved by Discover through the service's describe API: all RDS instances
   * and clusters of the VPC on the group; all Lambda functions of the VPC on the group (functions with the same
   * subnets and groups share interfaces); the replication group or cluster of an ElastiCache node.
   */
  lookup?: { service: 'rds' } | { service: 'lambda' } | { service: 'elasticache'; cacheClusterId: string };
  /** Why no API can change this interface's groups, when that is known. */
  unmovable?: string;
}

/** Where the interface lives, for owners named by ARN (the interface's own OwnerId and zone otherwise). */
export interface OwnerContext {
  accountId?: string;
  region?: string;
}

/** Interface types an account creates and attaches itself (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterface.html). */
const ACCOUNT_INTERFACE_TYPES = new Set(['interface', 'efa', 'efa-only', 'trunk']);

export function classifyInterface(eni: NetworkInterface, context: OwnerContext = {}): InterfaceOwner {
  const description = eni.Description ?? '';
  const type = eni.InterfaceType ?? 'interface';
  const requester = eni.RequesterId ?? '';
  // EFA interfaces, with or without IP networking (`efa-only`), are the account's own and change groups like any
  // interface (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/create-efa.html).
  if (!eni.RequesterManaged && ACCOUNT_INTERFACE_TYPES.has(type)) {
    const instanceId = eni.Attachment?.InstanceId;
    return instanceId
      ? { kind: 'ec2-instance', label: `EC2 instance ${instanceId}`, mover: 'ec2-modify-network-interface' }
      : {
          kind: 'detached-interface',
          label: `network interface not attached to an instance${description ? ` (${quote(description, DESCRIPTION_MAX_CHARS)})` : ''}`,
          mover: 'ec2-modify-network-interface',
        };
  }
  if (type === 'lambda' || description.startsWith('AWS Lambda VPC ENI')) {
    const name = description.replace(/^AWS Lambda VPC ENI-?/, '').replace(/-[0-9a-f-]{36}$/, '');
    return {
      kind: 'lambda',
      label: `Lambda function ${name || '(unknown)'}`,
      mover: 'service',
      lookup: { service: 'lambda' },
      ...(name ? { resource: { kind: 'lambda-function' as const, id: name } } : {}),
    };
  }
  if (description === 'RDSNetworkInterface' || requester === 'amazon-rds') {
    // The description does not name the instance: Discover finds the VPC's DB instances and clusters on the group.
    return { kind: 'rds', label: 'RDS database', mover: 'service', lookup: { service: 'rds' } };
  }
  if (type === 'gateway_load_balancer_endpoint') {
    return {
      kind: 'vpc-endpoint',
      label: `Gateway Load Balancer endpoint ${description.replace(/^VPC Endpoint Interface /, '')}`.trim(),
      unmovable: 'Gateway Load Balancer endpoints take no security groups',
    };
  }
  if (description.startsWith('ELB ') || requester === 'amazon-elb' || type.includes('load_balancer')) {
    const suffix = description.replace(/^ELB /, '');
    const label = `load balancer ${suffix || '(unknown)'}`;
    // Application and Network Load Balancers take SetSecurityGroups; Gateway Load Balancers have no groups
    // (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetSecurityGroups.html).
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
  }
  if (type === 'vpc_endpoint' || description.startsWith('VPC Endpoint Interface')) {
    const endpointId = /vpce-[0-9a-f]+/.exec(description)?.[0];
    return {
      kind: 'vpc-endpoint',
      label: `VPC endpoint ${description.replace(/^VPC Endpoint Interface /, '')}`.trim(),
      ...(endpointId ? { mover: 'service' as const, resource: { kind: 'vpc-endpoint' as const, id: endpointId } } : {}),
    };
  }
  if (type === 'nat_gateway' || type === 'natGateway' || description.startsWith('Interface for NAT Gateway')) {
    return {
      kind: 'nat-gateway',
      label: `NAT gateway ${description.replace(/^Interface for NAT Gateway /, '')}`.trim(),
      unmovable: 'a NAT gateway takes no security groups',
    };
  }
  if (description.startsWith('EFS mount target')) {
    const mountTargetId = /fsmt-[0-9a-f]+/.exec(description)?.[0];
    return {
      kind: 'efs',
      label: description,
      ...(mountTargetId
        ? { mover: 'service' as const, resource: { kind: 'efs-mount-target' as const, id: mountTargetId } }
        : {}),
    };
  }
  if (description.startsWith('ElastiCache') || requester === 'amazon-elasticache') {
    const cacheClusterId = description.replace(/^ElastiCache ?/, '').trim();
    return {
      kind: 'elasticache',
      label: `ElastiCache ${cacheClusterId}`.trim(),
      ...(cacheClusterId
        ? { mover: 'service' as const, lookup: { service: 'elasticache' as const, cacheClusterId } }
        : {}),
    };
  }
  if (description.startsWith('arn:aws') && description.includes(':ecs:')) {
    return { kind: 'ecs-task', label: `ECS task ${description}` };
  }
  return {
    kind: 'other-managed',
    label: `interface managed by ${requester || 'another service'} (type ${type}${description ? `, ${quote(description, DESCRIPTION_MAX_CHARS)}` : ''})`,
  };
}

/**
 * Whether a requester-managed interface is an orphan: `available` (attached to nothing, so it carries no traffic) and
 * its owner no longer exists — the interface names its owner and that owner's service does not know it (the lookup
 * answered nothing). Such an interface cannot be modified (OperationNotPermitted) and nothing will attach it again
 * on the default group, so the plan leaves it there and says so (docs/decisions.md, "Orphaned interfaces"). Owners
 * the interface does not name (RDS) or that have no lookup (NAT gateways, unknown requesters) are never taken for
 * gone. `resources` is what Discover read through the services; without it nothing is established.
 */
export function isOrphaned(
  eni: NetworkInterface,
  owner: InterfaceOwner,
  resources: readonly ResourceState[] | undefined,
): boolean {
  if (!eni.RequesterManaged || !resources || !isUnattached(eni)) return false;
  if (owner.resource) {
    const key = resourceKey(owner.resource);
    return !resources.some((resource) => resourceKey(resource) === key);
  }
  const lookup = owner.lookup;
  if (lookup?.service === 'elasticache') {
    return !resources.some(
      (resource) =>
        (resource.kind === 'elasticache-cluster' && resource.id === lookup.cacheClusterId) ||
        (resource.kind === 'elasticache-replication-group' && (resource.members ?? []).includes(lookup.cacheClusterId)),
    );
  }
  return false;
}

/** Whether an interface is still attached to nothing (`available`, no live attachment): it carries no traffic. */
export function isUnattached(eni: NetworkInterface): boolean {
  return eni.Status === 'available' && (!eni.Attachment || eni.Attachment.Status === 'detached');
}
