/**
 * Resources that own requester-managed interfaces and change their security groups through their own service:
 * EC2 refuses ModifyNetworkInterfaceAttribute on those interfaces (OperationNotPermitted,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html), so the workflow moves the owner
 * and the owner's interfaces follow. Pure: no AWS SDK.
 */

export type ResourceKind =
  | 'lambda-function'
  | 'rds-instance'
  | 'rds-cluster'
  | 'load-balancer'
  | 'efs-mount-target'
  | 'vpc-endpoint'
  | 'elasticache-replication-group'
  | 'elasticache-cluster';

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  'lambda-function',
  'rds-instance',
  'rds-cluster',
  'load-balancer',
  'efs-mount-target',
  'vpc-endpoint',
  'elasticache-replication-group',
  'elasticache-cluster',
];

/** A resource by its own service's identifier: function name, DB identifier, load balancer ARN, fsmt-, vpce-, group id. */
export interface ResourceRef {
  kind: ResourceKind;
  id: string;
}

/** A resource as discovery read it: its security groups and the VPC it lives in. */
export interface ResourceState extends ResourceRef {
  vpcId?: string;
  groups: string[];
  /** An ElastiCache replication group's node ids (the interfaces name nodes). */
  members?: string[];
  /**
   * A published Lambda version (`id` is `name:version`): its configuration, security groups included, cannot change,
   * and it shares the function's interfaces for the same subnets and groups
   * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html).
   */
  publishedVersion?: string;
}

const KIND_LABELS: Record<ResourceKind, string> = {
  'lambda-function': 'Lambda function',
  'rds-instance': 'RDS DB instance',
  'rds-cluster': 'RDS DB cluster',
  'load-balancer': 'load balancer',
  'efs-mount-target': 'EFS mount target',
  'vpc-endpoint': 'VPC endpoint',
  'elasticache-replication-group': 'ElastiCache replication group',
  'elasticache-cluster': 'ElastiCache cluster',
};

/** "Lambda function", "RDS DB instance". */
export function resourceKindLabel(kind: ResourceKind): string {
  return KIND_LABELS[kind];
}

/** "Lambda function my-fn", "load balancer arn:aws:elasticloadbalancing:…". */
export function resourceLabel(ref: ResourceRef): string {
  return `${resourceKindLabel(ref.kind)} ${ref.id}`;
}

/** The resource's entry in a plan batch: `<kind>:<id>` (kinds have no colon; ids may). */
export function resourceKey(ref: ResourceRef): string {
  return `${ref.kind}:${ref.id}`;
}

/** The resource a batch entry names, or undefined for an interface id. */
export function parseResourceKey(key: string): ResourceRef | undefined {
  const at = key.indexOf(':');
  if (at < 0) return undefined;
  const kind = key.slice(0, at) as ResourceKind;
  if (!RESOURCE_KINDS.includes(kind)) return undefined;
  return { kind, id: key.slice(at + 1) };
}

/** A whole group list with `from` swapped for `to` in place (duplicates collapse), as for interfaces. */
export function swapGroup(groups: readonly string[], from: string, to: string): string[] {
  return [...new Set(groups.map((id) => (id === from ? to : id)))];
}

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

/** Not-found answers of the services' APIs, by SDK exception name and wire code: the resource is gone. */
export const RESOURCE_NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBClusterNotFoundFault',
  'LoadBalancerNotFound',
  'LoadBalancerNotFoundException',
  'MountTargetNotFound',
  'InvalidVpcEndpointId.NotFound',
  'CacheClusterNotFound',
  'CacheClusterNotFoundFault',
  'ReplicationGroupNotFoundFault',
]);
