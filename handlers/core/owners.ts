/**
 * Who owns a network interface, read from the fields EC2 returns (InterfaceType, RequesterManaged, RequesterId,
 * Description, Attachment), and whether this workflow can move it to another security group: the account's own
 * interfaces and EC2's own requester-managed kinds here, every other service's in its registry module
 * (handlers/core/owners/).
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html lists the requester-managed kinds.
 */
import type { NetworkInterface } from './ec2-shapes.ts';
import {
  followsLookup,
  type OwnerContext,
  type OwnerLookup,
  type OwnerService,
  recogniseOwner,
  type ServiceOwnerKind,
} from './owners/index.ts';
import { type ResourceRef, type ResourceState, resourceKey } from './resources.ts';
import { quote } from './untrusted.ts';

export type { OwnerContext } from './owners/index.ts';

/** EC2 takes interface descriptions of up to 255 characters: a label quotes all of it (escaped). */
const DESCRIPTION_MAX_CHARS = 255;

/** Owners of the account's own interfaces, and requester-managed kinds no owner service moves. */
type Ec2OwnerKind =
  | 'ec2-instance'
  | 'detached-interface'
  | 'nat-gateway'
  | 'eks-cluster'
  | 'opensearch-domain'
  | 'sagemaker-domain'
  | 'other-managed';

export type OwnerKind = Ec2OwnerKind | ServiceOwnerKind;

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
   * Owners the interface does not name, resolved by Discover through the service: all RDS instances and clusters of
   * the VPC on the group; all Lambda functions of the VPC on the group (functions with the same subnets and groups
   * share interfaces); the replication group or cluster of an ElastiCache node (`member`).
   */
  lookup?: OwnerLookup<OwnerService>;
  /** Why no API can change this interface's groups, when that is known. */
  unmovable?: string;
  /**
   * The change a person makes through the owner's own API, for owners this version recognises but does not move
   * (an EKS cluster, an OpenSearch domain, a SageMaker domain): the plan is blocked with it.
   */
  manualChange?: string;
}

/**
 * Requester-managed interfaces of services this version names but does not move, by description (each marked where
 * the description is assumed from observed accounts rather than a documented format), with the exact change to make.
 */
const NAMED_UNMOVED: {
  kind: Ec2OwnerKind;
  match: RegExp;
  label: (name: string) => string;
  change: (name: string) => string;
}[] = [
  {
    // "Amazon EKS <cluster>": the control plane's cross-account interfaces (observed format, assumed).
    kind: 'eks-cluster',
    match: /^Amazon EKS (.+)$/,
    label: (name) => `EKS cluster ${name}`,
    change: (name) =>
      `Replace the default group in the cluster's additional security groups: aws eks update-cluster-config --name ${name} --resources-vpc-config securityGroupIds=<the other groups> (https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateClusterConfig.html); EKS replaces the control plane's interfaces. Then run again.`,
  },
  {
    // "ES <domain>": an OpenSearch Service domain in a VPC (observed format, assumed).
    kind: 'opensearch-domain',
    match: /^ES (.+)$/,
    label: (name) => `OpenSearch domain ${name}`,
    change: (name) =>
      `Replace the default group in the domain's VPC options: aws opensearch update-domain-config --domain-name ${name} --vpc-options SecurityGroupIds=<the other groups> (https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_UpdateDomainConfig.html). Then run again.`,
  },
  {
    // "[DO NOT DELETE] ENI managed by SageMaker for Studio Domain(<d-…>) - …" (observed format, assumed).
    kind: 'sagemaker-domain',
    match: /^\[DO NOT DELETE\] ENI managed by SageMaker for Studio Domain\((d-[a-z0-9]+)\)/,
    label: (name) => `SageMaker domain ${name}`,
    change: (name) =>
      `Replace the default group in the domain's settings and its user profiles' (aws sagemaker update-domain --domain-id ${name} --domain-settings-for-update SecurityGroupIds=… --default-user-settings SecurityGroups=…; update-user-profile for profiles that set their own), then restart the running apps so they take the new groups (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateDomain.html). Then run again.`,
  },
];

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
  const owned = recogniseOwner(eni, context);
  if (owned) return owned;
  if (eni.RequesterManaged) {
    for (const named of NAMED_UNMOVED) {
      const name = named.match.exec(description)?.[1];
      if (name === undefined) continue;
      const shown = quote(name);
      return { kind: named.kind, label: named.label(shown), manualChange: named.change(shown) };
    }
  }
  if (type === 'nat_gateway' || type === 'natGateway' || description.startsWith('Interface for NAT Gateway')) {
    return {
      kind: 'nat-gateway',
      label: `NAT gateway ${description.replace(/^Interface for NAT Gateway /, '')}`.trim(),
      unmovable: 'a NAT gateway takes no security groups',
    };
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
  // An owner named through one of its members (an ElastiCache node): gone when no resource found has that member.
  if (lookup?.member !== undefined) return !resources.some((resource) => followsLookup(resource, lookup));
  return false;
}

/** Whether an interface is still attached to nothing (`available`, no live attachment): it carries no traffic. */
export function isUnattached(eni: NetworkInterface): boolean {
  return eni.Status === 'available' && (!eni.Attachment || eni.Attachment.Status === 'detached');
}
