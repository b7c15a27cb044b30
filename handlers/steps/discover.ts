import type { SecurityGroup } from '../core/ec2-shapes.ts';
import { InvalidInputError } from '../core/errors.ts';
import { approvalRequired, type Inventory, type Plan, planRemediation } from '../core/plan.ts';
import { planKey } from '../core/snapshot.ts';
import type { Ec2Port } from '../ports.ts';
import { parseInput, runSchema, type Target } from './common.ts';
import type { Deps } from './deps.ts';
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
}

/** What uses and references the default group, read with filtered, paginated describes. */
export async function readInventory(
  ec2: Ec2Port,
  target: Target,
  options: { vpcTags?: boolean } = {},
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
  options: { vpcTags?: boolean } = {},
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
  const inventory: Inventory = {
    accountId: target.accountId,
    region: target.region,
    vpcId: defaultGroup.VpcId,
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

export function summarize(plan: Plan, approvalMode: 'always' | 'when-in-use' = 'always'): PlanSummary {
  return {
    status: plan.status,
    reasons: plan.reasons,
    vpcId: plan.vpcId,
    members: plan.moves.length,
    references: plan.references.length,
    defaultRules: plan.defaultRules.length,
    replacementNeeded: plan.replacementNeeded,
    approvalRequired: approvalRequired(plan, approvalMode),
    batchIndexes: plan.batches.map((_, index) => index),
  };
}

/** "Discover what uses the default group": reads the inventory, makes the plan, keeps both in the store. */
export async function discover(raw: unknown, deps: Deps): Promise<PlanSummary> {
  const { remediationId, target } = parseInput(runSchema, raw);
  const inventory = await readInventory(deps.ec2(target), target, { vpcTags: Boolean(deps.settings.excludeTag) });
  const plan = planRemediation(inventory, {
    remediationId,
    quotas: deps.settings.quotas,
    batchSize: deps.settings.batchSize,
    excludeTag: deps.settings.excludeTag,
  });
  await deps.store.put(
    planKey(remediationId),
    JSON.stringify({ discoveredAt: deps.now().toISOString(), inventory, plan }),
  );
  deps.log.info('plan made', { remediationId, status: plan.status, members: plan.moves.length });
  return summarize(plan, deps.settings.approvalMode);
}
