/** After approval: re-check the live state, strip the default group, verify the result. */
import * as z from 'zod';
import { findDrift, findResultProblems, focusedState, type LiveView, retiringInterfaces } from '../core/checks.ts';
import type { Plan } from '../core/plan.ts';
import { computeFlows, diffFlows } from '../core/reachability.ts';
import { type ResourceState, resourceKey } from '../core/resources.ts';
import { referencesGroup, rulesOf } from '../core/rules.ts';
import type { Snapshot } from '../core/snapshot.ts';
import type { Ec2Port, ServicesPort } from '../ports.ts';
import { loadSnapshot, parseInput, runSchema, StepError, type Target } from './common.ts';
import type { Deps } from './deps.ts';
import { readInventoryWith } from './discover.ts';
import { readGroups, readInterfacesOn, removeRules } from './ec2-ops.ts';

const finishSchema = runSchema.extend({ replacementGroupId: z.string().nullish() });

async function readLiveView(
  ec2: Ec2Port,
  target: Target,
  plan: Plan,
  replacementGroupId: string | null | undefined,
  services: ServicesPort,
): Promise<LiveView> {
  // Referencing groups that stopped referencing the default group still matter to the checks: read them too, in the
  // call that reads the default group (and the copy).
  const planned = [...new Set(plan.references.map((reference) => reference.groupId))].filter(
    (id) => id !== plan.defaultGroupId,
  );
  const { inventory, alsoRead } = await readInventoryWith(ec2, target, [
    ...(replacementGroupId ? [replacementGroupId] : []),
    ...planned,
  ]);
  const replacement = replacementGroupId ? alsoRead.get(replacementGroupId) : undefined;
  const known = new Set(inventory.referencingGroups.map((group) => group.GroupId));
  for (const id of planned) {
    const group = alsoRead.get(id);
    if (group && !known.has(id)) inventory.referencingGroups.push(group);
  }
  // The planned interfaces as they are now: those still on the default group were just read with the inventory, the
  // moved ones are read by the copy's group-id, only the rest (moved elsewhere, deleted) by id.
  const plannedMembers = await readInterfacesOn(
    ec2,
    plan.moves.map((move) => move.networkInterfaceId),
    replacementGroupId ? [replacementGroupId] : [],
    inventory.members,
  );
  const resources = new Map<string, ResourceState>();
  for (const move of plan.resourceMoves ?? []) {
    const resource = await services.describe(move.resource);
    if (resource) resources.set(resourceKey(resource), resource);
  }
  const movesFunctions = (plan.resourceMoves ?? []).some((move) => move.resource.kind === 'lambda-function');
  const functionsOnDefault = movesFunctions
    ? (await services.findUsing('lambda', plan.vpcId, plan.defaultGroupId)).map((fn) => fn.id)
    : undefined;
  return { inventory, replacement, plannedMembers, resources, ...(functionsOnDefault ? { functionsOnDefault } : {}) };
}

/** "Re-check the live state against the plan": anything that still depends on the default group stops the run. */
export async function recheck(raw: unknown, deps: Deps): Promise<{ drift: string[] }> {
  const input = parseInput(finishSchema, raw);
  const { plan } = await loadSnapshot(deps, input.remediationId, input.target.groupId);
  const live = await readLiveView(
    deps.ec2(input.target),
    input.target,
    plan,
    input.replacementGroupId,
    deps.services(input.target),
  );
  const drift = findDrift(plan, live);
  if (drift.length > 0) throw new StepError('DriftDetected', drift);
  return { drift };
}

/** "Strip the default group": revoke all its rules, and the references to it that now have twins. */
export async function strip(raw: unknown, deps: Deps): Promise<{ revoked: number }> {
  const input = parseInput(finishSchema, raw);
  const { plan } = await loadSnapshot(deps, input.remediationId, input.target.groupId);
  const ec2 = deps.ec2(input.target);
  const replacementId = input.replacementGroupId ?? undefined;
  const ids = [plan.defaultGroupId, ...(replacementId ? [replacementId] : [])];
  const referenced = replacementId ? plan.references.map((reference) => reference.groupId) : [];
  const groups = await readGroups(ec2, [...ids, ...referenced]);
  let revoked = 0;
  for (const group of groups.values()) {
    const rules =
      group.GroupId === plan.defaultGroupId
        ? rulesOf(group)
        : rulesOf(group).filter((rule) => referencesGroup(rule, plan.defaultGroupId));
    revoked += (await removeRules(ec2, group, rules, deps.pace)).removed;
  }
  await deps.ledger.putRemediation({
    remediationId: input.remediationId,
    accountId: input.target.accountId,
    region: input.target.region,
    groupId: input.target.groupId,
    vpcId: plan.vpcId,
    findingId: input.target.findingId,
    productArn: input.target.productArn,
    replacementGroupId: replacementId,
    status: 'stripped',
    updatedAt: deps.now().toISOString(),
  });
  return { revoked };
}

/** Compares the flows of the snapshot's focused state with the live one (skipped above the size limit). */
export function checkTraffic(
  snapshot: Snapshot,
  live: LiveView,
  limit: number,
): { checked: boolean; differences: string[] } {
  // Lambda interfaces being retired serve nothing: they are left out of both sides (retiringInterfaces).
  const retiring = retiringInterfaces(snapshot.plan, live);
  const kept = (eni: { NetworkInterfaceId?: string }) =>
    live.plannedMembers.has(eni.NetworkInterfaceId ?? '') && !retiring.has(eni.NetworkInterfaceId ?? '');
  const members = snapshot.inventory.members.filter(kept);
  if (members.length > limit) return { checked: false, differences: [] };
  const before = focusedState(snapshot.inventory, members);
  const liveInventory = {
    ...live.inventory,
    members: live.inventory.members.filter((eni) => !retiring.has(eni.NetworkInterfaceId ?? '')),
    memberGroups: snapshot.inventory.memberGroups,
  };
  const after = focusedState(
    liveInventory,
    [...live.plannedMembers.values()].filter(kept),
    live.replacement ? [live.replacement] : [],
  );
  return { checked: true, differences: diffFlows(computeFlows(before), computeFlows(after)) };
}

/** "Verify the result": the default group has no rules and no members, and the traffic model is unchanged. */
export async function verify(raw: unknown, deps: Deps): Promise<{ verified: true; trafficModel: string }> {
  const input = parseInput(finishSchema, raw);
  const snapshot = await loadSnapshot(deps, input.remediationId, input.target.groupId);
  const live = await readLiveView(
    deps.ec2(input.target),
    input.target,
    snapshot.plan,
    input.replacementGroupId,
    deps.services(input.target),
  );
  const problems = findResultProblems(snapshot.plan, live);
  const traffic = checkTraffic(snapshot, live, deps.settings.trafficModelLimit);
  problems.push(...traffic.differences.map((line) => `Traffic changed: ${line}`));
  if (problems.length > 0) throw new StepError('VerificationFailed', problems);
  return {
    verified: true,
    trafficModel: traffic.checked
      ? 'unchanged'
      : `not rebuilt: ${live.plannedMembers.size} interfaces is over the limit of ${deps.settings.trafficModelLimit}`,
  };
}
