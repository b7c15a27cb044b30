import { rollbackTimeoutSeconds, runSeconds } from '../core/durations.ts';
import type { SecurityGroup } from '../core/ec2-shapes.ts';
import { InvalidInputError } from '../core/errors.ts';
import { classifyInterface } from '../core/owners.ts';
import { approvalRequired, type Inventory, type Plan, planRemediation } from '../core/plan.ts';
import { type ResourceState, resourceKey } from '../core/resources.ts';
import { planKey } from '../core/snapshot.ts';
import type { Ec2Port, ServicesPort } from '../ports.ts';
import { parseInput, runSchema, type Target } from './common.ts';
import type { Deps, Settings } from './deps.ts';
import { describeGroups, describeInterfaces, groupIdsOf, readGroups } from './ec2-ops.ts';

export interface PlanSummary {
  status: Plan['status'];
  reasons: string[];
  vpcId: string;
  members: number;
  references: number;
  defaultRules: number;
  replacementNeeded: boolean;
  /** False when `approvalMode` is `when-in-use` and nothing uses or references the group. */
  approvalRequired: boolean;
  /** 0..n-1, one per batch of interfaces: the Map state iterates over them. */
  batchIndexes: number[];
  /** The rollback execution's timeout, from the work of moving everything back (core/durations.ts). */
  rollbackTimeoutSeconds: number;
}

/** What uses and references the default group, read with filtered, paginated describes. */
export async function readInventory(
  ec2: Ec2Port,
  target: Target,
  options: { vpcTags?: boolean; services?: ServicesPort } = {},
): Promise<Inventory> {
  return (await readInventoryWith(ec2, target, [], options)).inventory;
}

/**
 * `readInventory`, plus the groups `alsoRead` (those that exist) in the same call that reads the default group and
 * its members' other groups: the after-approval checks need the copy and the groups that referenced the default
 * group, and reading them apart cost a describe each. Every describe is filtered and paginated, so none draws from
 * EC2's smaller "unfiltered" token bucket (handlers/core/rate-limits.ts).
 */
export async function readInventoryWith(
  ec2: Ec2Port,
  target: Target,
  alsoRead: string[],
  options: { vpcTags?: boolean; services?: ServicesPort } = {},
): Promise<{ inventory: Inventory; alsoRead: Map<string, SecurityGroup> }> {
  const groupId = target.groupId;
  // Members first: then the default group, their other groups and `alsoRead` are one describe.
  const members = await describeInterfaces(ec2, [{ Name: 'group-id', Values: [groupId] }]);
  const memberGroupIds = [...new Set(members.flatMap(groupIdsOf))].filter((id) => id !== groupId);
  const groups = await readGroups(ec2, [groupId, ...memberGroupIds, ...alsoRead]);
  const defaultGroup = groups.get(groupId);
  if (!defaultGroup?.VpcId) {
    throw new InvalidInputError([
      `Security group ${target.groupId} does not exist in account ${target.accountId}, region ${target.region}.`,
    ]);
  }
  if (defaultGroup.GroupName !== 'default') {
    throw new InvalidInputError([
      `${target.groupId} (${defaultGroup.GroupName}) is not a VPC default security group; EC2.2 concerns default groups only.`,
    ]);
  }
  const referencing = new Map<string, Inventory['defaultGroup']>();
  for (const filter of ['ip-permission.group-id', 'egress.ip-permission.group-id']) {
    for (const group of await describeGroups(ec2, [{ Name: filter, Values: [groupId] }])) {
      if (group.GroupId && group.GroupId !== groupId) referencing.set(group.GroupId, group);
    }
  }
  const memberGroupSet = new Set(memberGroupIds);
  const memberGroups = [...groups.values()].filter(
    (group) => memberGroupSet.has(group.GroupId ?? '') && !referencing.has(group.GroupId ?? ''),
  );
  const seenVpcs = new Set([...referencing.values()].map((group) => group.VpcId));
  const references = await ec2.describeSecurityGroupReferences({ GroupId: [groupId] });
  const unreachableReferences = (references.SecurityGroupReferenceSet ?? [])
    .filter((reference) => reference.ReferencingVpcId && !seenVpcs.has(reference.ReferencingVpcId))
    .map((reference) => ({
      vpcId: reference.ReferencingVpcId ?? '',
      ...(reference.VpcPeeringConnectionId ? { vpcPeeringConnectionId: reference.VpcPeeringConnectionId } : {}),
      ...(reference.TransitGatewayId ? { transitGatewayId: reference.TransitGatewayId } : {}),
    }));
  const vpcTags = options.vpcTags
    ? ((await ec2.describeVpcs({ VpcIds: [defaultGroup.VpcId] })).Vpcs?.[0]?.Tags ?? [])
    : undefined;
  const participants = await readParticipants(ec2, defaultGroup.VpcId, target.accountId);
  const resources = options.services
    ? await readOwners(options.services, members, target, defaultGroup.VpcId, groupId)
    : undefined;
  const inventory: Inventory = {
    accountId: target.accountId,
    region: target.region,
    vpcId: defaultGroup.VpcId,
    ...(resources ? { resources } : {}),
    ...(participants.length > 0 ? { participants } : {}),
    ...(vpcTags ? { vpcTags } : {}),
    defaultGroup,
    members,
    referencingGroups: [...referencing.values()],
    memberGroups,
    unreachableReferences,
  };
  const extra = new Map<string, SecurityGroup>();
  for (const id of alsoRead) {
    const group = groups.get(id);
    if (group) extra.set(id, group);
  }
  return { inventory, alsoRead: extra };
}

/**
 * Accounts other than the VPC's owner with interfaces in it (VPC sharing participants). The owner sees their
 * interfaces but not their security groups, so a reference to the default group there cannot be found (I4).
 */
async function readParticipants(
  ec2: Ec2Port,
  vpcId: string,
  accountId: string,
): Promise<{ accountId: string; interfaces: number }[]> {
  const counts = new Map<string, number>();
  for (const eni of await describeInterfaces(ec2, [{ Name: 'vpc-id', Values: [vpcId] }])) {
    if (eni.OwnerId && eni.OwnerId !== accountId) counts.set(eni.OwnerId, (counts.get(eni.OwnerId) ?? 0) + 1);
  }
  return [...counts].sort().map(([owner, interfaces]) => ({ accountId: owner, interfaces }));
}

/**
 * The owners of the requester-managed members, through their services: each resource an interface names, and for
 * interfaces that name none (RDS) or may be shared (Lambda), every resource of the VPC on the default group.
 */
async function readOwners(
  services: ServicesPort,
  members: Inventory['members'],
  target: Target,
  vpcId: string,
  groupId: string,
): Promise<ResourceState[]> {
  const found = new Map<string, ResourceState>();
  const lookups = new Set<'rds' | 'lambda'>();
  const cacheNodes = new Set<string>();
  for (const eni of members) {
    const owner = classifyInterface(eni, { accountId: target.accountId, region: target.region });
    if (owner.mover !== 'service') continue;
    if (owner.resource && !found.has(resourceKey(owner.resource))) {
      const resource = await services.describe(owner.resource);
      if (resource) found.set(resourceKey(resource), resource);
    }
    if (owner.lookup?.service === 'elasticache') cacheNodes.add(owner.lookup.cacheClusterId);
    else if (owner.lookup) lookups.add(owner.lookup.service);
  }
  for (const service of lookups) {
    for (const resource of await services.findUsing(service, vpcId, groupId))
      found.set(resourceKey(resource), resource);
  }
  for (const node of cacheNodes) {
    const resource = await services.resolveCacheCluster(node);
    if (resource) found.set(resourceKey(resource), resource);
  }
  return [...found.values()];
}

export function summarize(plan: Plan, settings: Pick<Settings, 'approvalMode' | 'pacingShare'>): PlanSummary {
  return {
    status: plan.status,
    reasons: plan.reasons,
    vpcId: plan.vpcId,
    members: plan.moves.length,
    references: plan.references.length,
    defaultRules: plan.defaultRules.length,
    replacementNeeded: plan.replacementNeeded,
    approvalRequired: approvalRequired(plan, settings.approvalMode),
    batchIndexes: plan.batches.map((_, index) => index),
    rollbackTimeoutSeconds: rollbackTimeoutSeconds(plan, settings.pacingShare),
  };
}

/**
 * A plan whose paced work (there, and a whole rollback back) would outlast the run allowance is blocked (I4): the lock
 * lives for the approval wait plus that allowance, and must outlive the run (I7).
 */
export function withinRunAllowance(plan: Plan, settings: Pick<Settings, 'pacingShare' | 'runAllowanceSeconds'>): Plan {
  if (plan.status !== 'ready') return plan;
  const needed = runSeconds(plan, settings.pacingShare);
  if (needed <= settings.runAllowanceSeconds) return plan;
  const hours = (seconds: number) => `${(seconds / 3600).toFixed(1)} h`;
  return {
    ...plan,
    status: 'blocked',
    reasons: [
      `Moving ${plan.moves.length} interface(s) and rolling them back if needed may take up to ${hours(needed)} at the paced rate, longer than the ${hours(settings.runAllowanceSeconds)} a run may hold the group's lock beyond the approval wait (RUN_ALLOWANCE_SECONDS); raise it or PACING_SHARE.`,
    ],
  };
}

/** "Discover what uses the default group": reads the inventory, makes the plan, keeps both in the store. */
export async function discover(raw: unknown, deps: Deps): Promise<PlanSummary> {
  const { remediationId, target } = parseInput(runSchema, raw);
  const inventory = await readInventory(deps.ec2(target), target, {
    vpcTags: Boolean(deps.settings.excludeTag),
    services: deps.services(target),
  });
  const plan = withinRunAllowance(
    planRemediation(inventory, {
      remediationId,
      quotas: deps.settings.quotas,
      batchSize: deps.settings.batchSize,
      excludeTag: deps.settings.excludeTag,
    }),
    deps.settings,
  );
  await deps.store.put(
    planKey(remediationId),
    JSON.stringify({ discoveredAt: deps.now().toISOString(), inventory, plan }),
  );
  deps.log.info('plan made', { remediationId, status: plan.status, members: plan.moves.length });
  return summarize(plan, deps.settings);
}
