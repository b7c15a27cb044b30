/**
 * The tighten state machine's steps (issue 14): propose least-privilege rules for a group (the remediation's copy)
 * from its flow logs, seal the snapshot before any change, add the proposed rules, re-check that the group is still
 * the one the proposal was made for, revoke the broad rules, verify the guarantee on the live state; and the rollback
 * machine's two steps that put a tightened group's rules back.
 */
import * as z from 'zod';
import { readSources } from '../adapters/flow-logs/sources.ts';
import type { Ec2State } from '../core/ec2-shapes.ts';
import { errorCode, InvalidInputError } from '../core/errors.ts';
import { FlowAggregator } from '../core/flow-logs/aggregate.ts';
import { checkGuarantee, tightenedState } from '../core/flow-logs/guarantee.ts';
import { DEFAULT_WINDOW_DAYS, membersOf, propose } from '../core/flow-logs/propose.ts';
import { compareTraffic } from '../core/reachability.ts';
import { ruleKey, rulesOf } from '../core/rules.ts';
import {
  connectionsToKeep,
  memberIds,
  openTightenSnapshot,
  restoreProblems,
  sealTightenSnapshot,
  type TightenBody,
  type TightenSnapshot,
  tightenDraftKey,
  tightenDrift,
  tightenProblems,
  tightenSnapshotKey,
} from '../core/tighten.ts';
import type { Ec2Port } from '../ports.ts';
import { parseInput, remediationIdSchema, runSchema, StepError, targetSchema } from './common.ts';
import type { Deps } from './deps.ts';
import { addRules, describeGroups, describeInterfaces, readGroups, removeRules } from './ec2-ops.ts';

/** How many lines of the traffic model's diff a snapshot keeps (the page and the notice show fewer). */
const DIFF_LINES = 200;

const requestSchema = z.object({
  remediationId: remediationIdSchema,
  request: z.object({
    target: targetSchema,
    windowDays: z.number().int().min(1).max(366).optional(),
    /** The window's end (ISO date and time); default now. */
    windowEnd: z.iso.datetime({ offset: true }).optional(),
  }),
});

export interface TightenRun {
  remediationId: string;
  target: z.infer<typeof targetSchema>;
  window: { days: number; end: string };
  /** How long the approval may wait: the Task's TimeoutSecondsPath. */
  approvalTimeoutSeconds: number;
}

/** "Check the request": the group to tighten and the window; refused naming the field, before anything is read. */
export async function parseTighten(raw: unknown, deps: Deps): Promise<TightenRun> {
  const input = parseInput(requestSchema, raw);
  const { target, windowDays, windowEnd } = input.request;
  return {
    remediationId: input.remediationId,
    target: { accountId: target.accountId, region: target.region, groupId: target.groupId },
    window: { days: windowDays ?? DEFAULT_WINDOW_DAYS, end: windowEnd ?? deps.now().toISOString() },
    approvalTimeoutSeconds: deps.settings.approvalTimeoutSeconds,
  };
}

/** The group's VPC as the proposal needs it: every group and interface of the VPC (peers become groups). */
async function readVpc(ec2: Ec2Port, groupId: string): Promise<{ vpcId: string; state: Ec2State }> {
  const group = (await readGroups(ec2, [groupId])).get(groupId);
  if (!group) throw new InvalidInputError([`target.groupId: ${groupId} does not exist.`]);
  if (!group.VpcId) throw new InvalidInputError([`target.groupId: ${groupId} is not in a VPC.`]);
  const vpc = [{ Name: 'vpc-id', Values: [group.VpcId] }];
  const [groups, interfaces] = [await describeGroups(ec2, vpc), await describeInterfaces(ec2, vpc)];
  return { vpcId: group.VpcId, state: { SecurityGroups: groups, NetworkInterfaces: interfaces } };
}

const runInput = runSchema.extend({
  window: z.object({ days: z.number().int().min(1).max(366), end: z.iso.datetime({ offset: true }) }),
});

/**
 * "Propose least-privilege rules from the flow logs": reads the VPC and the flow logs of the group's members (through
 * the FlowLogFinder port), proposes, checks the guarantee on the model, and stores the proposal as a draft. Changes
 * nothing. A VPC's default group is refused: it is stripped by the remediation, not tightened.
 */
export async function proposeTightening(
  raw: unknown,
  deps: Deps,
): Promise<{ tighten: boolean; add: number; revoke: number; reasons: string[] }> {
  const input = parseInput(runInput, raw);
  const ec2 = deps.ec2(input.target);
  const groupId = input.target.groupId;
  const { vpcId, state } = await readVpc(ec2, groupId);
  const group = state.SecurityGroups.find((g) => g.GroupId === groupId);
  if (group?.GroupName === 'default')
    throw new InvalidInputError([
      `target.groupId: ${groupId} is the default group of ${vpcId}; tighten the copy a remediation made (remediate strips the default group).`,
    ]);
  const end = Math.floor(Date.parse(input.window.end) / 1000);
  const window = { start: end - input.window.days * 86400, end };
  const members = membersOf(state, groupId);
  const found = await deps.flowLogs(input.target).find({
    accountId: input.target.accountId,
    region: input.target.region,
    vpcId,
    interfaceIds: [...members.keys()],
  });
  const aggregator = new FlowAggregator({ interfaces: members, window });
  await readSources(found.sources, aggregator, window);
  const observations = aggregator.observations();
  const proposal = propose(state, groupId, observations, { vpcId });
  proposal.warnings.unshift(...found.notes);
  const guarantee = checkGuarantee(state, proposal, observations);
  if (guarantee.broken.length > 0)
    throw new StepError('GuaranteeNotMet', [
      `The proposal would stop ${guarantee.broken.length} observed connections; nothing was changed.`,
      ...guarantee.broken.slice(0, 20),
    ]);
  const traffic = compareTraffic(state, tightenedState(state, proposal), { limit: DIFF_LINES });
  const draft: TightenBody = {
    tightenId: input.remediationId,
    createdAt: deps.now().toISOString(),
    accountId: input.target.accountId,
    region: input.target.region,
    vpcId,
    groupId,
    rulesBefore: rulesOf(group ?? {}),
    members: memberIds(state.NetworkInterfaces, groupId),
    proposal: {
      rules: proposal.rules,
      add: proposal.add,
      revoke: proposal.revoke,
      window: proposal.window,
      warnings: proposal.warnings,
      counts: proposal.counts,
      classes: proposal.classes,
    },
    connections: connectionsToKeep(state, observations, groupId),
    noLongerAllowed: traffic.differences.filter((line) => !line.endsWith('denied before, allowed after')),
    portSpace: { before: guarantee.portSpaceBefore, after: guarantee.portSpaceAfter },
  };
  await deps.store.put(tightenDraftKey(input.remediationId), JSON.stringify(draft));
  const tighten = proposal.tighten && proposal.add.length + proposal.revoke.length > 0;
  return {
    tighten,
    add: proposal.add.length,
    revoke: proposal.revoke.length,
    reasons: tighten ? [] : ['Nothing to tighten: the group stays as it is.', ...proposal.warnings],
  };
}

export async function loadTightenSnapshot(deps: Deps, tightenId: string): Promise<TightenSnapshot> {
  const text = await deps.store.get(tightenSnapshotKey(tightenId));
  if (text === undefined) throw new InvalidInputError([`No snapshot is stored for tightening ${tightenId}.`]);
  return openTightenSnapshot(text, tightenId);
}

async function recordStatus(deps: Deps, snapshot: TightenSnapshot, status: string): Promise<void> {
  await deps.ledger.putRemediation({
    remediationId: snapshot.tightenId,
    accountId: snapshot.accountId,
    region: snapshot.region,
    groupId: snapshot.groupId,
    vpcId: snapshot.vpcId,
    status,
    updatedAt: deps.now().toISOString(),
  });
}

/** "Save the snapshot": the draft sealed and written once (never overwritten), before any change (I3). */
export async function saveTightening(raw: unknown, deps: Deps): Promise<{ key: string; checksum: string }> {
  const { remediationId } = parseInput(runSchema, raw);
  const text = await deps.store.get(tightenDraftKey(remediationId));
  if (text === undefined) throw new StepError('PlanMissing', [`No proposal is stored for ${remediationId}.`]);
  const snapshot = sealTightenSnapshot(JSON.parse(text) as TightenBody);
  const key = tightenSnapshotKey(remediationId);
  try {
    await deps.store.put(key, JSON.stringify(snapshot), { ifAbsent: true });
  } catch (error) {
    if (errorCode(error) !== 'PreconditionFailed') throw error;
    // A retry after the write landed: the stored copy must be this very snapshot.
    if (openTightenSnapshot((await deps.store.get(key)) ?? '', remediationId).checksum !== snapshot.checksum)
      throw new StepError('SnapshotConflict', [`A different snapshot is already stored for ${remediationId}.`]);
  }
  await recordStatus(deps, snapshot, 'snapshot-saved');
  return { key, checksum: snapshot.checksum };
}

async function readGroupOf(deps: Deps, snapshot: TightenSnapshot, target: z.infer<typeof targetSchema>) {
  const ec2 = deps.ec2(target);
  const group = (await readGroups(ec2, [snapshot.groupId])).get(snapshot.groupId);
  if (!group) throw new StepError('GroupGone', [`${snapshot.groupId} no longer exists.`]);
  return { ec2, group };
}

/** Checks that the step's target is the snapshot's group (a foreign input cannot aim a snapshot elsewhere). */
async function snapshotFor(raw: unknown, deps: Deps) {
  const input = parseInput(runSchema, raw);
  const snapshot = await loadTightenSnapshot(deps, input.remediationId);
  const { accountId, region, groupId } = input.target;
  if (snapshot.groupId !== groupId || snapshot.accountId !== accountId || snapshot.region !== region)
    throw new InvalidInputError([
      `The snapshot of ${input.remediationId} is of ${snapshot.groupId} in ${snapshot.accountId} ${snapshot.region}.`,
    ]);
  return { input, snapshot };
}

/** "Add the proposed rules": additive first, so that no moment allows less than the end state. */
export async function addProposedRules(raw: unknown, deps: Deps): Promise<{ added: number }> {
  const { input, snapshot } = await snapshotFor(raw, deps);
  const { ec2, group } = await readGroupOf(deps, snapshot, input.target);
  await recordStatus(deps, snapshot, 'tightening');
  return { added: (await addRules(ec2, group, snapshot.proposal.add, deps.pace)).added };
}

/**
 * "Re-check the group before revoking": the approval may come days later. Rules added or revoked by someone else,
 * or members joined or gone, mean the proposal was made for another group: DriftDetected, and the run rolls back.
 */
export async function recheckTightening(raw: unknown, deps: Deps): Promise<{ unchanged: true }> {
  const { input, snapshot } = await snapshotFor(raw, deps);
  const { ec2, group } = await readGroupOf(deps, snapshot, input.target);
  const members = memberIds(
    await describeInterfaces(ec2, [{ Name: 'group-id', Values: [snapshot.groupId] }]),
    snapshot.groupId,
  );
  const drift = tightenDrift(snapshot, { rules: rulesOf(group), members });
  if (drift.length > 0) throw new StepError('DriftDetected', drift);
  return { unchanged: true };
}

/** "Revoke the broad rules": the proposed rules are in place and the group is as the proposal saw it. */
export async function revokeBroadRules(raw: unknown, deps: Deps): Promise<{ removed: number }> {
  const { input, snapshot } = await snapshotFor(raw, deps);
  const { ec2, group } = await readGroupOf(deps, snapshot, input.target);
  return { removed: (await removeRules(ec2, group, snapshot.proposal.revoke, deps.pace)).removed };
}

/** "Verify the tightened group": exactly the proposal's rules, the same members, every observed connection allowed. */
export async function verifyTightening(
  raw: unknown,
  deps: Deps,
): Promise<{ rules: number; connectionsKept: number; portSpace: TightenSnapshot['portSpace'] }> {
  const { input, snapshot } = await snapshotFor(raw, deps);
  const { state } = await readVpc(deps.ec2(input.target), snapshot.groupId);
  const problems = tightenProblems(snapshot, state);
  if (problems.length > 0) throw new StepError('VerificationFailed', problems);
  await recordStatus(deps, snapshot, 'tightened');
  return {
    rules: snapshot.proposal.rules.length,
    connectionsKept: snapshot.connections.length,
    portSpace: snapshot.portSpace,
  };
}

/**
 * Rollback, "Put the group's rules back": the rules of before that are missing first (with their descriptions), then
 * the tightening's own additions that were not there before are revoked. Converges from any point (I5, I6); rules
 * someone else added are left as they are.
 */
export async function restoreCopyRules(raw: unknown, deps: Deps): Promise<{ added: number; removed: number }> {
  const { input, snapshot } = await snapshotFor(raw, deps);
  const { ec2, group } = await readGroupOf(deps, snapshot, input.target);
  const added = (await addRules(ec2, group, snapshot.rulesBefore, deps.pace)).added;
  const fresh = added > 0 ? ((await readGroups(ec2, [snapshot.groupId])).get(snapshot.groupId) ?? group) : group;
  const before = new Set(snapshot.rulesBefore.map(ruleKey));
  const ours = snapshot.proposal.add.filter((rule) => !before.has(ruleKey(rule)));
  return { added, removed: (await removeRules(ec2, fresh, ours, deps.pace)).removed };
}

/** Rollback, "Verify the group's rules against the snapshot": the rules of before, with descriptions, and none of ours. */
export async function verifyCopyRules(
  raw: unknown,
  deps: Deps,
): Promise<{ restored: true; interfacesGone: string[]; foreignRules: string[] }> {
  const { input, snapshot } = await snapshotFor(raw, deps);
  const { group } = await readGroupOf(deps, snapshot, input.target);
  const { problems, foreignRules } = restoreProblems(snapshot, rulesOf(group));
  if (problems.length > 0) throw new StepError('RollbackIncomplete', problems);
  await recordStatus(deps, snapshot, 'rolled-back');
  return { restored: true, interfacesGone: [], foreignRules };
}
