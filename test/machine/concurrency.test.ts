/**
 * One at a time (I7), through the real definitions: two findings for the same group make one remediation, a rollback
 * started while a remediation runs is refused with a reason, and a lock left by a run that died expires after its TTL
 * so that a new run proceeds — safely, with traffic unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { diffFlows } from '../../handlers/core/reachability.ts';
import { lockKey } from '../../handlers/steps/common.ts';
import { steps } from '../../handlers/steps/index.ts';
import {
  createSession,
  disposeAll,
  examplePath,
  flowsOf,
  groupById,
  newGroups,
  normalizeState,
  readJson,
  rulesOfGroup,
  stepsOf,
} from '../support/harness.ts';

afterEach(disposeAll);

const SAMPLE_DEFAULT = 'sg-07d2e3f4a5b6c7d8e';
const target = { accountId: '111122223333', region: 'us-east-1', groupId: SAMPLE_DEFAULT };

const sampleState = () => readJson<Ec2State>(examplePath('web-app.state.json'));
const finding = (name: string) => readJson<unknown>(examplePath(name));

describe('concurrent runs on one group (I7)', () => {
  it('two findings for the same group: one remediation; the second reports busy and changes nothing', async () => {
    const session = createSession(sampleState());
    let second: Awaited<ReturnType<typeof session.remediate>> | undefined;
    let callsBySecond = -1;
    let stateAroundSecond: { before: Ec2State; after: Ec2State } | undefined;
    const first = await session.remediate({
      input: finding('finding-ec2.2-consolidated.json'),
      executionName: 'rem-first',
      // While the first waits for approval (interfaces already on the copy), the legacy-format finding of the same
      // group arrives.
      async onApproval(simulator) {
        const before = simulator.toState();
        const callsBefore = session.mutatingCallCount();
        second = await session.remediate({
          input: finding('finding-cis-4.3-legacy.json'),
          executionName: 'rem-second',
        });
        callsBySecond = session.mutatingCallCount() - callsBefore;
        stateAroundSecond = { before, after: simulator.toState() };
      },
    });
    expect(first.status, JSON.stringify(first)).toBe('SUCCEEDED');
    expect(first.output?.outcome).toBe('remediated');
    expect(second?.status).toBe('SUCCEEDED');
    expect(second?.output).toMatchObject({ outcome: 'skipped', groupId: SAMPLE_DEFAULT });
    expect(String(second?.output?.reasons)).toMatch(/locked by the remediation rem-first/);
    expect(callsBySecond).toBe(0);
    expect(stateAroundSecond?.after).toEqual(stateAroundSecond?.before);
    // Exactly one copy was made, and the second run saved no snapshot.
    expect(newGroups(session.original, session.simulator.toState())).toHaveLength(1);
    expect(await session.deps.store.get('snapshots/rem-second.json')).toBeUndefined();
  });

  it('Take the lock crashing after the lock was written: its retry takes the run’s own lock and the run remediates', async () => {
    const session = createSession(sampleState());
    const ledger = session.deps.ledger;
    const acquire = ledger.acquireLock.bind(ledger);
    let crashes = 0;
    ledger.acquireLock = async (...args) => {
      const result = await acquire(...args);
      if (crashes++ === 0) {
        // What Step Functions reports for a function that died after its write (the Task's Retry catches it).
        throw Object.assign(new Error('Runtime exited'), { name: 'Lambda.Unknown' });
      }
      return result;
    };
    const result = await session.remediate({
      input: finding('finding-ec2.2-consolidated.json'),
      executionName: 'rem-crashed-lock',
    });
    expect(crashes).toBe(2);
    expect(result.status, JSON.stringify(result)).toBe('SUCCEEDED');
    expect(result.output?.outcome).toBe('remediated');
    // The lock was released at the end: nothing is left holding the group.
    await expect(
      ledger.acquireLock(
        lockKey(target),
        { remediationId: 'rem-next', token: 'x'.repeat(32), kind: 'remediation', expiresAt: 4e9 },
        0,
      ),
    ).resolves.toEqual({ acquired: true });
  });

  it('a rollback started while the remediation runs is refused with the reason; the remediation goes on', async () => {
    const session = createSession(sampleState());
    let rollback: Awaited<ReturnType<typeof session.rollback>> | undefined;
    let callsByRollback = -1;
    const result = await session.remediate({
      executionName: 'rem-running',
      async onApproval() {
        const callsBefore = session.mutatingCallCount();
        rollback = await session.rollback('rem-running');
        callsByRollback = session.mutatingCallCount() - callsBefore;
      },
    });
    expect(rollback?.status).toBe('FAILED');
    expect(rollback?.error).toBe('GroupBusy');
    expect(rollback?.cause).toMatch(
      new RegExp(`${SAMPLE_DEFAULT} is locked by the remediation rem-running until \\d{4}-\\d\\d-\\d\\dT`),
    );
    expect(callsByRollback).toBe(0);
    expect(result.status, JSON.stringify(result)).toBe('SUCCEEDED');
    expect(result.output?.outcome).toBe('remediated');
    // Once the remediation is over, the same rollback goes through.
    const later = await session.rollback('rem-running');
    expect(later.status, JSON.stringify(later)).toBe('SUCCEEDED');
    expect(normalizeState(session.simulator.toState())).toEqual(normalizeState(session.original));
  });

  it('a lock left by a run that died mid-way blocks new runs until its TTL passes; then a new run proceeds safely', async () => {
    // The lock lives for the approval wait plus the run allowance.
    const ttl = 8 * 3600;
    const session = createSession(sampleState(), {
      settings: { approvalTimeoutSeconds: 3600, runAllowanceSeconds: ttl - 3600 },
    });
    const { deps } = session;
    // A run that took the lock, copied the group, added the twins and moved every interface, then died (its
    // execution stopped): its lock, its copy and its moves are left behind.
    const dead = { remediationId: 'rem-dead', target };
    const lock = (await steps.TakeLock({ ...dead, kind: 'remediation' }, deps)) as { acquired: boolean };
    expect(lock.acquired).toBe(true);
    await steps.Discover(dead, deps);
    await steps.SaveSnapshot(dead, deps);
    const copy = (await steps.CreateReplacement(dead, deps)) as { groupId: string };
    await steps.AddReferences({ ...dead, replacementGroupId: copy.groupId }, deps);
    await steps.MoveInterfaces({ ...dead, replacementGroupId: copy.groupId, batch: 0 }, deps);
    const leftBehind = session.simulator.toState();

    const blocked = await session.remediate({ executionName: 'rem-too-early' });
    expect(blocked.output).toMatchObject({ outcome: 'skipped' });
    expect(String(blocked.output?.reasons)).toMatch(/locked by the remediation rem-dead/);
    expect(session.simulator.toState()).toEqual(leftBehind);

    const start = deps.now();
    deps.now = () => new Date(start.getTime() + (ttl + 60) * 1000);
    const fresh = await session.remediate({ executionName: 'rem-fresh' });
    expect(fresh.status, JSON.stringify(fresh)).toBe('SUCCEEDED');
    expect(fresh.output?.outcome).toBe('remediated');
    expect(stepsOf(session.trace)).toContain('Strip the default group');
    const after = session.simulator.toState();
    // Safe: the default group is empty and unused, and every flow of the original state is still there.
    const defaultGroup = groupById(after, SAMPLE_DEFAULT);
    expect(rulesOfGroup(defaultGroup)).toEqual({ ingress: [], egress: [] });
    expect(
      (after.NetworkInterfaces ?? []).filter((eni) => eni.Groups?.some((g) => g.GroupId === SAMPLE_DEFAULT)),
    ).toEqual([]);
    expect(diffFlows(flowsOf(session.original), flowsOf(after))).toEqual([]);
    // The fresh run released its lock: the next run can take it.
    const now = Math.floor(deps.now().getTime() / 1000);
    const next = await deps.ledger.acquireLock(
      lockKey(target),
      { remediationId: 'rem-next', token: 'token-of-the-next-run', kind: 'remediation', expiresAt: now + 60 },
      now,
    );
    expect(next.acquired).toBe(true);
  });
});

describe('a rollback that failed keeps the group locked, but can be re-run', () => {
  it('nothing else may start; a re-run of the same rollback takes the lock at once and restores exactly', async () => {
    const session = createSession(sampleState());
    const remediated = await session.remediate({ executionName: 'rem-rerun' });
    expect(remediated.output?.outcome).toBe('remediated');
    let denied = 0;
    session.simulator.setHooks({
      before(action) {
        // Restoring the default group's rules is refused (a policy change); nothing is applied.
        if (action === 'AuthorizeSecurityGroupIngress' && denied === 0) {
          denied++;
          throw Object.assign(new Error('You are not authorized to perform this operation.'), {
            name: 'UnauthorizedOperation',
          });
        }
      },
    });
    const failed = await session.rollback('rem-rerun');
    expect(failed.status).toBe('FAILED');
    expect(denied).toBe(1);
    session.simulator.setHooks({});

    // The group stays locked for everything else: a new remediation of it fails, saying which rollback to re-run.
    const other = await session.remediate({ executionName: 'rem-other' });
    expect(other.status).toBe('FAILED');
    expect(other.error).toBe('RollbackUnfinished');
    expect(other.cause).toContain('The rollback of rem-rerun failed');
    expect(other.cause).toContain('npm run cli -- rollback --remediation rem-rerun');

    // The same rollback, re-run without waiting for the lock's expiry, finishes and restores the original.
    const rerun = await session.rollback('rem-rerun');
    expect(rerun.status, JSON.stringify(rerun)).toBe('SUCCEEDED');
    expect(normalizeState(session.simulator.toState())).toEqual(normalizeState(session.original));
    // …and releases the lock: the group is free again.
    expect(
      (await steps.TakeLock({ remediationId: 'rem-next', target, kind: 'remediation' }, session.deps)).acquired,
    ).toBe(true);
  });
});
