/**
 * The tighten workflow's fault sweep (./tighten-faults.ts; all of it: `npm run test:faults -- --scenario tighten`) on a
 * sample, and the definition's Retry and Catch blocks it relies on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadDefinition } from '../../cli/runner.ts';
import { disposeAll } from '../support/harness.ts';
import { runTightenFaults } from './tighten-faults.ts';

afterAll(disposeAll);

type AslState = {
  Type: string;
  Comment?: string;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Retry?: { ErrorEquals: string[]; BackoffRate?: number }[];
  Catch?: unknown[];
};

describe('tighten: faults', () => {
  it('every Task has a Comment, a timeout, a Catch and Retry with backoff; Lambda Tasks retry throttling, internal errors and crashes, not UnauthorizedOperation', () => {
    const states = Object.entries(loadDefinition('tighten').States as Record<string, AslState>);
    expect(states.length).toBeGreaterThan(20);
    for (const [name, state] of states) {
      if (state.Type !== 'Task') continue;
      expect(state.Comment, name).toBeTruthy();
      expect(state.TimeoutSeconds ?? state.TimeoutSecondsPath, name).toBeDefined();
      expect(state.Catch?.length, name).toBeGreaterThan(0);
      expect(state.Retry?.length, name).toBeGreaterThan(0);
      for (const retrier of state.Retry ?? []) expect(retrier.BackoffRate ?? 2, name).toBeGreaterThan(1);
      if (state.Resource?.startsWith('arn:aws:states:::')) continue;
      const retried = (state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals);
      expect(retried, name).toEqual(
        expect.arrayContaining(['RequestLimitExceeded', 'InternalError', 'Lambda.Unknown']),
      );
      expect(retried, name).not.toContain('UnauthorizedOperation');
      expect(retried, name).not.toContain('States.ALL');
    }
  });

  it('a sample of the sweep: every fault at a call of the tightening or its rollback ends tightened exactly or rolled back exactly', async () => {
    const report = await runTightenFaults({ sample: 24, seed: 7 });
    expect(report.faultPoints).toBe(24);
    expect(report.failures).toEqual([]);
    expect(report.recovered).toBe(24);
  }, 120_000);

  it('--scenario filters it out when it names another scenario', async () => {
    expect((await runTightenFaults({ scenario: 'web-app' })).faultPoints).toBe(0);
  });
});
