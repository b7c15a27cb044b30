/**
 * Resources that own requester-managed interfaces and change their security groups through their own service:
 * EC2 refuses ModifyNetworkInterfaceAttribute on those interfaces (OperationNotPermitted,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html), so the workflow moves the owner
 * and the owner's interfaces follow. The kinds are the owner services' (handlers/core/owners/). Pure: no AWS SDK.
 */
import { RESOURCE_KINDS, type ResourceKind, resourceKindLabel } from './owners/index.ts';

export { RESOURCE_KINDS, RESOURCE_NOT_FOUND_CODES, type ResourceKind, resourceKindLabel } from './owners/index.ts';

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
  /**
   * The CloudFormation stack that manages the resource (its `aws:cloudformation:stack-name` tag), where the service's
   * describe answers tags: the stack's template still names the default group, and its next update puts it back.
   */
  stack?: string;
  /**
   * What an exact move back needs besides the group list, opaque to the workflow and plain JSON (a launch template's
   * default version and the versions its users pin; the launch configuration an Auto Scaling group uses): read by
   * describe, kept in the plan's resource move and handed back to the adapter's `restore`, which only services that
   * cannot move back by a group swap have.
   */
  config?: ResourceConfig;
  /**
   * Why no API can move this resource off its groups and the exact change a person makes instead (an ECS task started
   * on its own): the plan is blocked with it, whatever its groups.
   */
  blocked?: string;
}

/** A resource's configuration as its adapter captures it (JSON: it is stored in the snapshot). */
export type ResourceConfig = Record<string, unknown>;

/** Who asks for a change: the remediation, whose id names what a service creates for it (a version, a copy). */
export interface ResourceChange {
  remediationId: string;
  /** The group the move swaps for which, when it is one (a launch source swaps it in every version it makes). */
  swap?: { from: string; to: string };
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
