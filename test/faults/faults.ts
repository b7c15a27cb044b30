/**
 * Fault injection over the real state machine definitions: for every scenario state (plus the shared sample with drift
 * during the approval wait, so the re-check's migration is faulted too) and every EC2 call the workflow makes in it
 * (describes included, the remediation's and then the rollback's) and every change an owner service makes (a
 * function's, a service's, a launch template's…, through the service simulator's hooks), one run per fault kind with
 * that one fault injected at that call:
 *  - an error answer before the call takes effect: `RequestLimitExceeded` and `InternalError` (transient: Step
 *    Functions' Retry must re-run the step), `UnauthorizedOperation` (not retryable: the run must fail cleanly);
 *  - a crash after the call took effect but before the handler returned (`Lambda.Unknown`: the step is retried and
 *    must converge, I5);
 *  - at every Authorize of the remediation that fills the copy or adds a twin, refusals EC2 keeps answering for that
 *    group and direction — over the rules quota, through a deleted peering, a malformed rule: the run must fail with
 *    the refusal as its cause and clean up exactly (I9), never sending the refused call again.
 *
 * A fault point is recovered when its run ends in one of the designed endings and nowhere in between:
 *  - remediated exactly as the fault-free plan promises (after retries), then rolled back exactly by the rollback
 *    state machine;
 *  - or, for a non-retryable error, the remediation fails and its automatic rollback leaves the state exactly as the
 *    snapshot has it (nothing changed when it failed before the snapshot);
 *  - a refusal ends the same way (no copy, no rule that was not there, the lock released), failed with its code;
 *  - a rollback hit by a non-retryable error fails loudly and keeps the lock; a re-run of the rollback takes the lock
 *    over and restores the snapshot exactly.
 * In every ending the traffic model (I1) equals the original one, and no successful run leaves the group locked.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Ec2Action, Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, IpPermission } from '../../handlers/core/ec2-shapes.ts';
import { Ec2ApiError } from '../../handlers/core/errors.ts';
import { describeFailure } from '../../handlers/core/failures.ts';
import { diffFlows } from '../../handlers/core/reachability.ts';
import { lockKey } from '../../handlers/steps/common.ts';
import { mulberry32 } from '../support/generate-vpc.ts';
import {
  createSession,
  examplePath,
  expectedAfterRemediation,
  firstDefaultGroupId,
  flowsOf,
  leftOnDefaultOf,
  newGroups,
  normalizeState,
  readJson,
  repoRoot,
  type Session,
} from '../support/harness.ts';
import { launchState } from '../support/launch-sources.ts';
import { mixedOwnersState } from '../support/owner-scenarios.ts';

export const FAULT_KINDS = ['RequestLimitExceeded', 'InternalError', 'UnauthorizedOperation', 'crash-after'] as const;
/**
 * Refusals EC2 keeps answering (the same call fails however often it is sent), injected at every Authorize that fills
 * the copy or adds a twin: the group is full, the peering the rule goes through is gone, the rule is malformed.
 */
export const REFUSAL_KINDS = ['refused-quota', 'refused-stale-peering', 'refused-malformed'] as const;
export type RefusalKind = (typeof REFUSAL_KINDS)[number];
export type FaultKind = (typeof FAULT_KINDS)[number] | RefusalKind;

/** The EC2 codes each refusal answers with (see faultError). */
const REFUSAL_CODES: Record<RefusalKind, string[]> = {
  'refused-quota': ['RulesPerSecurityGroupLimitExceeded'],
  'refused-stale-peering': ['InvalidVpcPeeringConnectionID.NotFound', 'InvalidGroup.NotFound'],
  'refused-malformed': ['InvalidPermission.Malformed'],
};

export function isRefusal(fault: FaultKind): fault is RefusalKind {
  return (REFUSAL_KINDS as readonly string[]).includes(fault);
}

/** Transient EC2 errors: the state machines' Retry blocks must re-run the step. */
export const RETRYABLE: ReadonlySet<FaultKind> = new Set(['RequestLimitExceeded', 'InternalError']);

export interface Scenario {
  name: string;
  state: Ec2State;
  /**
   * Changes someone makes while the run waits for approval (drift the re-check migrates). Their EC2 calls are the
   * person's, not the workflow's: they are neither counted nor faulted.
   */
  duringApproval?: (simulator: Ec2Simulator) => Promise<void>;
}

export interface FaultPoint {
  scenario: string;
  /** Which execution the call belongs to in the fault-free run: the remediation, or the rollback that follows it. */
  phase: 'remediate' | 'rollback' | 'tighten';
  /**
   * Index of the call in the session (remediation and rollback calls counted together, from 0): EC2's calls and the
   * owner services' changes (`service:UpdateService`, …) in the order they were made.
   */
  callIndex: number;
  action: FaultedAction;
  fault: FaultKind;
}

export type Ending =
  | 'remediated-then-rolled-back'
  | 'tightened-then-rolled-back'
  | 'unchanged'
  | 'compliant'
  | 'blocked'
  | 'failed-and-rolled-back'
  | 'failed-before-any-change'
  | 'rollback-failed-then-rerun-restored'
  | 'refused-and-rolled-back';

export interface FaultFailure extends FaultPoint {
  problem: string;
}

export interface FaultReport {
  faultPoints: number;
  recovered: number;
  failures: FaultFailure[];
  scenarios: number;
  /**
   * Points whose call was not made again in the faulted run (a crash after a call that EC2 itself refused): they ran
   * fault-free and count as recovered.
   */
  notReached: number;
  /** How the recovered runs ended. */
  endings: Partial<Record<Ending, number>>;
  /** Points and recovered runs by fault kind (the refusals among them). */
  byFault: Partial<Record<FaultKind, { points: number; recovered: number }>>;
}

const SAME_CONFIGURATION = { ignoreDerivedPairFields: true };

/**
 * Every scenario of `test/fixtures/states/` plus the shared sample, alone and with drift during the wait, and the
 * launch sources.
 */
export function loadScenarios(): Scenario[] {
  const dir = join(repoRoot, 'test', 'fixtures', 'states');
  const scenarios: Scenario[] = readdirSync(dir)
    .filter((file) => file.endsWith('.state.json'))
    .sort()
    .map((file) => ({ name: file.replace(/\.state\.json$/, ''), state: readJson<Ec2State>(join(dir, file)) }));
  const sample = readJson<Ec2State>(examplePath('web-app.state.json'));
  scenarios.push({ name: 'shared:web-app', state: sample });
  scenarios.push({ name: 'shared:web-app+drift', state: sample, duringApproval: sampleDrift });
  // Launch sources (issue 11): a launch template with a default and a pinned Auto Scaling group, and a launch
  // configuration, all on the default group with no interface there.
  scenarios.push({ name: 'launch-sources', state: launchState().state });
  // ECS (a service with tasks, one scaled to zero), Redshift, DMS, CodeBuild and Batch on the default group.
  scenarios.push({ name: 'owners:mixed', state: mixedOwnersState() });
  return scenarios;
}

/**
 * During the wait, on the shared sample: an instance joins the default group, the default group gains a rule and the
 * load balancer's group gains a reference to it — the three kinds of drift the re-check migrates.
 */
async function sampleDrift(simulator: Ec2Simulator): Promise<void> {
  const [defaultGroup, alb, api] = ['sg-07d2e3f4a5b6c7d8e', 'sg-07a1b2c3d4e5f6a7b', 'sg-07c9d8e7f6a5b4c3d'];
  await simulator.modifyNetworkInterfaceAttribute({
    NetworkInterfaceId: 'eni-07000000000000014',
    Groups: [api, defaultGroup],
  });
  await simulator.authorizeSecurityGroupIngress({
    GroupId: defaultGroup,
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.9.0.0/16' }] }],
  });
  await simulator.authorizeSecurityGroupIngress({
    GroupId: alb,
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 9000, ToPort: 9000, UserIdGroupPairs: [{ GroupId: defaultGroup }] }],
  });
}

/** The scenario's state with the changes made during the wait (what remediation and rollback then start from). */
async function intendedState(scenario: Scenario): Promise<Ec2State> {
  if (!scenario.duringApproval) return scenario.state;
  const session = createSession(scenario.state);
  try {
    await scenario.duringApproval(session.simulator);
    return session.simulator.toState();
  } finally {
    session.dispose();
  }
}

type AuthorizeInput = { GroupId?: string; IpPermissions?: IpPermission[] };

/**
 * The error a fault answers, with the code and message EC2 sends
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html), or the crash Step Functions reports
 * when a function dies (`Lambda.Unknown`). A refusal through a peering connection names the connection when the
 * call goes through one (`InvalidVpcPeeringConnectionID.NotFound`); otherwise EC2 cannot resolve the referenced group
 * across the networks (`InvalidGroup.NotFound`, "…belong to different networks").
 */
export function faultError(fault: FaultKind, input?: unknown): Error {
  switch (fault) {
    case 'refused-quota':
      return new Ec2ApiError(
        'RulesPerSecurityGroupLimitExceeded',
        'The maximum number of rules per security group has been reached.',
      );
    case 'refused-stale-peering': {
      const pcx = ((input as AuthorizeInput | undefined)?.IpPermissions ?? [])
        .flatMap((permission) => permission.UserIdGroupPairs ?? [])
        .find((pair) => pair.VpcPeeringConnectionId)?.VpcPeeringConnectionId;
      return pcx
        ? new Ec2ApiError(
            'InvalidVpcPeeringConnectionID.NotFound',
            `The vpcPeeringConnection ID '${pcx}' does not exist`,
          )
        : new Ec2ApiError(
            'InvalidGroup.NotFound',
            'You have specified two resources that belong to different networks.',
          );
    }
    case 'refused-malformed':
      return new Ec2ApiError('InvalidPermission.Malformed', 'The specified security group rule is malformed.');
    case 'RequestLimitExceeded':
      return new Ec2ApiError('RequestLimitExceeded', 'Request limit exceeded.');
    case 'InternalError':
      return new Ec2ApiError('InternalError', 'An internal error has occurred.');
    case 'UnauthorizedOperation':
      return new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
    case 'crash-after':
      return Object.assign(new Error('The function crashed after the call took effect.'), { name: 'Lambda.Unknown' });
  }
}

/** An Authorize that fills the copy (a group the state did not have) or adds a twin (a rule referencing the copy). */
function fillsCopyOrTwin(action: Ec2Action, input: unknown, known: Set<string | undefined>): boolean {
  if (action !== 'AuthorizeSecurityGroupIngress' && action !== 'AuthorizeSecurityGroupEgress') return false;
  const call = input as AuthorizeInput;
  if (!known.has(call.GroupId)) return true;
  return (call.IpPermissions ?? []).some((permission) =>
    (permission.UserIdGroupPairs ?? []).some((pair) => !known.has(pair.GroupId)),
  );
}

/** An EC2 action, or an owner service's change (`service:<its API action>`, through the service simulator's hooks). */
export type FaultedAction = Ec2Action | `service:${string}`;

export interface BaselineCall {
  action: FaultedAction;
  phase: FaultPoint['phase'];
  /** A remediation's Authorize of the copy or of a twin: the refusals are injected there too. */
  refusable: boolean;
}

/** The EC2 calls of the fault-free run of a scenario: the remediation (approved), then its rollback when remediated. */
export async function baselineCalls(scenario: Scenario): Promise<BaselineCall[]> {
  const session = createSession(scenario.state, { simulator: { seed: 1 } });
  try {
    const calls: BaselineCall[] = [];
    const known = new Set(scenario.state.SecurityGroups.map((group) => group.GroupId));
    let phase: FaultPoint['phase'] = 'remediate';
    let person = false;
    session.setHooks({
      before: (action, input) =>
        void (
          person ||
          calls.push({ action, phase, refusable: phase === 'remediate' && fillsCopyOrTwin(action, input, known) })
        ),
    });
    session.setServiceHooks({
      before: (action) => void (person || calls.push({ action: `service:${action}`, phase, refusable: false })),
    });
    const result = await session.remediate({
      async onApproval(simulator) {
        person = true;
        await scenario.duringApproval?.(simulator);
        person = false;
      },
    });
    if (result.status !== 'SUCCEEDED') {
      throw new Error(`${scenario.name}: the fault-free run failed: ${result.error} ${result.cause}`);
    }
    if (result.output?.outcome === 'remediated') {
      phase = 'rollback';
      const rollback = await session.rollback(result.executionName);
      if (rollback.status !== 'SUCCEEDED') {
        throw new Error(`${scenario.name}: the fault-free rollback failed: ${rollback.error} ${rollback.cause}`);
      }
    }
    return calls;
  } finally {
    session.dispose();
  }
}

/** Every fault point of the scenarios: each call of the fault-free run × each fault kind. */
export async function enumerateFaultPoints(scenarios: Scenario[]): Promise<FaultPoint[]> {
  const points: FaultPoint[] = [];
  for (const scenario of scenarios) {
    const calls = await baselineCalls(scenario);
    calls.forEach((call, callIndex) => {
      for (const fault of [...FAULT_KINDS, ...(call.refusable ? REFUSAL_KINDS : [])]) {
        points.push({ scenario: scenario.name, phase: call.phase, callIndex, action: call.action, fault });
      }
    });
  }
  return points;
}

/** What went wrong in the state, if it is not exactly `expected` or its traffic differs from `original`'s. */
function stateProblem(now: Ec2State, expected: Ec2State, original: Ec2State, what: string): string | undefined {
  const flows = diffFlows(flowsOf(original), flowsOf(now));
  if (flows.length > 0) return `I1: traffic changed (${what}): ${flows.slice(0, 3).join('; ')}`;
  const a = JSON.stringify(normalizeState(now, SAME_CONFIGURATION));
  const b = JSON.stringify(normalizeState(expected, SAME_CONFIGURATION));
  if (a !== b) return `the state is not ${what}`;
  return undefined;
}

async function lockFree(session: Session, target: { accountId: string; region: string; groupId: string }) {
  const now = Math.floor(session.deps.now().getTime() / 1000);
  const probe = { remediationId: 'probe', token: 'probe-token-0000000000', kind: 'remediation' as const };
  const result = await session.deps.ledger.acquireLock(lockKey(target), { ...probe, expiresAt: now + 60 }, now);
  if (result.acquired) await session.deps.ledger.releaseLock(lockKey(target), probe.token);
  return result.acquired;
}

function describeResult(result: { status: string; error?: string; cause?: string; output?: unknown }): string {
  const cause = result.cause && result.cause.length > 300 ? `${result.cause.slice(0, 300)}…` : result.cause;
  return JSON.stringify({ status: result.status, error: result.error, cause, output: result.output });
}

/** Runs one fault point; answers how it ended, or throws with what went wrong. */
export async function runFaultPoint(
  scenario: Scenario,
  point: FaultPoint,
): Promise<{ ending: Ending; injected: boolean }> {
  const session = createSession(scenario.state, { simulator: { seed: 1 } });
  try {
    const original = session.original;
    const groupId = firstDefaultGroupId(original);
    const target = { accountId: session.simulator.accountId, region: session.simulator.region, groupId };
    let seen = 0;
    let injected = false;
    let person = false;
    let changedDuringWait = false;
    let crashedIn: string | undefined;
    /** A refusal stays: every later Authorize of the workflow to the same group and direction is refused too. */
    let refused: { action: Ec2Action; groupId?: string; repeats: number } | undefined;
    const due = (when: 'before' | 'after') => {
      if (injected) return false;
      const isCrash = point.fault === 'crash-after';
      if ((when === 'after') !== isCrash) return false;
      return seen - 1 === point.callIndex;
    };
    session.setHooks({
      before: (action, input) => {
        if (person) return;
        seen++;
        if (refused && action === refused.action && (input as AuthorizeInput).GroupId === refused.groupId) {
          refused.repeats++;
          throw faultError(point.fault, input);
        }
        if (due('before')) {
          injected = true;
          if (isRefusal(point.fault)) refused = { action, groupId: (input as AuthorizeInput).GroupId, repeats: 0 };
          throw faultError(point.fault, input);
        }
      },
      after: () => {
        if (!person && due('after')) {
          injected = true;
          crashedIn = 'pending';
          throw faultError(point.fault);
        }
      },
    });
    // The owner services' changes are faulted like EC2's calls (a service answers no refusal of ours).
    session.setServiceHooks({
      before: () => {
        if (person) return;
        seen++;
        if (due('before')) {
          injected = true;
          throw faultError(point.fault);
        }
      },
      after: () => {
        if (!person && due('after')) {
          injected = true;
          crashedIn = 'pending';
          throw faultError(point.fault);
        }
      },
    });
    // A crash cannot be caught by the handler: the step it hit must end in an error, never in a result.
    const onStep = (event: { state: string; error?: { name: string } }) => {
      if (crashedIn !== 'pending') return;
      crashedIn = event.error ? 'failed' : `succeeded: "${event.state}" swallowed the crash`;
    };

    const intended = await intendedState(scenario);
    const onApproval = async (simulator: Ec2Simulator) => {
      if (!scenario.duringApproval) return;
      person = true;
      await scenario.duringApproval(simulator);
      person = false;
      changedDuringWait = true;
    };
    // Once someone changed the state during the wait, that state is what the run must end in or build on.
    const base = () => (changedDuringWait ? intended : original);
    const ending = await runToTheEnd(session, base, target, point, { onStep, onApproval }, () => {
      if (crashedIn && crashedIn !== 'failed') throw new Error(`the crash was not a crash: the step ${crashedIn}`);
      if (refused && refused.repeats > 0) {
        throw new Error(`the refused ${refused.action} on ${refused.groupId} was sent ${refused.repeats} more time(s)`);
      }
    });
    return { ending, injected };
  } finally {
    session.dispose();
  }
}

/** Remediates (approved), then rolls back what was remediated; answers the ending or throws what went wrong. */
async function runToTheEnd(
  session: Session,
  base: () => Ec2State,
  target: { accountId: string; region: string; groupId: string },
  point: FaultPoint,
  hooks: {
    onStep: (event: { state: string; error?: { name: string } }) => void;
    onApproval: (simulator: Ec2Simulator) => Promise<void>;
  },
  check: () => void,
): Promise<Ending> {
  const groupId = target.groupId;
  const { onStep } = hooks;
  {
    const result = await session.remediate(hooks);
    const original = base();
    check();
    const afterRemediation = session.simulator.toState();
    const outcome = result.output?.outcome;
    if (result.status === 'FAILED') {
      if (RETRYABLE.has(point.fault) || point.fault === 'crash-after') {
        throw new Error(`a transient fault was not retried: ${describeResult(result)}`);
      }
      if (result.error === 'RollbackFailed') throw new Error(`the rollback failed: ${describeResult(result)}`);
      const problem = stateProblem(afterRemediation, original, original, 'the original (rolled back)');
      if (problem) throw new Error(`${problem}; ${describeResult(result)}`);
      if (newGroups(original, afterRemediation).length > 0) throw new Error('the failed run left its copy');
      if (!(await lockFree(session, target))) throw new Error('the failed run left the group locked');
      if (isRefusal(point.fault)) {
        // The run fails with the refusal as its error and says it in words (core/failures.ts), rolled back by its child.
        const reasons = describeFailure(result.error, result.cause).reasons.join(' ');
        if (result.children.length === 0 || !REFUSAL_CODES[point.fault].includes(result.error ?? ''))
          throw new Error(`the refusal is not the run's cause: ${describeResult(result)}`);
        if (reasons.includes('{"')) throw new Error(`the cause is shown as JSON: ${reasons}`);
        return 'refused-and-rolled-back';
      }
      return result.children.length > 0 ? 'failed-and-rolled-back' : 'failed-before-any-change';
    }
    if (outcome === 'compliant' || outcome === 'blocked') {
      const problem = stateProblem(afterRemediation, original, original, `unchanged (${outcome})`);
      if (problem) throw new Error(problem);
      if (!(await lockFree(session, target))) throw new Error(`the ${outcome} run left the group locked`);
      return outcome;
    }
    if (outcome !== 'remediated') throw new Error(`unexpected outcome: ${describeResult(result)}`);
    const replacements = newGroups(original, afterRemediation);
    if (replacements.length > 1) throw new Error(`${replacements.length} replacement groups were created`);
    const left = await leftOnDefaultOf(session, result.executionName);
    const expected = expectedAfterRemediation(original, groupId, replacements[0], left, result.executionName);
    const remediatedProblem = stateProblem(afterRemediation, expected, original, 'exactly as planned (remediated)');
    if (remediatedProblem) throw new Error(remediatedProblem);
    if (!(await lockFree(session, target))) throw new Error('the remediated run left the group locked');

    const rollback = await session.rollback(result.executionName, { onStep });
    check();
    if (rollback.status === 'SUCCEEDED') {
      const problem = stateProblem(session.simulator.toState(), original, original, 'the original (rolled back)');
      if (problem) throw new Error(problem);
      if (!(await lockFree(session, target))) throw new Error('the rollback left the group locked');
      return 'remediated-then-rolled-back';
    }
    if (point.fault !== 'UnauthorizedOperation') {
      throw new Error(`the rollback failed on a transient fault: ${describeResult(rollback)}`);
    }
    // A rollback that cannot proceed fails loudly and keeps the lock (nothing else may touch the group); traffic
    // must still be whole, and a re-run of the same rollback — at once, taking over the lock it left — must restore
    // the snapshot exactly.
    const flows = diffFlows(flowsOf(original), flowsOf(session.simulator.toState()));
    if (flows.length > 0)
      throw new Error(`I1: traffic changed by the failed rollback: ${flows.slice(0, 3).join('; ')}`);
    if (!/UnauthorizedOperation/.test(rollback.cause ?? '')) {
      throw new Error(`the failed rollback does not say why: ${describeResult(rollback)}`);
    }
    const rerun = await session.rollback(result.executionName);
    if (rerun.status !== 'SUCCEEDED') throw new Error(`the re-run rollback failed: ${describeResult(rerun)}`);
    const problem = stateProblem(session.simulator.toState(), original, original, 'the original (re-run rollback)');
    if (problem) throw new Error(problem);
    return 'rollback-failed-then-rerun-restored';
  }
}

/** `count` points drawn without replacement, in their original order. */
export function samplePoints(points: FaultPoint[], count: number, seed: number): FaultPoint[] {
  if (count >= points.length) return points;
  const random = mulberry32(seed);
  const indexes = points.map((_, index) => index);
  for (let i = indexes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indexes[i], indexes[j]] = [indexes[j] as number, indexes[i] as number];
  }
  return indexes
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((index) => points[index] as FaultPoint);
}

export interface RunOptions {
  /** Run only this many fault points, drawn at random (seeded). */
  sample?: number;
  seed?: number;
  /** Only the scenarios whose name contains this text. */
  scenario?: string;
  /** Only these fault kinds. */
  kinds?: readonly FaultKind[];
  /** Only the owner services' changes (`service:…`), not EC2's calls. */
  serviceChangesOnly?: boolean;
  onProgress?: (done: number, total: number, point: FaultPoint, failure?: string) => void;
}

export async function runFaults(options: RunOptions = {}): Promise<FaultReport> {
  const scenarios = loadScenarios().filter((scenario) => !options.scenario || scenario.name.includes(options.scenario));
  const byName = new Map(scenarios.map((scenario) => [scenario.name, scenario]));
  const all = (await enumerateFaultPoints(scenarios)).filter(
    (point) =>
      (!options.kinds || options.kinds.includes(point.fault)) &&
      (!options.serviceChangesOnly || point.action.startsWith('service:')),
  );
  const points = options.sample === undefined ? all : samplePoints(all, options.sample, options.seed ?? 1);
  const report: FaultReport = {
    faultPoints: points.length,
    recovered: 0,
    failures: [],
    scenarios: new Set(points.map((point) => point.scenario)).size,
    notReached: 0,
    endings: {},
    byFault: {},
  };
  for (const point of points) {
    const counts = report.byFault[point.fault] ?? { points: 0, recovered: 0 };
    counts.points++;
    report.byFault[point.fault] = counts;
  }
  let done = 0;
  for (const point of points) {
    let failure: string | undefined;
    try {
      const { ending, injected } = await runFaultPoint(byName.get(point.scenario) as Scenario, point);
      if (!injected) report.notReached++;
      report.recovered++;
      (report.byFault[point.fault] as { recovered: number }).recovered++;
      report.endings[ending] = (report.endings[ending] ?? 0) + 1;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      report.failures.push({ ...point, problem: failure });
    }
    options.onProgress?.(++done, points.length, point, failure);
  }
  return report;
}
