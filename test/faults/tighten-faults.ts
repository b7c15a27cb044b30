/**
 * The fault sweep of the tighten workflow (scenario `tighten`): a VPC after a plain copy with 30 days of its flow logs
 * (test/support/tighten.ts), tightened (approved) and then rolled back, with one fault at each EC2 call of that
 * fault-free run, of each kind of ./faults.ts (throttled, internal error, unauthorized, a crash after the call took
 * effect). A point is recovered when the run ends in one of the designed endings:
 *  - tightened exactly as the proposal says (after retries), then rolled back by the rollback machine to the state
 *    before, exactly;
 *  - or failed (a non-retryable error) with the copy's rules put back exactly, the lock released;
 *  - or, a rollback hit by a non-retryable error, failed loudly with the lock kept, and a re-run of the rollback
 *    restores the state before exactly.
 * Nothing else in the VPC ever changes.
 */
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { ruleKey, rulesOf } from '../../handlers/core/rules.ts';
import { openTightenSnapshot, tightenSnapshotKey } from '../../handlers/core/tighten.ts';
import { lockKey } from '../../handlers/steps/common.ts';
import { createSession, normalizeState, type Session } from '../support/harness.ts';
import { memoryFinder, type TightenScenario, tightenScenario } from '../support/tighten.ts';
import {
  type Ending,
  FAULT_KINDS,
  type FaultKind,
  type FaultPoint,
  type FaultReport,
  faultError,
  RETRYABLE,
  type RunOptions,
  samplePoints,
} from './faults.ts';

export const TIGHTEN_SCENARIO = 'tighten';

function newSession(scenario: TightenScenario): Session {
  return createSession(scenario.state, { simulator: { seed: 1 }, flowLogs: memoryFinder(scenario.lines) });
}

/** The EC2 calls of the fault-free run: the tightening (approved), then its rollback. */
async function baselineCalls(scenario: TightenScenario): Promise<{ action: string; phase: FaultPoint['phase'] }[]> {
  const session = newSession(scenario);
  try {
    const calls: { action: string; phase: FaultPoint['phase'] }[] = [];
    let phase: FaultPoint['phase'] = 'tighten';
    session.setHooks({ before: (action) => void calls.push({ action, phase }) });
    const result = await session.tighten(scenario.copyId);
    if (result.output?.outcome !== 'tightened') throw new Error(`the fault-free tightening failed: ${result.cause}`);
    phase = 'rollback';
    const rollback = await session.rollback(result.executionName);
    if (rollback.status !== 'SUCCEEDED') throw new Error(`the fault-free rollback failed: ${rollback.cause}`);
    return calls;
  } finally {
    session.dispose();
  }
}

const same = (a: Ec2State, b: Ec2State) =>
  JSON.stringify(normalizeState(a, { ignoreDerivedPairFields: true })) ===
  JSON.stringify(normalizeState(b, { ignoreDerivedPairFields: true }));

async function lockFree(session: Session, groupId: string): Promise<boolean> {
  const target = { accountId: session.simulator.accountId, region: session.simulator.region, groupId };
  const now = Math.floor(session.deps.now().getTime() / 1000);
  const probe = { remediationId: 'probe', token: 'probe-token-0000000000', kind: 'remediation' as const };
  const taken = await session.deps.ledger.acquireLock(lockKey(target), { ...probe, expiresAt: now + 60 }, now);
  if (taken.acquired) await session.deps.ledger.releaseLock(lockKey(target), probe.token);
  return taken.acquired;
}

/** Runs one fault point; answers how it ended, or throws what went wrong. */
async function runPoint(scenario: TightenScenario, point: FaultPoint): Promise<{ ending: Ending; injected: boolean }> {
  const session = newSession(scenario);
  const original = session.original;
  const copyId = scenario.copyId;
  try {
    let seen = 0;
    let injected = false;
    const due = (when: 'before' | 'after') =>
      !injected && (when === 'after') === (point.fault === 'crash-after') && seen - 1 === point.callIndex;
    session.setHooks({
      before: (_action, input) => {
        seen++;
        if (due('before')) {
          injected = true;
          throw faultError(point.fault, input);
        }
      },
      after: () => {
        if (due('after')) {
          injected = true;
          throw faultError(point.fault);
        }
      },
    });
    const result = await session.tighten(copyId);
    const describe = () =>
      JSON.stringify({ status: result.status, error: result.error, cause: result.cause?.slice(0, 300) });
    if (result.status === 'FAILED') {
      if (RETRYABLE.has(point.fault) || point.fault === 'crash-after')
        throw new Error(`a transient fault was not retried: ${describe()}`);
      if (result.error === 'RollbackFailed') throw new Error(`the rollback failed: ${describe()}`);
      if (!same(session.simulator.toState(), original))
        throw new Error(`the failed run is not rolled back exactly: ${describe()}`);
      if (!(await lockFree(session, copyId))) throw new Error('the failed run left the group locked');
      return { ending: result.children.length > 0 ? 'failed-and-rolled-back' : 'failed-before-any-change', injected };
    }
    if (result.output?.outcome !== 'tightened') throw new Error(`unexpected outcome: ${describe()}`);
    const text = await session.deps.store.get(tightenSnapshotKey(result.executionName));
    const snapshot = openTightenSnapshot(text ?? '', result.executionName);
    const tightened = session.simulator.toState();
    const expected: Ec2State = {
      ...original,
      SecurityGroups: original.SecurityGroups.map((g) => {
        if (g.GroupId !== copyId) return g;
        const live = tightened.SecurityGroups.find((t) => t.GroupId === copyId);
        return { ...g, IpPermissions: live?.IpPermissions ?? [], IpPermissionsEgress: live?.IpPermissionsEgress ?? [] };
      }),
    };
    const liveKeys = rulesOf(tightened.SecurityGroups.find((g) => g.GroupId === copyId) ?? {})
      .map(ruleKey)
      .sort();
    const proposed = snapshot.proposal.rules.map((r) => ruleKey(r.rule)).sort();
    if (liveKeys.join('|') !== proposed.join('|')) throw new Error('the copy does not hold exactly the proposal');
    if (!same(tightened, expected)) throw new Error('something outside the copy changed');
    if (!(await lockFree(session, copyId))) throw new Error('the tightened run left the group locked');

    const rollback = await session.rollback(result.executionName);
    if (rollback.status === 'SUCCEEDED') {
      if (!same(session.simulator.toState(), original)) throw new Error('the rollback is not exact');
      return { ending: 'tightened-then-rolled-back', injected };
    }
    if (point.fault !== 'UnauthorizedOperation')
      throw new Error(`the rollback failed on a transient fault: ${rollback.error} ${rollback.cause}`);
    if (await lockFree(session, copyId)) throw new Error('the failed rollback released the lock');
    const rerun = await session.rollback(result.executionName);
    if (rerun.status !== 'SUCCEEDED') throw new Error(`the re-run rollback failed: ${rerun.cause}`);
    if (!same(session.simulator.toState(), original)) throw new Error('the re-run rollback is not exact');
    return { ending: 'rollback-failed-then-rerun-restored', injected };
  } finally {
    session.dispose();
  }
}

/** The sweep of the `tighten` scenario, reported as ./faults.ts reports the others. */
export async function runTightenFaults(options: RunOptions = {}): Promise<FaultReport> {
  const report: FaultReport = {
    faultPoints: 0,
    recovered: 0,
    failures: [],
    scenarios: 0,
    notReached: 0,
    endings: {},
    byFault: {},
  };
  if (options.scenario !== undefined && !TIGHTEN_SCENARIO.includes(options.scenario)) return report;
  const scenario = tightenScenario();
  const calls = await baselineCalls(scenario);
  const all: FaultPoint[] = calls.flatMap((call, callIndex) =>
    FAULT_KINDS.filter((fault: FaultKind) => !options.kinds || options.kinds.includes(fault)).map((fault) => ({
      scenario: TIGHTEN_SCENARIO,
      phase: call.phase,
      callIndex,
      action: call.action as FaultPoint['action'],
      fault,
    })),
  );
  const points = options.sample === undefined ? all : samplePoints(all, options.sample, options.seed ?? 1);
  report.faultPoints = points.length;
  report.scenarios = points.length > 0 ? 1 : 0;
  let done = 0;
  for (const point of points) {
    const counts = report.byFault[point.fault] ?? { points: 0, recovered: 0 };
    counts.points++;
    report.byFault[point.fault] = counts;
    let failure: string | undefined;
    try {
      const { ending, injected } = await runPoint(scenario, point);
      if (!injected) report.notReached++;
      report.recovered++;
      counts.recovered++;
      report.endings[ending] = (report.endings[ending] ?? 0) + 1;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      report.failures.push({ ...point, problem: failure });
    }
    options.onProgress?.(++done, points.length, point, failure);
  }
  return report;
}

/** Two reports as one. */
export function mergeReports(a: FaultReport, b: FaultReport): FaultReport {
  const endings = { ...a.endings };
  for (const [ending, count] of Object.entries(b.endings) as [Ending, number][])
    endings[ending] = (endings[ending] ?? 0) + count;
  const byFault = { ...a.byFault };
  for (const [fault, counts] of Object.entries(b.byFault) as [FaultKind, { points: number; recovered: number }][]) {
    const known = byFault[fault] ?? { points: 0, recovered: 0 };
    byFault[fault] = { points: known.points + counts.points, recovered: known.recovered + counts.recovered };
  }
  return {
    faultPoints: a.faultPoints + b.faultPoints,
    recovered: a.recovered + b.recovered,
    failures: [...a.failures, ...b.failures],
    scenarios: a.scenarios + b.scenarios,
    notReached: a.notReached + b.notReached,
    endings,
    byFault,
  };
}
