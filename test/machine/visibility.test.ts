/**
 * Issue 10, points 2, 4 and 7, through the real definitions (state-machine/*.asl.json) on the scenario states of
 * test/fixtures/states/, written from the AWS documentation:
 *  - a reference the account cannot see: a peered VPC of this account shared with another account, whose group
 *    references the default group (DescribeSecurityGroupReferences answers one row per VPC, never the groups);
 *  - a stale rule on the default group itself (peering connection deleted);
 *  - interfaces that were wrongly refused: EFA-only interfaces, and a requester-managed interface left `available` by
 *    an owner that no longer exists.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2Simulator } from '../../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, NetworkInterface, SecurityGroup } from '../../handlers/core/ec2-shapes.ts';
import { diffFlows } from '../../handlers/core/reachability.ts';
import { lockKey } from '../../handlers/steps/common.ts';
import {
  createSession,
  disposeAll,
  eniGroups,
  expectedAfterRemediation,
  firstDefaultGroupId,
  flowsOf,
  groupById,
  groupByName,
  leftOnDefaultOf,
  newGroups,
  normalizeState,
  type RemediationRun,
  remediateState,
  type Session,
  scenarioState,
  stepsOf,
} from '../support/harness.ts';

afterEach(disposeAll);

const ACCOUNT = '111122223333';
const PARTICIPANT = '444455556666';

function outcomeOf(run: { result: { output?: Record<string, unknown> } }): unknown {
  return run.result.output?.outcome;
}

/** Whether the group's lock is free: another run could take it now. */
async function lockIsFree(session: Session, groupId: string): Promise<boolean> {
  const now = Math.floor(Date.now() / 1000);
  const taken = await session.deps.ledger.acquireLock(
    lockKey({ accountId: ACCOUNT, region: 'us-east-1', groupId }),
    { remediationId: 'rem-probe', token: 'probe-token', kind: 'remediation', expiresAt: now + 60 },
    now,
  );
  return taken.acquired;
}

/** Blocked: reasons given, no mutating call (so no copy), the state exactly the input, the lock released. */
async function expectBlockedUnchanged(run: RemediationRun): Promise<string> {
  expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
  expect(outcomeOf(run)).toBe('blocked');
  expect(run.session.mutatingCalls()).toEqual({});
  expect(run.after).toEqual(run.before);
  expect(newGroups(run.before, run.after)).toEqual([]);
  expect(await lockIsFree(run.session, firstDefaultGroupId(run.before))).toBe(true);
  const reasons = (run.result.output?.reasons as string[]) ?? [];
  expect(reasons.length).toBeGreaterThan(0);
  const notice = run.notifications.find((n) => n.subject.startsWith('EC2.2 remediation blocked'));
  expect(notice?.message).toContain(reasons[0]);
  return reasons.join('\n');
}

/** Remediated exactly as `expected` says, flows unchanged; then the rollback restores the input exactly. */
async function expectRemediatedThenRolledBack(
  run: RemediationRun,
  expected: (replacement: SecurityGroup) => Ec2State,
): Promise<SecurityGroup> {
  expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
  expect(outcomeOf(run)).toBe('remediated');
  expect(run.result.output?.verification).toMatchObject({ verified: true, checks: ['structure', 'traffic'] });
  const [replacement, ...others] = newGroups(run.before, run.after);
  expect(others).toEqual([]);
  if (!replacement) throw new Error('no replacement group');
  expect(normalizeState(run.after, { ignoreDerivedPairFields: true })).toEqual(
    normalizeState(expected(replacement), { ignoreDerivedPairFields: true }),
  );
  expect(diffFlows(flowsOf(run.before), flowsOf(run.after))).toEqual([]);
  const rollback = await run.rollback();
  expect(rollback.result.status, JSON.stringify(rollback.result)).toBe('SUCCEEDED');
  expect(rollback.result.output?.outcome).toBe('rolled-back');
  expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
  expect(await lockIsFree(run.session, firstDefaultGroupId(run.before))).toBe(true);
  return replacement;
}

// ---------------------------------------------------------------------------------------------------------------
// Point 2: references the account cannot see

describe('a peered VPC of this account that is shared with another account (DescribeSecurityGroupReferences per VPC)', () => {
  const state = () => scenarioState('peered-shared-participant');
  const defaultGroup = (s: Ec2State) => groupById(s, firstDefaultGroupId(s));
  const peerVpc = (s: Ec2State) => groupByName(s, 'reporting').VpcId ?? '';
  const pcx = (s: Ec2State) =>
    groupByName(s, 'reporting').IpPermissions?.[0]?.UserIdGroupPairs?.[0]?.VpcPeeringConnectionId ?? '';

  it("a participant's group references the default group: blocked, naming the VPC, the peering and the account; nothing changed", async () => {
    const input = state();
    const run = await remediateState(input);
    const reasons = await expectBlockedUnchanged(run);
    const reason = reasons.split('\n').find((line) => line.includes(peerVpc(input)));
    expect(reason).toContain(`${peerVpc(input)} (through ${pcx(input)})`);
    expect(reason).toContain(PARTICIPANT);
    expect(reason).toContain(groupByName(input, 'partner-etl').GroupId);
    // Our own reporting group there would have been twinned: it is what hid the participant's group before.
    expect(run.simulator.callCounts().DescribeSecurityGroupReferences).toBe(1);
    expect(diffFlows(flowsOf(run.before), flowsOf(run.after))).toEqual([]);
  });

  it('the participant only has an interface there (its groups unseen): still blocked, the VPC is shared', async () => {
    const input = state();
    input.SecurityGroups = input.SecurityGroups.map((group) =>
      group.GroupName === 'partner-etl' ? { ...group, IpPermissions: [] } : group,
    );
    const run = await remediateState(input);
    const reasons = await expectBlockedUnchanged(run);
    expect(reasons).toContain(
      `Security groups in ${peerVpc(input)} (through ${pcx(input)}) reference the default group, and this account cannot read or edit them all`,
    );
    expect(reasons).toContain(`is shared with account(s) ${PARTICIPANT}`);
  });

  it('without the participant the same VPC is covered: remediated, the reporting rule twinned over the peering', async () => {
    const input = state();
    input.SecurityGroups = input.SecurityGroups.filter((group) => group.OwnerId === ACCOUNT);
    input.NetworkInterfaces = input.NetworkInterfaces.filter((eni) => eni.OwnerId === ACCOUNT);
    const run = await remediateState(input);
    await expectRemediatedThenRolledBack(run, (replacement) =>
      expectedAfterRemediation(
        run.before,
        defaultGroup(run.before).GroupId ?? '',
        replacement,
        [],
        run.result.executionName,
      ),
    );
  });

  it('a participant starts referencing the default group during the approval wait: the run stops before the strip and rolls back', async () => {
    const input = scenarioState('peered-vpc');
    const defaultId = firstDefaultGroupId(input);
    const reporting = groupByName(input, 'reporting');
    const shared = reporting.VpcId ?? '';
    const connection = reporting.IpPermissions?.[0]?.UserIdGroupPairs?.[0]?.VpcPeeringConnectionId ?? '';
    const partner: SecurityGroup = {
      GroupId: 'sg-0d1d1d1d1d1d1d1d1',
      GroupName: 'partner-etl',
      VpcId: shared,
      OwnerId: PARTICIPANT,
      Description: 'partner ETL in the shared subnets',
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          UserIdGroupPairs: [
            {
              GroupId: defaultId,
              UserId: ACCOUNT,
              VpcId: defaultGroup(input).VpcId,
              VpcPeeringConnectionId: connection,
              PeeringStatus: 'active',
            },
          ],
        },
      ],
      IpPermissionsEgress: [],
    };
    const partnerInstance: NetworkInterface = {
      NetworkInterfaceId: 'eni-0d1d1d1d1d1d1d1d1',
      VpcId: shared,
      OwnerId: PARTICIPANT,
      InterfaceType: 'interface',
      RequesterManaged: false,
      Status: 'in-use',
      PrivateIpAddress: '10.1.64.20',
      PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.1.64.20' }],
      Groups: [{ GroupId: partner.GroupId, GroupName: partner.GroupName }],
    };
    const participantJoins = (simulator: Ec2Simulator) =>
      simulator.addOtherAccountResources({ SecurityGroups: [partner], NetworkInterfaces: [partnerInstance] });
    const session = createSession(input);
    const reference = createSession(input);
    participantJoins(reference.simulator);
    const result = await session.remediate({ onApproval: participantJoins });
    expect(result.status, JSON.stringify(result)).toBe('FAILED');
    expect(result.error).toBe('DriftDetected');
    expect(result.cause).toContain(`${shared} (through ${connection})`);
    expect(result.cause).toContain(PARTICIPANT);
    expect(stepsOf(session.trace)).not.toContain('Strip the default group');
    const after = session.simulator.toState();
    expect(newGroups(session.original, after).filter((group) => group.OwnerId === ACCOUNT)).toEqual([]);
    expect(normalizeState(after, { ignoreDerivedPairFields: true })).toEqual(
      normalizeState(reference.simulator.toState(), { ignoreDerivedPairFields: true }),
    );
    expect(await lockIsFree(session, defaultId)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Point 4: stale rules on the default group

describe('a stale rule on the default group (its peering connection deleted)', () => {
  const analytics = () => groupByName(scenarioState('stale-default-rule'), 'analytics');

  function expectStaleReason(reasons: string, input: Ec2State): void {
    const defaultId = firstDefaultGroupId(input);
    const pair = groupById(input, defaultId)
      .IpPermissions?.flatMap((p) => p.UserIdGroupPairs ?? [])
      .find((candidate) => candidate.PeeringStatus === 'deleted');
    expect(reasons).toContain(
      `The default group ${defaultId} has a stale inbound TCP 5432 rule: it references ${analytics().GroupId} in ${analytics().VpcId} through ${pair?.VpcPeeringConnectionId}, which is deleted.`,
    );
    expect(reasons).toContain(`aws ec2 revoke-security-group-ingress --group-id ${defaultId}`);
    expect(reasons).toContain('re-create an active peering connection');
  }

  it('blocked, naming the rule, the connection and how to fix it; nothing changed, no lock, no copy', async () => {
    const input = scenarioState('stale-default-rule');
    const run = await remediateState(input);
    expectStaleReason(await expectBlockedUnchanged(run), input);
    expect(run.simulator.callCounts().DescribeStaleSecurityGroups).toBe(1);
  });

  it('without VpcPeeringConnections (the pair says PeeringStatus deleted): the same', async () => {
    const { VpcPeeringConnections: _connections, ...input } = scenarioState('stale-default-rule') as Ec2State & {
      VpcPeeringConnections?: unknown;
    };
    const run = await remediateState(input);
    expectStaleReason(await expectBlockedUnchanged(run), input);
  });

  it('even when nothing uses the default group: the strip alone could not be undone', async () => {
    const input = scenarioState('stale-default-rule');
    const defaultId = firstDefaultGroupId(input);
    input.NetworkInterfaces = input.NetworkInterfaces.filter(
      (eni) => !(eni.Groups ?? []).some((group) => group.GroupId === defaultId),
    );
    const run = await remediateState(input);
    expectStaleReason(await expectBlockedUnchanged(run), input);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Point 7: wrong refusals

describe('interfaces that were wrongly refused', () => {
  it('EFA-only interfaces (no IP address) move like any interface: remediated, then rolled back exactly', async () => {
    const run = await remediateState(scenarioState('efa-only'));
    const defaultId = firstDefaultGroupId(run.before);
    const replacement = await expectRemediatedThenRolledBack(run, (copy) =>
      expectedAfterRemediation(run.before, defaultId, copy, [], run.result.executionName),
    );
    const efaOnly = run.before.NetworkInterfaces.filter((eni) => eni.InterfaceType === 'efa-only');
    expect(efaOnly).toHaveLength(2);
    for (const eni of efaOnly)
      expect(eniGroups(run.after, eni.NetworkInterfaceId ?? '')).toEqual([replacement.GroupId]);
  });

  describe('a requester-managed interface left available by an owner that no longer exists', () => {
    const ORPHAN_DESCRIPTION = /^AWS Lambda VPC ENI-nightly-report-/;
    const orphanOf = (state: Ec2State) =>
      state.NetworkInterfaces.find((eni) => ORPHAN_DESCRIPTION.test(eni.Description ?? '')) as NetworkInterface;

    it('is left on the default group and the plan says so; the rest is remediated, then rolled back exactly', async () => {
      const run = await remediateState(scenarioState('orphaned-interface'));
      const defaultId = firstDefaultGroupId(run.before);
      const orphan = orphanOf(run.before).NetworkInterfaceId ?? '';
      expect(await leftOnDefaultOf(run.session, run.result.executionName)).toEqual([orphan]);
      // Attached to nothing, it carries no traffic: flowsOf leaves it out on both sides.
      await expectRemediatedThenRolledBack(run, (copy) =>
        expectedAfterRemediation(run.before, defaultId, copy, [orphan], run.result.executionName),
      );
      expect(eniGroups(run.after, orphan)).toEqual([defaultId]);
      expect(run.simulator.callCounts().ModifyNetworkInterfaceAttribute).toBe(4);
      const approval = run.notifications.find((n) => n.subject.startsWith('Approve EC2.2 remediation'));
      const completed = run.notifications.find((n) => n.subject.startsWith('EC2.2 remediated'));
      for (const notice of [approval, completed]) {
        expect(notice?.message).toContain(
          `${orphan} (Lambda function nightly-report) is left on the default group: it is requester-managed, attached to nothing (status available) and its owner no longer exists`,
        );
      }
    });

    it('attached again during the approval wait: the run stops before the strip and rolls back', async () => {
      const input = scenarioState('orphaned-interface');
      const orphan = orphanOf(input).NetworkInterfaceId ?? '';
      const reattach = (simulator: Ec2Simulator) =>
        simulator.attachAsOwner(orphan, {
          AttachmentId: 'ela-attach-0aaaaaaaaaaaaaaaa',
          DeviceIndex: 1,
          InstanceOwnerId: 'amazon-aws',
        });
      const session = createSession(input);
      const reference = createSession(input);
      reattach(reference.simulator);
      const result = await session.remediate({ onApproval: reattach });
      expect(result.status, JSON.stringify(result)).toBe('FAILED');
      expect(result.error).toBe('DriftDetected');
      expect(result.cause).toContain(`${orphan} (Lambda function nightly-report) was left on the default group`);
      expect(stepsOf(session.trace)).not.toContain('Strip the default group');
      const after = session.simulator.toState();
      expect(newGroups(session.original, after)).toEqual([]);
      expect(normalizeState(after)).toEqual(normalizeState(reference.simulator.toState()));
    });

    it('whose owner still exists (Lambda knows the function): blocked as before, nothing changed', async () => {
      const input = scenarioState('orphaned-interface') as Ec2State & { Functions: Record<string, unknown>[] };
      const app = groupByName(input, 'app').GroupId;
      input.Functions.push({
        FunctionName: 'nightly-report',
        VpcConfig: { SubnetIds: [orphanOf(input).SubnetId], SecurityGroupIds: [app], VpcId: orphanOf(input).VpcId },
        State: 'Active',
        LastUpdateStatus: 'Successful',
      });
      const run = await remediateState(input);
      const reasons = await expectBlockedUnchanged(run);
      expect(reasons).toContain(`${orphanOf(input).NetworkInterfaceId} belongs to Lambda function nightly-report`);
    });
  });
});
