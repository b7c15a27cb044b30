/**
 * The launch sources' owner adapters (handlers/core/owners/ec2-launch-templates.ts,
 * autoscaling-launch-configurations.ts) over the calls they make, in the EC2 and Auto Scaling APIs' shapes: the AWS
 * side passes them to the SDK (aws/owners/launch-sources.ts), the local side to its models
 * (local/owners/launch-sources.ts), so both run the same moves and restores. Every step reads before it writes, so a
 * re-run after a crash at any point makes only what is missing (I5).
 */
import { copyName, isCopyName } from '../core/owners/autoscaling-launch-configurations.ts';
import {
  createdVersions,
  type PinningLauncher,
  pinnedLauncherBlock,
  planTemplateMove,
  swappedData,
  type TemplateConfig,
  type TemplateData,
  type TemplateView,
  templateState,
  userVersion,
} from '../core/owners/ec2-launch-templates.ts';
import type { ResourceChange, ResourceRef, ResourceState } from '../core/resources.ts';
import type { OwnerAdapter } from '../ports.ts';

export interface LaunchTemplateSpecification {
  LaunchTemplateId?: string;
  LaunchTemplateName?: string;
  Version?: string;
}

/** DescribeAutoScalingGroups' fields the moves read (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AutoScalingGroup.html). */
export interface AutoScalingGroupRecord {
  AutoScalingGroupName: string;
  LaunchTemplate?: LaunchTemplateSpecification;
  MixedInstancesPolicy?: { LaunchTemplate?: { LaunchTemplateSpecification?: LaunchTemplateSpecification } };
  LaunchConfigurationName?: string;
  VPCZoneIdentifier?: string;
  Tags?: { Key?: string; Value?: string }[];
}

/** DescribeLaunchConfigurations' record (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchConfiguration.html). */
export interface LaunchConfigurationRecord {
  LaunchConfigurationName: string;
  SecurityGroups?: string[];
  [field: string]: unknown;
}

export interface LaunchTemplateRecord {
  LaunchTemplateId: string;
  LaunchTemplateName?: string;
  DefaultVersionNumber: number;
  LatestVersionNumber: number;
  Tags?: { Key?: string; Value?: string }[];
}

export interface LaunchTemplateVersionRecord {
  LaunchTemplateId?: string;
  VersionNumber: number;
  VersionDescription?: string;
  DefaultVersion?: boolean;
  LaunchTemplateData?: TemplateData;
}

/** DescribeFleets' fields read (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FleetData.html). */
export interface FleetRecord {
  FleetId: string;
  FleetState?: string;
  /** `maintain` (the default), `request` or `instant`. */
  Type?: string;
  LaunchTemplateConfigs?: { LaunchTemplateSpecification?: LaunchTemplateSpecification }[];
}

/** DescribeSpotFleetRequests' fields read (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SpotFleetRequestConfig.html). */
export interface SpotFleetRecord {
  SpotFleetRequestId: string;
  SpotFleetRequestState?: string;
  SpotFleetRequestConfig?: {
    /** `maintain` (the default), `request` or `instant`. */
    Type?: string;
    LaunchTemplateConfigs?: { LaunchTemplateSpecification?: LaunchTemplateSpecification }[];
  };
}

/** DescribeNodegroup's `nodegroup` fields read (https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html). */
export interface NodegroupRecord {
  nodegroupName: string;
  clusterName: string;
  status?: string;
  launchTemplate?: { id?: string; name?: string; version?: string };
}

/** The EC2 and Auto Scaling calls of the launch sources; errors carry the service's code in `name`. */
export interface LaunchSourceApi {
  /** All the account's templates, or the ones named (a missing one: InvalidLaunchTemplateId.NotFound). */
  describeLaunchTemplates(ids?: string[]): Promise<LaunchTemplateRecord[]>;
  /** All versions of the template, or those named (`$Default`, `$Latest`, numbers). */
  describeLaunchTemplateVersions(templateId: string, versions?: string[]): Promise<LaunchTemplateVersionRecord[]>;
  /** The new version's number. */
  createLaunchTemplateVersion(input: {
    LaunchTemplateId: string;
    SourceVersion: string;
    VersionDescription: string;
    LaunchTemplateData: TemplateData;
  }): Promise<number>;
  modifyLaunchTemplate(input: { LaunchTemplateId: string; DefaultVersion: string }): Promise<void>;
  deleteLaunchTemplateVersions(input: { LaunchTemplateId: string; Versions: string[] }): Promise<void>;
  /** All the account's Auto Scaling groups, or the ones named (missing ones are left out, as the API does). */
  describeAutoScalingGroups(names?: string[]): Promise<AutoScalingGroupRecord[]>;
  updateAutoScalingGroup(input: {
    AutoScalingGroupName: string;
    LaunchTemplate?: LaunchTemplateSpecification;
    MixedInstancesPolicy?: AutoScalingGroupRecord['MixedInstancesPolicy'];
    LaunchConfigurationName?: string;
  }): Promise<void>;
  describeLaunchConfigurations(names?: string[]): Promise<LaunchConfigurationRecord[]>;
  /** Every EC2 Fleet of the account (DescribeFleets). */
  describeFleets(): Promise<FleetRecord[]>;
  /** Every Spot Fleet request of the account (DescribeSpotFleetRequests). */
  describeSpotFleetRequests(): Promise<SpotFleetRecord[]>;
  /** Every EKS managed node group of the account (ListClusters, ListNodegroups, DescribeNodegroup). */
  describeNodegroups(): Promise<NodegroupRecord[]>;
  createLaunchConfiguration(input: LaunchConfigurationRecord): Promise<void>;
  deleteLaunchConfiguration(name: string): Promise<void>;
}

const STACK_TAG = 'aws:cloudformation:stack-name';

function stackOf(tags: { Key?: string; Value?: string }[] | undefined): string | undefined {
  return tags?.find((tag) => tag.Key === STACK_TAG)?.Value;
}

type TemplateName = { LaunchTemplateId: string; LaunchTemplateName?: string | undefined };

function namesTemplate(spec: LaunchTemplateSpecification | undefined, template: TemplateName): boolean {
  return (
    spec !== undefined &&
    (spec.LaunchTemplateId === template.LaunchTemplateId ||
      (spec.LaunchTemplateName !== undefined && spec.LaunchTemplateName === template.LaunchTemplateName))
  );
}

/** The fleets and node groups that can still launch, as read once per Discover. */
export interface Launchers {
  fleets: FleetRecord[];
  spotFleets: SpotFleetRecord[];
  nodegroups: NodegroupRecord[];
}

/**
 * Fleets that launch again are `maintain` and `request` ones not deleted, failed or cancelled (an `instant` fleet
 * launched once; https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-fleet-request-type.html); node groups not
 * being deleted.
 */
export function launchersOf(launchers: Launchers, template: TemplateName): PinningLauncher[] {
  const live = (state: string | undefined) => !/^(deleted|cancelled|failed)/.test(state ?? '');
  // EC2 Fleets and Spot Fleet requests pin versions the same way; only where they keep it differs.
  const fleets = [
    ...launchers.fleets.map((fleet) => ({
      kind: 'ec2-fleet' as const,
      id: fleet.FleetId,
      state: fleet.FleetState,
      type: fleet.Type,
      configs: fleet.LaunchTemplateConfigs,
    })),
    ...launchers.spotFleets.map((request) => ({
      kind: 'spot-fleet' as const,
      id: request.SpotFleetRequestId,
      state: request.SpotFleetRequestState,
      type: request.SpotFleetRequestConfig?.Type,
      configs: request.SpotFleetRequestConfig?.LaunchTemplateConfigs,
    })),
  ];
  const found: PinningLauncher[] = [];
  for (const fleet of fleets) {
    const type = (fleet.type ?? 'maintain') as 'maintain' | 'request' | 'instant';
    if (type === 'instant' || !live(fleet.state)) continue;
    for (const config of fleet.configs ?? [])
      if (namesTemplate(config.LaunchTemplateSpecification, template))
        found.push({
          kind: fleet.kind,
          id: fleet.id,
          type,
          version: userVersion(config.LaunchTemplateSpecification?.Version),
        });
  }
  for (const group of launchers.nodegroups) {
    const spec = group.launchTemplate;
    if (group.status === 'DELETING' || !spec) continue;
    if (namesTemplate({ LaunchTemplateId: spec.id ?? '', LaunchTemplateName: spec.name }, template))
      found.push({
        kind: 'eks-nodegroup',
        cluster: group.clusterName,
        nodegroup: group.nodegroupName,
        version: userVersion(spec.version),
      });
  }
  return found;
}

/** The template spec of `group` that names template `template`, and where it sits. */
function templateSpecOf(
  group: AutoScalingGroupRecord,
  template: TemplateName,
): { spec: LaunchTemplateSpecification; mixed: boolean } | undefined {
  const names = (spec: LaunchTemplateSpecification | undefined) => namesTemplate(spec, template);
  if (names(group.LaunchTemplate)) return { spec: group.LaunchTemplate as LaunchTemplateSpecification, mixed: false };
  const mixed = group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (names(mixed)) return { spec: mixed as LaunchTemplateSpecification, mixed: true };
  return undefined;
}

/** The group a change swaps for which: named by the move, or read from the lists when they differ by one each. */
function swapOf(
  before: string[],
  after: string[],
  change: ResourceChange,
  ref: ResourceRef,
): { from: string; to: string } {
  if (change.swap) return change.swap;
  const removed = before.filter((id) => !after.includes(id));
  const added = after.filter((id) => !before.includes(id));
  if (removed.length !== 1 || added.length !== 1 || !removed[0] || !added[0])
    throw new Error(`${ref.kind} ${ref.id} can only swap one group for another.`);
  return { from: removed[0], to: added[0] };
}

export class LaunchTemplateOwner implements OwnerAdapter {
  constructor(private readonly api: LaunchSourceApi) {}

  /** The template now; with `launchers`, the fleets' and node groups' pins count as in use (what Discover saw). */
  private async view(
    templateId: string,
    allVersions: boolean,
    withLaunchers = false,
  ): Promise<TemplateView & { stack?: string }> {
    const [template] = await this.api.describeLaunchTemplates([templateId]);
    if (!template)
      throw Object.assign(new Error(`${templateId} not found`), { name: 'InvalidLaunchTemplateId.NotFound' });
    return this.viewOf(
      template,
      await this.api.describeAutoScalingGroups(),
      allVersions,
      withLaunchers ? await this.launchers() : undefined,
    );
  }

  private async launchers(): Promise<Launchers> {
    const [fleets, spotFleets, nodegroups] = await Promise.all([
      this.api.describeFleets(),
      this.api.describeSpotFleetRequests(),
      this.api.describeNodegroups(),
    ]);
    return { fleets, spotFleets, nodegroups };
  }

  private async viewOf(
    template: LaunchTemplateRecord,
    groups: AutoScalingGroupRecord[],
    allVersions: boolean,
    launchers?: Launchers,
  ): Promise<TemplateView & { stack?: string }> {
    const users = groups.flatMap((group) => {
      const found = templateSpecOf(group, template);
      return found ? [{ name: group.AutoScalingGroupName, version: userVersion(found.spec.Version) }] : [];
    });
    const pinning = launchers ? launchersOf(launchers, template) : [];
    const wanted = [
      ...new Set(
        ['$Default', '$Latest', ...[...users, ...pinning].map((user) => user.version)].filter(
          (v) => v.startsWith('$') || /^\d+$/.test(v),
        ),
      ),
    ];
    const versions = await this.api.describeLaunchTemplateVersions(
      template.LaunchTemplateId,
      allVersions ? undefined : wanted,
    );
    const stack = stackOf(template.Tags);
    return {
      id: template.LaunchTemplateId,
      ...(template.LaunchTemplateName ? { name: template.LaunchTemplateName } : {}),
      defaultVersion: template.DefaultVersionNumber,
      latestVersion: template.LatestVersionNumber,
      versions: versions.map((version) => ({
        number: version.VersionNumber,
        ...(version.VersionDescription !== undefined ? { description: version.VersionDescription } : {}),
        data: version.LaunchTemplateData ?? {},
      })),
      users,
      ...(pinning.length > 0 ? { launchers: pinning } : {}),
      ...(stack ? { stack } : {}),
    };
  }

  private stateOf(view: TemplateView & { stack?: string }): ResourceState {
    return { ...templateState(view), ...(view.stack ? { stack: view.stack } : {}) };
  }

  async findUsing(_vpcId: string, groupId: string): Promise<ResourceState[]> {
    // A group id names one VPC: a template naming it launches into that VPC, whatever else it says.
    const groups = await this.api.describeAutoScalingGroups();
    const launchers = await this.launchers();
    const found: ResourceState[] = [];
    for (const template of await this.api.describeLaunchTemplates()) {
      const view = await this.viewOf(template, groups, false, launchers);
      const state = this.stateOf(view);
      if (!state.groups.includes(groupId)) continue;
      // A fleet or node group launching from a version naming the group: the person moves it (the plan is blocked).
      const blocked = pinnedLauncherBlock(view, groupId);
      found.push(blocked ? { ...state, blocked } : state);
    }
    return found;
  }

  /**
   * As Discover saw it, fleets and node groups included: one pinned during the approval wait to a version that names
   * the default group puts the template back on it, which Re-check reports as drift before the strip.
   */
  async describe(ref: ResourceRef): Promise<ResourceState | undefined> {
    return this.stateOf(await this.view(ref.id, false, true));
  }

  async setGroups(ref: ResourceRef, groups: string[], change?: ResourceChange): Promise<void> {
    if (!change) throw new Error(`Moving launch template ${ref.id} needs the remediation's id.`);
    let view = await this.view(ref.id, true);
    const { from, to } = swapOf(this.stateOf(view).groups, groups, change, ref);
    const move = planTemplateMove(view, change.remediationId, from, to);
    const made = new Map<number, number>();
    for (const step of move.create) {
      const existing = view.versions.find((version) => version.description === step.description);
      if (existing) {
        made.set(step.source, existing.number);
        continue;
      }
      const source = view.versions.find((version) => version.number === step.source);
      if (!source) throw new Error(`Launch template ${ref.id} has no version ${step.source} any more.`);
      made.set(
        step.source,
        await this.api.createLaunchTemplateVersion({
          LaunchTemplateId: ref.id,
          SourceVersion: String(step.source),
          VersionDescription: step.description,
          LaunchTemplateData: swappedData(source.data, from, to),
        }),
      );
    }
    view = await this.view(ref.id, false);
    const newDefault = move.defaultFrom !== undefined ? made.get(move.defaultFrom) : undefined;
    if (newDefault !== undefined && view.defaultVersion !== newDefault)
      await this.api.modifyLaunchTemplate({ LaunchTemplateId: ref.id, DefaultVersion: String(newDefault) });
    await this.repin(ref.id, new Map(move.repin.map((pin) => [pin.user, String(made.get(pin.source) ?? pin.source)])));
  }

  /** Points each named Auto Scaling group's spec of the template at its version, where it names another. */
  private async repin(templateId: string, versions: Map<string, string>): Promise<void> {
    if (versions.size === 0) return;
    const [template] = await this.api.describeLaunchTemplates([templateId]);
    if (!template) return;
    for (const group of await this.api.describeAutoScalingGroups([...versions.keys()])) {
      const found = templateSpecOf(group, template);
      const version = versions.get(group.AutoScalingGroupName);
      if (!found || version === undefined || userVersion(found.spec.Version) === version) continue;
      const spec = { ...found.spec, Version: version };
      await this.api.updateAutoScalingGroup(
        found.mixed
          ? {
              AutoScalingGroupName: group.AutoScalingGroupName,
              MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: spec } },
            }
          : { AutoScalingGroupName: group.AutoScalingGroupName, LaunchTemplate: spec },
      );
    }
  }

  async restore(ref: ResourceRef, before: ResourceState, change: ResourceChange): Promise<void> {
    const config = before.config as TemplateConfig | undefined;
    if (!config) throw new Error(`Launch template ${ref.id} has no configuration in the snapshot to restore.`);
    const view = await this.view(ref.id, true);
    // The default first: a version that is the default cannot be deleted.
    if (view.defaultVersion !== config.defaultVersion)
      await this.api.modifyLaunchTemplate({ LaunchTemplateId: ref.id, DefaultVersion: String(config.defaultVersion) });
    await this.repin(ref.id, new Map(Object.entries(config.users)));
    const created = createdVersions(view, change.remediationId).filter((number) => number !== config.defaultVersion);
    // At most 200 versions per call (DeleteLaunchTemplateVersions).
    for (let at = 0; at < created.length; at += 200)
      await this.api.deleteLaunchTemplateVersions({
        LaunchTemplateId: ref.id,
        Versions: created.slice(at, at + 200).map(String),
      });
  }

  /** Versions and pins apply at once. */
  async settled(): Promise<boolean> {
    return true;
  }
}

export class LaunchConfigurationOwner implements OwnerAdapter {
  constructor(private readonly api: LaunchSourceApi) {}

  private async stateOf(group: AutoScalingGroupRecord): Promise<ResourceState | undefined> {
    const name = group.LaunchConfigurationName;
    if (!name) return undefined;
    const [configuration] = await this.api.describeLaunchConfigurations([name]);
    const stack = stackOf(group.Tags);
    return {
      kind: 'launch-configuration-group',
      id: group.AutoScalingGroupName,
      groups: [...(configuration?.SecurityGroups ?? [])],
      config: { launchConfigurationName: name },
      ...(stack ? { stack } : {}),
    };
  }

  async findUsing(_vpcId: string, groupId: string): Promise<ResourceState[]> {
    const configurations = new Map(
      (await this.api.describeLaunchConfigurations()).map((lc) => [lc.LaunchConfigurationName, lc]),
    );
    const found: ResourceState[] = [];
    for (const group of await this.api.describeAutoScalingGroups()) {
      const lc = group.LaunchConfigurationName ? configurations.get(group.LaunchConfigurationName) : undefined;
      if (!lc || !(lc.SecurityGroups ?? []).includes(groupId)) continue;
      const stack = stackOf(group.Tags);
      found.push({
        kind: 'launch-configuration-group',
        id: group.AutoScalingGroupName,
        groups: [...(lc.SecurityGroups ?? [])],
        config: { launchConfigurationName: lc.LaunchConfigurationName },
        ...(stack ? { stack } : {}),
      });
    }
    return found;
  }

  async describe(ref: ResourceRef): Promise<ResourceState | undefined> {
    const [group] = await this.api.describeAutoScalingGroups([ref.id]);
    return group ? this.stateOf(group) : undefined;
  }

  async setGroups(ref: ResourceRef, groups: string[], change?: ResourceChange): Promise<void> {
    if (!change) throw new Error(`Moving Auto Scaling group ${ref.id} needs the remediation's id.`);
    const [group] = await this.api.describeAutoScalingGroups([ref.id]);
    const original = group?.LaunchConfigurationName;
    if (!group)
      throw Object.assign(new Error(`Auto Scaling group ${ref.id} not found`), { name: 'AutoScalingGroupNotFound' });
    if (!original) throw new Error(`Auto Scaling group ${ref.id} no longer launches from a launch configuration.`);
    const [configuration] = await this.api.describeLaunchConfigurations([original]);
    if (!configuration) throw new Error(`Launch configuration ${original} is gone.`);
    const name = copyName(original, change.remediationId);
    const [copy] = await this.api.describeLaunchConfigurations([name]);
    if (!copy) {
      // Everything the original has, but the name, the ARN and the creation time (set by the service), and the groups.
      const { LaunchConfigurationARN: _arn, CreatedTime: _created, ...fields } = configuration;
      await this.api.createLaunchConfiguration({ ...fields, LaunchConfigurationName: name, SecurityGroups: groups });
    } else if ([...(copy.SecurityGroups ?? [])].sort().join() !== [...groups].sort().join()) {
      throw new Error(`Launch configuration ${name} exists with other groups than the move needs.`);
    }
    await this.api.updateAutoScalingGroup({ AutoScalingGroupName: ref.id, LaunchConfigurationName: name });
  }

  async restore(ref: ResourceRef, before: ResourceState, change: ResourceChange): Promise<void> {
    const original = before.config?.launchConfigurationName;
    if (typeof original !== 'string')
      throw new Error(`Auto Scaling group ${ref.id} has no launch configuration in the snapshot to restore.`);
    const [group] = await this.api.describeAutoScalingGroups([ref.id]);
    if (group && group.LaunchConfigurationName !== original)
      await this.api.updateAutoScalingGroup({ AutoScalingGroupName: ref.id, LaunchConfigurationName: original });
    const name = copyName(original, change.remediationId);
    if (!isCopyName(name, change.remediationId)) return;
    // Another group moved with the same copy keeps it until its own move back deletes it.
    const users = (await this.api.describeAutoScalingGroups()).filter((g) => g.LaunchConfigurationName === name);
    if (users.length > 0) return;
    if ((await this.api.describeLaunchConfigurations([name])).length > 0) {
      try {
        await this.api.deleteLaunchConfiguration(name);
      } catch (error) {
        // ResourceInUse: a group started using it between the read and the delete; its move back deletes it.
        if ((error as { name?: string }).name !== 'ResourceInUse') throw error;
      }
    }
  }

  async settled(): Promise<boolean> {
    return true;
  }
}
