/**
 * What a local owner model is (one per owner service, in this folder): the service's records from the state file,
 * kept live so `toState` writes changes back, and the service's behaviour as far as security groups go. The models
 * share the EC2 simulator's interfaces: a resource owns its requester-managed interfaces, and the ServiceSimulator
 * (../service-simulator.ts) puts them on the resource's new groups after each change, as the services do.
 */
import type * as z from 'zod';
import { Ec2ApiError } from '../../../core/errors.ts';
import type { ResourceRef, ResourceState } from '../../../core/resources.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';

export interface LocalOwnerModel {
  /** The resource's groups as its records have them; undefined when it does not exist. */
  groupsOf(ref: ResourceRef): string[] | undefined;
  /** The ids of the interfaces the resource owns (docs/simulator-fidelity.md says how each service's are found). */
  interfacesOf(ref: ResourceRef): string[];
  /** The resource's VPC, for services whose records name it; otherwise its interfaces' VPC. */
  vpcOf?(ref: ResourceRef): string | undefined;
  /** The CloudFormation stack of the resource, where the service's describe answers tags (core/stacks.ts). */
  stackOf?(ref: ResourceRef): string | undefined;
  /** The members a describe answers with (an ElastiCache replication group's nodes). */
  membersOf?(ref: ResourceRef): string[] | undefined;
  /**
   * Applies the whole new list (duplicates removed) to the records, refusing as the service's API does; `unknown` are
   * the groups that do not exist or are in another VPC.
   */
  setGroups(ref: ResourceRef, groups: string[], unknown: string[]): void;
  findUsing?(vpcId: string, groupId: string): ResourceState[];
  resolveMember?(member: string): ResourceRef | undefined;
  /** Why the resource cannot move and what to do instead (an ECS task started on its own); see ResourceState. */
  blockedOf?(ref: ResourceRef): string | undefined;
  /**
   * Whether the last change has applied, for services that take time (an ECS deployment): advances the change one
   * step, failing it when `fail` (the simulator's hook) says so; throws ResourceMoveFailed when it failed. Absent: at
   * once.
   */
  settled?(ref: ResourceRef, fail: boolean): boolean;
}

export interface LocalOwner<Records> {
  /** The state file's top-level keys for the service's records, each in its describe output shape; checked on load. */
  records: z.ZodType<Records>;
  model(ec2: Ec2Simulator, records: Records): LocalOwnerModel;
}

/**
 * A service whose local model is its API's calls over the records, run by the same adapter as in AWS (the launch
 * sources: ../../launch-sources.ts): no interfaces of its own to follow a change.
 */
export interface LocalAdapterOwner<Records> {
  records: z.ZodType<Records>;
  adapter(ec2: Ec2Simulator, records: Records): OwnerAdapter;
}

/** Throws the service's error: `name` is its code, as the SDK names service exceptions. */
export function fail(code: string, message: string): never {
  throw new Ec2ApiError(code, message);
}

/** The ids of this account's requester-managed interfaces whose description passes `test`. */
export function managedInterfaces(ec2: Ec2Simulator, test: (description: string) => boolean): string[] {
  return ec2
    .interfaceSummaries()
    .filter((eni) => eni.requesterManaged && test(eni.description))
    .map((eni) => eni.id);
}

/**
 * The requester-managed interfaces with `description` in `vpcId` whose groups are `groups` (in any order): the
 * interfaces of a resource its interfaces do not name (a Redshift cluster, a DMS replication instance). They change
 * groups with the resource, so the match holds after a move; two such resources with the same groups in one VPC
 * share them (docs/simulator-fidelity.md).
 */
export function interfacesWithGroups(
  ec2: Ec2Simulator,
  description: string,
  vpcId: string | undefined,
  groups: readonly string[],
): string[] {
  const wanted = [...groups].sort().join(',');
  return ec2
    .interfaceSummaries()
    .filter(
      (eni) =>
        eni.requesterManaged &&
        eni.description === description &&
        eni.vpcId === vpcId &&
        [...eni.groupIds].sort().join(',') === wanted,
    )
    .map((eni) => eni.id);
}
