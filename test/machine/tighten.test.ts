/**
 * The tighten workflow through the real definitions (state-machine/tighten.asl.json, and rollback.asl.json for its
 * rollback), on a VPC after a plain copy with 30 days of its flow logs: approval applies exactly the proposal and
 * keeps every observed flow allowed; rejection, drift during the wait and failures change nothing in the end; the
 * rollback machine restores the copy's rules exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { Ec2ApiError } from '../../handlers/core/errors.ts';
import { allows } from '../../handlers/core/flow-logs/guarantee.ts';
import { computeFlows } from '../../handlers/core/reachability.ts';
import { ruleKey, rulesOf } from '../../handlers/core/rules.ts';
import { openTightenSnapshot, type TightenSnapshot, tightenSnapshotKey } from '../../handlers/core/tighten.ts';
import { lockKey } from '../../handlers/steps/common.ts';
import { callsOf, createSession, disposeAll, normalizeState, type Session } from '../support/harness.ts';
import { memoryFinder, tightenScenario } from '../support/tighten.ts';

afterEach(disposeAll);

const scenario = tightenScenario();
const copyId = scenario.copyId;

function session(lines: readonly string[] = scenario.lines): Session {
  return createSession(scenario.state, { flowLogs: memoryFinder(lines) });
}

async function snapshotOf(s: Session, id: string): Promise<TightenSnapshot> {
  const text = await s.deps.store.get(tightenSnapshotKey(id));
  if (text === undefined) throw new Error(`no snapshot for ${id}`);
  return openTightenSnapshot(text, id);
}

function copyOf(state: Ec2State) {
  const group = state.SecurityGroups.find((g) => g.GroupId === copyId);
  if (!group) throw new Error('no copy');
  return group;
}

const keysOf = (rules: { direction: string }[]) => rules.map((rule) => ruleKey(rule as never)).sort();

/** The state without the copy's rules: what must not change at all. */
function outsideTheCopy(state: Ec2State): unknown {
  return normalizeState({
    ...state,
    SecurityGroups: state.SecurityGroups.map((g) =>
      g.GroupId === copyId ? { ...g, IpPermissions: [], IpPermissionsEgress: [] } : g,
    ),
  });
}

async function lockIsFree(s: Session): Promise<boolean> {
  const target = { accountId: s.simulator.accountId, region: s.simulator.region, groupId: copyId };
  const now = Math.floor(s.deps.now().getTime() / 1000);
  const probe = { remediationId: 'probe', token: 'probe-token-0000000000', kind: 'remediation' as const };
  const taken = await s.deps.ledger.acquireLock(lockKey(target), { ...probe, expiresAt: now + 60 }, now);
  if (taken.acquired) await s.deps.ledger.releaseLock(lockKey(target), probe.token);
  return taken.acquired;
}

describe('tighten through the real definitions', () => {
  it('approved: tightened, the copy has exactly the proposed rules, every observed flow is still allowed, nothing else changed', async () => {
    const s = session();
    const result = await s.tighten(copyId);
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.output?.outcome).toBe('tightened');
    const id = String(result.output?.remediationId);
    expect(id).toBe(result.executionName);
    const after = s.simulator.toState();
    const snapshot = await snapshotOf(s, id);
    // The broad rules of the plain copy are gone; the proposal is what is left.
    expect(keysOf(rulesOf(copyOf(after)))).toEqual(keysOf(snapshot.proposal.rules.map((r) => r.rule)));
    expect(snapshot.proposal.revoke.length).toBeGreaterThan(0);
    expect(keysOf(rulesOf(copyOf(after)))).not.toEqual(keysOf(rulesOf(copyOf(scenario.state))));
    // Every connection the logs show and the plain copy allowed is allowed by the live state's model.
    expect(snapshot.connections.length).toBeGreaterThan(50);
    const members = after.NetworkInterfaces.filter((eni) => (eni.Groups ?? []).some((g) => g.GroupId === copyId)).map(
      (eni) => eni.NetworkInterfaceId as string,
    );
    const model = computeFlows(after, { interfaces: members });
    expect(snapshot.connections.filter((c) => !allows(model, c))).toEqual([]);
    expect(outsideTheCopy(after)).toEqual(outsideTheCopy(scenario.state));
    expect(await lockIsFree(s)).toBe(true);
    // Its own approval, with the traffic diff: what will no longer be allowed, by peer and port.
    const approval = s.notifications.find((n) => n.subject.startsWith('Approve tightening'));
    expect(approval?.message).toContain('No longer allowed (traffic model, by peer and port):');
    expect(approval?.message).toMatch(/allowed before, denied after/);
  });

  it('adds every proposed rule before revoking any broad one (no moment allows less than the end state)', async () => {
    const s = session();
    const result = await s.tighten(copyId);
    expect(result.output?.outcome).toBe('tightened');
    const changes = callsOf(s.trace)
      .map((call) => call.action)
      .filter((action) => /^(Authorize|Revoke)SecurityGroup/.test(action));
    const lastAuthorize = changes.findLastIndex((action) => action.startsWith('Authorize'));
    const firstRevoke = changes.findIndex((action) => action.startsWith('Revoke'));
    expect(firstRevoke).toBeGreaterThan(lastAuthorize);
  });

  it('rejected: nothing changed, the lock released', async () => {
    const s = session();
    const result = await s.tighten(copyId, { approve: 'rejected' });
    expect(result.output?.outcome).toBe('rejected');
    expect(normalizeState(s.simulator.toState())).toEqual(normalizeState(scenario.state));
    expect(s.mutatingCallCount()).toBe(0);
    expect(await lockIsFree(s)).toBe(true);
  });

  it('drift during the wait (a rule added to the copy): stopped before any revoke, the proposal rolled back, the new rule kept', async () => {
    const s = session();
    const foreign = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.99.0.0/16' }] };
    const result = await s.tighten(copyId, {
      onApproval: async (simulator) => {
        await simulator.authorizeSecurityGroupIngress({ GroupId: copyId, IpPermissions: [foreign] });
      },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DriftDetected');
    expect(result.children.map((child) => child.status)).toEqual(['SUCCEEDED']);
    const revokes = callsOf(s.trace).filter((call) => call.action.startsWith('Revoke'));
    // Only the rollback's revokes of the proposal's own additions: no rule of before was revoked.
    const before = new Set(rulesOf(copyOf(scenario.state)).map(ruleKey));
    for (const call of revokes) {
      const permissions = (call.input as { IpPermissions: never[] }).IpPermissions;
      const rules = rulesOf(
        call.action === 'RevokeSecurityGroupIngress'
          ? { IpPermissions: permissions }
          : { IpPermissionsEgress: permissions },
      );
      for (const rule of rules) expect(before.has(ruleKey(rule))).toBe(false);
    }
    const expected = {
      ...scenario.state,
      SecurityGroups: scenario.state.SecurityGroups.map((g) =>
        g.GroupId === copyId ? { ...g, IpPermissions: [...(g.IpPermissions ?? []), foreign] } : g,
      ),
    };
    expect(normalizeState(s.simulator.toState(), { ignoreDerivedPairFields: true })).toEqual(
      normalizeState(expected, { ignoreDerivedPairFields: true }),
    );
    expect(await lockIsFree(s)).toBe(true);
  });

  it('drift during the wait (a member leaves the copy): stopped and rolled back', async () => {
    const s = session();
    const member = scenario.state.NetworkInterfaces.find((eni) => (eni.Groups ?? []).some((g) => g.GroupId === copyId));
    const defaultId = scenario.state.SecurityGroups.find((g) => g.GroupName === 'default')?.GroupId as string;
    const result = await s.tighten(copyId, {
      onApproval: async (simulator) => {
        await simulator.modifyNetworkInterfaceAttribute({
          NetworkInterfaceId: String(member?.NetworkInterfaceId),
          Groups: [defaultId],
        });
      },
    });
    expect(result.error).toBe('DriftDetected');
    expect(result.cause).toContain(String(member?.NetworkInterfaceId));
    expect(keysOf(rulesOf(copyOf(s.simulator.toState())))).toEqual(keysOf(rulesOf(copyOf(scenario.state))));
    expect(await lockIsFree(s)).toBe(true);
  });

  it('rollback --remediation <tightening id>: the state is exactly as before', async () => {
    const s = session();
    const tightened = await s.tighten(copyId);
    expect(tightened.output?.outcome).toBe('tightened');
    const rollback = await s.rollback(tightened.executionName);
    expect(rollback.status, rollback.cause).toBe('SUCCEEDED');
    expect(rollback.output?.outcome).toBe('rolled-back');
    expect(normalizeState(s.simulator.toState())).toEqual(normalizeState(scenario.state));
    expect(s.notifications.at(-1)?.subject).toContain('Tightening rolled back');
    // A second rollback finds nothing to do and still verifies.
    const again = await s.rollback(tightened.executionName);
    expect(again.output?.outcome).toBe('rolled-back');
    expect(normalizeState(s.simulator.toState())).toEqual(normalizeState(scenario.state));
  });

  it('a crash after the revoke: the step is retried and the run still ends tightened exactly', async () => {
    const s = session();
    let crashed = false;
    s.setHooks({
      after: (action) => {
        if (crashed || !action.startsWith('Revoke')) return;
        crashed = true;
        throw Object.assign(new Error('crash'), { name: 'Lambda.Unknown' });
      },
    });
    const result = await s.tighten(copyId);
    expect(crashed).toBe(true);
    expect(result.output?.outcome).toBe('tightened');
    const snapshot = await snapshotOf(s, result.executionName);
    expect(keysOf(rulesOf(copyOf(s.simulator.toState())))).toEqual(keysOf(snapshot.proposal.rules.map((r) => r.rule)));
  });

  it('a refused revoke: the run fails and the rollback restores the copy exactly', async () => {
    const s = session();
    let refused = 0;
    s.setHooks({
      before: (action) => {
        // The first egress revoke (the broad "all traffic out") is refused; the rollback's own revokes go through.
        if (action !== 'RevokeSecurityGroupEgress' || refused++ > 0) return;
        throw new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
      },
    });
    const result = await s.tighten(copyId);
    expect(refused).toBeGreaterThan(0);
    expect(result.status).toBe('FAILED');
    expect(result.children.map((child) => child.status)).toEqual(['SUCCEEDED']);
    expect(normalizeState(s.simulator.toState())).toEqual(normalizeState(scenario.state));
    expect(await lockIsFree(s)).toBe(true);
  });

  it('without flow logs: nothing is tightened, nothing changed, and the command that turns them on is offered', async () => {
    const s = session([]);
    const result = await s.tighten(copyId);
    expect(result.output?.outcome).toBe('unchanged');
    expect(String(result.output?.reasons)).toContain('aws ec2 create-flow-logs');
    expect(s.mutatingCallCount()).toBe(0);
    expect(await lockIsFree(s)).toBe(true);
  });

  it("refuses a VPC's default group (the remediation strips it) with nothing changed", async () => {
    const s = session();
    const defaultId = scenario.state.SecurityGroups.find((g) => g.GroupName === 'default')?.GroupId as string;
    const result = await s.tighten(defaultId);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(s.mutatingCallCount()).toBe(0);
  });

  it('refuses a malformed request before anything is read', async () => {
    const s = session();
    const result = await s.tighten('sg-nothex!');
    expect(result.error).toBe('InvalidInput');
    expect(s.trace.filter((event) => event.kind === 'call')).toEqual([]);
  });
});
