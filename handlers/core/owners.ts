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
   * For an interface whose groups its owner's own API does change, but which this workflow does not move (no owner
   * module yet: an EKS cluster, an OpenSearch domain, an Instance Connect endpoint…): what the person does, with the
   * copy (`<copy>`), before running again. The plan blocks with it.
   */
  fix?: string;
}

/**
 * Requester-managed interface types no owner module recognises, by `InterfaceType`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterface.html): what each is, and what moves its
 * groups. Interfaces of these types are blocked with that sentence; none of them is moved here. `<copy>` stands for the
 * group the person gives it instead of the default group (a blocked plan creates no copy).
 */
const MANAGED_TYPES: Record<string, { what: string; unmovable: string; fix?: string }> = {
  // CreateTransitGatewayVpcAttachment takes subnets and options, no security groups
  // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayVpcAttachment.html).
  transit_gateway: {
    what: 'a transit gateway VPC attachment',
    unmovable:
      'a transit gateway attachment takes no security groups (its traffic is filtered by the groups of the interfaces it reaches, not its own), so it should never be listed on the default group; check it with aws ec2 describe-network-interfaces and AWS Support',
  },
  // ENI trunking: a task's (ECS awsvpc) or pod's (EKS security groups for pods) branch interface; its groups come from
  // the task's network configuration or the pod's SecurityGroupPolicy
  // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html,
  // https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html).
  branch: {
    what: 'a branch interface of ENI trunking (an ECS task in awsvpc mode, or an EKS pod with its own security groups)',
    unmovable: 'its groups come from the ECS service or task definition, or the EKS SecurityGroupPolicy, that made it',
    fix: 'Name <copy> instead of the default group in the ECS service’s network configuration (aws ecs update-service --network-configuration …, which replaces its tasks) or in the SecurityGroupPolicy (new pods get it); standalone tasks and old pods must be replaced.',
  },
  // HTTP API VPC links: UpdateVpcLink changes only the name
  // (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/vpclinks-vpclinkid.html).
  api_gateway_managed: {
    what: 'an API Gateway VPC link',
    unmovable: 'a VPC link’s security groups cannot be changed (UpdateVpcLink changes only its name)',
    fix: 'Create a VPC link on <copy> with the same subnets (aws apigatewayv2 create-vpc-link), point the integrations that use this one at it, and delete this one.',
  },
  // ModifyInstanceConnectEndpoint replaces the endpoint's security groups
  // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceConnectEndpoint.html).
  ec2_instance_connect_endpoint: {
    what: 'an EC2 Instance Connect Endpoint',
    unmovable: 'its groups change with ModifyInstanceConnectEndpoint, which this version does not call',
    fix: 'Run aws ec2 modify-instance-connect-endpoint --instance-connect-endpoint-id <eice-…> --security-group-ids <copy> (and its other groups).',
  },
  // QuickSight VPC connections: UpdateVPCConnection takes SecurityGroupIds
  // (https://docs.aws.amazon.com/quicksight/latest/APIReference/API_UpdateVPCConnection.html).
  quicksight: {
    what: 'an Amazon QuickSight VPC connection',
    unmovable: 'its groups change with QuickSight UpdateVPCConnection, which this version does not call',
    fix: 'Run aws quicksight update-vpc-connection with --security-group-ids <copy> (and its other groups), keeping its subnets and role.',
  },
  // CodeConnections hosts in a VPC: UpdateHost takes a VpcConfiguration
  // (https://docs.aws.amazon.com/codestar-connections/latest/APIReference/API_UpdateHost.html).
  aws_codestar_connections_managed: {
    what: 'an AWS CodeConnections (CodeStar Connections) host in a VPC',
    unmovable: 'its groups change with UpdateHost, which this version does not call',
    fix: 'Run aws codestar-connections update-host --host-arn <arn> --vpc-configuration with SecurityGroupIds <copy>, keeping its VPC, subnets and TLS certificate.',
  },
  // IoT rule VPC destinations: UpdateTopicRuleDestination changes only the status; the groups are set at creation
  // (https://docs.aws.amazon.com/iot/latest/developerguide/vpc-rule-action.html).
  iot_rules_managed: {
    what: 'an AWS IoT Core rule VPC destination',
    unmovable:
      'a VPC destination’s security groups are set when it is created (UpdateTopicRuleDestination changes only its status)',
    fix: 'Create a VPC destination on <copy> (aws iot create-topic-rule-destination), point the rules that use this one at it, and delete this one.',
  },
  // Global Accelerator makes these for endpoints with client IP preservation and puts them on its own
  // "GlobalAccelerator" group (https://docs.aws.amazon.com/global-accelerator/latest/dg/preserve-client-ip-address.html);
  // assumed: no API changes their groups.
  global_accelerator_managed: {
    what: 'an AWS Global Accelerator endpoint interface (client IP address preservation)',
    unmovable: 'Global Accelerator manages its groups and no API changes them',
    fix: 'Move the accelerator’s endpoint (the load balancer or instance behind it) off the default group; Global Accelerator replaces its interfaces when the endpoint is removed and added again.',
  },
  // Amazon EVS (Elastic VMware Service) environments; assumed: their interfaces' groups are the environment's and
  // change only through EVS.
  evs: {
    what: 'an Amazon Elastic VMware Service (EVS) environment interface',
    unmovable: 'EVS manages its groups',
    fix: 'Change the EVS environment’s network configuration to name <copy>, or ask AWS Support how.',
  },
};

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
      `Replace the default group in the cluster's additional security groups: aws eks update-cluster-config --name ${name} --resources-vpc-config securityGroupIds=<copy> and its other groups (https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateClusterConfig.html); EKS replaces the control plane's interfaces.`,
  },
  {
    // "ES <domain>": an OpenSearch Service domain in a VPC (observed format, assumed).
    kind: 'opensearch-domain',
    match: /^ES (.+)$/,
    label: (name) => `OpenSearch domain ${name}`,
    change: (name) =>
      `Replace the default group in the domain's VPC options: aws opensearch update-domain-config --domain-name ${name} --vpc-options SecurityGroupIds=<copy> and its other groups (https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_UpdateDomainConfig.html).`,
  },
  {
    // "[DO NOT DELETE] ENI managed by SageMaker for Studio Domain(<d-…>) - …" (observed format, assumed).
    kind: 'sagemaker-domain',
    match: /^\[DO NOT DELETE\] ENI managed by SageMaker for Studio Domain\((d-[a-z0-9]+)\)/,
    label: (name) => `SageMaker domain ${name}`,
    change: (name) =>
      `Replace the default group in the domain's settings and its user profiles' (aws sagemaker update-domain --domain-id ${name} --domain-settings-for-update SecurityGroupIds=… --default-user-settings SecurityGroups=…; update-user-profile for profiles that set their own), then restart the running apps so they take the new groups (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateDomain.html).`,
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
      return {
        kind: named.kind,
        label: named.label(shown),
        unmovable:
          'EC2 does not let this account change its security groups and this version does not move it through its service',
        fix: named.change(shown),
      };
    }
  }
  const managed = MANAGED_TYPES[type];
  if (managed) {
    const detail = [requester && `requester ${requester}`, description && quote(description, DESCRIPTION_MAX_CHARS)]
      .filter(Boolean)
      .join(', ');
    return {
      kind: 'other-managed',
      label: `${managed.what}${detail ? ` (${detail})` : ''}`,
      unmovable: managed.unmovable,
      ...(managed.fix ? { fix: managed.fix } : {}),
    };
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
