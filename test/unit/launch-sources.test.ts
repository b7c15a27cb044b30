/**
 * The launch sources' decisions (handlers/core/owners/ec2-launch-templates.ts) and the local models' refusals
 * (handlers/adapters/local/owners/launch-sources.ts), from the EC2 and Auto Scaling API references.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalLaunchSourceApi, launchFrom } from '../../handlers/adapters/local/owners/launch-sources.ts';
import { ServiceSimulator } from '../../handlers/adapters/local/service-simulator.ts';
import { errorCode } from '../../handlers/core/errors.ts';
import {
  createdDescription,
  inUseVersions,
  pinnedLauncherBlock,
  planTemplateMove,
  swappedData,
  type TemplateView,
  templateGroups,
} from '../../handlers/core/owners/ec2-launch-templates.ts';
import { createSession, disposeAll } from '../support/harness.ts';
import { launchState, TEMPLATE, type WithLaunch } from '../support/launch-sources.ts';

afterEach(disposeAll);

const DEFAULT = 'sg-0aaaaaaaaaaaaaaaa';
const COPY = 'sg-0cccccccccccccccc';
const WEB = 'sg-0bbbbbbbbbbbbbbbb';
const RID = 'rem-1';

function view(partial: Partial<TemplateView>): TemplateView {
  return {
    id: 'lt-0123456789abcdef0',
    defaultVersion: 1,
    latestVersion: 1,
    versions: [{ number: 1, data: { SecurityGroupIds: [DEFAULT] } }],
    users: [],
    ...partial,
  };
}

describe('planTemplateMove', () => {
  it('one version in use naming the group: a new version from it, the default moved, the pinned group re-pinned', () => {
    const move = planTemplateMove(
      view({
        users: [
          { name: 'batch', version: '1' },
          { name: 'web', version: '$Default' },
        ],
      }),
      RID,
      DEFAULT,
      COPY,
    );
    expect(move).toEqual({
      create: [{ source: 1, description: createdDescription(RID, 1, DEFAULT, COPY) }],
      defaultFrom: 1,
      repin: [{ user: 'batch', source: 1 }],
    });
  });

  it('a default on the group and a $Latest that is not: $Latest is copied last, so it keeps launching what it did', () => {
    const v = view({
      latestVersion: 2,
      versions: [
        { number: 1, data: { SecurityGroupIds: [DEFAULT] } },
        { number: 2, data: { SecurityGroupIds: [WEB] } },
      ],
    });
    expect(planTemplateMove(v, RID, DEFAULT, COPY).create.map((step) => step.source)).toEqual([1, 2]);
  });

  it('after a crash halfway the same plan comes out: versions this remediation made stand for their sources (I5)', () => {
    const before = view({
      latestVersion: 2,
      versions: [
        { number: 1, data: { SecurityGroupIds: [DEFAULT] } },
        { number: 2, data: { SecurityGroupIds: [WEB] } },
      ],
      users: [{ name: 'batch', version: '1' }],
    });
    const plan = planTemplateMove(before, RID, DEFAULT, COPY);
    // Version 3 (from 1) was made and the default moved to it; then the handler died.
    const halfway = view({
      ...before,
      defaultVersion: 3,
      latestVersion: 3,
      versions: [
        ...before.versions,
        { number: 3, description: createdDescription(RID, 1, DEFAULT, COPY), data: { SecurityGroupIds: [COPY] } },
      ],
    });
    expect(planTemplateMove(halfway, RID, DEFAULT, COPY)).toEqual(plan);
  });

  it('nothing in use names the group: nothing to do (an old version nobody launches from is left alone)', () => {
    const v = view({
      defaultVersion: 2,
      latestVersion: 2,
      versions: [
        { number: 1, data: { SecurityGroupIds: [DEFAULT] } },
        { number: 2, data: { SecurityGroupIds: [WEB] } },
      ],
    });
    expect(templateGroups(v)).toEqual([WEB]);
    expect(planTemplateMove(v, RID, DEFAULT, COPY)).toEqual({ create: [], repin: [] });
  });

  it('swaps the group in the version list and in every network interface, keeping the rest of each interface', () => {
    expect(
      swappedData(
        {
          ImageId: 'ami-1',
          NetworkInterfaces: [
            { DeviceIndex: 0, Groups: [DEFAULT, WEB] },
            { DeviceIndex: 1, Groups: [WEB] },
          ],
        },
        DEFAULT,
        COPY,
      ),
    ).toEqual({
      NetworkInterfaces: [
        { DeviceIndex: 0, Groups: [COPY, WEB] },
        { DeviceIndex: 1, Groups: [WEB] },
      ],
    });
  });
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return errorCode(error);
  }
}

describe('fleets and EKS node groups pinning a version (pinnedLauncherBlock)', () => {
  // Version 1 names the default group; $Default and $Latest (2) name another.
  const pinned = (launchers: TemplateView['launchers']) =>
    view({
      name: 'web-lt',
      defaultVersion: 2,
      latestVersion: 2,
      versions: [
        { number: 1, data: { SecurityGroupIds: [DEFAULT] } },
        { number: 2, data: { SecurityGroupIds: [WEB] } },
      ],
      launchers,
    });

  it('a node group pinned to a version naming the group: in use through it, blocked with the update-nodegroup-version command', () => {
    const template = pinned([{ kind: 'eks-nodegroup', cluster: 'prod', nodegroup: 'workers', version: '1' }]);
    expect(inUseVersions(template)).toEqual([1, 2]);
    expect(templateGroups(template)).toContain(DEFAULT);
    const reason = pinnedLauncherBlock(template, DEFAULT) ?? '';
    expect(reason).toContain('EKS managed node group "workers" of cluster "prod" (version 1)');
    expect(reason).toMatch(/replaces every node/);
    expect(reason).toContain(
      'aws eks update-nodegroup-version --cluster-name "prod" --nodegroup-name "workers" --launch-template id=lt-0123456789abcdef0,version=<new version>',
    );
    expect(reason).toContain('--source-version 1');
  });

  it('fleets: a maintain fleet gets its modify command; a request fleet, which no Modify call changes, is to be recreated', () => {
    const reason =
      pinnedLauncherBlock(
        pinned([
          { kind: 'ec2-fleet', id: 'fleet-1', type: 'maintain', version: '1' },
          { kind: 'ec2-fleet', id: 'fleet-2', type: 'request', version: '1' },
          { kind: 'spot-fleet', id: 'sfr-1', type: 'maintain', version: '1' },
          { kind: 'spot-fleet', id: 'sfr-2', type: 'request', version: '1' },
        ]),
        DEFAULT,
      ) ?? '';
    expect(reason).toContain('aws ec2 modify-fleet --fleet-id fleet-1 --launch-template-configs');
    expect(reason).toContain('aws ec2 delete-fleets --fleet-ids fleet-2 --no-terminate-instances');
    expect(reason).toContain('aws ec2 modify-spot-fleet-request --spot-fleet-request-id sfr-1');
    expect(reason).toContain(
      'aws ec2 cancel-spot-fleet-requests --spot-fleet-request-ids sfr-2 --no-terminate-instances',
    );
  });

  it('a launcher on a version that does not name the group, or through $Default after the move, blocks nothing', () => {
    expect(
      pinnedLauncherBlock(pinned([{ kind: 'eks-nodegroup', cluster: 'prod', nodegroup: 'w', version: '2' }]), DEFAULT),
    ).toBeUndefined();
    expect(
      pinnedLauncherBlock(
        pinned([{ kind: 'ec2-fleet', id: 'fleet-1', type: 'maintain', version: '$Default' }]),
        DEFAULT,
      ),
    ).toBeUndefined();
    expect(pinnedLauncherBlock(pinned([]), DEFAULT)).toBeUndefined();
  });

  it('names from the account are quoted, never shown raw', () => {
    const reason =
      pinnedLauncherBlock(
        pinned([{ kind: 'eks-nodegroup', cluster: 'prod', nodegroup: 'w\u202e; rm -rf /', version: '1' }]),
        DEFAULT,
      ) ?? '';
    expect(reason).not.toContain('\u202e');
  });
});

describe('the local launch source models refuse as the APIs do', () => {
  function api() {
    const { state, defaultGroup } = launchState();
    const session = createSession(state);
    return {
      api: new LocalLaunchSourceApi(session.simulator, session.simulator.serviceRecords() as never),
      defaultGroup,
      session,
    };
  }

  it('launch templates: unknown template, unknown version, malformed group, the default version not deletable, the version quota', async () => {
    const { api: ec2, defaultGroup } = api();
    expect(await codeOf(ec2.describeLaunchTemplates(['lt-0ffffffffffffffff']))).toBe(
      'InvalidLaunchTemplateId.NotFound',
    );
    expect(await codeOf(ec2.describeLaunchTemplates(['web-lt']))).toBe('InvalidLaunchTemplateId.Malformed');
    const create = (data: { SecurityGroupIds: string[] }, source = '1') =>
      ec2.createLaunchTemplateVersion({
        LaunchTemplateId: TEMPLATE,
        SourceVersion: source,
        VersionDescription: 'x',
        LaunchTemplateData: data,
      });
    expect(await codeOf(create({ SecurityGroupIds: [defaultGroup] }, '7'))).toBe(
      'InvalidLaunchTemplateId.VersionNotFound',
    );
    expect(await codeOf(create({ SecurityGroupIds: ['default'] }))).toBe('InvalidGroupId.Malformed');
    expect(await codeOf(ec2.modifyLaunchTemplate({ LaunchTemplateId: TEMPLATE, DefaultVersion: '9' }))).toBe(
      'InvalidLaunchTemplateId.VersionNotFound',
    );
    await expect(ec2.deleteLaunchTemplateVersions({ LaunchTemplateId: TEMPLATE, Versions: ['1'] })).rejects.toThrow(
      /default version cannot be deleted/,
    );
    // A new version inherits the source's parameters and becomes $Latest.
    expect(await create({ SecurityGroupIds: [defaultGroup] })).toBe(2);
    const [v2] = await ec2.describeLaunchTemplateVersions(TEMPLATE, ['$Latest']);
    expect(v2?.LaunchTemplateData).toMatchObject({
      ImageId: 'ami-0abcdef1234567890',
      SecurityGroupIds: [defaultGroup],
    });
    await ec2.deleteLaunchTemplateVersions({ LaunchTemplateId: TEMPLATE, Versions: ['2'] });
    expect((await ec2.describeLaunchTemplates([TEMPLATE]))[0]?.LatestVersionNumber).toBe(1);
  });

  it('refuses the 10,001st version of a template', async () => {
    const { state, defaultGroup } = launchState();
    const template = state.LaunchTemplateVersions[0];
    if (!template) throw new Error('no version');
    for (let n = 2; n <= 10_000; n++)
      state.LaunchTemplateVersions.push({ ...template, VersionNumber: n, DefaultVersion: false });
    const first = state.LaunchTemplates[0];
    if (first) first.LatestVersionNumber = 10_000;
    const session = createSession(state);
    const ec2 = new LocalLaunchSourceApi(session.simulator, session.simulator.serviceRecords() as never);
    expect(
      await codeOf(
        ec2.createLaunchTemplateVersion({
          LaunchTemplateId: TEMPLATE,
          SourceVersion: '1',
          VersionDescription: 'one too many',
          LaunchTemplateData: { SecurityGroupIds: [defaultGroup] },
        }),
      ),
    ).toBe('VersionLimitExceeded');
  });

  it('launch configurations and groups: a name that exists, an unknown group, one in use, an unknown Auto Scaling group', async () => {
    const { api: autoscaling, defaultGroup } = api();
    const lc = {
      LaunchConfigurationName: 'legacy-lc',
      ImageId: 'ami-1',
      InstanceType: 't3.micro',
      SecurityGroups: [defaultGroup],
    };
    expect(await codeOf(autoscaling.createLaunchConfiguration(lc))).toBe('AlreadyExists');
    expect(
      await codeOf(
        autoscaling.createLaunchConfiguration({
          ...lc,
          LaunchConfigurationName: 'x',
          SecurityGroups: ['sg-0ffffffffffffffff'],
        }),
      ),
    ).toBe('ValidationError');
    expect(await codeOf(autoscaling.deleteLaunchConfiguration('legacy-lc'))).toBe('ResourceInUse');
    expect(
      await codeOf(
        autoscaling.updateAutoScalingGroup({ AutoScalingGroupName: 'nope', LaunchConfigurationName: 'legacy-lc' }),
      ),
    ).toBe('ValidationError');
    expect(
      await codeOf(
        autoscaling.updateAutoScalingGroup({
          AutoScalingGroupName: 'batch-asg',
          LaunchTemplate: { LaunchTemplateId: TEMPLATE, Version: '5' },
        }),
      ),
    ).toBe('ValidationError');
  });

  it('a scale-out onto a group that no longer exists fails as RunInstances does', () => {
    const { state, defaultGroup } = launchState();
    const gone: WithLaunch = {
      ...state,
      SecurityGroups: state.SecurityGroups.filter((g) => g.GroupId !== defaultGroup),
    };
    expect(() =>
      launchFrom(gone, 'web-asg', { networkInterfaceId: 'eni-0a5c0000000000001', address: '10.0.1.1' }),
    ).toThrow(expect.objectContaining({ name: 'InvalidGroup.NotFound' }));
    const eni = launchFrom(state, 'legacy-asg', { networkInterfaceId: 'eni-0a5c0000000000001', address: '10.0.1.1' });
    expect(eni.Groups?.map((group) => group.GroupId)).toEqual([defaultGroup]);
  });

  it('a state file with a malformed launch template record is refused, naming the field', () => {
    const { state } = launchState();
    (state.LaunchTemplates[0] as { LaunchTemplateId: string }).LaunchTemplateId = 'web-lt';
    const session = createSession(launchState().state);
    (session.simulator.serviceRecords() as { LaunchTemplates: unknown[] }).LaunchTemplates[0] =
      state.LaunchTemplates[0];
    expect(() => new ServiceSimulator(session.simulator)).toThrow(/LaunchTemplates\.0\.LaunchTemplateId/);
  });

  it('a state file with a malformed fleet or node group record is refused, naming the field', () => {
    const session = createSession(launchState().state);
    const records = session.simulator.serviceRecords() as Record<string, unknown>;
    records.nodegroups = [{ nodegroupName: 'workers', launchTemplate: { id: TEMPLATE, version: '1' } }];
    expect(() => new ServiceSimulator(session.simulator)).toThrow(/nodegroups\.0\.clusterName/);
    records.nodegroups = [];
    records.Fleets = [{ FleetId: 'fleet-1', Type: 'sometimes' }];
    expect(() => new ServiceSimulator(session.simulator)).toThrow(/Fleets\.0\.FleetId|Fleets\.0\.Type/);
    records.Fleets = [];
    records.SpotFleetRequestConfigs = [{ SpotFleetRequestId: 'sfr-1' }];
    expect(() => new ServiceSimulator(session.simulator)).toThrow(/SpotFleetRequestConfigs\.0\.SpotFleetRequestConfig/);
  });
});
