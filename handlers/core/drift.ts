/**
 * Drift during the approval wait: what changed between the approved plan and the live state, and what to do about
 * each change (docs/decisions.md, "Drift during the approval wait"):
 *  - migrate, when the change is additive and rollback can undo it exactly once it is recorded: a new interface on
 *    the default group (moved to the copy), a new reference to the default group (twinned), a new rule on the
 *    default group (copied to the copy);
 *  - note and go on, when nothing depends on the default group because of it: a planned interface that was deleted,
 *    rules already revoked from the default group by someone else;
 *  - stop (nothing of the default group is revoked, the run rolls back and says why): anything that cannot be
 *    moved or twinned, a copy changed by hand, a migration undone by hand.
 * The migrated delta is sealed into a second revision of the snapshot, written before any of it is carried out,
 * so the strip, the verification and any rollback work from a plan that includes it (I3, I6).
 */

import {
  type LiveView,
  leftInterfaceIds,
  leftInterfaceProblem,
  movedOwnersDrift,
  newUsersDrift,
  retiringInterfaces,
  unreachableDrift,
} from './checks.ts';
import type { NetworkInterface, SecurityGroup } from './ec2-shapes.ts';
import { describeRule } from './messages.ts';
import { classifyInterface } from './owners.ts';
import type { Inventory, Plan, ReferenceEdit } from './plan.ts';
import { chunk, replacementRulesDuringMove, twinOf } from './plan.ts';
import { documentedLimits, quotaReasons } from './quotas.ts';
import { minus, type Rule, referencesGroup, ruleKey, rulesOf } from './rules.ts';

/** The changes a re-check migrates, recorded in the snapshot's second revision. */
export interface DriftDelta {
  /** Interfaces that joined the default group during the wait, as read then (on the default group). */
  interfaces: NetworkInterface[];
  /** New rules referencing the default group, each to get a twin (the default group's own included). */
  references: ReferenceEdit[];
  /** New rules on the default group: copied to the replacement, revoked by the strip, restored by a rollback. */
  defaultRules: Rule[];
}

export interface DriftAnalysis {
  /** Reasons to stop before anything is revoked. */
  stop: string[];
  /** Changes that need nothing done, reported in the outcome. */
  notes: string[];
  delta: DriftDelta;
}

export function isEmptyDelta(delta: DriftDelta): boolean {
  return delta.interfaces.length + delta.references.length + delta.defaultRules.length === 0;
}

function groupIdsOf(eni: NetworkInterface): string[] {
  return (eni.Groups ?? []).map((group) => group.GroupId ?? '');
}

/** Sorts what changed since `plan` into what to migrate, what to note and what stops the run. */
export function analyzeDrift(plan: Plan, live: LiveView): DriftAnalysis {
  const stop: string[] = [];
  const notes: string[] = [];
  const delta: DriftDelta = { interfaces: [], references: [], defaultRules: [] };
  const defaultGroupId = plan.defaultGroupId;
  const replacementId = plan.replacementNeeded ? live.replacement?.GroupId : undefined;
  const planned = new Set(plan.moves.map((move) => move.networkInterfaceId));
  // Interfaces Lambda replaced when its functions moved: left on the default group, serving nothing (checks.ts).
  const retiring = retiringInterfaces(plan, live);
  const left = leftInterfaceIds(plan);

  for (const eni of live.inventory.members) {
    const id = eni.NetworkInterfaceId ?? '';
    const owner = classifyInterface(eni);
    if (retiring.has(id)) continue;
    if (left.has(id)) {
      // Left on the default group by the plan (attached to nothing, owner gone): fine while it stays unattached.
      const problem = leftInterfaceProblem(plan, eni);
      if (problem) stop.push(problem);
      continue;
    }
    if (planned.has(id)) {
      stop.push(`${id} is on the default group again: someone moved it back by hand after it was moved to the copy.`);
    } else if (!replacementId) {
      stop.push(
        `${id} (${owner.label}) started using the default group during the approval wait, and there is no replacement group to move it to.`,
      );
    } else if (!owner.mover) {
      stop.push(
        `${id} (${owner.label}) started using the default group during the approval wait and cannot be moved by this workflow.`,
      );
    } else if (owner.mover === 'service') {
      // Its owner (function, database, load balancer…) moves through its own service, planned with the whole
      // resource by Discover; a new owner is left to the next run rather than moved half-planned here.
      stop.push(
        `${id} (${owner.label}) started using the default group during the approval wait and cannot be moved by the re-check: its owner moves through its own service, so run the remediation again to plan that move.`,
      );
    } else {
      delta.interfaces.push(eni);
    }
  }
  stop.push(...newUsersDrift(plan, live));
  stop.push(...unreachableDrift(live));
  for (const id of planned) {
    if (!live.plannedMembers.has(id)) notes.push(`${id} was deleted during the approval wait: nothing to move.`);
  }

  const liveDefault = rulesOf(live.inventory.defaultGroup).filter(
    (rule) => !replacementId || !referencesGroup(rule, replacementId),
  );
  const newDefaultRules = minus(liveDefault, plan.defaultRules);
  const lost = minus(plan.defaultRules, liveDefault);
  if (lost.length > 0) {
    notes.push(
      lost.length === plan.defaultRules.length && liveDefault.length === 0
        ? 'The default group had already been stripped by someone else; the strip removes the references that are left.'
        : `${lost.length} rule(s) of the default group were revoked by someone else during the approval wait: ${lost.map((rule) => describeRule(rule)).join('; ')}.`,
    );
  }

  if (!plan.replacementNeeded) {
    // Nothing used the default group at plan time: no copy, no twins. A new rule on it is revoked by the strip and
    // recorded so a rollback restores it; a new reference to it matches nobody and is left alone.
    delta.defaultRules.push(...newDefaultRules);
    for (const group of live.inventory.referencingGroups) {
      for (const rule of rulesOf(group).filter((candidate) => referencesGroup(candidate, defaultGroupId))) {
        notes.push(
          `${group.GroupId} references the default group (${describeRule(rule)}); nothing uses the default group, so the reference is left as it is.`,
        );
      }
    }
    return { stop, notes, delta };
  }
  if (!replacementId) {
    stop.push('The replacement group is gone.');
    return { stop, notes, delta };
  }

  const wanted = replacementRulesDuringMove(plan.defaultRules, defaultGroupId, replacementId);
  const actual = rulesOf(live.replacement ?? {});
  for (const rule of minus(actual, wanted)) {
    stop.push(`The replacement group was changed by hand: it gained ${describeRule(rule)}.`);
  }
  for (const rule of minus(wanted, actual)) {
    stop.push(`The replacement group was changed by hand: it lost ${describeRule(rule)}.`);
  }
  for (const [id, eni] of live.plannedMembers) {
    if (!retiring.has(id) && !groupIdsOf(eni).includes(replacementId))
      stop.push(`${id} no longer uses the replacement group.`);
  }
  stop.push(...movedOwnersDrift(plan, live, replacementId));

  const plannedReferences = new Set(
    plan.references.map((reference) => `${reference.groupId} ${ruleKey(reference.rule)}`),
  );
  const newDefaultKeys = new Set(newDefaultRules.map(ruleKey));
  for (const group of [live.inventory.defaultGroup, ...live.inventory.referencingGroups]) {
    const groupId = group.GroupId ?? '';
    const rules = rulesOf(group);
    const present = new Set(rules.map(ruleKey));
    for (const rule of rules.filter((candidate) => referencesGroup(candidate, defaultGroupId))) {
      if (present.has(ruleKey(twinOf(rule, defaultGroupId, replacementId)))) continue;
      if (plannedReferences.has(`${groupId} ${ruleKey(rule)}`)) {
        stop.push(`The twin of a planned reference was revoked by hand in ${groupId}: ${describeRule(rule)}.`);
      } else if (groupId !== defaultGroupId || newDefaultKeys.has(ruleKey(rule))) {
        delta.references.push({ groupId, groupName: group.GroupName, vpcId: group.VpcId, rule });
      }
    }
  }
  delta.defaultRules.push(...newDefaultRules);
  stop.push(...deltaQuotaReasons(plan, live, delta, replacementId));
  return { stop, notes, delta };
}

/**
 * The quota, counted as EC2 counts it, for the groups the migration adds rules to: the copy (the new rules of the
 * default group) and each group that gets twins. A migration that would be refused stops the run before any change.
 */
function deltaQuotaReasons(plan: Plan, live: LiveView, delta: DriftDelta, replacementId: string): string[] {
  const limits = live.inventory.limits ?? documentedLimits();
  const reasons: string[] = [];
  const withAdded = (current: Rule[], added: Rule[]) => [...current, ...minus(added, current)];
  if (delta.defaultRules.length > 0) {
    const added = replacementRulesDuringMove(delta.defaultRules, plan.defaultGroupId, replacementId);
    reasons.push(...quotaReasons('the replacement group', withAdded(rulesOf(live.replacement ?? {}), added), limits));
  }
  for (const group of [live.inventory.defaultGroup, ...live.inventory.referencingGroups]) {
    const twins = delta.references
      .filter((reference) => reference.groupId === group.GroupId)
      .map((reference) => twinOf(reference.rule, plan.defaultGroupId, replacementId));
    if (twins.length === 0) continue;
    reasons.push(...quotaReasons(`${group.GroupId} (${group.GroupName})`, withAdded(rulesOf(group), twins), limits));
  }
  return reasons;
}

/**
 * The inventory and plan of the snapshot's next revision: the approved ones with the delta added, so that strip,
 * verification and rollback treat the migrated changes exactly like planned ones. `memberGroups` are the new
 * interfaces' other groups; `referencingGroups` the live groups that hold new references.
 */
export function revisePlan(
  inventory: Inventory,
  plan: Plan,
  delta: DriftDelta,
  read: { memberGroups: SecurityGroup[]; referencingGroups: SecurityGroup[]; defaultGroup: SecurityGroup },
  batchSize: number,
): { inventory: Inventory; plan: Plan } {
  const known = new Set(inventory.referencingGroups.map((group) => group.GroupId));
  const changedGroups = new Map(read.referencingGroups.map((group) => [group.GroupId, group]));
  // A group already kept as a referencing group is not kept twice (the focused state takes the last copy it sees).
  const memberGroupIds = new Set(
    [...inventory.memberGroups, ...inventory.referencingGroups, ...read.referencingGroups].map(
      (group) => group.GroupId,
    ),
  );
  const newIds = delta.interfaces.map((eni) => eni.NetworkInterfaceId ?? '');
  return {
    inventory: {
      ...inventory,
      defaultGroup: delta.defaultRules.length > 0 ? read.defaultGroup : inventory.defaultGroup,
      members: [...inventory.members, ...delta.interfaces],
      referencingGroups: [
        ...inventory.referencingGroups.map((group) => changedGroups.get(group.GroupId) ?? group),
        ...read.referencingGroups.filter((group) => !known.has(group.GroupId)),
      ],
      memberGroups: [
        ...inventory.memberGroups,
        ...read.memberGroups.filter((group) => !memberGroupIds.has(group.GroupId)),
      ],
    },
    plan: {
      ...plan,
      defaultRules: [...plan.defaultRules, ...delta.defaultRules],
      moves: [
        ...plan.moves,
        ...delta.interfaces.map((eni) => ({
          networkInterfaceId: eni.NetworkInterfaceId ?? '',
          owner: classifyInterface(eni),
          groupsBefore: groupIdsOf(eni),
        })),
      ],
      references: [...plan.references, ...delta.references],
      batches: [...plan.batches, ...chunk(newIds, Math.max(1, batchSize))],
    },
  };
}

/** The group without the peers that name `groupId` (the live groups' twins, left out of a "before" inventory). */
export function withoutReferencesTo(group: SecurityGroup, groupId: string): SecurityGroup {
  const strip = (permissions: SecurityGroup['IpPermissions']) =>
    (permissions ?? [])
      .map((permission) => ({
        ...permission,
        UserIdGroupPairs: (permission.UserIdGroupPairs ?? []).filter((pair) => pair.GroupId !== groupId),
      }))
      .filter(
        (permission) =>
          (permission.IpRanges?.length ?? 0) +
            (permission.Ipv6Ranges?.length ?? 0) +
            (permission.PrefixListIds?.length ?? 0) +
            permission.UserIdGroupPairs.length >
          0,
      );
  return { ...group, IpPermissions: strip(group.IpPermissions), IpPermissionsEgress: strip(group.IpPermissionsEgress) };
}

/** The migrated changes in sentences, for the completion notice. */
export function describeDelta(delta: {
  interfaces: string[];
  references: ReferenceEdit[];
  defaultRules: Rule[];
}): string[] {
  return [
    ...delta.interfaces.map(
      (id) => `${id} joined the default group during the approval wait; it was moved to the copy.`,
    ),
    ...delta.defaultRules.map(
      (rule) => `The default group gained ${describeRule(rule)} during the approval wait; it was copied to the copy.`,
    ),
    ...delta.references
      .filter((reference) => !delta.defaultRules.some((rule) => ruleKey(rule) === ruleKey(reference.rule)))
      .map(
        (reference) =>
          `${reference.groupId} gained ${describeRule(reference.rule)} during the approval wait; it got a twin referencing the copy.`,
      ),
  ];
}
