/**
 * Drift during the approval wait, one test per case of the outcome table (docs/decisions.md), through the real
 * definitions: the harness's `onApproval` changes the live state while the run waits, then approves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, IpPermission } from '../../handlers/core/ec2-shapes.ts';
import { diffFlows } from '../../handlers/core/reachability.ts';
import { openSnapshot, snapshotKey } from '../../handlers/core/snapshot.ts';
import {
  createSession,
  disposeAll,
  eniGroups,
  examplePath,
  flowsOf,
  groupById,
  newGroups,
  normalizeState,
  readJson,
  rulesOfGroup,
  rulesReferencing,
  type Session,
  scenarioState,
  stepsOf,
} from '../support/harness.ts';

afterEach(disposeAll);

const DEFAULT = 'sg-07d2e3f4a5b6c7d8e';
const ALB = 'sg-07a1b2c3d4e5f6a7b';
const API = 'sg-07c9d8e7f6a5b4c3d';
const INSTANCE_IN_API = 'eni-07000000000000014';
const LOAD_BALANCER_ENI = 'eni-07000000000000013';
const PLANNED_MEMBER = 'eni-07000000000000012';

const sampleState = () => readJson<Ec2State>(examplePath('web-app.state.json'));

const SSH_FROM_OFFICE: IpPermission = {
  IpProtocol: 'tcp',
  FromPort: 22,
  ToPort: 22,
  IpRanges: [{ CidrIp: '10.9.0.0/16', Description: 'added by hand' }],
};
const ALB_FROM_DEFAULT: IpPermission = {
  IpProtocol: 'tcp',
  FromPort: 9000,
  ToPort: 9000,
  UserIdGroupPairs: [{ GroupId: DEFAULT, Description: 'health checks, added by hand' }],
};

interface DriftRun {
  session: Session;
  result: Awaited<ReturnType<Session['remediate']>>;
  /** The live state right after the change made during the wait. */
  atApproval: Ec2State;
  /** The original state with only the change made during the wait applied (what a rollback must restore). */
  intended: Ec2State;
}

/** Remediates the sample; while it waits, `change` runs on the live simulator and on a copy of the original. */
async function remediateWithDrift(change: (simulator: Ec2Simulator) => unknown): Promise<DriftRun> {
  const session = createSession(sampleState());
  const reference = createSession(sampleState());
  await change(reference.simulator);
  let atApproval: Ec2State | undefined;
  const result = await session.remediate({
    executionName: 'rem-drift',
    async onApproval(simulator) {
      await change(simulator);
      atApproval = simulator.toState();
    },
  });
  return { session, result, atApproval: atApproval as Ec2State, intended: reference.simulator.toState() };
}

async function revisions(session: Session) {
  const first = await session.deps.store.get(snapshotKey('rem-drift'));
  const second = await session.deps.store.get(snapshotKey('rem-drift', 2));
  return { first, second };
}

/** Rolls back and expects exactly the original state plus the change made during the wait. */
async function expectRollbackTo(run: DriftRun): Promise<void> {
  const rollback = await run.session.rollback('rem-drift');
  expect(rollback.status, JSON.stringify(rollback)).toBe('SUCCEEDED');
  const restored = run.session.simulator.toState();
  expect(newGroups(run.session.original, restored)).toEqual([]);
  expect(normalizeState(restored, { ignoreDerivedPairFields: true })).toEqual(
    normalizeState(run.intended, { ignoreDerivedPairFields: true }),
  );
}

function completionNotice(run: DriftRun): string {
  const notice = run.session.notifications.find((n) => n.subject.startsWith('EC2.2 remediated'));
  expect(notice).toBeDefined();
  return notice?.message ?? '';
}

function expectRemediated(run: DriftRun): string {
  expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
  expect(run.result.output?.outcome).toBe('remediated');
  const after = run.session.simulator.toState();
  expect(rulesOfGroup(groupById(after, DEFAULT))).toEqual({ ingress: [], egress: [] });
  expect(
    (after.NetworkInterfaces ?? []).filter((eni) => eniGroups(after, eni.NetworkInterfaceId ?? '').includes(DEFAULT)),
  ).toEqual([]);
  const copy = newGroups(run.session.original, after)[0];
  expect(copy?.GroupId).toBeDefined();
  return copy?.GroupId ?? '';
}

function expectStoppedAndRolledBack(run: DriftRun, cause: RegExp): void {
  expect(run.result.status).toBe('FAILED');
  expect(run.result.error).toBe('DriftDetected');
  expect(run.result.cause).toMatch(cause);
  expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
  // Nothing of the default group was revoked: the only revokes on it (by the rollback) remove twins naming the copy.
  const revokesOnDefault = run.session.trace.flatMap((event) =>
    event.kind === 'call' &&
    event.action.startsWith('Revoke') &&
    (event.input as { GroupId?: string }).GroupId === DEFAULT
      ? (event.input as { IpPermissions: IpPermission[] }).IpPermissions
      : [],
  );
  for (const permission of revokesOnDefault) {
    expect(permission.IpRanges ?? []).toEqual([]);
    expect(permission.Ipv6Ranges ?? []).toEqual([]);
    expect((permission.UserIdGroupPairs ?? []).map((pair) => pair.GroupId)).not.toContain(DEFAULT);
  }
  expect(run.session.notifications.map((n) => n.message).join('\n')).toMatch(cause);
  const after = run.session.simulator.toState();
  expect(newGroups(run.session.original, after)).toEqual([]);
  expect(normalizeState(after, { ignoreDerivedPairFields: true })).toEqual(
    normalizeState(run.intended, { ignoreDerivedPairFields: true }),
  );
}

describe('drift during the approval wait: migrated (recorded first in revision 2 of the snapshot)', () => {
  it('a new interface on the default group is moved to the copy; rollback puts it back on the default group', async () => {
    const run = await remediateWithDrift((simulator) =>
      simulator.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: INSTANCE_IN_API, Groups: [API, DEFAULT] }),
    );
    const copy = expectRemediated(run);
    expect(eniGroups(run.session.simulator.toState(), INSTANCE_IN_API)).toEqual([API, copy]);
    expect(run.result.output?.verification).toMatchObject({ verified: true, checks: ['structure', 'traffic'] });
    // Traffic is what it was once the interface joined: the copy carries exactly what the default group granted.
    expect(diffFlows(flowsOf(run.intended), flowsOf(run.session.simulator.toState()))).toEqual([]);
    const { first, second } = await revisions(run.session);
    const approved = openSnapshot(first ?? '', { remediationId: 'rem-drift', groupId: DEFAULT });
    const revised = openSnapshot(second ?? '', { remediationId: 'rem-drift', groupId: DEFAULT, revision: 2 });
    expect(revised.basedOn).toBe(approved.checksum);
    expect(revised.delta?.interfaces).toEqual([INSTANCE_IN_API]);
    expect(revised.plan.moves.map((move) => move.networkInterfaceId)).toContain(INSTANCE_IN_API);
    expect(approved.plan.moves.map((move) => move.networkInterfaceId)).not.toContain(INSTANCE_IN_API);
    expect(completionNotice(run)).toContain(`${INSTANCE_IN_API} joined the default group during the approval wait`);
    await expectRollbackTo(run);
  });

  it('a new rule on the default group is copied to the copy, revoked by the strip, restored by rollback', async () => {
    const run = await remediateWithDrift((simulator) =>
      simulator.authorizeSecurityGroupIngress({ GroupId: DEFAULT, IpPermissions: [SSH_FROM_OFFICE] }),
    );
    const copy = expectRemediated(run);
    const after = run.session.simulator.toState();
    expect(rulesOfGroup(groupById(after, copy)).ingress).toContainEqual({
      protocol: 'tcp',
      from: 22,
      to: 22,
      list: 'IpRanges',
      peer: { CidrIp: '10.9.0.0/16', Description: 'added by hand' },
    });
    // The members get what the rule was written for: the flows of the original state with the rule.
    expect(diffFlows(flowsOf(run.intended), flowsOf(after))).toEqual([]);
    expect((await revisions(run.session)).second).toBeDefined();
    expect(completionNotice(run)).toMatch(/The default group gained .*22.* it was copied to the copy/);
    await expectRollbackTo(run);
  });

  it('a new reference to the default group gets a twin; the strip revokes the reference; rollback restores it', async () => {
    const run = await remediateWithDrift((simulator) =>
      simulator.authorizeSecurityGroupIngress({ GroupId: ALB, IpPermissions: [ALB_FROM_DEFAULT] }),
    );
    const copy = expectRemediated(run);
    const after = run.session.simulator.toState();
    expect(rulesReferencing(groupById(after, ALB), 'ingress', DEFAULT)).toEqual([]);
    expect(rulesReferencing(groupById(after, ALB), 'ingress', copy)).toContainEqual(
      expect.objectContaining({ from: 9000, to: 9000 }),
    );
    expect(diffFlows(flowsOf(run.intended), flowsOf(after))).toEqual([]);
    expect(completionNotice(run)).toContain(`${ALB} gained`);
    await expectRollbackTo(run);
  });

  it('nothing used the default group and it gained a rule: recorded, stripped, restored by rollback', async () => {
    const state = scenarioState('empty-default');
    const defaultGroupId = state.SecurityGroups[0]?.GroupId ?? '';
    const session = createSession(state);
    const result = await session.remediate({
      executionName: 'rem-drift',
      async onApproval(simulator) {
        await simulator.authorizeSecurityGroupIngress({ GroupId: defaultGroupId, IpPermissions: [SSH_FROM_OFFICE] });
      },
    });
    expect(result.output?.outcome, JSON.stringify(result)).toBe('remediated');
    expect(rulesOfGroup(groupById(session.simulator.toState(), defaultGroupId))).toEqual({ ingress: [], egress: [] });
    expect(await session.deps.store.get(snapshotKey('rem-drift', 2))).toBeDefined();
    const rollback = await session.rollback('rem-drift');
    expect(rollback.status, JSON.stringify(rollback)).toBe('SUCCEEDED');
    expect(rulesOfGroup(groupById(session.simulator.toState(), defaultGroupId)).ingress).toContainEqual(
      expect.objectContaining({ from: 22, to: 22, peer: { CidrIp: '10.9.0.0/16', Description: 'added by hand' } }),
    );
  });

  it('a crash while migrating the delta: the retried re-check carries out the stored revision and converges', async () => {
    const session = createSession(sampleState());
    let crashed = false;
    let waiting = false;
    session.setHooks({
      after(action) {
        if (waiting && action === 'ModifyNetworkInterfaceAttribute' && !crashed) {
          crashed = true;
          throw Object.assign(new Error('crashed'), { name: 'Lambda.Unknown' });
        }
      },
    });
    const result = await session.remediate({
      executionName: 'rem-drift',
      async onApproval(simulator) {
        await simulator.modifyNetworkInterfaceAttribute({
          NetworkInterfaceId: INSTANCE_IN_API,
          Groups: [API, DEFAULT],
        });
        await simulator.authorizeSecurityGroupIngress({ GroupId: DEFAULT, IpPermissions: [SSH_FROM_OFFICE] });
        waiting = true;
      },
    });
    expect(crashed).toBe(true);
    expect(result.status, JSON.stringify(result)).toBe('SUCCEEDED');
    expect(result.output?.outcome).toBe('remediated');
    expect(rulesOfGroup(groupById(session.simulator.toState(), DEFAULT))).toEqual({ ingress: [], egress: [] });
  });
});

describe('drift during the approval wait: a migration that cannot finish', () => {
  it('a twin over the rules quota: counted at the re-check, the run stops before migrating and rolls back exactly', async () => {
    const run = await remediateWithDrift(async (simulator) => {
      const alb = groupById(simulator.toState(), ALB);
      const used = rulesOfGroup(alb).ingress.filter((rule) => rule.list !== 'Ipv6Ranges').length;
      // Fill the load balancer's group to 59 IPv4 inbound rules, then add the 60th: a reference to the default group.
      const fill = Array.from({ length: 59 - used }, (_, i) => ({
        IpProtocol: 'tcp',
        FromPort: 10_000 + i,
        ToPort: 10_000 + i,
        IpRanges: [{ CidrIp: '192.0.2.0/24' }],
      }));
      await simulator.authorizeSecurityGroupIngress({ GroupId: ALB, IpPermissions: fill });
      await simulator.authorizeSecurityGroupIngress({ GroupId: ALB, IpPermissions: [ALB_FROM_DEFAULT] });
    });
    expect(run.result.status).toBe('FAILED');
    // The quota is counted as EC2 counts it before the twin is tried: EC2 is never asked for rule 61.
    expect(run.result.error, run.result.cause).toBe('DriftDetected');
    expect(run.result.cause).toMatch(
      /sg-07a1b2c3d4e5f6a7b \(alb\) would need 61 inbound IPv4 rules, over the quota of 60/,
    );
    expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
    expect((await revisions(run.session)).second).toBeUndefined();
    const decided = run.session.trace.findIndex((event) => event.kind === 'decision');
    const twinTried = run.session.trace
      .slice(decided)
      .some(
        (e) =>
          e.kind === 'call' && e.action.startsWith('Authorize') && (e.input as { GroupId?: string }).GroupId === ALB,
      );
    expect(twinTried).toBe(false);
    const after = run.session.simulator.toState();
    expect(newGroups(run.session.original, after)).toEqual([]);
    expect(normalizeState(after, { ignoreDerivedPairFields: true })).toEqual(
      normalizeState(run.intended, { ignoreDerivedPairFields: true }),
    );
  });
});

describe('drift during the approval wait: noted, the run goes on', () => {
  it('a planned interface was deleted: nothing to move for it, remediated', async () => {
    const run = await remediateWithDrift((simulator) => simulator.removeInterface(PLANNED_MEMBER));
    expectRemediated(run);
    expect((await revisions(run.session)).second).toBeUndefined();
    expect(completionNotice(run)).toContain(`${PLANNED_MEMBER} was deleted during the approval wait`);
    expect(diffFlows(flowsOf(run.intended), flowsOf(run.session.simulator.toState()))).toEqual([]);
    await expectRollbackTo(run);
  });

  it('the default group was already stripped by someone else: the strip removes what is left, remediated', async () => {
    const original = sampleState();
    const defaultGroup = groupById(original, DEFAULT);
    const run = await remediateWithDrift(async (simulator) => {
      await simulator.revokeSecurityGroupIngress({ GroupId: DEFAULT, IpPermissions: defaultGroup.IpPermissions });
      await simulator.revokeSecurityGroupEgress({ GroupId: DEFAULT, IpPermissions: defaultGroup.IpPermissionsEgress });
    });
    expectRemediated(run);
    expect(completionNotice(run)).toContain('already been stripped by someone else');
    // Nobody was on the default group any more: traffic is what it was when the approval came.
    expect(diffFlows(flowsOf(run.atApproval), flowsOf(run.session.simulator.toState()))).toEqual([]);
  });
});

describe('drift during the approval wait: stopped before anything is revoked, rolled back, notified', () => {
  it("a new interface that this workflow cannot move (a load balancer's)", async () => {
    const run = await remediateWithDrift((simulator) => simulator.setGroupsAsOwner(LOAD_BALANCER_ENI, [ALB, DEFAULT]));
    expectStoppedAndRolledBack(run, /eni-07000000000000013 .*cannot be moved/);
  });

  it('the replacement group was changed by hand', async () => {
    const run = await remediateWithDrift(async (simulator) => {
      const copy = newGroups(sampleState(), simulator.toState())[0]?.GroupId;
      if (!copy) return; // the reference copy: nothing was copied
      await simulator.authorizeSecurityGroupIngress({ GroupId: copy, IpPermissions: [SSH_FROM_OFFICE] });
    });
    // The rollback removes the copy, the change made to it included; the notice names the change.
    run.intended = sampleState();
    expectStoppedAndRolledBack(run, /replacement group was changed by hand: it gained/);
  });

  it('a moved interface was put back on the default group by hand', async () => {
    const run = await remediateWithDrift(async (simulator) => {
      if (newGroups(sampleState(), simulator.toState()).length === 0) return; // the reference copy: nothing moved
      await simulator.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: PLANNED_MEMBER, Groups: [DEFAULT] });
    });
    run.intended = sampleState();
    expectStoppedAndRolledBack(run, /eni-07000000000000012 is on the default group again/);
  });

  it('nothing used the default group at plan time and an interface joins it: no copy to move it to', async () => {
    const state = scenarioState('empty-default');
    const session = createSession(state);
    const defaultGroupId = state.SecurityGroups[0]?.GroupId ?? '';
    const eni = (state.NetworkInterfaces ?? [])[0];
    const result = await session.remediate({
      async onApproval(simulator) {
        await simulator.modifyNetworkInterfaceAttribute({
          NetworkInterfaceId: eni?.NetworkInterfaceId ?? '',
          Groups: [...(eni?.Groups ?? []).map((group) => group.GroupId ?? ''), defaultGroupId],
        });
      },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DriftDetected');
    expect(result.cause).toMatch(/no replacement group to move it to/);
    expect(rulesOfGroup(groupById(session.simulator.toState(), defaultGroupId))).toEqual(
      rulesOfGroup(groupById(state, defaultGroupId)),
    );
  });
});
