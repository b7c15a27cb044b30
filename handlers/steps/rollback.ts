/**
 * The rollback state machine's steps (I6): put back the default group's rules and the references, move the
 * interfaces back, remove what the remediation added, verify against the snapshot.
 */
import * as z from 'zod';
import type { SecurityGroup } from '../core/ec2-shapes.ts';
import { errorCode, InvalidInputError } from '../core/errors.ts';
import { MARK_KEYS, markTags, tagValue } from '../core/marker.ts';
import { describeRule } from '../core/messages.ts';
import { moveActionOf } from '../core/owners/index.ts';
import { type Plan, twinOf } from '../core/plan.ts';
import { RESOURCE_NOT_FOUND_CODES, resourceKey } from '../core/resources.ts';
import { minus, type Rule, referencesGroup, ruleKey, rulesOf } from '../core/rules.ts';
import { type Snapshot, snapshotKey } from '../core/snapshot.ts';
import { tightenSnapshotKey } from '../core/tighten.ts';
import { quote } from '../core/untrusted.ts';
import type { Ec2Port, ServicesPort } from '../ports.ts';
import {
  loadSnapshot,
  parseInput,
  remediationIdSchema,
  replacementGroupIdSchema,
  StepError,
  snapshotRevisionSchema,
  targetSchema,
} from './common.ts';
import type { Deps } from './deps.ts';
import {
  addRules,
  groupIdsOf,
  readGroups,
  readInterfaces,
  readInterfacesOn,
  removeRules,
  unmarkGroup,
} from './ec2-ops.ts';
import { findReplacement, type MoveOutput, swapGroups, twinsByGroup } from './migrate.ts';
import { loadTightenSnapshot } from './tighten.ts';

const loadSchema = z.object({
  remediationId: remediationIdSchema,
  lockToken: z.string().min(16).max(128).optional(),
  reason: z.string().max(2000).optional(),
});

export interface RollbackContext {
  /** What is rolled back: a migration (remediate) or a tightening (tighten), whose snapshot is kept apart. */
  kind: 'migration' | 'tighten';
  remediationId: string;
  target: z.infer<typeof targetSchema>;
  replacementGroupId: string | null;
  batchIndexes: number[];
  /** The lock token of the remediation that started this rollback, if any: the rollback re-enters its lock. */
  lockToken: string | null;
  /** 2 when a re-check migrated drift: that revision of the snapshot includes it (core/drift.ts). */
  snapshotRevision: number;
  /**
   * Whether the strip began (the remediation record says so; unknown counts as begun): only then were transitional
   * rules revoked that the move back needs again.
   */
  stripped: boolean;
}

/** Remediation record statuses written once the strip has begun (handlers/steps/finish.ts). */
const STRIP_STATUSES = new Set(['stripping', 'stripped']);

/** "Load the snapshot": refuses a missing, damaged or foreign snapshot before anything is touched. */
export async function loadRollback(raw: unknown, deps: Deps): Promise<RollbackContext> {
  const input = parseInput(loadSchema, raw);
  if ((await deps.store.get(tightenSnapshotKey(input.remediationId))) !== undefined) {
    const snapshot = await loadTightenSnapshot(deps, input.remediationId);
    return {
      kind: 'tighten',
      remediationId: input.remediationId,
      target: { accountId: snapshot.accountId, region: snapshot.region, groupId: snapshot.groupId },
      replacementGroupId: null,
      batchIndexes: [],
      lockToken: input.lockToken ?? null,
      snapshotRevision: 1,
      stripped: false,
    };
  }
  const record = await deps.ledger.getRemediation(input.remediationId);
  const approved = await loadSnapshot(deps, input.remediationId, record?.groupId);
  // The latest revision is the basis: a re-check that migrated drift wrote revision 2 before changing anything.
  const snapshotRevision = (await deps.store.get(snapshotKey(input.remediationId, 2))) === undefined ? 1 : 2;
  const snapshot =
    snapshotRevision === 1
      ? approved
      : await loadSnapshot(deps, input.remediationId, approved.plan.defaultGroupId, snapshotRevision);
  if (snapshot.basedOn !== undefined && snapshot.basedOn !== approved.checksum) {
    throw new InvalidInputError([
      `Revision ${snapshotRevision} of the snapshot of ${input.remediationId} does not extend the approved snapshot.`,
    ]);
  }
  const plan = snapshot.plan;
  const target = {
    accountId: plan.accountId,
    region: plan.region,
    groupId: plan.defaultGroupId,
    ...(record?.findingId ? { findingId: record.findingId } : {}),
    ...(record?.productArn ? { productArn: record.productArn } : {}),
  };
  const replacement = plan.replacementNeeded ? await findReplacement(deps.ec2(target), plan) : undefined;
  return {
    kind: 'migration',
    remediationId: input.remediationId,
    target,
    replacementGroupId: replacement?.GroupId ?? null,
    batchIndexes: plan.batches.map((_, index) => index),
    lockToken: input.lockToken ?? null,
    snapshotRevision,
    stripped: record === undefined || STRIP_STATUSES.has(record.status),
  };
}

const contextSchema = z.object({
  remediationId: remediationIdSchema,
  target: targetSchema,
  replacementGroupId: replacementGroupIdSchema.nullable(),
  snapshotRevision: snapshotRevisionSchema,
});

/** Original references to the default group, per group (the default group's own are restored with its rules). */
function originalReferences(plan: Plan): Map<string, Rule[]> {
  const byGroup = new Map<string, Rule[]>();
  for (const reference of plan.references) {
    if (reference.groupId === plan.defaultGroupId) continue;
    byGroup.set(reference.groupId, [...(byGroup.get(reference.groupId) ?? []), reference.rule]);
  }
  return byGroup;
}

/**
 * The transitional rules the move back needs, as the strip revoked them: for each self-reference of the default group
 * whose twin the copy holds, the copy's reference to the default group and the default group's reference to the copy
 * (members on either group keep talking while they move). Only twins the copy actually has: one it lacks was never
 * added (a migration refused part-way), so its transitional rules never existed and adding them could be refused again.
 */
function transitionalRules(plan: Plan, copy: SecurityGroup): { onDefault: Rule[]; onCopy: Rule[] } {
  const copyId = copy.GroupId ?? '';
  const held = new Set(rulesOf(copy).map(ruleKey));
  const kept = plan.defaultRules.filter(
    (rule) =>
      referencesGroup(rule, plan.defaultGroupId) && held.has(ruleKey(twinOf(rule, plan.defaultGroupId, copyId))),
  );
  return { onDefault: kept.map((rule) => twinOf(rule, plan.defaultGroupId, copyId)), onCopy: kept };
}

const restoreSchema = contextSchema.extend({ stripped: z.boolean().nullish() });

/**
 * "Restore the default group's rules and the references": additive only, and only what the live state needs, so it
 * converges from any point a remediation stopped at (I6, I9):
 *  - first the default group's tags that the strip's mark replaced or added (core/marker.ts), so that the group no
 *    longer says "DO NOT USE" once it has rules again, and the watcher does not take the rules put back for new ones;
 *  - the default group's rules and the other groups' references as the snapshot has them (missing only once the strip
 *    revoked them, or someone else did);
 *  - once the strip began, the transitional rules it revoked, while the copy still exists (`transitionalRules`).
 * Before the strip nothing transitional is added: what the remediation added is still there, and what it never added
 * (a refused Authorize) must not be tried again. The twins stay until the interfaces are back. Traffic comes first: a
 * tag call that fails does not keep the rules from being put back; its error is raised after them.
 */
export async function restoreRules(
  raw: unknown,
  deps: Deps,
): Promise<{ added: number; groupsGone: string[]; tagsRestored: number; foreignTags: string[] }> {
  const input = parseInput(restoreSchema, raw);
  const snapshot = await loadSnapshot(deps, input.remediationId, input.target.groupId, input.snapshotRevision);
  const plan = snapshot.plan;
  const ec2 = deps.ec2(input.target);
  const replacementId = input.replacementGroupId;
  const wanted = new Map<string, Rule[]>(originalReferences(plan));
  wanted.set(plan.defaultGroupId, plan.defaultRules);
  const groups = await readGroups(ec2, [...wanted.keys(), ...(replacementId ? [replacementId] : [])]);
  if (!groups.has(plan.defaultGroupId)) {
    throw new InvalidInputError([`The default group ${plan.defaultGroupId} no longer exists: nothing to restore.`]);
  }
  let unmarked = { changed: 0, foreign: [] as string[] };
  let unmarkError: unknown;
  try {
    unmarked = await unmarkGroup(
      ec2,
      groups.get(plan.defaultGroupId) as SecurityGroup,
      snapshot.inventory.defaultGroup.Tags,
      input.remediationId,
      deps.pace,
    );
  } catch (error) {
    unmarkError = error;
  }
  const copy = replacementId ? groups.get(replacementId) : undefined;
  // Absent in executions of older definitions: then, as before, the strip is assumed to have run.
  if (copy && input.stripped !== false) {
    const { onDefault, onCopy } = transitionalRules(plan, copy);
    wanted.set(plan.defaultGroupId, [...plan.defaultRules, ...onDefault]);
    wanted.set(copy.GroupId ?? '', onCopy);
  }
  let added = 0;
  const groupsGone: string[] = [];
  for (const [groupId, rules] of wanted) {
    const group = groups.get(groupId);
    if (group) added += (await addRules(ec2, group, rules, deps.pace)).added;
    else groupsGone.push(groupId);
  }
  if (unmarkError !== undefined) throw unmarkError;
  return { added, groupsGone, tagsRestored: unmarked.changed, foreignTags: unmarked.foreign };
}

const batchSchema = contextSchema.extend({ batch: z.number().int().min(0) });

/** "Move the interfaces back" of one batch: the replacement swapped for the default group, in place. */
export async function moveBack(raw: unknown, deps: Deps): Promise<MoveOutput> {
  const input = parseInput(batchSchema, raw);
  const { plan } = await loadSnapshot(deps, input.remediationId, input.target.groupId, input.snapshotRevision);
  const ids = plan.batches[input.batch];
  if (!ids) throw new StepError('NoSuchBatch', [`The plan has no batch ${input.batch}.`]);
  if (!input.replacementGroupId)
    return { batch: input.batch, moved: 0, alreadyMoved: ids.length, gone: [], changed: [] };
  const change = { remediationId: input.remediationId };
  const services = deps.services(input.target);
  // Launch sources go back by restoring what they used (versions, pins, configurations) and deleting what the move
  // made; everything else by swapping the groups back.
  const restored = new Map(
    (plan.resourceMoves ?? [])
      .filter(
        (move) => move.configBefore && ids.includes(resourceKey(move.resource)) && services.restores(move.resource),
      )
      .map((move) => [resourceKey(move.resource), move]),
  );
  const output = await swapGroups(
    deps,
    input.target,
    ids.filter((id) => !restored.has(id)),
    input.replacementGroupId,
    plan.defaultGroupId,
    input.batch,
    change,
  );
  for (const [key, move] of restored) {
    await deps.pace(moveActionOf(move.resource.kind));
    const before = {
      ...move.resource,
      groups: move.groupsBefore,
      ...(move.configBefore ? { config: move.configBefore } : {}),
    };
    try {
      await services.restore(move.resource, before, change);
      await services.waitUntilSettled(move.resource);
      output.moved++;
    } catch (error) {
      if (!RESOURCE_NOT_FOUND_CODES.has(errorCode(error) ?? '')) throw error;
      output.gone.push(key);
    }
  }
  return output;
}

/** "Remove the replacement group": revoke the twins, then delete the copy once nothing uses it. */
export async function removeReplacement(raw: unknown, deps: Deps): Promise<{ removed: number; deleted: boolean }> {
  const input = parseInput(contextSchema, raw);
  const { plan } = await loadSnapshot(deps, input.remediationId, input.target.groupId, input.snapshotRevision);
  const replacementId = input.replacementGroupId;
  if (!replacementId) return { removed: 0, deleted: false };
  const ec2 = deps.ec2(input.target);
  const twins = twinsByGroup(plan, replacementId);
  const groups = await readGroups(ec2, [...twins.keys()]);
  let removed = 0;
  for (const [groupId, rules] of twins) {
    const group = groups.get(groupId);
    if (group) removed += (await removeRules(ec2, group, rules, deps.pace)).removed;
  }
  await deps.pace('DeleteSecurityGroup');
  try {
    await ec2.deleteSecurityGroup({ GroupId: replacementId });
  } catch (error) {
    const code = errorCode(error);
    if (code === 'InvalidGroup.NotFound') return { removed, deleted: false };
    if (code === 'DependencyViolation') {
      throw new StepError('ReplacementInUse', [
        `${replacementId} is still used or referenced by something this remediation did not put there; it was kept. ${
          (error as Error).message
        }`,
      ]);
    }
    throw error;
  }
  return { removed, deleted: true };
}

export interface RollbackReport {
  restored: true;
  /** Interfaces deleted since the snapshot: reported, not errors. */
  interfacesGone: string[];
  /** Rules added to the default group by someone else since the snapshot; left in place. */
  foreignRules: string[];
  /** Resources (Lambda functions, databases, load balancers, …) deleted since the snapshot: reported, not errors. */
  resourcesGone?: string[];
  /**
   * Tags of the mark's keys (core/marker.ts) that someone else changed since the snapshot: left as they are, like
   * foreign rules.
   */
  foreignTags?: string[];
}

/** Differences between the live state and the snapshot for everything the remediation touched. */
export async function compareWithSnapshot(
  ec2: Ec2Port,
  snapshot: Snapshot,
  services?: ServicesPort,
): Promise<{ problems: string[]; report: RollbackReport }> {
  const plan = snapshot.plan;
  const problems: string[] = [];
  const references = originalReferences(plan);
  const groups = await readGroups(ec2, [plan.defaultGroupId, ...references.keys()]);
  const defaultGroup = groups.get(plan.defaultGroupId) as SecurityGroup;
  const live = rulesOf(defaultGroup ?? {});
  for (const rule of minus(plan.defaultRules, live))
    problems.push(`Missing on the default group: ${describeRule(rule)}.`);
  const liveByKey = new Map(live.map((rule) => [ruleKey(rule), rule]));
  for (const rule of plan.defaultRules) {
    const current = liveByKey.get(ruleKey(rule));
    if (current && (current.description ?? '') !== (rule.description ?? '')) {
      problems.push(`Description differs on the default group: ${describeRule(rule)}.`);
    }
  }
  const foreignRules = minus(live, plan.defaultRules).map((rule) => describeRule(rule));
  const foreignTags: string[] = [];
  const mark = new Map(markTags(snapshot.remediationId).map((tag) => [tag.Key, tag.Value]));
  for (const key of MARK_KEYS) {
    const now = tagValue(defaultGroup?.Tags, key);
    const then = tagValue(snapshot.inventory.defaultGroup.Tags, key);
    if (now === then) continue;
    const said = (value: string | undefined) => (value === undefined ? 'no such tag' : quote(value));
    if (now === mark.get(key)) {
      problems.push(
        `The default group still carries the tag ${key} = ${said(now)} of the strip; the snapshot has ${said(then)}.`,
      );
    } else {
      foreignTags.push(
        `${key} is ${said(now)}, the snapshot has ${said(then)}: changed by someone else, left as it is.`,
      );
    }
  }
  for (const [groupId, rules] of references) {
    const group = groups.get(groupId);
    if (!group) continue;
    for (const rule of minus(rules, rulesOf(group))) problems.push(`Missing on ${groupId}: ${describeRule(rule)}.`);
  }
  // After the move back they are on the default group: read through it, by id only those that are not.
  const interfaces = await readInterfacesOn(
    ec2,
    plan.moves.map((move) => move.networkInterfaceId),
    [plan.defaultGroupId],
  );
  const interfacesGone: string[] = [];
  for (const move of plan.moves) {
    const eni = interfaces.get(move.networkInterfaceId);
    if (!eni) {
      interfacesGone.push(move.networkInterfaceId);
      continue;
    }
    const now = groupIdsOf(eni).sort().join(', ');
    const before = [...move.groupsBefore].sort().join(', ');
    if (now !== before) problems.push(`${move.networkInterfaceId} has groups ${now}, the snapshot has ${before}.`);
  }
  // Members the plan left on the default group (orphans) were never touched: their groups are the snapshot's.
  const left = plan.leftOnDefault ?? [];
  const leftNow =
    left.length > 0
      ? await readInterfaces(
          ec2,
          left.map((entry) => entry.networkInterfaceId),
        )
      : new Map();
  for (const { networkInterfaceId } of left) {
    const eni = leftNow.get(networkInterfaceId);
    const before = snapshot.inventory.members.find((member) => member.NetworkInterfaceId === networkInterfaceId);
    if (!eni || !before) continue;
    const now = groupIdsOf(eni).sort().join(', ');
    const then = groupIdsOf(before).sort().join(', ');
    if (now !== then) problems.push(`${networkInterfaceId} has groups ${now}, the snapshot has ${then}.`);
  }
  const resourcesGone: string[] = [];
  for (const move of plan.resourceMoves ?? []) {
    if (!services) break;
    const live = await services.describe(move.resource);
    if (!live) {
      resourcesGone.push(move.label);
      continue;
    }
    const now = [...live.groups].sort().join(', ');
    const before = [...move.groupsBefore].sort().join(', ');
    if (now !== before) problems.push(`${move.label} has groups ${now}, the snapshot has ${before}.`);
    if (move.configBefore && canonicalJson(live.config ?? {}) !== canonicalJson(move.configBefore))
      problems.push(
        `${move.label} is configured as ${canonicalJson(live.config ?? {})}, the snapshot has ${canonicalJson(move.configBefore)}.`,
      );
  }
  return {
    problems,
    report: {
      restored: true,
      interfacesGone,
      foreignRules,
      ...(services ? { resourcesGone } : {}),
      ...(foreignTags.length > 0 ? { foreignTags } : {}),
    },
  };
}

/** "Verify against the snapshot": rules with descriptions, memberships and references are as they were. */
export async function verifyRollback(raw: unknown, deps: Deps): Promise<RollbackReport> {
  const input = parseInput(contextSchema, raw);
  const snapshot = await loadSnapshot(deps, input.remediationId, input.target.groupId, input.snapshotRevision);
  const ec2 = deps.ec2(input.target);
  if (snapshot.plan.replacementNeeded && (await findReplacement(ec2, snapshot.plan))) {
    throw new StepError('RollbackIncomplete', ['The replacement group still exists.']);
  }
  const { problems, report } = await compareWithSnapshot(ec2, snapshot, deps.services(input.target));
  if (problems.length > 0) throw new StepError('RollbackIncomplete', problems);
  return report;
}

/** JSON with object keys sorted: two configurations compare equal whatever order their keys were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}
