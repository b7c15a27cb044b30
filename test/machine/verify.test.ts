/**
 * "Verify the result" rebuilds the traffic model at every size (issue 10, point 1), through the real definitions:
 * above the 500 interfaces where it used to be skipped, the result names the checks that ran, and a change of traffic
 * that only the traffic model can see fails the run, which rolls back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ec2State, IpPermission } from '../../handlers/core/ec2-shapes.ts';
import { compareTraffic } from '../../handlers/core/reachability.ts';
import { defaultGroupOf, generateVpc } from '../support/generate-vpc.ts';
import {
  createSession,
  disposeAll,
  groupById,
  newGroups,
  normalizeState,
  remediateState,
  stepsOf,
} from '../support/harness.ts';

afterEach(disposeAll);

const INTERFACES = 640;

describe('Verify the result, above 500 interfaces', () => {
  it('runs the traffic model and says which checks ran', async () => {
    const run = await remediateState(generateVpc({ interfaces: INTERFACES, references: 24 }));
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    expect(run.result.output?.outcome).toBe('remediated');
    expect(run.result.output?.verification).toEqual({ verified: true, checks: ['structure', 'traffic'] });
    // What it checked holds on the whole state too.
    expect(compareTraffic(run.before, run.after).equal).toBe(true);
  });

  it('catches a twin rule revoked between the strip and the verification, and the run rolls back', async () => {
    // The default group sends to an application tier by reference (its members' traffic to that tier depends on the
    // tier's rule referencing the default group, and after the strip on its twin referencing the copy only).
    const state = generateVpc({ interfaces: INTERFACES, references: 24 });
    const defaultGroupId = defaultGroupOf(state);
    const tier = state.SecurityGroups.find(
      (group) =>
        group.GroupId !== defaultGroupId &&
        (group.IpPermissions ?? []).some((p) => p.UserIdGroupPairs?.some((pair) => pair.GroupId === defaultGroupId)),
    );
    if (!tier?.GroupId) throw new Error('the generated VPC has no group referencing the default group inbound');
    const tierId = tier.GroupId;
    groupById(state, defaultGroupId).IpPermissionsEgress?.push({
      IpProtocol: '-1',
      IpRanges: [],
      Ipv6Ranges: [],
      PrefixListIds: [],
      UserIdGroupPairs: [{ GroupId: tierId, UserId: tier.OwnerId, Description: 'to the app tier' }],
    });

    const session = createSession(state);
    let stripped = false;
    let revoked: IpPermission[] = [];
    session.setHooks({
      // Someone else's automation revokes the tier's inbound twins (those naming the copy) right after the strip:
      // the structure is still as planned (the copy, the memberships, no reference to the default group left).
      async before() {
        if (!stripped || revoked.length > 0) return;
        const live: Ec2State = session.simulator.toState();
        const copyId = newGroups(session.original, live)[0]?.GroupId;
        revoked = (groupById(live, tierId).IpPermissions ?? []).flatMap((permission) => {
          const twins = (permission.UserIdGroupPairs ?? []).filter((pair) => pair.GroupId === copyId);
          return twins.length > 0
            ? [{ ...permission, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: twins }]
            : [];
        });
        expect(revoked.length).toBeGreaterThan(0);
        await session.simulator.revokeSecurityGroupIngress({ GroupId: tierId, IpPermissions: revoked });
      },
    });
    const result = await session.remediate({
      onStep(event) {
        if (event.state === 'Strip the default group' && !event.error) stripped = true;
      },
    });

    expect(revoked.length).toBeGreaterThan(0);
    const verifyStep = session.trace.find((event) => event.kind === 'step' && event.state === 'Verify the result');
    expect(verifyStep).toMatchObject({ error: { name: 'VerificationFailed' } });
    expect(verifyStep?.kind === 'step' ? verifyStep.error?.message : '').toMatch(
      new RegExp(
        `Traffic changed: eni-\\w+ → eni-standin-${tierId} \\(and \\d+ more pairs alike\\): .*allowed before, denied after`,
      ),
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('VerificationFailed');
    expect(result.children.map((child) => child.status)).toEqual(['SUCCEEDED']);
    expect(stepsOf(session.trace)).toContain('Verify against the snapshot');
    // Rolled back exactly: the default group's rules and the tier's reference to it are back, the copy is gone.
    const after = session.simulator.toState();
    expect(newGroups(session.original, after)).toEqual([]);
    expect(normalizeState(after)).toEqual(normalizeState(session.original));
  });
});
