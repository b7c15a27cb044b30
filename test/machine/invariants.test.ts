/**
 * Invariants I1 (traffic preserved at every step), I2 (nothing destructive before approval) and I6 (rollback is
 * exact) as properties over random VPC states, running the real state machine definitions end to end.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepEvent } from '../../cli/runner.ts';
import type { Ec2State, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { diffFlows, type FlowModel } from '../../handlers/core/reachability.ts';
import { defaultGroupOf, vpcStateArbitrary } from '../support/generate-vpc.ts';
import {
  createSession,
  disposeAll,
  expectedAfterRemediation,
  type FlatRule,
  flowsOf,
  groupById,
  isMutating,
  newGroups,
  normalizeState,
  rulesOfGroup,
  type Session,
  type TraceEvent,
} from '../support/harness.ts';

afterEach(disposeAll);

/** `DSR_PROPERTY_RUNS=10 npx vitest run test/machine` runs each property ten times as many states (a deeper search). */
const SCALE = Math.max(1, Number(process.env.DSR_PROPERTY_RUNS ?? 1) || 1);
const NUM_RUNS_APPROVED = 50 * SCALE;
const NUM_RUNS_REJECTED = 30 * SCALE;
const NUM_RUNS_FAULTS = 30 * SCALE;
const TIMEOUT_MS = 60_000 * SCALE;
const SAME_CONFIGURATION = { ignoreDerivedPairFields: true };

function ruleSet(group: SecurityGroup): Set<string> {
  const { ingress, egress } = rulesOfGroup(group);
  const key = (direction: string) => (rule: FlatRule) => `${direction} ${JSON.stringify(rule)}`;
  return new Set([...ingress.map(key('in')), ...egress.map(key('out'))]);
}

/**
 * Checks the live state after every Task (of the remediation and of any rollback it starts) and, finer, after every
 * mutating EC2 call (a crash can stop a step between two calls): the traffic model equals the original one (I1);
 * until the approval decision, every rule of every group that existed before is still there, with its description,
 * and no such group is gone (I2: additive only). Violations are collected (a hook must not throw: the workflow
 * would take it for an EC2 error) and asserted empty after the run.
 */
function invariantChecker(session: Session, original: Ec2State) {
  const flowsBefore: FlowModel = flowsOf(original);
  const originalRules = new Map(original.SecurityGroups.map((group) => [group.GroupId ?? '', ruleSet(group)]));
  const violations: string[] = [];
  let checks = 0;
  const check = (where: string) => {
    checks++;
    if (violations.length > 0) return;
    const now = session.simulator.toState();
    const diff = diffFlows(flowsBefore, flowsOf(now));
    if (diff.length > 0) violations.push(`I1: traffic changed after ${where}:\n  ${diff.slice(0, 8).join('\n  ')}`);
    if (session.trace.some((traced) => traced.kind === 'decision')) return;
    for (const [groupId, rules] of originalRules) {
      const live = now.SecurityGroups.find((group) => group.GroupId === groupId);
      if (!live) {
        violations.push(`I2: ${groupId} was deleted before approval (after ${where})`);
        continue;
      }
      const present = ruleSet(live);
      const lost = [...rules].filter((rule) => !present.has(rule));
      if (lost.length > 0)
        violations.push(`I2: ${groupId} lost rules before approval (after ${where}): ${lost.join('; ')}`);
    }
  };
  return {
    onStep: (event: StepEvent) =>
      check(`the Task "${event.state}"${event.error ? ` (failed: ${event.error.name})` : ''}`),
    afterCall: (action: string, input: unknown) => {
      if (isMutating(action)) check(`${action} ${JSON.stringify(input)}`);
    },
    violations: () => violations,
    checks: () => checks,
  };
}

/** I2 on the EC2 calls: before the decision, no Revoke* / Delete* on a group that existed before the run. */
function destructiveCallsBeforeDecision(trace: TraceEvent[], original: Ec2State): string[] {
  const existing = new Set(original.SecurityGroups.map((group) => group.GroupId));
  const found: string[] = [];
  for (const event of trace) {
    if (event.kind === 'decision') break;
    if (event.kind !== 'call') continue;
    if (!/^(Revoke|Delete)/.test(event.action)) continue;
    const groupId = (event.input as { GroupId?: string }).GroupId;
    if (existing.has(groupId)) found.push(`${event.action} ${JSON.stringify(event.input)}`);
  }
  return found;
}

/** Before the decision, Revoke* only ever removes EC2's allow-all outbound rules from the brand-new copy. */
function revokesBeforeDecision(trace: TraceEvent[]): unknown[] {
  const inputs: unknown[] = [];
  for (const event of trace) {
    if (event.kind === 'decision') break;
    if (event.kind === 'call' && event.action.startsWith('Revoke'))
      inputs.push({ action: event.action, ...(event.input as object) });
  }
  return inputs;
}

function expectOnlyNewGroupDefaultEgressRevoked(revokes: unknown[], created: Set<string | undefined>): void {
  for (const revoke of revokes as { action: string; GroupId: string; IpPermissions: unknown[] }[]) {
    expect(revoke.action).toBe('RevokeSecurityGroupEgress');
    expect(created.has(revoke.GroupId)).toBe(true);
    for (const permission of revoke.IpPermissions as {
      IpProtocol: string;
      IpRanges?: { CidrIp: string }[];
      Ipv6Ranges?: { CidrIpv6: string }[];
    }[]) {
      expect(permission.IpProtocol).toBe('-1');
      const peers = [
        ...(permission.IpRanges ?? []).map((r) => r.CidrIp),
        ...(permission.Ipv6Ranges ?? []).map((r) => r.CidrIpv6),
      ];
      for (const peer of peers) expect(['0.0.0.0/0', '::/0']).toContain(peer);
    }
  }
}

function defaultHasRules(state: Ec2State, groupId: string): boolean {
  const { ingress, egress } = rulesOfGroup(groupById(state, groupId));
  return ingress.length + egress.length > 0;
}

/** Batch sizes: 1–3 make the Map move (and move back) in several iterations, checked in between; 50 is the default. */
const batchSizeArb = fc.constantFrom(1, 2, 3, 50);

describe('I1 + I2 + I6 over random VPC states (real ASL, local runner, simulator)', () => {
  it(
    `approved: traffic unchanged after every step and EC2 call, nothing destructive before approval, exact rollback (${NUM_RUNS_APPROVED} states)`,
    async () => {
      const outcomes: Record<string, number> = {};
      await fc.assert(
        fc.asyncProperty(vpcStateArbitrary(), batchSizeArb, fc.boolean(), async (state, batchSize, defaultVpc) => {
          // A default VPC answers a revoke of a missing rule with UnknownIpPermissions instead of an error.
          const simulator = defaultVpc ? { defaultVpcIds: [groupById(state, defaultGroupOf(state)).VpcId ?? ''] } : {};
          const session = createSession(state, { settings: { batchSize }, simulator });
          try {
            const original = session.original;
            const defaultGroupId = defaultGroupOf(original);
            const checker = invariantChecker(session, original);
            session.setHooks({ after: checker.afterCall });
            const result = await session.remediate({ groupId: defaultGroupId, onStep: checker.onStep });
            const after = session.simulator.toState();
            expect(checker.violations()).toEqual([]);
            expect(result.status, JSON.stringify({ error: result.error, cause: result.cause })).toBe('SUCCEEDED');
            const outcome = result.output?.outcome;
            expect(['remediated', 'compliant', 'blocked']).toContain(outcome);
            expect(checker.checks()).toBeGreaterThan(0);
            const tally = `${outcome}${newGroups(original, after).length > 0 ? ' with a copy' : ''}`;
            outcomes[tally] = (outcomes[tally] ?? 0) + 1;
            expect(diffFlows(flowsOf(original), flowsOf(after))).toEqual([]);
            expect(destructiveCallsBeforeDecision(session.trace, original)).toEqual([]);
            const created = new Set(newGroups(original, after).map((g) => g.GroupId));
            expectOnlyNewGroupDefaultEgressRevoked(revokesBeforeDecision(session.trace), created);

            if (outcome === 'compliant') {
              expect(defaultHasRules(original, defaultGroupId)).toBe(false);
              expect(session.mutatingCalls()).toEqual({});
              expect(after).toEqual(original);
              return;
            }
            if (outcome === 'blocked') {
              expect((result.output?.reasons as string[] | undefined)?.length ?? 0).toBeGreaterThan(0);
              expect(session.mutatingCalls()).toEqual({});
              expect(after).toEqual(original);
              return;
            }
            // Remediated: exactly the planned state (default group empty, the copy with its rules, references and
            // interfaces retargeted, nothing else touched).
            expect(defaultHasRules(after, defaultGroupId)).toBe(false);
            const replacements = newGroups(original, after);
            expect(replacements.length).toBeLessThanOrEqual(1);
            expect(normalizeState(after, SAME_CONFIGURATION)).toEqual(
              normalizeState(
                expectedAfterRemediation(original, defaultGroupId, replacements[0], [], result.executionName),
                SAME_CONFIGURATION,
              ),
            );

            // I6: rollback, still checking I1 after each of its steps and calls.
            const rollback = await session.rollback(result.executionName, { onStep: checker.onStep });
            expect(checker.violations()).toEqual([]);
            expect(rollback.status, JSON.stringify({ error: rollback.error, cause: rollback.cause })).toBe('SUCCEEDED');
            const restored = session.simulator.toState();
            expect(newGroups(original, restored)).toEqual([]);
            expect(normalizeState(restored, SAME_CONFIGURATION)).toEqual(normalizeState(original, SAME_CONFIGURATION));
          } finally {
            session.dispose();
          }
        }),
        { numRuns: NUM_RUNS_APPROVED },
      );
      // The generator must keep exercising the interesting case: interfaces moved to a copy, then moved back.
      expect(outcomes['remediated with a copy'] ?? 0, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(
        NUM_RUNS_APPROVED / 5,
      );
    },
    TIMEOUT_MS,
  );

  it(
    `rejected: traffic unchanged after every step and EC2 call, and the state ends exactly as it was (${NUM_RUNS_REJECTED} states)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(vpcStateArbitrary(), batchSizeArb, async (state, batchSize) => {
          const session = createSession(state, { settings: { batchSize } });
          try {
            const original = session.original;
            const defaultGroupId = defaultGroupOf(original);
            const checker = invariantChecker(session, original);
            session.setHooks({ after: checker.afterCall });
            const result = await session.remediate({
              groupId: defaultGroupId,
              approve: 'rejected',
              onStep: checker.onStep,
            });
            expect(checker.violations()).toEqual([]);
            expect(result.status, JSON.stringify({ error: result.error, cause: result.cause })).toBe('SUCCEEDED');
            expect(['rejected', 'compliant', 'blocked']).toContain(result.output?.outcome);
            if (result.output?.outcome === 'rejected') {
              expect(result.children.map((child) => child.status)).toEqual(['SUCCEEDED']);
            }
            expect(destructiveCallsBeforeDecision(session.trace, original)).toEqual([]);
            const restored = session.simulator.toState();
            expect(newGroups(original, restored)).toEqual([]);
            expect(normalizeState(restored, SAME_CONFIGURATION)).toEqual(normalizeState(original, SAME_CONFIGURATION));
          } finally {
            session.dispose();
          }
        }),
        { numRuns: NUM_RUNS_REJECTED },
      );
    },
    TIMEOUT_MS,
  );

  it(
    `I5: one crash (after the call took effect) or throttle (before it) at any mutating EC2 call is retried and converges (${NUM_RUNS_FAULTS} states)`,
    async () => {
      let injections = 0;
      await fc.assert(
        fc.asyncProperty(
          vpcStateArbitrary(),
          batchSizeArb,
          fc.nat({ max: 24 }),
          fc.constantFrom('crash-after', 'throttle-before'),
          fc.constantFrom('approved', 'rejected'),
          async (state, batchSize, at, fault, decision) => {
            const session = createSession(state, { settings: { batchSize } });
            try {
              const original = session.original;
              const defaultGroupId = defaultGroupOf(original);
              const checker = invariantChecker(session, original);
              let seen = 0;
              let injected: string | undefined;
              const inject = (action: string, when: typeof fault) => {
                if (fault !== when || !isMutating(action) || injected) return;
                if (seen++ !== at) return;
                injected = action;
                injections++;
                throw fault === 'crash-after'
                  ? Object.assign(new Error('Lambda crashed'), { name: 'Lambda.Unknown' })
                  : Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });
              };
              let groupsCreated = 0;
              session.setHooks({
                before: (action) => inject(action, 'throttle-before'),
                after: (action, input) => {
                  if (action === 'CreateSecurityGroup') groupsCreated++;
                  checker.afterCall(action, input);
                  inject(action, 'crash-after');
                },
              });
              const result = await session.remediate({
                groupId: defaultGroupId,
                approve: decision,
                onStep: checker.onStep,
              });
              const where = JSON.stringify({ injected, error: result.error, cause: result.cause });
              expect(checker.violations(), where).toEqual([]);
              expect(result.status, where).toBe('SUCCEEDED');
              const outcome = result.output?.outcome;
              expect(['compliant', 'blocked', decision === 'approved' ? 'remediated' : 'rejected'], where).toContain(
                outcome,
              );
              expect(destructiveCallsBeforeDecision(session.trace, original)).toEqual([]);
              // A re-run finds the copy it made (tagged) instead of making a second one.
              expect(groupsCreated, where).toBeLessThanOrEqual(1);
              const after = session.simulator.toState();
              if (outcome === 'remediated') {
                const replacements = newGroups(original, after);
                expect(replacements.length).toBeLessThanOrEqual(1);
                expect(normalizeState(after, SAME_CONFIGURATION)).toEqual(
                  normalizeState(
                    expectedAfterRemediation(original, defaultGroupId, replacements[0], [], result.executionName),
                    SAME_CONFIGURATION,
                  ),
                );
                const rollback = await session.rollback(result.executionName, { onStep: checker.onStep });
                const rollbackWhere = JSON.stringify({ injected, error: rollback.error, cause: rollback.cause });
                expect(checker.violations(), rollbackWhere).toEqual([]);
                expect(rollback.status, rollbackWhere).toBe('SUCCEEDED');
              }
              const final = session.simulator.toState();
              expect(newGroups(original, final)).toEqual([]);
              expect(normalizeState(final, SAME_CONFIGURATION)).toEqual(normalizeState(original, SAME_CONFIGURATION));
            } finally {
              session.dispose();
            }
          },
        ),
        { numRuns: NUM_RUNS_FAULTS },
      );
      // Most runs must actually hit their fault.
      expect(injections).toBeGreaterThanOrEqual(NUM_RUNS_FAULTS / 3);
    },
    TIMEOUT_MS,
  );
});
