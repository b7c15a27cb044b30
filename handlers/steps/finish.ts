/** After approval: re-check the live state, strip the default group, verify the result. */
import {
  findDrift,
  findResultProblems,
  focusedState,
  type LiveView,
  leftInterfaceIds,
  retiringInterfaces,
} from '../core/checks.ts';
import {
  analyzeDrift,
  type DriftDelta,
  describeDelta,
  isEmptyDelta,
  revisePlan,
  withoutReferencesTo,
} from '../core/drift.ts';
import { rollbackFits, rollbackTimeoutSeconds } from '../core/durations.ts';
import type { NetworkInterface } from '../core/ec2-shapes.ts';
import { errorCode, InvalidInputError } from '../core/errors.ts';
import { LISTED_SERVICES, serviceOf } from '../core/owners/index.ts';
import { type Plan, replacementRulesDuringMove } from '../core/plan.ts';
import { compareTraffic, type TrafficComparison } from '../core/reachability.ts';
import { type ResourceState, resourceKey } from '../core/resources.ts';
import { referencesGroup, rulesOf } from '../core/rules.ts';
import { openSnapshot, type Snapshot, sealSnapshot, snapshotKey } from '../core/snapshot.ts';
import { type StackDescription, stackDrift } from '../core/stacks.ts';
import type { Ec2Port, ServiceQuotasPort, ServicesPort, StacksPort } from '../ports.ts';
import {
  loadSnapshot,
  parseInput,
  replacementGroupIdSchema,
  runSchema,
  StepError,
  snapshotRevisionSchema,
  type Target,
} from './common.ts';
import type { Deps } from './deps.ts';
import { readInventoryWith } from './discover.ts';
import { addRules, groupIdsOf, markGroup, readGroups, readInterfacesOn, removeRules } from './ec2-ops.ts';
import { swapGroups, twinsByGroup } from './migrate.ts';

const finishSchema = runSchema.extend({
  replacementGroupId: replacementGroupIdSchema.nullish(),
  snapshotRevision: snapshotRevisionSchema,
});

async function readLiveView(
  ec2: Ec2Port,
  target: Target,
  plan: Plan,
  replacementGroupId: string | null | undefined,
  services: ServicesPort,
  serviceQuotas?: ServiceQuotasPort,
): Promise<LiveView> {
  // Referencing groups that stopped referencing the default group still matter to the checks: read them too, in the
  // call that reads the default group (and the copy).
  const planned = [...new Set(plan.references.map((reference) => reference.groupId))].filter(
    (id) => id !== plan.defaultGroupId,
  );
  const { inventory, alsoRead } = await readInventoryWith(
    ec2,
    target,
    [...(replacementGroupId ? [replacementGroupId] : []), ...planned],
    serviceQuotas ? { serviceQuotas } : {},
  );
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
  // Whatever may use the group without an interface, listed again: one that joined during the wait is drift.
  const listedOnDefault: string[] = [];
  for (const service of LISTED_SERVICES)
    for (const resource of await services.findUsing(service, plan.vpcId, plan.defaultGroupId))
      listedOnDefault.push(resourceKey(resource));
  return { inventory, replacement, plannedMembers, resources, listedOnDefault };
}

export interface RecheckOutput {
  /** Always empty: drift either was migrated or stopped the run. Kept for the notices. */
  drift: string[];
  /** The snapshot revision the strip, the verification and a rollback work from. */
  snapshotRevision: number;
  migrated: { interfaces: number; references: number; defaultRules: number };
  /** Changes that needed nothing done (deleted interfaces, rules revoked by someone else). */
  notes: string[];
}

/**
 * "Re-check the live state against the plan" (core/drift.ts): drift that can be undone exactly is recorded in the
 * snapshot's revision 2 — written before any of it is carried out — and migrated, then the live state is checked
 * against the revised plan; anything else stops the run before a rule is revoked (`DriftDetected`).
 */
export async function recheck(raw: unknown, deps: Deps): Promise<RecheckOutput> {
  const input = parseInput(finishSchema, raw);
  const ec2 = deps.ec2(input.target);
  const services = deps.services(input.target);
  const approved = await loadSnapshot(deps, input.remediationId, input.target.groupId);
  const replacementId = input.replacementGroupId ?? undefined;
  // A retry after the revision was written carries it out again (every change converges, I5).
  let revised = await loadRevision(deps, approved, input.target.groupId);
  let notes: string[] = [];
  if (!revised) {
    // A stack being updated now may put what moved back on the default group while the strip runs: stop first.
    const stackNotes = await checkStacks(deps.stacks(input.target), approved.plan, approved.createdAt);
    // With the quotas: what the migration adds is counted as EC2 counts it before any of it is done.
    const live = await readLiveView(
      ec2,
      input.target,
      approved.plan,
      replacementId,
      services,
      deps.serviceQuotas(input.target),
    );
    const analysis = analyzeDrift(approved.plan, live);
    if (analysis.stop.length > 0) throw new StepError('DriftDetected', analysis.stop);
    notes = [...analysis.notes, ...stackNotes];
    if (isEmptyDelta(analysis.delta)) {
      return { drift: [], snapshotRevision: 1, migrated: countOf(analysis.delta), notes };
    }
    revised = await saveRevision(deps, approved, analysis.delta, live, replacementId);
  }
  const delta = revised.delta ?? { interfaces: [], references: [], defaultRules: [] };
  await migrateDelta(deps, revised.plan, delta, replacementId);
  const after = await readLiveView(ec2, input.target, revised.plan, replacementId, services);
  const drift = findDrift(revised.plan, after);
  if (drift.length > 0) throw new StepError('DriftDetected', drift);
  deps.log.info('drift migrated', { remediationId: input.remediationId, ...countOf(delta) });
  return { drift: [], snapshotRevision: 2, migrated: countOf(delta), notes: [...describeDelta(delta), ...notes] };
}

/**
 * The stacks the plan names (core/stacks.ts), each read with DescribeStacks: one with an operation in progress stops
 * the run (`DriftDetected`) before anything is revoked; one updated since the snapshot, or deleted, is a note.
 */
async function checkStacks(stacks: StacksPort, plan: Plan, plannedAt: string): Promise<string[]> {
  const described = new Map<string, StackDescription | undefined>();
  for (const use of plan.stacks ?? []) {
    try {
      described.set(use.stackName, (await stacks.describeStacks({ StackName: use.stackName })).Stacks?.[0]);
    } catch (error) {
      if (errorCode(error) !== 'ValidationError' || !/does not exist/.test((error as Error).message)) throw error;
      described.set(use.stackName, undefined);
    }
  }
  const { stop, notes } = stackDrift(plan.stacks ?? [], described, plannedAt);
  if (stop.length > 0) throw new StepError('DriftDetected', stop);
  return notes;
}

function countOf(delta: { interfaces: unknown[]; references: unknown[]; defaultRules: unknown[] }) {
  return {
    interfaces: delta.interfaces.length,
    references: delta.references.length,
    defaultRules: delta.defaultRules.length,
  };
}

async function loadRevision(deps: Deps, approved: Snapshot, groupId: string): Promise<Snapshot | undefined> {
  const remediationId = approved.remediationId;
  const text = await deps.store.get(snapshotKey(remediationId, 2));
  if (text === undefined) return undefined;
  const revision = openSnapshot(text, { remediationId, groupId, revision: 2 });
  // As rollback checks it: a revision must extend the snapshot that was approved, not stand in for it.
  if (revision.basedOn !== approved.checksum) {
    throw new InvalidInputError([
      `Revision 2 of the snapshot of ${remediationId} does not extend the approved snapshot.`,
    ]);
  }
  return revision;
}

/** Seals the approved snapshot plus the delta as revision 2 and writes it once (I3: before any of it is done). */
async function saveRevision(
  deps: Deps,
  approved: Snapshot,
  delta: DriftDelta,
  live: LiveView,
  replacementId: string | undefined,
): Promise<Snapshot> {
  const ec2 = deps.ec2({ accountId: approved.plan.accountId, region: approved.plan.region });
  const newGroupIds = delta.interfaces.flatMap(groupIdsOf).filter((id) => id !== approved.plan.defaultGroupId);
  const memberGroups = [...(await readGroups(ec2, newGroupIds)).values()].map((group) =>
    replacementId ? withoutReferencesTo(group, replacementId) : group,
  );
  const changed = new Set(delta.references.map((reference) => reference.groupId));
  const before = (group: (typeof memberGroups)[number]) =>
    replacementId ? withoutReferencesTo(group, replacementId) : group;
  const { inventory, plan } = revisePlan(
    approved.inventory,
    approved.plan,
    delta,
    {
      memberGroups,
      referencingGroups: live.inventory.referencingGroups
        .filter((group) => changed.has(group.GroupId ?? ''))
        .map(before),
      defaultGroup: before(live.inventory.defaultGroup),
    },
    deps.settings.batchSize,
  );
  // The rollback execution's timeout was set from the approved plan (Discover): migrate only what it can still undo.
  const budget = rollbackTimeoutSeconds(approved.plan, deps.settings.pacingShare);
  if (!rollbackFits(plan, deps.settings.pacingShare, budget)) {
    throw new StepError('DriftDetected', [
      `${delta.interfaces.length} interface(s) joined the default group during the approval wait: moving them too would not leave a rollback enough of the ${Math.round(budget / 60)} minutes it was given. Nothing was revoked; run the remediation again to plan for them.`,
    ]);
  }
  const revision = sealSnapshot({
    remediationId: approved.remediationId,
    createdAt: deps.now().toISOString(),
    inventory,
    plan,
    revision: 2,
    basedOn: approved.checksum,
    delta: {
      interfaces: delta.interfaces.map((eni) => eni.NetworkInterfaceId ?? ''),
      references: delta.references,
      defaultRules: delta.defaultRules,
    },
  });
  const key = snapshotKey(approved.remediationId, 2);
  try {
    await deps.store.put(key, JSON.stringify(revision), { ifAbsent: true });
    return revision;
  } catch (error) {
    if (errorCode(error) !== 'PreconditionFailed') throw error;
    // Another attempt wrote it first: carry out the revision that is stored, never a second one.
    return openSnapshot((await deps.store.get(key)) ?? '', {
      remediationId: approved.remediationId,
      groupId: approved.plan.defaultGroupId,
      revision: 2,
    });
  }
}

/** Carries out a delta in the order that keeps every flow (I1): the copy's new rules, the twins, then the moves. */
async function migrateDelta(
  deps: Deps,
  plan: Plan,
  delta: NonNullable<Snapshot['delta']>,
  replacementId: string | undefined,
): Promise<void> {
  if (!replacementId) return;
  const ec2 = deps.ec2({ accountId: plan.accountId, region: plan.region });
  if (delta.defaultRules.length > 0) {
    const copy = (await readGroups(ec2, [replacementId])).get(replacementId);
    if (!copy) throw new StepError('DriftDetected', ['The replacement group is gone.']);
    await addRules(
      ec2,
      copy,
      replacementRulesDuringMove(delta.defaultRules, plan.defaultGroupId, replacementId),
      deps.pace,
    );
  }
  const twins = twinsByGroup({ ...plan, references: delta.references }, replacementId);
  const groups = await readGroups(ec2, [...twins.keys()]);
  for (const [groupId, rules] of twins) {
    const group = groups.get(groupId);
    if (!group) throw new StepError('DriftDetected', [`${groupId}, which references the default group, is gone.`]);
    await addRules(ec2, group, rules, deps.pace);
  }
  if (delta.interfaces.length > 0) {
    const moved = await swapGroups(
      deps,
      { accountId: plan.accountId, region: plan.region },
      delta.interfaces,
      plan.defaultGroupId,
      replacementId,
      plan.batches.length - 1,
      { remediationId: plan.remediationId },
    );
    if (moved.changed.length > 0) {
      throw new StepError(
        'DriftDetected',
        moved.changed.map((id) => `${id} changed its groups while it was being moved.`),
      );
    }
  }
}

/**
 * "Strip the default group": revoke all its rules, and the references to it that now have twins; then mark it as CIS
 * 5.4 recommends (core/marker.ts: `Name` "DO NOT USE. DO NOT ADD RULES" and the project's status tag naming this
 * remediation). The tags it had are in the snapshot; a rollback restores them.
 */
export async function strip(raw: unknown, deps: Deps): Promise<{ revoked: number; tagged: number }> {
  const input = parseInput(finishSchema, raw);
  const { plan } = await loadSnapshot(deps, input.remediationId, input.target.groupId, input.snapshotRevision);
  const ec2 = deps.ec2(input.target);
  const replacementId = input.replacementGroupId ?? undefined;
  const ids = [plan.defaultGroupId, ...(replacementId ? [replacementId] : [])];
  const referenced = replacementId ? plan.references.map((reference) => reference.groupId) : [];
  const groups = await readGroups(ec2, [...ids, ...referenced]);
  const record = (status: 'stripping' | 'stripped') =>
    deps.ledger.putRemediation({
      remediationId: input.remediationId,
      accountId: input.target.accountId,
      region: input.target.region,
      groupId: input.target.groupId,
      vpcId: plan.vpcId,
      findingId: input.target.findingId,
      productArn: input.target.productArn,
      replacementGroupId: replacementId,
      status,
      updatedAt: deps.now().toISOString(),
    });
  // Before the first revoke: a rollback re-adds the transitional rules only once the strip may have revoked them.
  await record('stripping');
  let revoked = 0;
  for (const group of groups.values()) {
    const rules =
      group.GroupId === plan.defaultGroupId
        ? rulesOf(group)
        : rulesOf(group).filter((rule) => referencesGroup(rule, plan.defaultGroupId));
    revoked += (await removeRules(ec2, group, rules, deps.pace)).removed;
  }
  const defaultGroup = groups.get(plan.defaultGroupId);
  const tagged = defaultGroup ? await markGroup(ec2, defaultGroup, input.remediationId, deps.pace) : 0;
  await record('stripped');
  return { revoked, tagged };
}

/**
 * Compares the traffic of the snapshot's focused state with the live one, by interface classes (compareTraffic), so it
 * runs at every size.
 */
export function checkTraffic(snapshot: Snapshot, live: LiveView): TrafficComparison {
  // Lambda interfaces being retired, and orphans the plan left on the default group (attached to nothing; Verify
  // checks they still are), serve nothing: they are left out of both sides.
  const retiring = retiringInterfaces(snapshot.plan, live);
  const left = leftInterfaceIds(snapshot.plan);
  const kept = (eni: { NetworkInterfaceId?: string }) =>
    live.plannedMembers.has(eni.NetworkInterfaceId ?? '') &&
    !retiring.has(eni.NetworkInterfaceId ?? '') &&
    !left.has(eni.NetworkInterfaceId ?? '');
  const launching = launchStandIns(snapshot.plan, live);
  const before = focusedState(snapshot.inventory, [...snapshot.inventory.members.filter(kept), ...launching.before]);
  const liveInventory = {
    ...live.inventory,
    members: live.inventory.members.filter((eni) => !retiring.has(eni.NetworkInterfaceId ?? '')),
    memberGroups: snapshot.inventory.memberGroups,
  };
  const after = focusedState(
    liveInventory,
    [...[...live.plannedMembers.values()].filter(kept), ...launching.after],
    live.replacement ? [live.replacement] : [],
  );
  return compareTraffic(before, after);
}

/**
 * What launches next, as interfaces: each moved resource that can put a new interface on its groups (a launch template,
 * an Auto Scaling group, an idle function: `listedInVpc`) stands in as one interface on its groups before the move and
 * one on its groups now, so a copy missing a rule only new instances use fails Verify before anything launches. One
 * interface per resource, all without addresses: the model's classes keep this cheap at any size.
 */
function launchStandIns(plan: Plan, live: LiveView): { before: NetworkInterface[]; after: NetworkInterface[] } {
  const before: NetworkInterface[] = [];
  const after: NetworkInterface[] = [];
  const standIn = (key: string, groups: string[]): NetworkInterface => ({
    NetworkInterfaceId: `eni-launch-${key}`,
    VpcId: plan.vpcId,
    Groups: groups.map((id) => ({ GroupId: id })),
    PrivateIpAddresses: [],
    Ipv6Addresses: [],
  });
  for (const move of plan.resourceMoves ?? []) {
    if (!LISTED_SERVICES.includes(serviceOf(move.resource.kind))) continue;
    const key = resourceKey(move.resource);
    const now = live.resources?.get(key);
    if (!now) continue;
    before.push(standIn(key, move.groupsBefore));
    after.push(standIn(key, now.groups));
  }
  return { before, after };
}

/** The checks "Verify the result" makes, in order; each one runs at every size. */
export const VERIFY_CHECKS = ['structure', 'traffic'] as const;

export interface VerifyOutput {
  /** True: every check of `checks` ran and found nothing (a problem fails the step with `VerificationFailed`). */
  verified: true;
  checks: (typeof VERIFY_CHECKS)[number][];
}

/**
 * "Verify the result": the structure (default group without rules or members; the copy, the memberships and the
 * references as planned) and the traffic (unchanged between every pair of interfaces and with the outside).
 */
export async function verify(raw: unknown, deps: Deps): Promise<VerifyOutput> {
  const input = parseInput(finishSchema, raw);
  const snapshot = await loadSnapshot(deps, input.remediationId, input.target.groupId, input.snapshotRevision);
  const live = await readLiveView(
    deps.ec2(input.target),
    input.target,
    snapshot.plan,
    input.replacementGroupId,
    deps.services(input.target),
  );
  const problems = findResultProblems(snapshot.plan, live);
  const traffic = checkTraffic(snapshot, live);
  problems.push(...traffic.differences.map((line) => `Traffic changed: ${line}`));
  if (problems.length > 0) throw new StepError('VerificationFailed', problems);
  // What the traffic check compared goes to the log, not into the execution's payload.
  deps.log.info('verified', {
    remediationId: input.remediationId,
    interfaces: traffic.interfaces,
    sourceClasses: traffic.classes.sources,
    destinationClasses: traffic.classes.destinations,
  });
  return { verified: true, checks: [...VERIFY_CHECKS] };
}
