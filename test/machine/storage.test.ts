/**
 * Crash-safe storage, through the real definitions: the snapshot is stored and sealed before the first change (I3),
 * written once and never overwritten (nor its revision 2), and a rollback refuses a snapshot that fails its checksum,
 * belongs to another group or does not extend the approved one — before touching anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { openSnapshot, planKey, type Snapshot, sealSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import { steps } from '../../handlers/steps/index.ts';
import {
  createSession,
  disposeAll,
  examplePath,
  isMutating,
  normalizeState,
  readJson,
  type Session,
  scenarioState,
} from '../support/harness.ts';

afterEach(disposeAll);

const DEFAULT = 'sg-07d2e3f4a5b6c7d8e';
const API = 'sg-07c9d8e7f6a5b4c3d';
const sampleState = () => readJson<Ec2State>(examplePath('web-app.state.json'));

async function remediated(session: Session, executionName = 'rem-store') {
  const result = await session.remediate({ executionName });
  expect(result.output?.outcome).toBe('remediated');
  return result;
}

/** Rolls back and expects a refusal before any change: FAILED, `InvalidInput`, the cause matching, no mutating call. */
async function expectRefusedRollback(session: Session, cause: RegExp) {
  const before = session.simulator.toState();
  const calls = session.mutatingCallCount();
  const rollback = await session.rollback('rem-store');
  expect(rollback.status).toBe('FAILED');
  expect(rollback.error).toBe('InvalidInput');
  expect(rollback.cause).toMatch(cause);
  expect(session.mutatingCallCount()).toBe(calls);
  expect(session.simulator.toState()).toEqual(before);
}

describe('snapshots are stored before any change (I3)', () => {
  it.each(['busy', 'egress-references', 'empty-default', 'ipv6'])(
    '%s: the sealed snapshot is in the store when the first mutating EC2 call is made',
    async (name) => {
      const session = createSession(scenarioState(name));
      let seenAtFirstChange: string | undefined | null = null;
      session.setHooks({
        async before(action) {
          if (seenAtFirstChange === null && isMutating(action)) {
            seenAtFirstChange = await session.deps.store.get(snapshotKey('rem-store'));
          }
        },
      });
      await remediated(session);
      expect(seenAtFirstChange).not.toBeNull();
      const snapshot = openSnapshot(seenAtFirstChange ?? '', { remediationId: 'rem-store' });
      expect(snapshot.inventory.defaultGroup.GroupId).toBe(session.original.SecurityGroups[0]?.GroupId);
    },
  );
});

describe('snapshots are written once', () => {
  it('saving again with the same plan keeps the stored bytes; with another plan it is a SnapshotConflict', async () => {
    const session = createSession(sampleState());
    await remediated(session);
    const stored = await session.deps.store.get(snapshotKey('rem-store'));
    const input = {
      remediationId: 'rem-store',
      target: { accountId: '111122223333', region: 'us-east-1', groupId: DEFAULT },
    };
    await steps.SaveSnapshot(input, session.deps);
    expect(await session.deps.store.get(snapshotKey('rem-store'))).toBe(stored);

    const draft = JSON.parse((await session.deps.store.get(planKey('rem-store'))) ?? '');
    draft.plan.defaultRules = [];
    await session.deps.store.put(planKey('rem-store'), JSON.stringify(draft));
    await expect(steps.SaveSnapshot(input, session.deps)).rejects.toMatchObject({ name: 'SnapshotConflict' });
    expect(await session.deps.store.get(snapshotKey('rem-store'))).toBe(stored);
  });

  it('revision 2 is written once too: a second re-check carries out the stored one and leaves its bytes alone', async () => {
    const session = createSession(sampleState());
    const result = await session.remediate({
      executionName: 'rem-store',
      approve: 'rejected',
      async onApproval(simulator) {
        await simulator.modifyNetworkInterfaceAttribute({
          NetworkInterfaceId: 'eni-07000000000000014',
          Groups: [API, DEFAULT],
        });
        // Re-check now, as the approved run would, then once more (a retry after a crash).
        const replacement = newReplacementId(session);
        const input = {
          remediationId: 'rem-store',
          target: { accountId: '111122223333', region: 'us-east-1', groupId: DEFAULT },
          replacementGroupId: replacement,
        };
        await steps.Recheck(input, session.deps);
        const first = await session.deps.store.get(snapshotKey('rem-store', 2));
        await steps.Recheck(input, session.deps);
        expect(await session.deps.store.get(snapshotKey('rem-store', 2))).toBe(first);
      },
    });
    // Rejected: the rollback works from revision 2, so the interface that joined goes back to the default group.
    expect(result.output?.outcome).toBe('rejected');
    const expected = sampleState();
    const joined = expected.NetworkInterfaces?.find((eni) => eni.NetworkInterfaceId === 'eni-07000000000000014');
    if (joined) joined.Groups = [...(joined.Groups ?? []), { GroupId: DEFAULT, GroupName: 'default' }];
    expect(normalizeState(session.simulator.toState(), { ignoreDerivedPairFields: true })).toEqual(
      normalizeState(createSession(expected).original, { ignoreDerivedPairFields: true }),
    );
  });
});

describe('the re-check trusts only a revision that extends the approved snapshot', () => {
  it('a stray revision 2 (another basis) is refused before anything is migrated or revoked', async () => {
    const session = createSession(sampleState());
    let refused = false;
    await session.remediate({
      executionName: 'rem-store',
      approve: 'rejected',
      async onApproval() {
        const real = JSON.parse((await session.deps.store.get(snapshotKey('rem-store'))) ?? '') as Snapshot;
        const { checksum: _checksum, version: _version, ...body } = real;
        const stray = sealSnapshot({ ...body, revision: 2, basedOn: '0'.repeat(64) });
        await session.deps.store.put(snapshotKey('rem-store', 2), JSON.stringify(stray));
        const before = JSON.stringify(session.simulator.toState());
        const input = {
          remediationId: 'rem-store',
          target: { accountId: '111122223333', region: 'us-east-1', groupId: DEFAULT },
          replacementGroupId: newReplacementId(session),
        };
        await expect(steps.Recheck(input, session.deps)).rejects.toThrow(/does not extend the approved snapshot/);
        expect(JSON.stringify(session.simulator.toState())).toBe(before);
        refused = true;
      },
    });
    expect(refused).toBe(true);
  });
});

function newReplacementId(session: Session): string {
  const known = new Set(session.original.SecurityGroups.map((group) => group.GroupId));
  const copy = session.simulator.toState().SecurityGroups.find((group) => !known.has(group.GroupId));
  return copy?.GroupId ?? '';
}

describe('rollback refuses a snapshot it cannot trust, before any change', () => {
  it('a snapshot edited after it was written fails its checksum', async () => {
    const session = createSession(sampleState());
    await remediated(session);
    const text = (await session.deps.store.get(snapshotKey('rem-store'))) ?? '';
    const tampered = text.replace('"FromPort":443', '"FromPort":444');
    expect(tampered).not.toBe(text);
    await session.deps.store.put(snapshotKey('rem-store'), tampered);
    await expectRefusedRollback(session, /fails its checksum/);
  });

  it('a truncated snapshot is refused', async () => {
    const session = createSession(sampleState());
    await remediated(session);
    const text = (await session.deps.store.get(snapshotKey('rem-store'))) ?? '';
    await session.deps.store.put(snapshotKey('rem-store'), text.slice(0, text.length / 2));
    await expectRefusedRollback(session, /not valid JSON/);
  });

  it('an intact snapshot of another group, put in its place, is refused', async () => {
    const session = createSession(sampleState());
    await remediated(session);
    const real = JSON.parse((await session.deps.store.get(snapshotKey('rem-store'))) ?? '') as Snapshot;
    const { checksum: _checksum, version: _version, ...body } = real;
    const foreign = sealSnapshot({ ...body, plan: { ...body.plan, defaultGroupId: 'sg-0123456789abcdef0' } });
    await session.deps.store.put(snapshotKey('rem-store'), JSON.stringify(foreign));
    await expectRefusedRollback(session, /is of sg-0123456789abcdef0, not sg-07d2e3f4a5b6c7d8e/);
  });

  it('a revision 2 that does not extend the approved snapshot is refused', async () => {
    const session = createSession(sampleState());
    await remediated(session);
    const real = JSON.parse((await session.deps.store.get(snapshotKey('rem-store'))) ?? '') as Snapshot;
    const { checksum: _checksum, version: _version, ...body } = real;
    const stray = sealSnapshot({ ...body, revision: 2, basedOn: '0'.repeat(64) });
    await session.deps.store.put(snapshotKey('rem-store', 2), JSON.stringify(stray));
    await expectRefusedRollback(session, /does not extend the approved snapshot/);
  });

  it('a revision 1 stored where revision 2 belongs is refused', async () => {
    const session = createSession(sampleState());
    await remediated(session);
    const text = (await session.deps.store.get(snapshotKey('rem-store'))) ?? '';
    await session.deps.store.put(snapshotKey('rem-store', 2), text);
    await expectRefusedRollback(session, /revision 1, stored where revision 2 belongs/);
  });
});
