/**
 * Pure checks over live state: drift since the plan (before anything is revoked), the result after stripping,
 * and the focused states the traffic model compares.
 */
import type { Ec2State, NetworkInterface, SecurityGroup } from './ec2-shapes.ts';
import { describeRule } from './messages.ts';
import { isUnattached } from './owners.ts';
import {
  groupsAfterMove,
  type Inventory,
  type Plan,
  replacementRulesDuringMove,
  replacementRulesFinal,
  staleDefaultRuleReasons,
  twinOf,
  unreachableReason,
} from './plan.ts';
import { parseResourceKey, type ResourceState, resourceKey, resourceLabel, swapGroup } from './resources.ts';
import { minus, type Rule, referencesGroup, ruleKey, rulesOf } from './rules.ts';

function groupIds(eni: NetworkInterface): string[] {
  return (eni.Groups ?? []).map((group) => group.GroupId ?? '');
}

function sameRuleSet(a: Rule[], b: Rule[]): boolean {
  return minus(a, b).length === 0 && minus(b, a).length === 0;
}

export interface LiveView {
  /** The inventory read now (members and references of the default group). */
  inventory: Inventory;
  replacement?: SecurityGroup;
  /** The planned members as they are now (deleted ones absent). */
  plannedMembers: Map<string, NetworkInterface>;
  /** The planned resource moves' resources as they are now, by resourceKey (deleted ones absent). */
  resources?: Map<string, ResourceState>;
  /**
   * The resources of the VPC on the default group now, by resourceKey, of every service whose resources may use it
   * without an interface (`listedInVpc`: Lambda functions, launch sources).
   */
  listedOnDefault?: string[];
}

/**
 * Lambda interfaces still on the default group although every function they served is on the copy. Lambda does not
 * move its (Hyperplane) interfaces: a function whose groups change gets an interface for the new combination and the
 * old one is deleted once unused (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html). Such an
 * interface serves nothing as long as no function of the VPC is on the default group — a function that is would share
 * it, and Discover or Re-check would have found it — so it is neither drift nor a failed move, and it is left out of
 * the traffic model.
 */
export function retiringInterfaces(plan: Plan, live: LiveView): Set<string> {
  const retiring = new Set<string>();
  if ((live.listedOnDefault ?? []).some((key) => key.startsWith('lambda-function:'))) return retiring;
  for (const move of plan.moves) {
    const keys = move.followsResources ?? [];
    if (move.owner.kind !== 'lambda' || keys.length === 0) continue;
    const allMoved = keys.every((key) => {
      const resource = live.resources?.get(key);
      return resource?.kind === 'lambda-function' && !resource.groups.includes(plan.defaultGroupId);
    });
    if (allMoved) retiring.add(move.networkInterfaceId);
  }
  return retiring;
}

/**
 * A member the plan left on the default group (an orphan: attached to nothing, owner gone) as it is now: undefined
 * while it is still attached to nothing — neither drift nor a failed move, and no traffic for the model — or why it
 * stops the run once something attached it again. Not left by the plan: undefined too (the caller's other checks).
 */
export function leftInterfaceProblem(plan: Plan, eni: NetworkInterface): string | undefined {
  const left = (plan.leftOnDefault ?? []).find((entry) => entry.networkInterfaceId === eni.NetworkInterfaceId);
  if (!left || isUnattached(eni)) return undefined;
  const attachedTo = eni.Attachment?.InstanceId ?? eni.Attachment?.InstanceOwnerId;
  return `${left.networkInterfaceId} (${left.label}) was left on the default group because it was attached to nothing and its owner was gone, but it is now ${eni.Status ?? 'in use'}${attachedTo ? ` (attached to ${attachedTo})` : ''}: stripping the default group would cut its traffic.`;
}

/** The ids of the members the plan left on the default group. */
export function leftInterfaceIds(plan: Plan): Set<string> {
  return new Set((plan.leftOnDefault ?? []).map((entry) => entry.networkInterfaceId));
}

/** Why the live inventory cannot be stripped safely whatever the plan: references out of reach, stale rules. */
export function unreachableDrift(live: LiveView): string[] {
  return [
    ...live.inventory.unreachableReferences.map(
      (unreachable) => `During the approval wait: ${unreachableReason(unreachable)}`,
    ),
    ...staleDefaultRuleReasons(live.inventory),
  ];
}

/**
 * Users of the default group that the plan cannot have seen: Lambda functions of the VPC that joined it (they would
 * share its interfaces), and accounts that now have interfaces in the VPC (it is shared: their groups are invisible).
 */
export function newUsersDrift(plan: Plan, live: LiveView): string[] {
  const drift: string[] = [];
  const planned = new Set((plan.resourceMoves ?? []).map((move) => resourceKey(move.resource)));
  for (const key of live.listedOnDefault ?? []) {
    const resource = parseResourceKey(key);
    if (resource && !planned.has(key))
      drift.push(`${resourceLabel(resource)} started using the default group after the plan was made.`);
  }
  for (const participant of live.inventory.participants ?? []) {
    drift.push(
      `Account ${participant.accountId} has ${participant.interfaces} interface(s) in the VPC: it is shared, and references from its groups cannot be seen.`,
    );
  }
  return drift;
}

/** Owners moved through their services (Lambda, RDS…) that are back on the default group or off the copy. */
export function movedOwnersDrift(plan: Plan, live: LiveView, replacementId: string): string[] {
  const drift: string[] = [];
  for (const move of plan.resourceMoves ?? []) {
    const resource = live.resources?.get(resourceKey(move.resource));
    if (!resource) continue;
    if (resource.groups.includes(plan.defaultGroupId)) drift.push(`${move.label} is on the default group again.`);
    else if (!resource.groups.includes(replacementId))
      drift.push(`${move.label} no longer uses the replacement group.`);
  }
  return drift;
}

/**
 * What changed since the plan that makes stripping unsafe or unplanned. Empty when the strip may go ahead.
 * Anything still depending on the default group stops the run before a rule is revoked.
 */
export function findDrift(plan: Plan, live: LiveView): string[] {
  const drift: string[] = [];
  const defaultGroupId = plan.defaultGroupId;
  const retiring = retiringInterfaces(plan, live);
  const left = leftInterfaceIds(plan);
  drift.push(...newUsersDrift(plan, live));
  for (const eni of live.inventory.members) {
    if (retiring.has(eni.NetworkInterfaceId ?? '')) continue;
    if (left.has(eni.NetworkInterfaceId ?? '')) {
      const problem = leftInterfaceProblem(plan, eni);
      if (problem) drift.push(problem);
      continue;
    }
    const planned = plan.moves.some((move) => move.networkInterfaceId === eni.NetworkInterfaceId);
    drift.push(
      planned
        ? `${eni.NetworkInterfaceId} is on the default group again.`
        : `${eni.NetworkInterfaceId} started using the default group after the plan was made.`,
    );
  }
  drift.push(...unreachableDrift(live));
  const replacementId = live.replacement?.GroupId;
  if (plan.replacementNeeded) {
    if (!replacementId) {
      drift.push('The replacement group is gone.');
      return drift;
    }
    for (const group of [live.inventory.defaultGroup, ...live.inventory.referencingGroups]) {
      const rules = rulesOf(group);
      const present = new Set(rules.map(ruleKey));
      for (const rule of rules.filter((candidate) => referencesGroup(candidate, defaultGroupId))) {
        if (!present.has(ruleKey(twinOf(rule, defaultGroupId, replacementId)))) {
          drift.push(`${group.GroupId} has a rule referencing the default group with no twin: ${describeRule(rule)}.`);
        }
      }
    }
    const wanted = replacementRulesDuringMove(plan.defaultRules, defaultGroupId, replacementId);
    const actual = rulesOf(live.replacement ?? {});
    for (const rule of minus(actual, wanted)) drift.push(`The replacement group gained a rule: ${describeRule(rule)}.`);
    for (const rule of minus(wanted, actual)) drift.push(`The replacement group lost a rule: ${describeRule(rule)}.`);
    for (const [id, eni] of live.plannedMembers) {
      if (!retiring.has(id) && !groupIds(eni).includes(replacementId))
        drift.push(`${id} no longer uses the replacement group.`);
    }
    drift.push(...movedOwnersDrift(plan, live, replacementId));
  }
  const selfTwins = replacementId
    ? plan.defaultRules
        .filter((rule) => referencesGroup(rule, defaultGroupId))
        .map((rule) => twinOf(rule, defaultGroupId, replacementId))
    : [];
  for (const rule of minus(rulesOf(live.inventory.defaultGroup), [...plan.defaultRules, ...selfTwins])) {
    drift.push(`The default group gained a rule after the plan was made: ${describeRule(rule)}.`);
  }
  return drift;
}

/** Differences between the live result and what a finished remediation looks like. Empty when verified. */
export function findResultProblems(plan: Plan, live: LiveView): string[] {
  const problems: string[] = [];
  const defaultGroupId = plan.defaultGroupId;
  const retiring = retiringInterfaces(plan, live);
  const left = leftInterfaceIds(plan);
  const defaultRules = rulesOf(live.inventory.defaultGroup);
  if (defaultRules.length > 0) problems.push(`The default group still has ${defaultRules.length} rule(s).`);
  for (const eni of live.inventory.members) {
    const id = eni.NetworkInterfaceId ?? '';
    if (left.has(id)) {
      const problem = leftInterfaceProblem(plan, eni);
      if (problem) problems.push(problem);
    } else if (!retiring.has(id)) problems.push(`${id} still uses the default group.`);
  }
  if (!plan.replacementNeeded) return problems;
  const replacementId = live.replacement?.GroupId;
  if (!replacementId) return [...problems, 'The replacement group is gone.'];
  if (
    !sameRuleSet(
      rulesOf(live.replacement ?? {}),
      replacementRulesFinal(plan.defaultRules, defaultGroupId, replacementId),
    )
  ) {
    problems.push("The replacement group's rules are not the default group's original rules.");
  }
  for (const move of plan.moves) {
    const eni = live.plannedMembers.get(move.networkInterfaceId);
    if (!eni || retiring.has(move.networkInterfaceId)) continue;
    const wanted = groupsAfterMove(move.groupsBefore, defaultGroupId, replacementId).sort();
    if (groupIds(eni).sort().join() !== wanted.join()) {
      problems.push(
        `${move.networkInterfaceId} has groups ${groupIds(eni).join(', ')}, expected ${wanted.join(', ')}.`,
      );
    }
  }
  for (const move of plan.resourceMoves ?? []) {
    const resource = live.resources?.get(resourceKey(move.resource));
    if (!resource) continue;
    const wanted = swapGroup(move.groupsBefore, defaultGroupId, replacementId).sort();
    if ([...resource.groups].sort().join() !== wanted.join()) {
      problems.push(`${move.label} has groups ${resource.groups.join(', ')}, expected ${wanted.join(', ')}.`);
    }
  }
  const liveGroups = new Map(
    [live.inventory.defaultGroup, ...live.inventory.referencingGroups].map((group) => [group.GroupId, group]),
  );
  for (const reference of plan.references) {
    if (reference.groupId === defaultGroupId) continue;
    const group = liveGroups.get(reference.groupId);
    if (group && rulesOf(group).some((rule) => referencesGroup(rule, defaultGroupId))) {
      problems.push(`${reference.groupId} still references the default group.`);
    }
  }
  return problems;
}

/**
 * A small state on which the traffic model can compare before and after: the members, the default group, the
 * replacement, the members' other groups, and one stand-in interface per referencing group (a member of that group
 * only, with no address) so the referencing rules are exercised too.
 */
export function focusedState(
  inventory: Inventory,
  members: NetworkInterface[],
  extraGroups: SecurityGroup[] = [],
): Ec2State {
  const groups = new Map<string, SecurityGroup>();
  for (const group of [
    inventory.defaultGroup,
    ...inventory.referencingGroups,
    ...inventory.memberGroups,
    ...extraGroups,
  ]) {
    if (group.GroupId) groups.set(group.GroupId, group);
  }
  const standIns: NetworkInterface[] = inventory.referencingGroups.map((group) => ({
    NetworkInterfaceId: `eni-standin-${group.GroupId}`,
    VpcId: group.VpcId,
    Groups: [{ GroupId: group.GroupId, GroupName: group.GroupName }],
    PrivateIpAddresses: [],
    Ipv6Addresses: [],
  }));
  return { SecurityGroups: [...groups.values()], NetworkInterfaces: [...members, ...standIns] };
}
