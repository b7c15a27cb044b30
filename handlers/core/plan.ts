/**
 * Inventory → plan: the decisions of a remediation, as a pure function of what discovery read.
 *
 * The migration keeps every flow (invariant I1) by construction:
 *  - the replacement group C gets the default group D's rules, with each reference to D doubled (to D and to C)
 *    while interfaces move, so members on either side keep talking to each other;
 *  - every rule anywhere that references D gets a twin referencing C *before* any interface moves;
 *  - each interface swaps D for C in place, so its group count never grows;
 *  - only after approval are D's rules, the D halves of the doubled references and the original references revoked:
 *    by then D has no members, so those rules match nothing and revoking them changes no flow.
 */
import type { NetworkInterface, SecurityGroup, Tag } from './ec2-shapes.ts';
import { describeResourceMove, followsLookup, moveNoticeOf } from './owners/index.ts';
import { classifyInterface, type InterfaceOwner, isOrphaned } from './owners.ts';
import { documentedLimits, type Limits, quotaReasons } from './quotas.ts';
import { type ResourceConfig, type ResourceRef, type ResourceState, resourceKey, resourceLabel } from './resources.ts';
import { explode, type Rule, referencesGroup, retarget, ruleKey, rulesOf } from './rules.ts';
import { type StackUse, stackOfTags, stacksOf } from './stacks.ts';

/** What discovery read: the default group, who uses it and who references it. */
export interface Inventory {
  accountId: string;
  region: string;
  vpcId: string;
  defaultGroup: SecurityGroup;
  /** Interfaces whose groups include the default group. */
  members: NetworkInterface[];
  /** Groups of this account (any VPC of the region) with a rule that references the default group, itself excluded. */
  referencingGroups: SecurityGroup[];
  /** The members' other groups, unchanged by the remediation; kept so the traffic model can be rebuilt. */
  memberGroups: SecurityGroup[];
  /** The VPC's tags, when read (for the opt-out tag). */
  vpcTags?: Tag[];
  /** VPCs whose groups reference the default group but that this account cannot see or edit, each with why. */
  unreachableReferences: UnreachableReference[];
  /**
   * Rules of the default group that are stale (DescribeStaleSecurityGroups, read by Discover): they reference a group
   * through a peering connection that is no longer active, or a group that was deleted.
   */
  staleDefaultRules?: StaleRule[];
  /**
   * Owners of requester-managed members, read through their services (Lambda, RDS, ELBv2, EFS, endpoints,
   * ElastiCache): those named by an interface, and those a lookup found in the VPC on the default group.
   */
  resources?: ResourceState[];
  /**
   * Other accounts with interfaces in this VPC (VPC sharing participants), by account: their security groups cannot
   * be read from this account and may reference the default group.
   */
  participants?: { accountId: string; interfaces: number }[];
  /**
   * The account's quotas (Service Quotas, else the documented defaults) and the sizes of the prefix lists that the
   * default group and the referencing groups reference; read when something uses the default group. Absent: the
   * documented defaults, every prefix list of unknown size.
   */
  limits?: Limits;
  /**
   * Instance id → the CloudFormation stack that manages it (its `aws:cloudformation:stack-name` tag, DescribeTags),
   * for the instances of members whose interface carries no such tag (core/stacks.ts).
   */
  instanceStacks?: Record<string, string>;
}

/**
 * A VPC with groups that reference the default group, not all of which this account can see and edit.
 * DescribeSecurityGroupReferences answers one row per referencing VPC, so seeing one group of this account there
 * proves nothing about the others: every group of the VPC must be this account's (docs/decisions.md).
 */
export interface UnreachableReference {
  vpcId: string;
  vpcPeeringConnectionId?: string;
  transitGatewayId?: string;
  /** DescribeVpcs does not show the VPC to this account: it belongs to another account (a peer's). */
  vpcNotVisible?: boolean;
  /** The VPC's owner, when DescribeVpcs shows it as another account's (shared with this one). */
  vpcOwnerId?: string;
  /** Other accounts with interfaces or groups in a VPC this account owns: the VPC is shared with them. */
  otherAccounts?: string[];
  /** Groups of other accounts seen referencing the default group (describable, not editable, from this account). */
  foreignGroups?: { groupId: string; groupName?: string; ownerId: string }[];
}

/** A stale rule of the default group, with the status of the peering connection it goes through, if any. */
export interface StaleRule {
  rule: Rule;
  /** `deleted`, `expired`, … (the pair's PeeringStatus); absent when the referenced group itself is gone. */
  peeringStatus?: string;
}

/** A member the plan leaves on the default group: an orphan (owners.ts `isOrphaned`), which carries no traffic. */
export interface LeftInterface {
  networkInterfaceId: string;
  /** Who owned it: "Lambda function old-fn". */
  label: string;
}

export interface InterfaceMove {
  networkInterfaceId: string;
  owner: InterfaceOwner;
  groupsBefore: string[];
  /** Keys (resourceKey) of the resources whose move carries this interface along; EC2 does not touch it. */
  followsResources?: string[];
}

/** A resource moved through its own service; its interfaces follow. */
export interface ResourceMove {
  resource: ResourceRef;
  /** "Lambda function my-fn", "RDS DB instance orders-db", "load balancer arn:…". */
  label: string;
  /** The resource's whole group list before; the move swaps the default group for the replacement in it. */
  groupsBefore: string[];
  /** Its configuration before (ResourceState.config), for the services that move back by restoring it. */
  configBefore?: ResourceConfig;
  /** The members that follow it. */
  interfaceIds: string[];
}

/** A rule that references the default group and gets a twin referencing the replacement. */
export interface ReferenceEdit {
  groupId: string;
  groupName?: string;
  vpcId?: string;
  rule: Rule;
}

export type PlanStatus = 'excluded' | 'compliant' | 'blocked' | 'ready';

export interface Plan {
  remediationId: string;
  accountId: string;
  region: string;
  vpcId: string;
  defaultGroupId: string;
  status: PlanStatus;
  /** Why the plan is blocked (I4), in sentences. */
  reasons: string[];
  /**
   * What people should know that does not block it, in sentences: quotas read as the documented defaults, what the
   * plan does that is not obvious (interfaces left on the default group).
   */
  notes?: string[];
  /** The default group's rules: copied to the replacement, then revoked after approval. */
  defaultRules: Rule[];
  /** Whether a replacement group is created (only when something uses the default group). */
  replacementNeeded: boolean;
  replacementName: string;
  moves: InterfaceMove[];
  /** Resources moved through their own service (absent in plans made before movers existed). */
  resourceMoves?: ResourceMove[];
  /** References to the default group in other groups and in the default group itself. */
  references: ReferenceEdit[];
  /**
   * Members left on the default group: orphaned requester-managed interfaces, attached to nothing and whose owner is
   * gone. Re-check, Verify, the traffic model and the rollback's verification accept exactly these (and stop if one of
   * them is attached again).
   */
  leftOnDefault?: LeftInterface[];
  /**
   * The CloudFormation stacks that manage what moves (core/stacks.ts): their templates still name the default group,
   * so the plan, the email and the page say which, and the re-check stops while one is being updated.
   */
  stacks?: StackUse[];
  /**
   * What moves, in batches of `batchSize`, one batch per Map iteration: resource keys (`<kind>:<id>`, first) and the
   * ids of interfaces EC2 moves. Interfaces that follow a resource are not listed: they move with it.
   */
  batches: string[][];
}

export interface PlanOptions {
  remediationId: string;
  batchSize?: number;
  /** A tag key that, on the default group or its VPC, opts the group out of remediation. */
  excludeTag?: string;
}

export const REPLACEMENT_NAME_PREFIX = 'default-replacement-';

export function replacementName(remediationId: string): string {
  return `${REPLACEMENT_NAME_PREFIX}${remediationId}`.slice(0, 255);
}

export function planRemediation(inventory: Inventory, options: PlanOptions): Plan {
  const limits = inventory.limits ?? documentedLimits();
  const batchSize = Math.max(1, options.batchSize ?? 50);
  const defaultGroupId = inventory.defaultGroup.GroupId ?? '';
  const defaultRules = rulesOf(inventory.defaultGroup);
  const context = { accountId: inventory.accountId, region: inventory.region };
  const leftOnDefault: LeftInterface[] = [];
  const members = [...inventory.members]
    .sort((a, b) => (a.NetworkInterfaceId ?? '').localeCompare(b.NetworkInterfaceId ?? ''))
    .filter((eni) => {
      const owner = classifyInterface(eni, context);
      if (!isOrphaned(eni, owner, inventory.resources)) return true;
      leftOnDefault.push({ networkInterfaceId: eni.NetworkInterfaceId ?? '', label: owner.label });
      return false;
    });
  // A resource that names the default group without an interface now (an idle function, a launch template) will put
  // one there later: it needs the copy as much as a member does.
  const replacementNeeded =
    members.length > 0 ||
    (inventory.resources ?? []).some(
      (resource) => resource.groups.includes(defaultGroupId) && (!resource.vpcId || resource.vpcId === inventory.vpcId),
    );
  const base = {
    remediationId: options.remediationId,
    accountId: inventory.accountId,
    region: inventory.region,
    vpcId: inventory.vpcId,
    defaultGroupId,
    defaultRules,
    replacementNeeded,
    replacementName: replacementName(options.remediationId),
  };

  const excludedBy = options.excludeTag ? exclusion(inventory, options.excludeTag) : undefined;
  if (excludedBy) {
    return {
      ...base,
      status: 'excluded',
      reasons: [excludedBy],
      moves: [],
      resourceMoves: [],
      references: [],
      batches: [],
    };
  }
  if (defaultRules.length === 0) {
    return { ...base, status: 'compliant', reasons: [], moves: [], resourceMoves: [], references: [], batches: [] };
  }
  const leftNotes = leftOnDefault.map(
    (left) =>
      `${left.networkInterfaceId} (${left.label}) is left on the default group: it is requester-managed, attached to nothing (status available) and its owner no longer exists, so it carries no traffic, and EC2 does not let this account change its groups. Delete it once you have checked nothing needs it.`,
  );

  const { moves, resourceMoves, ownerReasons } = assignOwners(inventory, members);
  const moveNotes = resourceMoves.flatMap((move) => {
    const notice = moveNoticeOf(move.resource.kind);
    return notice ? [`${move.label}: ${notice}`] : [];
  });

  // References only need twins while something is on the default group: with no members they match nothing.
  const references: ReferenceEdit[] = replacementNeeded
    ? [inventory.defaultGroup, ...inventory.referencingGroups].flatMap((group) =>
        rulesOf(group)
          .filter((rule) => referencesGroup(rule, defaultGroupId))
          .map((rule) => ({ groupId: group.GroupId ?? '', groupName: group.GroupName, vpcId: group.VpcId, rule })),
      )
    : [];

  // A stale rule of the default group blocks whether or not anything uses the group: the strip would revoke it and
  // a rollback could not authorize it again.
  const reasons = [
    ...staleDefaultRuleReasons(inventory),
    ...(replacementNeeded
      ? [...ownerReasons, ...blockingReasons(inventory, moves, references, defaultRules, limits)]
      : []),
  ];
  const notes = [...(replacementNeeded ? limits.notes : []), ...moveNotes, ...leftNotes];
  const referencingTwinned = new Set(references.map((reference) => reference.groupId));
  const stacks = stacksOf({
    moves,
    resourceMoves,
    members,
    ...(inventory.instanceStacks ? { instanceStacks: inventory.instanceStacks } : {}),
    resourceStacks: new Map(
      (inventory.resources ?? []).flatMap((resource) =>
        resource.stack ? [[resourceKey(resource), resource.stack] as const] : [],
      ),
    ),
    groupStacks: new Map(
      inventory.referencingGroups.flatMap((group) => {
        const stack = stackOfTags(group.Tags);
        return stack && referencingTwinned.has(group.GroupId ?? '') ? [[group.GroupId ?? '', stack] as const] : [];
      }),
    ),
  });
  return {
    ...base,
    status: reasons.length > 0 ? 'blocked' : 'ready',
    reasons,
    moves,
    resourceMoves,
    references,
    ...(leftOnDefault.length > 0 ? { leftOnDefault } : {}),
    ...(notes.length > 0 ? { notes } : {}),
    ...(stacks.length > 0 ? { stacks } : {}),
    batches: chunk(
      [
        ...resourceMoves.map((move) => resourceKey(move.resource)),
        ...moves
          .filter((move) => move.owner.mover === 'ec2-modify-network-interface')
          .map((move) => move.networkInterfaceId),
      ],
      batchSize,
    ),
  };
}

/**
 * Who moves each member: EC2 itself, or the resources found through their services (the member follows them).
 * Every resource of the VPC found on the default group is moved, once, whatever number of interfaces it has.
 */
function assignOwners(
  inventory: Inventory,
  members: NetworkInterface[],
): { moves: InterfaceMove[]; resourceMoves: ResourceMove[]; ownerReasons: string[] } {
  const defaultGroupId = inventory.defaultGroup.GroupId ?? '';
  const onDefault = new Map<string, ResourceState>();
  const ownerReasons: string[] = [];
  // Resources no API can move (an ECS task started on its own): they block with the change to make, and their
  // interfaces follow nothing else.
  const blocked: ResourceState[] = [];
  for (const resource of inventory.resources ?? []) {
    if (resource.vpcId && resource.vpcId !== inventory.vpcId) continue;
    if (resource.blocked) {
      blocked.push(resource);
      ownerReasons.push(resource.blocked);
    } else if (resource.groups.includes(defaultGroupId)) onDefault.set(resourceKey(resource), resource);
  }
  for (const [key, resource] of onDefault) {
    if (!resource.publishedVersion) continue;
    // Moving the function leaves its interfaces for the old groups to the version: stripping would cut it off.
    ownerReasons.push(
      `Lambda function ${resource.id.replace(/:[^:]*$/, '')} has published version ${resource.publishedVersion} on the default group; a published version's security groups cannot be changed, so it would keep using the default group. Publish a version on another group and point its aliases there (or delete the version), then run again.`,
    );
    onDefault.delete(key);
  }
  const found = [...onDefault.values()];
  const followers = new Map<string, string[]>();
  const moves: InterfaceMove[] = members.map((eni) => {
    const id = eni.NetworkInterfaceId ?? '';
    const owner = classifyInterface(eni, { accountId: inventory.accountId, region: inventory.region });
    const move: InterfaceMove = {
      networkInterfaceId: id,
      owner,
      groupsBefore: (eni.Groups ?? []).map((group) => group.GroupId ?? ''),
    };
    if (owner.mover !== 'service') return move;
    const lookup = owner.lookup;
    let keys: string[];
    if (owner.resource) keys = onDefault.has(resourceKey(owner.resource)) ? [resourceKey(owner.resource)] : [];
    else if (lookup) keys = found.filter((resource) => followsLookup(resource, lookup)).map(resourceKey);
    else keys = [];
    if (keys.length === 0) {
      if (lookup && blocked.some((resource) => followsLookup(resource, lookup))) return move;
      ownerReasons.push(
        `${id} belongs to ${owner.label}, but its service shows no such resource on the default group in ${inventory.vpcId}, so nothing can move it.`,
      );
      return move;
    }
    for (const key of keys) followers.set(key, [...(followers.get(key) ?? []), id]);
    return { ...move, followsResources: keys };
  });
  const resourceMoves: ResourceMove[] = found
    .sort((a, b) => resourceKey(a).localeCompare(resourceKey(b)))
    .map((resource) => ({
      resource: { kind: resource.kind, id: resource.id },
      label: describeResourceMove(resource, defaultGroupId) ?? resourceLabel(resource),
      groupsBefore: [...resource.groups],
      ...(resource.config ? { configBefore: resource.config } : {}),
      interfaceIds: followers.get(resourceKey(resource)) ?? [],
    }));
  return { moves, resourceMoves, ownerReasons };
}

function exclusion(inventory: Inventory, tagKey: string): string | undefined {
  const tagged = (tags: Tag[] | undefined) => (tags ?? []).some((tag) => tag.Key === tagKey);
  if (tagged(inventory.defaultGroup.Tags)) return `The default group carries the opt-out tag ${tagKey}.`;
  if (tagged(inventory.vpcTags)) return `${inventory.vpcId} carries the opt-out tag ${tagKey}.`;
  return undefined;
}

/** Whether a person must approve: always, or (`when-in-use`) only when something uses or references the group. */
export function approvalRequired(plan: Plan, mode: 'always' | 'when-in-use'): boolean {
  if (mode === 'always') return true;
  return (
    plan.moves.length > 0 ||
    (plan.resourceMoves ?? []).length > 0 ||
    plan.references.some((reference) => reference.groupId !== plan.defaultGroupId)
  );
}

function blockingReasons(
  inventory: Inventory,
  moves: InterfaceMove[],
  references: ReferenceEdit[],
  defaultRules: Rule[],
  limits: Limits,
): string[] {
  const reasons: string[] = [];
  const defaultGroupId = inventory.defaultGroup.GroupId ?? '';
  for (const move of moves) {
    if (!move.owner.mover) {
      // A blocked plan creates no copy: the person makes the group (with the rules it needs from the default group).
      const copy = 'a group of its own holding the rules it needs from the default group';
      reasons.push(
        move.owner.fix
          ? `${move.networkInterfaceId} belongs to ${move.owner.label}: ${move.owner.unmovable}. ${move.owner.fix.replaceAll('<copy>', copy)} Then run the remediation again.`
          : move.owner.unmovable
            ? `${move.networkInterfaceId} belongs to ${move.owner.label}: ${move.owner.unmovable}, so no API can move it off the default group.`
            : `${move.networkInterfaceId} belongs to ${move.owner.label}; EC2 does not let this account change its security groups and this version has no mover for it.`,
      );
    }
    // The swap is in place, so an interface never gains a group (docs/decisions.md); only one that already has more
    // groups than the quota allows now (a quota lowered since) would be refused the list it has.
    const groups = groupsAfterMove(move.groupsBefore, defaultGroupId, REPLACEMENT_PLACEHOLDER).length;
    if (move.owner.mover === 'ec2-modify-network-interface' && groups > limits.groupsPerInterface) {
      reasons.push(
        `${move.networkInterfaceId} has ${groups} security groups, over the quota of ${limits.groupsPerInterface} per network interface: EC2 would refuse its group list.`,
      );
    }
  }
  for (const participant of inventory.participants ?? []) {
    reasons.push(
      `${inventory.vpcId} is shared: account ${participant.accountId} has ${participant.interfaces} interface(s) in it. This account cannot edit that account's security groups, which may reference the default group; moving the default group's members would cut that traffic unseen.`,
    );
  }
  reasons.push(...staleReferenceReasons(inventory));
  reasons.push(...inventory.unreachableReferences.map(unreachableReason));

  const replacementRules = replacementRulesDuringMove(defaultRules, defaultGroupId, REPLACEMENT_PLACEHOLDER);
  reasons.push(...quotaReasons('the replacement group', replacementRules, limits));
  const twinsByGroup = new Map<string, Rule[]>();
  for (const reference of references) {
    const twins = twinsByGroup.get(reference.groupId) ?? [];
    twins.push(twinOf(reference.rule, defaultGroupId, REPLACEMENT_PLACEHOLDER));
    twinsByGroup.set(reference.groupId, twins);
  }
  for (const group of [inventory.defaultGroup, ...inventory.referencingGroups]) {
    const twins = twinsByGroup.get(group.GroupId ?? '');
    if (twins)
      reasons.push(...quotaReasons(`${group.GroupId} (${group.GroupName})`, [...rulesOf(group), ...twins], limits));
  }
  return reasons;
}

/**
 * Stale references: rules that reference the default group through a peering connection that is no longer active
 * (UserIdGroupPair.PeeringStatus `deleted`, `expired`, …; https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html#vpc-peering-stale-groups).
 * They carry no traffic, but a twin cannot be authorized through that connection and a revoked one could not be put
 * back, so the plan cannot be carried out exactly: blocked, naming each (docs/decisions.md).
 */
function staleReferenceReasons(inventory: Inventory): string[] {
  const defaultGroupId = inventory.defaultGroup.GroupId ?? '';
  const reasons: string[] = [];
  for (const group of inventory.referencingGroups) {
    for (const [direction, permissions] of [
      ['inbound', group.IpPermissions ?? []],
      ['outbound', group.IpPermissionsEgress ?? []],
    ] as const) {
      for (const permission of permissions) {
        for (const pair of permission.UserIdGroupPairs ?? []) {
          if (pair.GroupId !== defaultGroupId || !pair.PeeringStatus || pair.PeeringStatus === 'active') continue;
          reasons.push(
            `${group.GroupId} (${group.GroupName}) has a stale ${direction} rule referencing the default group through ${pair.VpcPeeringConnectionId ?? 'a peering connection'} (peering ${pair.PeeringStatus}): no twin can be added through it and it could not be restored exactly. Remove the stale rule first (DescribeStaleSecurityGroups lists it).`,
          );
        }
      }
    }
  }
  return reasons;
}

/**
 * Why the groups of a referencing VPC cannot all be given a twin: the VPC is another account's, or shared with other
 * accounts, or a reference there cannot be seen at all. Every sentence names the VPC and the connection.
 */
export function unreachableReason(unreachable: UnreachableReference): string {
  const via = unreachable.vpcPeeringConnectionId ?? unreachable.transitGatewayId;
  const where = `${unreachable.vpcId}${via ? ` (through ${via})` : ''}`;
  const foreign = (unreachable.foreignGroups ?? []).map(
    (group) => `${group.groupId}${group.groupName ? ` (${group.groupName})` : ''} of account ${group.ownerId}`,
  );
  const seen = foreign.length > 0 ? ` ${foreign.join(', ')} reference${foreign.length === 1 ? 's' : ''} it.` : '';
  if (unreachable.vpcNotVisible || unreachable.vpcOwnerId) {
    const owner = unreachable.vpcOwnerId ? `account ${unreachable.vpcOwnerId}` : 'another account';
    return `Security groups in ${where} reference the default group, and this account cannot read or edit them to add the replacement next to it: ${unreachable.vpcId} belongs to ${owner}.${seen}`;
  }
  if ((unreachable.otherAccounts ?? []).length > 0 || foreign.length > 0) {
    const accounts = unreachable.otherAccounts ?? [...new Set((unreachable.foreignGroups ?? []).map((g) => g.ownerId))];
    return `Security groups in ${where} reference the default group, and this account cannot read or edit them all to add the replacement next to it: ${unreachable.vpcId} is shared with account(s) ${accounts.join(', ')}, whose security groups this account cannot edit (EC2 names only the VPC, not the groups or their owners).${seen}`;
  }
  return `Security groups in ${where} reference the default group, and this account cannot read or edit them to add the replacement next to it.`;
}

/**
 * Stale rules of the default group (DescribeStaleSecurityGroups, and pairs whose PeeringStatus is not `active`):
 * they carry no traffic, but EC2 refuses to authorize a reference through a peering connection that is not active
 * ("the VPC peering connection must be in the active state",
 * https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html), so such a rule can be neither
 * copied to the replacement nor restored by a rollback once the strip revoked it.
 */
export function staleDefaultRuleReasons(inventory: Pick<Inventory, 'defaultGroup' | 'staleDefaultRules'>): string[] {
  const defaultGroupId = inventory.defaultGroup.GroupId ?? '';
  const stale = new Map<string, StaleRule>();
  for (const entry of inventory.staleDefaultRules ?? []) stale.set(ruleKey(entry.rule), entry);
  for (const [direction, permissions] of [
    ['ingress', inventory.defaultGroup.IpPermissions ?? []],
    ['egress', inventory.defaultGroup.IpPermissionsEgress ?? []],
  ] as const) {
    for (const permission of permissions) {
      for (const pair of permission.UserIdGroupPairs ?? []) {
        if (!pair.PeeringStatus || pair.PeeringStatus === 'active') continue;
        const single = { ...permission, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [pair] };
        for (const rule of explode([single], direction)) {
          if (!stale.has(ruleKey(rule))) stale.set(ruleKey(rule), { rule, peeringStatus: pair.PeeringStatus });
        }
      }
    }
  }
  return [...stale.values()].map(({ rule, peeringStatus }) => {
    const peer = rule.peer.kind === 'group' ? rule.peer : undefined;
    const through = peer?.vpcPeeringConnectionId ?? 'a peering connection';
    const why = peeringStatus
      ? `it references ${peer?.groupId}${peer?.vpcId ? ` in ${peer.vpcId}` : ''} through ${through}, which is ${peeringStatus}`
      : `the group it references, ${peer?.groupId}, no longer exists`;
    const verb = rule.direction === 'ingress' ? 'ingress' : 'egress';
    const ports =
      rule.fromPort === undefined || rule.protocol === '-1'
        ? ''
        : rule.fromPort === rule.toPort
          ? ` ${rule.fromPort}`
          : ` ${rule.fromPort}-${rule.toPort}`;
    const traffic = rule.protocol === '-1' ? 'all traffic' : `${rule.protocol.toUpperCase()}${ports}`;
    const what = `${rule.direction === 'ingress' ? 'inbound' : 'outbound'} ${traffic}`;
    return `The default group ${defaultGroupId} has a stale ${what} rule: ${why}. It carries no traffic, but EC2 refuses to authorize it again, so it can be neither copied to the replacement nor restored by a rollback. Remove it (aws ec2 revoke-security-group-${verb} --group-id ${defaultGroupId} with that rule; DescribeStaleSecurityGroups lists it)${peeringStatus ? ', or re-create an active peering connection between the two VPCs' : ''}, then run again.`;
  });
}

const REPLACEMENT_PLACEHOLDER = 'sg-replacement';

/** The twin of a rule that references the default group: the same rule referencing the replacement. */
export function twinOf(rule: Rule, defaultGroupId: string, replacementGroupId: string): Rule {
  return retarget(rule, defaultGroupId, replacementGroupId);
}

/** The replacement's rules while interfaces move: the default group's, with each reference to it doubled. */
export function replacementRulesDuringMove(
  defaultRules: Rule[],
  defaultGroupId: string,
  replacementGroupId: string,
): Rule[] {
  return defaultRules.flatMap((rule) =>
    referencesGroup(rule, defaultGroupId) ? [twinOf(rule, defaultGroupId, replacementGroupId), rule] : [rule],
  );
}

/** The replacement's rules once the default group is empty: references to it now point at the replacement only. */
export function replacementRulesFinal(
  defaultRules: Rule[],
  defaultGroupId: string,
  replacementGroupId: string,
): Rule[] {
  return defaultRules.map((rule) => twinOf(rule, defaultGroupId, replacementGroupId));
}

/** The groups an interface should have once moved: the default group swapped for the replacement, in place. */
export function groupsAfterMove(groups: string[], defaultGroupId: string, replacementGroupId: string): string[] {
  const swapped = groups.map((id) => (id === defaultGroupId ? replacementGroupId : id));
  return [...new Set(swapped)];
}

export function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}
