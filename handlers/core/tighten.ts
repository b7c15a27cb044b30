/**
 * Applying a least-privilege proposal to a group (issue 14), the pure part: the sealed snapshot written before any
 * change (the group's rules and members as the proposal saw them, the proposal, the observed connections it must keep
 * allowed), the drift a re-check looks for, what verification and rollback compare, and the change in words.
 */
import { createHash } from 'node:crypto';
import type { Ec2State, NetworkInterface } from './ec2-shapes.ts';
import { InvalidInputError } from './errors.ts';
import type { Observations } from './flow-logs/aggregate.ts';
import { allows, describeConnection, type ObservedConnection, observedConnections } from './flow-logs/guarantee.ts';
import { describeRule, type Proposal, type ProposedRule } from './flow-logs/propose.ts';
import { computeFlows } from './reachability.ts';
import { minus, type Rule, ruleKey, rulesOf } from './rules.ts';
import { canonicalJson } from './snapshot.ts';

export const TIGHTEN_SNAPSHOT_VERSION = 1;

/** Where a tightening's snapshot is kept: apart from the migrations' (`snapshots/…`), so neither is taken for the other. */
export function tightenSnapshotKey(tightenId: string): string {
  return `tightenings/${tightenId}.json`;
}

/** The proposal before it is sealed (written by the propose step, read by the snapshot step). */
export function tightenDraftKey(tightenId: string): string {
  return `tighten-plans/${tightenId}.json`;
}

export interface TightenBody {
  tightenId: string;
  createdAt: string;
  accountId: string;
  region: string;
  vpcId: string;
  /** The group tightened (the remediation's copy). */
  groupId: string;
  /** The group's rules before any change, with their descriptions. */
  rulesBefore: Rule[];
  /** The group's member interfaces when the proposal was made, sorted. */
  members: string[];
  proposal: Pick<Proposal, 'rules' | 'add' | 'revoke' | 'window' | 'warnings' | 'counts' | 'classes'>;
  /** The observed connections the state allowed before: each must stay allowed (the guarantee, checked live). */
  connections: ObservedConnection[];
  /** What will no longer be allowed, from the traffic model (compareTraffic's lines, bounded). */
  noLongerAllowed: string[];
  portSpace: { before: number; after: number };
}

export interface TightenSnapshot extends TightenBody {
  version: typeof TIGHTEN_SNAPSHOT_VERSION;
  kind: 'tighten';
  checksum: string;
}

function checksumOf(body: Omit<TightenSnapshot, 'checksum'>): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function sealTightenSnapshot(body: TightenBody): TightenSnapshot {
  const unsealed = { ...body, version: TIGHTEN_SNAPSHOT_VERSION, kind: 'tighten' } as const;
  return { ...unsealed, checksum: checksumOf(unsealed) };
}

/** Parses a stored tightening snapshot; refuses one that is damaged or not of this tightening. */
export function openTightenSnapshot(text: string, tightenId: string): TightenSnapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidInputError([`The snapshot of ${tightenId} is not valid JSON.`]);
  }
  const candidate = parsed as Partial<TightenSnapshot> | null;
  if (!candidate || typeof candidate !== 'object' || typeof candidate.checksum !== 'string')
    throw new InvalidInputError([`The snapshot of ${tightenId} has no checksum.`]);
  const { checksum, ...body } = candidate as TightenSnapshot;
  if (body.version !== TIGHTEN_SNAPSHOT_VERSION || body.kind !== 'tighten' || checksumOf(body) !== checksum)
    throw new InvalidInputError([
      `The snapshot of ${tightenId} fails its checksum: it was changed or damaged after it was written.`,
    ]);
  if (body.tightenId !== tightenId)
    throw new InvalidInputError([`The snapshot belongs to ${body.tightenId}, not ${tightenId}.`]);
  return candidate as TightenSnapshot;
}

/** The member interfaces of `groupId` among `interfaces`, sorted. */
export function memberIds(interfaces: readonly NetworkInterface[], groupId: string): string[] {
  return interfaces
    .filter((eni) => (eni.Groups ?? []).some((group) => group.GroupId === groupId))
    .map((eni) => eni.NetworkInterfaceId ?? '')
    .sort();
}

const keys = (rules: readonly Rule[]) => new Set(rules.map(ruleKey));

/**
 * What changed on the group since the proposal, apart from the proposal's own additions: rules added or revoked by
 * someone else, members joined or gone. Any of it means the proposal was made for another group: stop.
 */
export function tightenDrift(
  snapshot: Pick<TightenSnapshot, 'rulesBefore' | 'members' | 'proposal' | 'groupId'>,
  live: { rules: readonly Rule[]; members: readonly string[] },
): string[] {
  const reasons: string[] = [];
  const ours = keys(snapshot.proposal.add);
  const before = keys(snapshot.rulesBefore);
  for (const rule of snapshot.rulesBefore.filter((r) => !keys(live.rules).has(ruleKey(r))))
    reasons.push(`${snapshot.groupId} lost a rule since the proposal: ${describeRule({ rule })}.`);
  for (const rule of live.rules.filter((r) => !before.has(ruleKey(r)) && !ours.has(ruleKey(r))))
    reasons.push(`${snapshot.groupId} gained a rule since the proposal: ${describeRule({ rule })}.`);
  const then = new Set(snapshot.members);
  const now = new Set(live.members);
  for (const id of live.members.filter((m) => !then.has(m)))
    reasons.push(`${id} joined ${snapshot.groupId} since the proposal: its traffic is not in the flow logs read.`);
  for (const id of snapshot.members.filter((m) => !now.has(m)))
    reasons.push(`${id} left ${snapshot.groupId} since the proposal.`);
  return reasons;
}

/** The group's rules once tightened: those before, less the revoked, plus the added. */
export function tightenedRules(snapshot: Pick<TightenSnapshot, 'rulesBefore' | 'proposal'>): Rule[] {
  return [...minus(snapshot.rulesBefore, snapshot.proposal.revoke), ...snapshot.proposal.add];
}

/**
 * What verification finds wrong with the live state after tightening: the group's rules are not exactly the
 * proposal's, its members changed, or an observed connection is no longer allowed by the traffic model of the live
 * state (the guarantee, checked on what EC2 now answers rather than on the model of the proposal).
 */
export function tightenProblems(snapshot: TightenSnapshot, live: Ec2State): string[] {
  const problems: string[] = [];
  const group = live.SecurityGroups.find((g) => g.GroupId === snapshot.groupId);
  if (!group) return [`${snapshot.groupId} no longer exists.`];
  const rules = rulesOf(group);
  const wanted = tightenedRules(snapshot);
  for (const rule of minus(wanted, rules)) problems.push(`Missing on ${snapshot.groupId}: ${describeRule({ rule })}.`);
  for (const rule of minus(rules, wanted))
    problems.push(`Not in the proposal, still on ${snapshot.groupId}: ${describeRule({ rule })}.`);
  const members = memberIds(live.NetworkInterfaces, snapshot.groupId);
  if (members.join(',') !== snapshot.members.join(','))
    problems.push(`The members of ${snapshot.groupId} changed during the run.`);
  const model = computeFlows(live, { interfaces: members });
  for (const connection of snapshot.connections)
    if (!allows(model, connection))
      problems.push(`An observed connection is no longer allowed: ${describeConnection(connection)}.`);
  return problems;
}

/** What a rollback finds wrong: a rule of before missing, or one the tightening added (not there before) still there. */
export function restoreProblems(
  snapshot: Pick<TightenSnapshot, 'rulesBefore' | 'proposal' | 'groupId'>,
  liveRules: readonly Rule[],
): { problems: string[]; foreignRules: string[] } {
  const problems: string[] = [];
  const live = new Map(liveRules.map((rule) => [ruleKey(rule), rule]));
  for (const rule of snapshot.rulesBefore) {
    const now = live.get(ruleKey(rule));
    if (!now) problems.push(`Missing on ${snapshot.groupId}: ${describeRule({ rule })}.`);
    else if ((now.description ?? '') !== (rule.description ?? ''))
      problems.push(`Description differs on ${snapshot.groupId}: ${describeRule({ rule })}.`);
  }
  const before = keys(snapshot.rulesBefore);
  const added = keys(snapshot.proposal.add);
  const extra = liveRules.filter((rule) => !before.has(ruleKey(rule)));
  for (const rule of extra.filter((r) => added.has(ruleKey(r))))
    problems.push(`Added by the tightening, still on ${snapshot.groupId}: ${describeRule({ rule })}.`);
  const foreignRules = extra.filter((r) => !added.has(ruleKey(r))).map((rule) => describeRule({ rule }));
  return { problems, foreignRules };
}

/** The observed connections the proposal must keep allowed, as stored (JSON-friendly). */
export function connectionsToKeep(state: Ec2State, observations: Observations, groupId: string): ObservedConnection[] {
  const members = memberIds(state.NetworkInterfaces, groupId);
  const model = computeFlows(state, { interfaces: members });
  const seen = new Set<string>();
  const kept: ObservedConnection[] = [];
  for (const connection of observedConnections(state, observations)) {
    if (!allows(model, connection)) continue;
    const key = JSON.stringify(connection);
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(connection);
  }
  return kept;
}

/**
 * The tightening in words, for the approval notice, the page and the command line: what the group will allow, what
 * is removed, what will no longer be allowed (traffic model), the window and its warnings. Ids, blocks and ports only;
 * warnings are the reader's own words. Every list bounded by `limit`.
 */
export function describeTightening(snapshot: TightenBody, limit = Number.POSITIVE_INFINITY): string[] {
  const { proposal } = snapshot;
  const w = proposal.window;
  const list = (items: string[]) => [
    ...items.slice(0, limit).map((item) => `  ${item}`),
    ...(items.length > limit ? [`  … and ${items.length - limit} more`] : []),
  ];
  const shrink = snapshot.portSpace.before > 0 ? (1 - snapshot.portSpace.after / snapshot.portSpace.before) * 100 : 0;
  return [
    `Tighten ${snapshot.groupId} (${snapshot.members.length} member interfaces) to what its flow logs show, ${w.from} to ${w.to} (${w.days} days, ${w.coveredDays} covered).`,
    '',
    `It will allow only (${proposal.rules.length} rules):`,
    ...list(proposal.rules.map((r: ProposedRule) => describeRule(r))),
    '',
    `Rules added (${proposal.add.length}), first, before any is removed:`,
    ...list(proposal.add.map((rule) => describeRule({ rule }))),
    '',
    `Rules removed (${proposal.revoke.length}):`,
    ...list(proposal.revoke.map((rule) => describeRule({ rule }))),
    '',
    'No longer allowed (traffic model, by peer and port):',
    ...list(snapshot.noLongerAllowed.length > 0 ? snapshot.noLongerAllowed : ['nothing']),
    '',
    `Every one of the ${snapshot.connections.length} observed connections stays allowed; the allowed port space between interfaces shrinks by ${(Math.floor(shrink * 100) / 100).toFixed(2)} % (rounded down).`,
    ...(proposal.warnings.length > 0 ? ['', 'Warnings:', ...list(proposal.warnings.map((x) => `- ${x}`))] : []),
  ];
}
