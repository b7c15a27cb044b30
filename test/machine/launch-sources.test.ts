/**
 * Launch sources (issue 11): an Auto Scaling group launching from a launch template or a launch configuration that
 * names the default group has no interface on it right now, but its next scale-out puts one there — after the strip, on
 * a group with no rules. Through the real definitions: the source is moved to the copy before the strip, a scale-out
 * afterwards launches on the copy with the traffic a scale-out before the remediation would have had, and rollback
 * restores the template's default version, the pins and the launch configuration exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalLaunchSourceApi, launchFrom } from '../../handlers/adapters/local/owners/launch-sources.ts';
import type { ServiceSimulator } from '../../handlers/adapters/local/service-simulator.ts';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { createdDescription } from '../../handlers/core/owners/ec2-launch-templates.ts';
import { diffFlows } from '../../handlers/core/reachability.ts';
import {
  createSession,
  disposeAll,
  flowsOf,
  newGroups,
  normalizeState,
  remediateState,
  stepsOf,
  withSetGroups,
} from '../support/harness.ts';
import { type LaunchRecords, launchState, TEMPLATE, type WithLaunch } from '../support/launch-sources.ts';

afterEach(disposeAll);

/** Two instances from each Auto Scaling group (they reach each other through the group's self-reference). */
function scaleOut(state: Ec2State): Ec2State {
  const scaled = structuredClone(state);
  let n = 0;
  for (const group of ['web-asg', 'batch-asg', 'legacy-asg'])
    for (let i = 0; i < 2; i++) {
      n++;
      launchFrom(scaled, group, {
        networkInterfaceId: `eni-0a5c0000000000${n.toString(16).padStart(3, '0')}`,
        address: `10.0.1.${n}`,
      });
    }
  return scaled;
}

function launchOf(state: Ec2State): LaunchRecords {
  return state as WithLaunch;
}

describe('Auto Scaling groups launching onto the default group', () => {
  it('are moved to the copy; a scale-out after the strip has the traffic one before would have had; rollback restores them exactly', async () => {
    const { state, defaultGroup } = launchState();
    const run = await remediateState(state);
    expect(run.result.status, JSON.stringify(run.result)).toBe('SUCCEEDED');
    expect(run.result.output?.outcome).toBe('remediated');
    const copy = newGroups(run.before, run.after)[0]?.GroupId ?? '';
    expect(copy).toMatch(/^sg-/);
    const after = launchOf(run.after);
    // A new version 2 from version 1 naming the copy, now the default; the pinned group moved to it.
    const version2 = after.LaunchTemplateVersions.find((v) => v.VersionNumber === 2);
    expect(version2?.LaunchTemplateData.SecurityGroupIds).toEqual([copy]);
    expect(version2?.LaunchTemplateData.ImageId).toBe('ami-0abcdef1234567890');
    expect(version2?.VersionDescription).toContain(run.result.executionName);
    expect(after.LaunchTemplates[0]).toMatchObject({ DefaultVersionNumber: 2, LatestVersionNumber: 2 });
    expect(
      after.AutoScalingGroups.map((g) => [
        g.AutoScalingGroupName,
        g.LaunchTemplate?.Version ?? g.LaunchConfigurationName,
      ]),
    ).toEqual([
      ['web-asg', '$Default'],
      ['batch-asg', '2'],
      ['legacy-asg', `legacy-lc-${run.result.executionName}`],
    ]);
    expect(after.LaunchConfigurations.find((lc) => lc.LaunchConfigurationName !== 'legacy-lc')?.SecurityGroups).toEqual(
      [copy],
    );
    // The default group is stripped.
    const stripped = run.after.SecurityGroups.find((group) => group.GroupId === defaultGroup);
    expect(stripped?.IpPermissions ?? []).toEqual([]);
    // The approver was told which sources and what happens to them.
    const email = run.notifications.map((n) => n.message).join('\n');
    expect(email).toContain(`launch template ${TEMPLATE} ("web-lt")`);
    expect(email).toContain('"batch-asg" (pinned to version 1)');
    expect(email).toContain('Auto Scaling group "legacy-asg" on launch configuration "legacy-lc"');

    // The next scale-out lands on the copy, with the traffic it would have had before the remediation.
    const scaledAfter = scaleOut(run.after);
    expect(scaledAfter.NetworkInterfaces.slice(-6).map((eni) => eni.Groups?.map((g) => g.GroupId))).toEqual(
      Array(6).fill([copy]),
    );
    expect(diffFlows(flowsOf(scaleOut(run.before)), flowsOf(scaledAfter))).toEqual([]);
    // Without the move, the same scale-out after the strip would have lost its traffic (the check can fail).
    const unmoved = structuredClone(run.after) as WithLaunch;
    unmoved.LaunchTemplates = launchOf(run.before).LaunchTemplates;
    unmoved.LaunchTemplateVersions = launchOf(run.before).LaunchTemplateVersions;
    unmoved.AutoScalingGroups = launchOf(run.before).AutoScalingGroups;
    expect(diffFlows(flowsOf(scaleOut(run.before)), flowsOf(scaleOut(unmoved)))).not.toEqual([]);

    const rollback = await run.rollback();
    expect(rollback.result.output?.outcome, JSON.stringify(rollback.result)).toBe('rolled-back');
    const restored = launchOf(rollback.after);
    expect(restored.LaunchTemplates).toEqual(launchOf(run.before).LaunchTemplates);
    expect(restored.LaunchTemplateVersions).toEqual(launchOf(run.before).LaunchTemplateVersions);
    expect(restored.AutoScalingGroups).toEqual(launchOf(run.before).AutoScalingGroups);
    expect(restored.LaunchConfigurations).toEqual(launchOf(run.before).LaunchConfigurations);
    expect(normalizeState(rollback.after)).toEqual(normalizeState(run.before));
  });

  it('stops before the strip when the template is re-pointed at the default group during the approval wait', async () => {
    const { state } = launchState();
    const run = await remediateState(state, {
      async onApproval(simulator) {
        // Someone makes version 1 (on the default group) the default again while the approver reads the email.
        await new LocalLaunchSourceApi(simulator, simulator.serviceRecords() as never).modifyLaunchTemplate({
          LaunchTemplateId: TEMPLATE,
          DefaultVersion: '1',
        });
      },
    });
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error).toBe('DriftDetected');
    expect(run.result.cause).toMatch(/launch template lt-0a1b2c3d4e5f60718 .* is on the default group again/);
    expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
    // Rolled back: no copy left, the template and the groups as they were.
    expect(newGroups(run.before, run.after)).toEqual([]);
    expect(launchOf(run.after).LaunchTemplateVersions).toEqual(launchOf(run.before).LaunchTemplateVersions);
    expect(launchOf(run.after).AutoScalingGroups).toEqual(launchOf(run.before).AutoScalingGroups);
  });

  it('a crash after the new version was made and before the default moved: the retry reuses that version (I5)', async () => {
    const { state, defaultGroup } = launchState();
    const session = createSession(state);
    const services = session.deps.services.bind(session.deps);
    let crashed = 0;
    session.deps.services = (target) => {
      const port = services(target) as ServiceSimulator;
      const crashing = withSetGroups(port, async (ref, groups, change) => {
        if (ref.kind === 'launch-template' && crashed === 0 && change?.swap) {
          crashed++;
          // The handler made the new version, then died before ModifyLaunchTemplate.
          const api = new LocalLaunchSourceApi(session.simulator, session.simulator.serviceRecords() as never);
          await api.createLaunchTemplateVersion({
            LaunchTemplateId: TEMPLATE,
            SourceVersion: '1',
            VersionDescription: createdDescription(change.remediationId, 1, defaultGroup, change.swap.to),
            LaunchTemplateData: { SecurityGroupIds: [change.swap.to] },
          });
          throw Object.assign(new Error('the handler died after CreateLaunchTemplateVersion'), {
            name: 'InternalError',
          });
        }
        await port.setGroups(ref, groups, change);
      });
      return crashing;
    };
    const result = await session.remediate();
    expect(result.status, JSON.stringify(result)).toBe('SUCCEEDED');
    expect(crashed).toBe(1);
    const after = launchOf(session.simulator.toState());
    // One new version, not two: the retry found it by its description.
    expect(after.LaunchTemplateVersions.map((v) => v.VersionNumber)).toEqual([1, 2]);
    expect(after.LaunchTemplates[0]?.DefaultVersionNumber).toBe(2);
    expect(after.AutoScalingGroups.find((g) => g.AutoScalingGroupName === 'batch-asg')?.LaunchTemplate?.Version).toBe(
      '2',
    );
  });

  it('Verify compares what would launch next: a twin only new instances use, revoked after the strip, fails it', async () => {
    const { state, defaultGroup } = launchState();
    // The db tier accepts PostgreSQL from the default group: the plan adds a twin naming the copy.
    const db = state.SecurityGroups.find((group) => group.GroupName === 'db');
    db?.IpPermissions?.push({
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      IpRanges: [],
      Ipv6Ranges: [],
      PrefixListIds: [],
      UserIdGroupPairs: [{ GroupId: defaultGroup, UserId: '111122223333' }],
    });
    // …and the default group was customised to reach it (stand-ins have no addresses, so CIDR rules never connect two
    // of them: a group-to-group path is what the model can follow between stand-ins).
    state.SecurityGroups.find((group) => group.GroupId === defaultGroup)?.IpPermissionsEgress?.push({
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      IpRanges: [],
      Ipv6Ranges: [],
      PrefixListIds: [],
      UserIdGroupPairs: [{ GroupId: db?.GroupId ?? '', UserId: '111122223333' }],
    });
    const session = createSession(state);
    let stripped = false;
    let revoked = 0;
    session.setHooks({
      // Right after the strip someone revokes the twin: no interface is on the copy yet, so only the launch sources'
      // stand-ins show that new instances would no longer reach the database.
      async before() {
        if (!stripped || revoked > 0) return;
        const live = session.simulator.toState();
        const copy = newGroups(session.original, live)[0]?.GroupId;
        const twins = (live.SecurityGroups.find((group) => group.GroupName === 'db')?.IpPermissions ?? []).flatMap(
          (permission) => {
            const pairs = (permission.UserIdGroupPairs ?? []).filter((pair) => pair.GroupId === copy);
            return pairs.length > 0
              ? [{ ...permission, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: pairs }]
              : [];
          },
        );
        revoked = twins.length;
        if (db?.GroupId && twins.length > 0)
          await session.simulator.revokeSecurityGroupIngress({ GroupId: db.GroupId, IpPermissions: twins });
      },
    });
    const result = await session.remediate({
      onStep(event) {
        if (event.state === 'Strip the default group' && !event.error) stripped = true;
      },
    });
    expect(revoked).toBeGreaterThan(0);
    const verifyStep = session.trace.find((event) => event.kind === 'step' && event.state === 'Verify the result');
    expect(verifyStep).toMatchObject({ error: { name: 'VerificationFailed' } });
    expect(verifyStep?.kind === 'step' ? verifyStep.error?.message : '').toMatch(
      /Traffic changed: eni-launch-[^ ]+ → eni-standin-sg-0e7457497dc74f166 .*tcp 5432 allowed before, denied after/,
    );
    expect(result.error).toBe('VerificationFailed');
    const after = session.simulator.toState();
    expect(newGroups(session.original, after)).toEqual([]);
    expect(normalizeState(after)).toEqual(normalizeState(session.original));
  });
});

describe('an EKS managed node group or a fleet launching from a version that names the default group', () => {
  it('a node group pinned to it: the template is found, the plan blocked naming the node group and the command; nothing changed', async () => {
    const { state } = launchState();
    (state as WithLaunch & { nodegroups: unknown[] }).nodegroups = [
      {
        nodegroupName: 'workers',
        clusterName: 'prod',
        status: 'ACTIVE',
        launchTemplate: { id: TEMPLATE, name: 'web-lt', version: '1' },
      },
    ];
    const run = await remediateState(state);
    expect(run.result.output?.outcome, JSON.stringify(run.result)).toBe('blocked');
    const reasons = JSON.stringify(run.result.output);
    expect(reasons).toContain('EKS managed node group \\"workers\\" of cluster \\"prod\\" (version 1)');
    expect(reasons).toContain(
      `aws eks update-nodegroup-version --cluster-name \\"prod\\" --nodegroup-name \\"workers\\" --launch-template id=${TEMPLATE},version=<new version>`,
    );
    expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
  });

  it('a maintain EC2 Fleet and a Spot Fleet request pinned to it: blocked with their modify commands; an instant fleet is not counted', async () => {
    const { state } = launchState();
    const spec = { LaunchTemplateSpecification: { LaunchTemplateId: TEMPLATE, Version: '1' } };
    Object.assign(state, {
      Fleets: [
        { FleetId: 'fleet-0a1b2c3d', FleetState: 'active', Type: 'maintain', LaunchTemplateConfigs: [spec] },
        { FleetId: 'fleet-0a1b2c3e', FleetState: 'active', Type: 'instant', LaunchTemplateConfigs: [spec] },
      ],
      SpotFleetRequestConfigs: [
        {
          SpotFleetRequestId: 'sfr-0a1b2c3d',
          SpotFleetRequestState: 'active',
          SpotFleetRequestConfig: { Type: 'maintain', LaunchTemplateConfigs: [spec] },
        },
      ],
    });
    const run = await remediateState(state);
    expect(run.result.output?.outcome, JSON.stringify(run.result)).toBe('blocked');
    const reasons = JSON.stringify(run.result.output);
    expect(reasons).toContain('aws ec2 modify-fleet --fleet-id fleet-0a1b2c3d');
    expect(reasons).toContain('aws ec2 modify-spot-fleet-request --spot-fleet-request-id sfr-0a1b2c3d');
    expect(reasons).not.toContain('fleet-0a1b2c3e');
    expect(normalizeState(run.after)).toEqual(normalizeState(run.before));
  });

  it('a node group pinned to a version that does not name the default group changes nothing in the move', async () => {
    const { state } = launchState();
    const launch = state as WithLaunch & { nodegroups: unknown[] };
    const appGroup = state.SecurityGroups.find((group) => group.GroupName !== 'default')?.GroupId ?? '';
    launch.LaunchTemplates[0] = { ...launch.LaunchTemplates[0], LatestVersionNumber: 2 } as never;
    launch.LaunchTemplateVersions.push({
      LaunchTemplateId: TEMPLATE,
      LaunchTemplateName: 'web-lt',
      VersionNumber: 2,
      DefaultVersion: false,
      LaunchTemplateData: { ImageId: 'ami-0abcdef1234567890', InstanceType: 't3.micro', SecurityGroupIds: [appGroup] },
    });
    launch.nodegroups = [
      {
        nodegroupName: 'workers',
        clusterName: 'prod',
        status: 'ACTIVE',
        launchTemplate: { id: TEMPLATE, version: '2' },
      },
    ];
    const run = await remediateState(state);
    expect(run.result.output?.outcome, JSON.stringify(run.result)).toBe('remediated');
    expect((run.after as typeof launch).nodegroups).toEqual(launch.nodegroups);
  });
});

describe('a node group pinned during the approval wait', () => {
  it('to the old version on the default group: Re-check stops the run before the strip and rolls back', async () => {
    const { state } = launchState();
    const run = await remediateState(state, {
      onApproval(simulator) {
        // Someone creates a node group on version 1 (still naming the default group) while the approver reads the email.
        (simulator.serviceRecords() as { nodegroups?: unknown[] }).nodegroups = [
          {
            nodegroupName: 'late',
            clusterName: 'prod',
            status: 'ACTIVE',
            launchTemplate: { id: TEMPLATE, version: '1' },
          },
        ];
      },
    });
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error).toBe('DriftDetected');
    expect(run.result.cause).toMatch(/launch template lt-0a1b2c3d4e5f60718 .* is on the default group again/);
    expect(stepsOf(run.session.trace)).not.toContain('Strip the default group');
    expect(newGroups(run.before, run.after)).toEqual([]);
    expect(launchOf(run.after).LaunchTemplateVersions).toEqual(launchOf(run.before).LaunchTemplateVersions);
  });
});
