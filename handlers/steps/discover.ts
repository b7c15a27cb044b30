import { rollbackTimeoutSeconds, runSeconds } from '../core/durations.ts';
import type { SecurityGroup, SecurityGroupReference } from '../core/ec2-shapes.ts';
import { errorCode, InvalidInputError } from '../core/errors.ts';
import { LISTED_SERVICES, type OwnerService } from '../core/owners/index.ts';
import { classifyInterface } from '../core/owners.ts';
import {
  approvalRequired,
  chunk,
  type Inventory,
  type Plan,
  planRemediation,
  type StaleRule,
  type UnreachableReference,
} from '../core/plan.ts';
import { prefixListsOf } from '../core/quotas.ts';
import { type ResourceState, resourceKey } from '../core/resources.ts';
import { explode, rulesOf } from '../core/rules.ts';
import { planKey } from '../core/snapshot.ts';
import { STACK_NAME_TAG, stackOfTags } from '../core/stacks.ts';
import type { Ec2Port, ServiceQuotasPort, ServicesPort } from '../ports.ts';
import { parseInput, runSchema, type Target } from './common.ts';
import type { Deps, Settings } from './deps.ts';
import { describeGroups, describeInterfaces, groupIdsOf, readGroups } from './ec2-ops.ts';
import { readLimits } from './limits.ts';

export interface PlanSummary {
  status: Plan['status'];
  reasons: string[];
  vpcId: string;
  members: number;
  references: number;
  defaultRules: number;
  /** What people should know that does not block the plan (quotas read as the documented defaults, …). */
  notes?: string[];
  replacementNeeded: boolean;
  /** False when `approvalMode` is `when-in-use` and nothing uses or references the group. */
  approvalRequired: boolean;
  /** 0..n-1, one per batch of interfaces: the Map state iterates over them. */
  batchIndexes: number[];
  /** The rollback execution's timeout, from the work of moving everything back (core/durations.ts). */
  rollbackTimeoutSeconds: number;
}

/** What uses and references the default group, read with filtered, paginated describes. */
export interface InventoryOptions {
  /** Read the VPC's tags (for the opt-out tag). */
  vpcTags?: boolean;
  /** The owners of requester-managed members, read through their services. */
  services?: ServicesPort;
  /**
   * With it, the account's quotas and the sizes of the prefix lists the default group, the referencing groups and
   * `alsoRead` reference (`limits`), when something uses the default group or `alsoRead` is not empty: what the
   * planner needs to count rules as EC2 counts them.
   */
  serviceQuotas?: ServiceQuotasPort;
  /** Read the default group's stale rules with DescribeStaleSecurityGroups (Discover; the checks after it read PeeringStatus). */
  staleRules?: boolean;
  /** Read the CloudFormation stack of the members' instances with DescribeTags (Discover: the plan names the stacks). */
  instanceStacks?: boolean;
}

/** What uses and references the default group, as Discover reads it. */
export async function readInventory(ec2: Ec2Port, target: Target, options: InventoryOptions = {}): Promise<Inventory> {
  return (await readInventoryWith(ec2, target, [], { staleRules: true, instanceStacks: true, ...options })).inventory;
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
  options: InventoryOptions = {},
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
  // Groups of other accounts can show up here too (a VPC owner describes its participants' groups): they cannot be
  // edited, so they are kept apart from the groups that get twins.
  const referencing = new Map<string, Inventory['defaultGroup']>();
  const foreign = new Map<string, SecurityGroup>();
  for (const filter of ['ip-permission.group-id', 'egress.ip-permission.group-id']) {
    for (const group of await describeGroups(ec2, [{ Name: filter, Values: [groupId] }])) {
      if (!group.GroupId || group.GroupId === groupId) continue;
      if (group.OwnerId && group.OwnerId !== target.accountId) foreign.set(group.GroupId, group);
      else referencing.set(group.GroupId, group);
    }
  }
  const memberGroupSet = new Set(memberGroupIds);
  const memberGroups = [...groups.values()].filter(
    (group) => memberGroupSet.has(group.GroupId ?? '') && !referencing.has(group.GroupId ?? ''),
  );
  const references = await ec2.describeSecurityGroupReferences({ GroupId: [groupId] });
  const unreachableReferences = await referencesOutOfReach(ec2, target.accountId, {
    rows: references.SecurityGroupReferenceSet ?? [],
    own: [...referencing.values()],
    foreign: [...foreign.values()],
  });
  const staleDefaultRules = options.staleRules ? await readStaleRules(ec2, defaultGroup) : undefined;
  const vpcTags = options.vpcTags
    ? ((await ec2.describeVpcs({ VpcIds: [defaultGroup.VpcId] })).Vpcs?.[0]?.Tags ?? [])
    : undefined;
  const participants = await readParticipants(ec2, defaultGroup.VpcId, target.accountId);
  const resources = options.services
    ? await readOwners(options.services, members, target, defaultGroup.VpcId, groupId)
    : undefined;
  const instanceStacks = options.instanceStacks ? await readInstanceStacks(ec2, members) : undefined;
  const alsoReadGroups = alsoRead.flatMap((id) => groups.get(id) ?? []);
  const limits =
    options.serviceQuotas && (members.length > 0 || alsoRead.length > 0)
      ? await readLimits(
          ec2,
          options.serviceQuotas,
          prefixListsOf([defaultGroup, ...referencing.values(), ...alsoReadGroups].flatMap(rulesOf)),
        )
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
    ...(limits ? { limits } : {}),
    ...(instanceStacks && Object.keys(instanceStacks).length > 0 ? { instanceStacks } : {}),
    ...(staleDefaultRules && staleDefaultRules.length > 0 ? { staleDefaultRules } : {}),
  };
  return { inventory, alsoRead: new Map(alsoReadGroups.map((group) => [group.GroupId ?? '', group])) };
}

/** Instance ids per DescribeTags call: EC2 takes up to 200 values per filter. */
const INSTANCE_IDS_PER_CALL = 200;

/**
 * The CloudFormation stack of each instance a member is attached to, unless the interface carries the stack tag
 * itself (core/stacks.ts): DescribeTags filtered on the instance ids (200 a call) and the one key, paginated (1000 a
 * page), so each call answers at most one row per instance. Non-mutating, one call per 200 instances: far under EC2's
 * non-mutating bucket (handlers/core/rate-limits.ts), counted in the benchmark's lower bound.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html
 */
async function readInstanceStacks(ec2: Ec2Port, members: Inventory['members']): Promise<Record<string, string>> {
  const instanceIds = [
    ...new Set(
      members.flatMap((eni) =>
        eni.Attachment?.InstanceId && !stackOfTags(eni.TagSet) ? [eni.Attachment.InstanceId] : [],
      ),
    ),
  ].sort();
  const stacks: Record<string, string> = {};
  for (const ids of chunk(instanceIds, INSTANCE_IDS_PER_CALL)) {
    let token: string | undefined;
    do {
      const page = await ec2.describeTags({
        Filters: [
          { Name: 'resource-id', Values: ids },
          { Name: 'key', Values: [STACK_NAME_TAG] },
        ],
        MaxResults: 1000,
        ...(token ? { NextToken: token } : {}),
      });
      for (const row of page.Tags ?? []) {
        const stack = stackOfTags([row]);
        if (row.ResourceId && stack) stacks[row.ResourceId] = stack;
      }
      token = page.NextToken;
    } while (token);
  }
  return stacks;
}

/**
 * The VPCs whose groups reference the default group and that this account cannot cover completely, each with why.
 * DescribeSecurityGroupReferences answers one row per referencing VPC (and per connection), never the groups, so a
 * group of this account seen there proves nothing about the others. A VPC is covered only when DescribeVpcs shows it
 * as this account's, no other account has interfaces or (seen) groups in it — it is not shared
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html: participants create their own groups,
 * which the owner can describe but not edit) — and a group of this account there does reference the default group.
 * Groups of other accounts seen referencing it are out of reach wherever they are, the default group's VPC included.
 */
async function referencesOutOfReach(
  ec2: Ec2Port,
  accountId: string,
  seen: { rows: SecurityGroupReference[]; own: SecurityGroup[]; foreign: SecurityGroup[] },
): Promise<UnreachableReference[]> {
  const byVpc = new Map<string, UnreachableReference>();
  const entry = (vpcId: string, row?: SecurityGroupReference): UnreachableReference => {
    let found = byVpc.get(vpcId);
    if (!found) {
      found = { vpcId };
      byVpc.set(vpcId, found);
    }
    if (row?.VpcPeeringConnectionId && !found.vpcPeeringConnectionId)
      found.vpcPeeringConnectionId = row.VpcPeeringConnectionId;
    if (row?.TransitGatewayId && !found.transitGatewayId) found.transitGatewayId = row.TransitGatewayId;
    return found;
  };
  for (const group of seen.foreign) {
    const found = entry(group.VpcId ?? '');
    found.foreignGroups = [
      ...(found.foreignGroups ?? []),
      {
        groupId: group.GroupId ?? '',
        ...(group.GroupName ? { groupName: group.GroupName } : {}),
        ownerId: group.OwnerId ?? '',
      },
    ];
  }
  const rows = new Map<string, SecurityGroupReference[]>();
  for (const row of seen.rows) {
    if (row.ReferencingVpcId) rows.set(row.ReferencingVpcId, [...(rows.get(row.ReferencingVpcId) ?? []), row]);
  }
  for (const [vpcId, vpcRows] of rows) {
    const owner = await vpcOwner(ec2, vpcId);
    const others = owner === accountId ? (await readParticipants(ec2, vpcId, accountId)).map((p) => p.accountId) : [];
    const covered =
      owner === accountId &&
      others.length === 0 &&
      !byVpc.has(vpcId) &&
      seen.own.some((group) => group.VpcId === vpcId);
    if (covered) continue;
    const found = entry(vpcId);
    for (const row of vpcRows) entry(vpcId, row);
    if (owner === undefined) found.vpcNotVisible = true;
    else if (owner !== accountId) found.vpcOwnerId = owner;
    const accounts = new Set([...others, ...(found.foreignGroups ?? []).map((group) => group.ownerId)]);
    if (owner === accountId && accounts.size > 0) found.otherAccounts = [...accounts].sort();
  }
  return [...byVpc.values()];
}

/** The VPC's owner as DescribeVpcs shows it; undefined when this account cannot describe the VPC (another's). */
async function vpcOwner(ec2: Ec2Port, vpcId: string): Promise<string | undefined> {
  try {
    return (await ec2.describeVpcs({ VpcIds: [vpcId] })).Vpcs?.[0]?.OwnerId;
  } catch (error) {
    if (errorCode(error) === 'InvalidVpcID.NotFound') return undefined;
    throw error;
  }
}

/**
 * The default group's stale rules, from DescribeStaleSecurityGroups for its VPC (paginated, 255 a page): references
 * through a peering connection that is no longer active, or to a group that was deleted.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeStaleSecurityGroups.html
 */
async function readStaleRules(ec2: Ec2Port, defaultGroup: SecurityGroup): Promise<StaleRule[]> {
  const stale: StaleRule[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.describeStaleSecurityGroups({
      VpcId: defaultGroup.VpcId ?? '',
      MaxResults: 255,
      ...(token ? { NextToken: token } : {}),
    });
    for (const group of page.StaleSecurityGroupSet ?? []) {
      if (group.GroupId !== defaultGroup.GroupId) continue;
      for (const [direction, permissions] of [
        ['ingress', group.StaleIpPermissions ?? []],
        ['egress', group.StaleIpPermissionsEgress ?? []],
      ] as const) {
        for (const permission of permissions) {
          for (const pair of permission.UserIdGroupPairs ?? []) {
            const single = { ...permission, IpRanges: [], PrefixListIds: [], UserIdGroupPairs: [pair] };
            for (const rule of explode([single], direction)) {
              stale.push({ rule, ...(pair.PeeringStatus ? { peeringStatus: pair.PeeringStatus } : {}) });
            }
          }
        }
      }
    }
    token = page.NextToken;
  } while (token);
  return stale;
}

/**
 * Accounts other than the VPC's owner with interfaces in it (VPC sharing participants). The owner sees their
 * interfaces, and can describe but not edit their security groups, so a reference to the default group from one of
 * them cannot get a twin (I4).
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
  const lookups = new Set<OwnerService>();
  const memberLookups = new Map<string, { service: OwnerService; member: string }>();
  for (const eni of members) {
    const owner = classifyInterface(eni, { accountId: target.accountId, region: target.region });
    if (owner.mover !== 'service') continue;
    if (owner.resource && !found.has(resourceKey(owner.resource))) {
      const resource = await services.describe(owner.resource);
      if (resource) found.set(resourceKey(resource), resource);
    }
    const lookup = owner.lookup;
    if (lookup?.member !== undefined)
      memberLookups.set(`${lookup.service}:${lookup.member}`, { service: lookup.service, member: lookup.member });
    else if (lookup) lookups.add(lookup.service);
  }
  // Services whose resources use the group without an interface are listed whatever the interfaces say.
  for (const service of LISTED_SERVICES) lookups.add(service);
  for (const service of lookups) {
    for (const resource of await services.findUsing(service, vpcId, groupId))
      found.set(resourceKey(resource), resource);
  }
  for (const { service, member } of memberLookups.values()) {
    const resource = await services.resolveMember(service, member);
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
    ...((plan.notes ?? []).length > 0 ? { notes: plan.notes } : {}),
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
      `Moving ${plan.moves.length} interface(s)${(plan.resourceMoves ?? []).length > 0 ? ` and ${(plan.resourceMoves ?? []).length} resource(s) through their services` : ''} and rolling them back if needed may take up to ${hours(needed)} at the paced rate, longer than the ${hours(settings.runAllowanceSeconds)} a run may hold the group's lock beyond the approval wait (RUN_ALLOWANCE_SECONDS); raise it or PACING_SHARE.`,
    ],
  };
}

/** "Discover what uses the default group": reads the inventory, makes the plan, keeps both in the store. */
export async function discover(raw: unknown, deps: Deps): Promise<PlanSummary> {
  const { remediationId, target } = parseInput(runSchema, raw);
  const inventory = await readInventory(deps.ec2(target), target, {
    vpcTags: Boolean(deps.settings.excludeTag),
    services: deps.services(target),
    serviceQuotas: deps.serviceQuotas(target),
  });
  const plan = withinRunAllowance(
    planRemediation(inventory, {
      remediationId,
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
