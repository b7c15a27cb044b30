/**
 * Test harness for running the real state machine definitions (`state-machine/*.asl.json`) end to end with the local
 * runner, the EC2 simulator and a throw-away store: build a simulator from a state, remediate it with an approver,
 * roll it back, and look at what happened (EC2 calls in order, Task steps, the approval decision, notifications).
 *
 * Every session writes to its own temp directory (`dsr-…`), removed by `dispose()` / `disposeAll()`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalDeps } from '../../cli/deps.ts';
import { type ExecutionResult, type MachineName, runMachine, type StepEvent } from '../../cli/runner.ts';
import type { FlowLogFinder } from '../../handlers/adapters/flow-logs/sources.ts';
import {
  type Ec2Action,
  Ec2Simulator,
  type SimulatorHooks,
  type SimulatorOptions,
} from '../../handlers/adapters/local/ec2-simulator.ts';
import { type ServiceHooks, ServiceSimulator } from '../../handlers/adapters/local/service-simulator.ts';
import type { Ec2State, IpPermission, NetworkInterface, SecurityGroup, Tag } from '../../handlers/core/ec2-shapes.ts';
import { markTags } from '../../handlers/core/marker.ts';
import { isUnattached } from '../../handlers/core/owners.ts';
import { computeFlows, type FlowModel } from '../../handlers/core/reachability.ts';
import { openSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import type { Notification, ServicesPort } from '../../handlers/ports.ts';
import type { Decision } from '../../handlers/steps/approval.ts';
import type { Deps, Settings } from '../../handlers/steps/deps.ts';
import { expectedLaunchSources } from './launch-oracle.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared/examples/<name>` next to the repository. */
export function examplePath(name: string): string {
  return join(repoRoot, '..', 'shared', 'examples', name);
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** A scenario state of `test/fixtures/states/`, by its name without `.state.json`. */
export function scenarioState(name: string): Ec2State {
  return readJson<Ec2State>(join(repoRoot, 'test', 'fixtures', 'states', `${name}.state.json`));
}

/** The `input` of an event fixture of `test/fixtures/events/`, by its name without `.json`. */
export function eventFixture(name: string): unknown {
  return readJson<{ input: unknown }>(join(repoRoot, 'test', 'fixtures', 'events', `${name}.json`)).input;
}

/** The EC2 actions that change something. */
export const MUTATING_ACTIONS: readonly Ec2Action[] = [
  'CreateSecurityGroup',
  'DeleteSecurityGroup',
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'RevokeSecurityGroupEgress',
  'UpdateSecurityGroupRuleDescriptionsIngress',
  'UpdateSecurityGroupRuleDescriptionsEgress',
  'ModifyNetworkInterfaceAttribute',
  'CreateTags',
  'DeleteTags',
];

export function isMutating(action: string): boolean {
  return (MUTATING_ACTIONS as readonly string[]).includes(action);
}

/** What happened during a session, in order. */
export type TraceEvent =
  | { kind: 'call'; action: Ec2Action; input: unknown }
  | { kind: 'step'; state: string; step: string; error?: { name: string; message: string } }
  | { kind: 'decision'; decision: Decision };

export interface MachineOptions {
  /** Called after each Task (of the remediation and of any rollback it starts) with the simulator. */
  onStep?: (event: StepEvent, simulator: Ec2Simulator) => void;
  executionName?: string;
}

export interface RemediateOptions extends MachineOptions {
  /** The approver's decision; default `approved`. `never`: nobody decides (the approval times out). */
  approve?: Decision | 'never';
  /** Runs while the execution waits for approval, before the decision (e.g. to change the live state). */
  onApproval?: (simulator: Ec2Simulator) => void | Promise<void>;
  /** The execution input; default the direct input `{ accountId, region, groupId }` for `groupId`. */
  input?: unknown;
  /** The group to remediate with the direct input; default the first group named `default`. */
  groupId?: string;
}

export interface TightenOptions extends MachineOptions {
  approve?: Decision | 'never';
  onApproval?: (simulator: Ec2Simulator) => void | Promise<void>;
  /** The flow log window: its end (ISO) and length; default the sample's end and 30 days. */
  windowEnd?: string;
  windowDays?: number;
}

export interface SessionOptions {
  simulator?: SimulatorOptions;
  /** Where the tighten machine reads flow logs. */
  flowLogs?: FlowLogFinder;
  settings?: Partial<Settings>;
  /** Fault injection, run after the harness records the call. */
  hooks?: SimulatorHooks;
}

export interface Session {
  simulator: Ec2Simulator;
  deps: Deps;
  storeDir: string;
  notifications: Notification[];
  trace: TraceEvent[];
  /** The simulator's state when the session started. */
  original: Ec2State;
  setHooks(hooks: SimulatorHooks): void;
  /** Hooks around the owner services' changes (handlers/adapters/local/service-simulator.ts), for fault injection. */
  setServiceHooks(hooks: ServiceHooks): void;
  remediate(options?: RemediateOptions): Promise<ExecutionResult>;
  rollback(remediationId: string, options?: MachineOptions): Promise<ExecutionResult>;
  /** Runs the tighten machine on `groupId` (the session's `flowLogs`), approved unless told otherwise. */
  tighten(groupId: string, options?: TightenOptions): Promise<ExecutionResult>;
  /** Mutating EC2 calls made so far (failed ones included), by action. */
  mutatingCalls(): Record<string, number>;
  mutatingCallCount(): number;
  dispose(): void;
}

const sessions = new Set<Session>();

/** Removes every session's temp directory (call from afterEach / afterAll). */
export function disposeAll(): void {
  for (const session of [...sessions]) session.dispose();
}

export function directInput(
  simulator: Ec2Simulator,
  groupId: string,
): { accountId: string; region: string; groupId: string } {
  return { accountId: simulator.accountId, region: simulator.region, groupId };
}

/** The id of the first group named `default` of the state (the group under test of every scenario file). */
export function firstDefaultGroupId(state: Ec2State): string {
  const group = state.SecurityGroups.find((candidate) => candidate.GroupName === 'default');
  if (!group?.GroupId) throw new Error('the state has no default group');
  return group.GroupId;
}

export function createSession(state: Ec2State, options: SessionOptions = {}): Session {
  const simulator = Ec2Simulator.fromState(state, options.simulator);
  const storeDir = mkdtempSync(join(tmpdir(), 'dsr-'));
  const notifications: Notification[] = [];
  const trace: TraceEvent[] = [];
  const deps = createLocalDeps({
    simulator,
    storeDir,
    notifier: {
      async publish(notification) {
        notifications.push(notification);
      },
    },
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.flowLogs ? { flowLogs: options.flowLogs } : {}),
  });
  let userHooks: SimulatorHooks = options.hooks ?? {};
  simulator.setHooks({
    async before(action, input) {
      trace.push({ kind: 'call', action, input });
      await userHooks.before?.(action, input);
    },
    async after(action, input, output) {
      await userHooks.after?.(action, input, output);
    },
  });

  /** Runs a machine; an exception thrown by `onStep` (an assertion) is rethrown after the run, not fed to the machine. */
  const run = async (
    machine: MachineName,
    input: unknown,
    machineOptions: MachineOptions & Pick<RemediateOptions, 'onApproval'>,
    approve: Decision | 'never' | undefined,
  ): Promise<ExecutionResult> => {
    let stepFailure: { error: unknown } | undefined;
    const result = await runMachine(machine, input, {
      deps,
      ...(machineOptions.executionName ? { executionName: machineOptions.executionName } : {}),
      approver: async () => {
        await machineOptions.onApproval?.(simulator);
        if (approve === 'never') return new Promise<Decision>(() => {});
        const decision = approve ?? 'rejected';
        trace.push({ kind: 'decision', decision });
        return decision;
      },
      onStep(event) {
        trace.push({
          kind: 'step',
          state: event.state,
          step: event.step,
          ...(event.error ? { error: event.error } : {}),
        });
        if (stepFailure || !machineOptions.onStep) return;
        try {
          machineOptions.onStep(event, simulator);
        } catch (error) {
          stepFailure = { error };
        }
      },
    });
    if (stepFailure) throw stepFailure.error;
    return result;
  };

  const session: Session = {
    simulator,
    deps,
    storeDir,
    notifications,
    trace,
    original: simulator.toState(),
    setHooks(hooks) {
      userHooks = hooks;
    },
    setServiceHooks(hooks) {
      const target = { accountId: simulator.accountId, region: simulator.region, groupId: 'sg-00000000' };
      const services = deps.services(target);
      if (!(services instanceof ServiceSimulator)) throw new Error('the session has no service simulator');
      services.setHooks(hooks);
    },
    remediate(remediateOptions = {}) {
      const input =
        remediateOptions.input ??
        directInput(simulator, remediateOptions.groupId ?? firstDefaultGroupId(session.original));
      return run('remediate', input, remediateOptions, remediateOptions.approve ?? 'approved');
    },
    rollback(remediationId, machineOptions = {}) {
      return run('rollback', { remediationId }, machineOptions, undefined);
    },
    tighten(groupId, tightenOptions = {}) {
      const input = {
        target: directInput(simulator, groupId),
        windowEnd: tightenOptions.windowEnd ?? '2026-12-01T00:00:00Z',
        windowDays: tightenOptions.windowDays ?? 30,
      };
      return run('tighten', input, tightenOptions, tightenOptions.approve ?? 'approved');
    },
    mutatingCalls() {
      return Object.fromEntries(Object.entries(simulator.callCounts()).filter(([action]) => isMutating(action)));
    },
    mutatingCallCount() {
      return Object.values(session.mutatingCalls()).reduce((sum, count) => sum + count, 0);
    },
    dispose() {
      rmSync(storeDir, { recursive: true, force: true });
      sessions.delete(session);
    },
  };
  sessions.add(session);
  return session;
}

export interface RemediationRun {
  session: Session;
  result: ExecutionResult;
  simulator: Ec2Simulator;
  deps: Deps;
  before: Ec2State;
  after: Ec2State;
  notifications: Notification[];
  /** Rolls this remediation back (same simulator and store). */
  rollback(options?: MachineOptions): Promise<RollbackRun>;
}

export interface RollbackRun {
  result: ExecutionResult;
  before: Ec2State;
  after: Ec2State;
}

/** Builds a session from `state` and remediates its first default group (or `options.groupId` / `options.input`). */
export async function remediateState(
  state: Ec2State,
  options: RemediateOptions & SessionOptions = {},
): Promise<RemediationRun> {
  const session = createSession(state, options);
  const before = session.original;
  const result = await session.remediate(options);
  return {
    session,
    result,
    simulator: session.simulator,
    deps: session.deps,
    before,
    after: session.simulator.toState(),
    notifications: session.notifications,
    async rollback(machineOptions = {}) {
      const rollbackBefore = session.simulator.toState();
      const rollbackResult = await session.rollback(result.executionName, machineOptions);
      return { result: rollbackResult, before: rollbackBefore, after: session.simulator.toState() };
    },
  };
}

/** `port` with its `setGroups` replaced: how the tests crash, refuse or watch a move through an owner service. */
export function withSetGroups(port: ServicesPort, setGroups: ServicesPort['setGroups']): ServicesPort {
  return {
    findUsing: (...args) => port.findUsing(...args),
    resolveMember: (...args) => port.resolveMember(...args),
    describe: (ref) => port.describe(ref),
    waitUntilSettled: (ref) => port.waitUntilSettled(ref),
    restores: (ref) => port.restores(ref),
    restore: (...args) => port.restore(...args),
    setGroups,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Looking at states

export function groupById(state: Ec2State, groupId: string): SecurityGroup {
  const group = state.SecurityGroups.find((candidate) => candidate.GroupId === groupId);
  if (!group) throw new Error(`no group ${groupId}`);
  return group;
}

export function findGroup(state: Ec2State, groupId: string): SecurityGroup | undefined {
  return state.SecurityGroups.find((candidate) => candidate.GroupId === groupId);
}

export function groupByName(state: Ec2State, name: string, vpcId?: string): SecurityGroup {
  const group = state.SecurityGroups.find(
    (candidate) => candidate.GroupName === name && (vpcId === undefined || candidate.VpcId === vpcId),
  );
  if (!group) throw new Error(`no group named ${name}`);
  return group;
}

export function eniById(state: Ec2State, eniId: string): NetworkInterface {
  const eni = (state.NetworkInterfaces ?? []).find((candidate) => candidate.NetworkInterfaceId === eniId);
  if (!eni) throw new Error(`no interface ${eniId}`);
  return eni;
}

export function eniGroups(state: Ec2State, eniId: string): string[] {
  return (eniById(state, eniId).Groups ?? []).map((group) => group.GroupId ?? '');
}

/** Groups of the state that were not in `original` (the replacement). */
export function newGroups(original: Ec2State, state: Ec2State): SecurityGroup[] {
  const known = new Set(original.SecurityGroups.map((group) => group.GroupId));
  return state.SecurityGroups.filter((group) => !known.has(group.GroupId));
}

/**
 * One rule (one peer of an IpPermission) with every field EC2 describes for it: protocol, ports, the peer list it
 * sits in and the peer entry as is (description, UserId, VpcId, peering fields, GroupName…).
 */
export interface FlatRule {
  protocol: string;
  from?: number;
  to?: number;
  list: 'IpRanges' | 'Ipv6Ranges' | 'PrefixListIds' | 'UserIdGroupPairs';
  peer: Record<string, unknown>;
}

const PEER_LISTS = ['IpRanges', 'Ipv6Ranges', 'PrefixListIds', 'UserIdGroupPairs'] as const;

export interface NormalizeOptions {
  /**
   * Leave out the pair fields EC2 fills in itself when it describes a rule (`GroupName`, `PeeringStatus`): they are
   * not part of what Authorize* sets, so a rule added by the workflow may lack them where a described one has them.
   */
  ignoreDerivedPairFields?: boolean;
}

export function flatRules(permissions: IpPermission[] | undefined, options: NormalizeOptions = {}): FlatRule[] {
  const rules: FlatRule[] = [];
  for (const permission of permissions ?? []) {
    for (const list of PEER_LISTS) {
      for (const entry of (permission[list] ?? []) as Record<string, unknown>[]) {
        const peer = { ...entry };
        if (options.ignoreDerivedPairFields && list === 'UserIdGroupPairs') {
          delete peer.GroupName;
          delete peer.PeeringStatus;
        }
        rules.push({
          protocol: permission.IpProtocol ?? '',
          ...(permission.FromPort === undefined ? {} : { from: permission.FromPort }),
          ...(permission.ToPort === undefined ? {} : { to: permission.ToPort }),
          list,
          peer: sortKeys(peer),
        });
      }
    }
  }
  return rules.sort(compareJson);
}

/** Ingress and egress rules of a group, flattened and sorted. */
export function rulesOfGroup(
  group: SecurityGroup,
  options: NormalizeOptions = {},
): { ingress: FlatRule[]; egress: FlatRule[] } {
  return { ingress: flatRules(group.IpPermissions, options), egress: flatRules(group.IpPermissionsEgress, options) };
}

/** Rules of `group` in `direction` whose peer is the group `peerGroupId`. */
export function rulesReferencing(
  group: SecurityGroup,
  direction: 'ingress' | 'egress',
  peerGroupId: string,
  options: NormalizeOptions = {},
): FlatRule[] {
  return rulesOfGroup(group, options)[direction].filter(
    (rule) => rule.list === 'UserIdGroupPairs' && rule.peer.GroupId === peerGroupId,
  );
}

function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, entry]) => entry !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, entry]) => [key, sortKeys(entry)]),
    ) as T;
  }
  return value;
}

function compareJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A state in a form where equal means "the same EC2 configuration": groups by id with every field and their rules
 * flattened to one entry per peer (descriptions and pair fields included) and sorted, since EC2 does not order rules;
 * interfaces by id with every field, their groups in order. Tags sorted by key.
 */
export function normalizeState(state: Ec2State, options: NormalizeOptions = {}): unknown {
  const { SecurityGroups, NetworkInterfaces, ...extras } = state;
  const groups = [...SecurityGroups]
    .map((group) => {
      const { IpPermissions, IpPermissionsEgress, Tags, ...rest } = group;
      return sortKeys({
        ...rest,
        // No tags and an empty list say the same (EC2 describes a group whose last tag was deleted without `Tags`).
        ...(Tags && Tags.length > 0 ? { Tags: [...Tags].sort(compareJson) } : {}),
        ingress: flatRules(IpPermissions, options),
        egress: flatRules(IpPermissionsEgress, options),
      });
    })
    .sort((a, b) => String(a.GroupId).localeCompare(String(b.GroupId)));
  const interfaces = [...(NetworkInterfaces ?? [])]
    .map((eni) => sortKeys(eni))
    .sort((a, b) => String(a.NetworkInterfaceId).localeCompare(String(b.NetworkInterfaceId)));
  return { extras: sortKeys(extras), groups, interfaces };
}

/**
 * The traffic model of a state, without the interfaces attached to nothing (`Status: available`, no live attachment):
 * no traffic goes through an interface no instance or service uses. The model itself does not read attachments.
 */
export function flowsOf(state: Ec2State): FlowModel {
  return computeFlows({
    ...state,
    NetworkInterfaces: (state.NetworkInterfaces ?? []).filter((eni) => !isUnattached(eni)),
  });
}

/** The members the remediation's plan (its latest snapshot revision) left on the default group, by id. */
export async function leftOnDefaultOf(session: Session, remediationId: string): Promise<string[]> {
  const second = await session.deps.store.get(snapshotKey(remediationId, 2));
  const text = second ?? (await session.deps.store.get(snapshotKey(remediationId)));
  if (text === undefined) return [];
  const snapshot = openSnapshot(text, { remediationId, revision: second === undefined ? 1 : 2 });
  return (snapshot.plan.leftOnDefault ?? []).map((entry) => entry.networkInterfaceId);
}

/** The steps (Task state names) of the trace, in order. */
export function stepsOf(trace: TraceEvent[]): string[] {
  return trace.flatMap((event) => (event.kind === 'step' ? [event.state] : []));
}

/** The EC2 calls of the trace, in order. */
export function callsOf(trace: TraceEvent[]): { action: Ec2Action; input: unknown }[] {
  return trace.flatMap((event) => (event.kind === 'call' ? [{ action: event.action, input: event.input }] : []));
}

/** IpPermissions with every pair naming `from` pointing at `to` instead (all other pair fields kept). */
export function retargetPermissions(permissions: IpPermission[] | undefined, from: string, to: string): IpPermission[] {
  return (permissions ?? []).map((permission) => ({
    ...permission,
    UserIdGroupPairs: (permission.UserIdGroupPairs ?? []).map((pair) =>
      pair.GroupId === from ? { ...pair, GroupId: to } : pair,
    ),
  }));
}

/**
 * The state a finished remediation of `defaultGroupId` must leave, computed from the original state alone: the
 * default group without rules; with a replacement, the replacement holding the default group's rules with every
 * reference to the default group pointing at the replacement, every other group's references to the default group
 * pointing at the replacement, and each interface's default group swapped for the replacement in place. Everything
 * else unchanged. Compare with `normalizeState(…, { ignoreDerivedPairFields: true })`.
 */
export function expectedAfterRemediation(
  original: Ec2State,
  defaultGroupId: string,
  replacement: SecurityGroup | undefined,
  /** Members the plan leaves on the default group (orphans attached to nothing): unchanged. */
  leftOnDefault: readonly string[] = [],
  /** The remediation whose mark the stripped group carries (`Name` and the status tag, core/marker.ts). */
  remediationId?: string,
): Ec2State {
  const defaultGroup = groupById(original, defaultGroupId);
  const replacementId = replacement?.GroupId;
  const marked = (tags: Tag[] | undefined): Tag[] | undefined => {
    if (remediationId === undefined) return tags;
    const mark = markTags(remediationId);
    return [...(tags ?? []).filter((tag) => !mark.some((added) => added.Key === tag.Key)), ...mark];
  };
  const groups: SecurityGroup[] = original.SecurityGroups.map((group) => {
    if (group.GroupId === defaultGroupId) {
      const tags = marked(group.Tags);
      return { ...group, IpPermissions: [], IpPermissionsEgress: [], ...(tags ? { Tags: tags } : {}) };
    }
    if (!replacementId) return group;
    return {
      ...group,
      IpPermissions: retargetPermissions(group.IpPermissions, defaultGroupId, replacementId),
      IpPermissionsEgress: retargetPermissions(group.IpPermissionsEgress, defaultGroupId, replacementId),
    };
  });
  if (replacement && replacementId) {
    groups.push({
      ...replacement,
      IpPermissions: retargetPermissions(defaultGroup.IpPermissions, defaultGroupId, replacementId),
      IpPermissionsEgress: retargetPermissions(defaultGroup.IpPermissionsEgress, defaultGroupId, replacementId),
    });
  }
  const interfaces = (original.NetworkInterfaces ?? []).map((eni) => {
    if (!replacementId || leftOnDefault.includes(eni.NetworkInterfaceId ?? '')) return eni;
    return {
      ...eni,
      Groups: (eni.Groups ?? []).map((group) =>
        group.GroupId === defaultGroupId ? { GroupId: replacementId, GroupName: replacement?.GroupName } : group,
      ),
    };
  });
  // The services' records (Functions, DBInstances, LoadBalancers…) name their groups by id: the owners moved too.
  const { SecurityGroups: _groups, NetworkInterfaces: _interfaces, ...services } = original;
  const movedServices = replacementId
    ? replaceGroup(services, defaultGroupId, { GroupId: replacementId, GroupName: replacement?.GroupName })
    : services;
  // Launch sources move by new versions and copies, not in place (test/support/launch-sources.ts).
  const launched =
    replacementId && remediationId
      ? expectedLaunchSources(original as never, defaultGroupId, replacementId, remediationId)
      : {};
  return {
    ...(movedServices as object),
    ...launched,
    SecurityGroups: groups,
    NetworkInterfaces: interfaces,
  } as Ec2State;
}

/** `value` with group `from` replaced by `to` at any depth: ids as strings, and `{GroupId, GroupName}` pairs. */
function replaceGroup(value: unknown, from: string, to: { GroupId: string; GroupName?: string }): unknown {
  if (value === from) return to.GroupId;
  if (Array.isArray(value)) return value.map((item) => replaceGroup(item, from, to));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (record.GroupId === from && 'GroupName' in record) return { ...record, ...to };
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, replaceGroup(inner, from, to)]));
}
