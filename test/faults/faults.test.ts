/**
 * The fault-injection sweep of ./faults.ts on a sample (the full sweep is `npm run test:faults`), and the Retry
 * blocks it relies on.
 */
import { describe, expect, it } from 'vitest';
import { loadDefinition, type MachineName } from '../../cli/runner.ts';
import { disposeAll } from '../support/harness.ts';
import { enumerateFaultPoints, FAULT_KINDS, loadScenarios, REFUSAL_KINDS, runFaults, samplePoints } from './faults.ts';

type AslState = {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[]; IntervalSeconds?: number; BackoffRate?: number }[];
  ItemProcessor?: { States: Record<string, AslState> };
};

function lambdaTasks(states: Record<string, AslState>): [string, AslState][] {
  return Object.entries(states).flatMap(([name, state]) => [
    // Lambda steps; not the rollback execution nor the approval wait (its function makes no EC2 call).
    ...(state.Type === 'Task' && !state.Resource?.startsWith('arn:aws:states:::') ? [[name, state]] : []),
    ...lambdaTasks(state.ItemProcessor?.States ?? {}),
  ]) as [string, AslState][];
}

describe('fault injection over the real definitions', () => {
  it.each(['remediate', 'rollback'] as MachineName[])(
    '%s: every Lambda Task retries EC2 throttling and internal errors with backoff, and not UnauthorizedOperation',
    (machine) => {
      for (const [name, state] of lambdaTasks(loadDefinition(machine).States as Record<string, AslState>)) {
        const retried = (state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals);
        expect(retried, name).toEqual(
          expect.arrayContaining(['RequestLimitExceeded', 'InternalError', 'Lambda.Unknown']),
        );
        expect(retried, name).not.toContain('UnauthorizedOperation');
        expect(retried, name).not.toContain('States.ALL');
        for (const retrier of state.Retry ?? []) expect(retrier.BackoffRate ?? 2, name).toBeGreaterThan(1);
      }
    },
  );

  it('has at least 300 fault points over at least 8 scenarios', async () => {
    const scenarios = loadScenarios();
    expect(scenarios.length).toBeGreaterThanOrEqual(13);
    expect(scenarios.map((scenario) => scenario.name)).toEqual(
      expect.arrayContaining(['shared:web-app', 'shared:web-app+drift', 'busy', 'peered-vpc']),
    );
    const points = await enumerateFaultPoints(scenarios);
    expect(points.length).toBeGreaterThanOrEqual(300);
    expect(new Set(points.map((point) => point.scenario)).size).toBeGreaterThanOrEqual(8);
    expect(new Set(points.map((point) => point.fault))).toEqual(new Set([...FAULT_KINDS, ...REFUSAL_KINDS]));
    // The refusals land on the remediation's Authorize calls only (the copy's rules, the twins), in every scenario
    // that makes a copy.
    const refusals = points.filter((point) => (REFUSAL_KINDS as readonly string[]).includes(point.fault));
    expect(refusals.every((point) => point.phase === 'remediate' && point.action.startsWith('Authorize'))).toBe(true);
    expect(new Set(refusals.map((point) => point.scenario)).size).toBeGreaterThanOrEqual(8);
    expect(points.some((point) => point.phase === 'rollback')).toBe(true);
    // Sampling is deterministic for a seed.
    expect(samplePoints(points, 10, 7)).toEqual(samplePoints(points, 10, 7));
  }, 30_000);

  it("every refusal at the shared sample's copy and twins ends exactly at the snapshot: no copy, no extra rule, no lock", async () => {
    try {
      const report = await runFaults({ scenario: 'shared:web-app', kinds: REFUSAL_KINDS });
      expect(report.failures).toEqual([]);
      // The copy's inbound rules, and the twins on the default group, the load balancer's and the API's groups: four
      // Authorize calls, in the plain run and in the one with drift (which adds the re-check's migration), three
      // refusals each.
      expect(report.faultPoints).toBeGreaterThanOrEqual(2 * 4 * 3);
      expect(report.endings['refused-and-rolled-back']).toBe(report.faultPoints - report.notReached);
      for (const kind of REFUSAL_KINDS) expect(report.byFault[kind]?.recovered).toBe(report.byFault[kind]?.points);
    } finally {
      disposeAll();
    }
  }, 60_000);

  it("every owner service's change (ECS, Redshift, DMS, CodeBuild, Batch) survives a crash after it and a refused call", async () => {
    try {
      const report = await runFaults({
        scenario: 'owners:mixed',
        serviceChangesOnly: true,
        kinds: ['crash-after', 'UnauthorizedOperation'],
      });
      expect(report.failures).toEqual([]);
      // Five owners moved and moved back, each a fault point per kind.
      expect(report.faultPoints).toBeGreaterThanOrEqual(2 * 2 * 5);
      expect(report.recovered).toBe(report.faultPoints);
      expect(report.notReached).toBe(0);
      expect(report.endings['remediated-then-rolled-back'] ?? 0).toBeGreaterThan(0);
      expect(report.endings['failed-and-rolled-back'] ?? 0).toBeGreaterThan(0);
    } finally {
      disposeAll();
    }
  }, 60_000);

  it('a seeded sample of fault points all end remediated or rolled back exactly, with traffic unchanged', async () => {
    try {
      const report = await runFaults({ sample: 48, seed: 20261130 });
      expect(report.failures).toEqual([]);
      expect(report.faultPoints).toBe(48);
      expect(report.recovered).toBe(48);
      // The sample reaches both the retried and the rolled-back endings.
      expect(report.endings['remediated-then-rolled-back'] ?? 0).toBeGreaterThan(0);
      expect(
        (report.endings['failed-and-rolled-back'] ?? 0) + (report.endings['failed-before-any-change'] ?? 0),
      ).toBeGreaterThan(0);
    } finally {
      disposeAll();
    }
  }, 60_000);
});
