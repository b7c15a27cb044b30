/**
 * Local launch sources: the state file's `LaunchTemplates` (`aws ec2 describe-launch-templates`),
 * `LaunchTemplateVersions` (`aws ec2 describe-launch-template-versions`), `AutoScalingGroups` and
 * `LaunchConfigurations` (`aws autoscaling describe-auto-scaling-groups` / `describe-launch-configurations`), changed in
 * place; `Fleets`, `SpotFleetRequestConfigs` (`aws ec2 describe-fleets` / `describe-spot-fleet-requests`) and
 * `nodegroups` (`aws eks describe-nodegroup` `.nodegroup` objects), read only: they pin versions and are never moved. The calls refuse as the API references say (cited per call; assumptions marked); the moves are the shared
 * adapters' (../../launch-sources.ts). `launchFrom` is a scale-out: an instance launched from an Auto Scaling group gets
 * an interface on the groups its launch template version or launch configuration names.
 */
import * as z from 'zod';
import type { Ec2State, NetworkInterface } from '../../../core/ec2-shapes.ts';
import { groupsOfData, type TemplateData, userVersion } from '../../../core/owners/ec2-launch-templates.ts';
import {
  type AutoScalingGroupRecord,
  type FleetRecord,
  LaunchConfigurationOwner,
  type LaunchConfigurationRecord,
  type LaunchSourceApi,
  LaunchTemplateOwner,
  type LaunchTemplateRecord,
  type LaunchTemplateVersionRecord,
  type NodegroupRecord,
  type SpotFleetRecord,
} from '../../launch-sources.ts';
import type { Ec2Simulator } from '../ec2-simulator.ts';
import { fail, type LocalAdapterOwner } from './model.ts';

const tags = z.array(z.looseObject({ Key: z.string().optional(), Value: z.string().optional() })).optional();
const templateSpec = z.looseObject({
  LaunchTemplateId: z.string().optional(),
  LaunchTemplateName: z.string().optional(),
  Version: z.string().optional(),
});
const fleetType = z.enum(['maintain', 'request', 'instant']);
const fleetState = z.enum([
  'submitted',
  'active',
  'deleted',
  'failed',
  'deleted_running',
  'deleted_terminating',
  'modifying',
]);
const records = z.looseObject({
  LaunchTemplates: z
    .array(
      z.looseObject({
        LaunchTemplateId: z.string().regex(/^lt-[0-9a-f]+$/),
        LaunchTemplateName: z.string().min(3).max(128).optional(),
        DefaultVersionNumber: z.number().int().min(1),
        LatestVersionNumber: z.number().int().min(1),
        Tags: tags,
      }),
    )
    .optional(),
  LaunchTemplateVersions: z
    .array(
      z.looseObject({
        LaunchTemplateId: z.string().regex(/^lt-[0-9a-f]+$/),
        LaunchTemplateName: z.string().optional(),
        VersionNumber: z.number().int().min(1),
        VersionDescription: z.string().max(255).optional(),
        DefaultVersion: z.boolean().optional(),
        LaunchTemplateData: z
          .looseObject({
            SecurityGroupIds: z.array(z.string()).optional(),
            SecurityGroups: z.array(z.string()).optional(),
            NetworkInterfaces: z.array(z.looseObject({ Groups: z.array(z.string()).optional() })).optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  AutoScalingGroups: z
    .array(
      z.looseObject({
        AutoScalingGroupName: z.string().min(1).max(255),
        LaunchTemplate: templateSpec.optional(),
        MixedInstancesPolicy: z
          .looseObject({
            LaunchTemplate: z.looseObject({ LaunchTemplateSpecification: templateSpec.optional() }).optional(),
          })
          .optional(),
        LaunchConfigurationName: z.string().optional(),
        VPCZoneIdentifier: z.string().optional(),
        Tags: tags,
      }),
    )
    .optional(),
  LaunchConfigurations: z
    .array(
      z.looseObject({
        LaunchConfigurationName: z.string().min(1).max(255),
        SecurityGroups: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  // `aws ec2 describe-fleets` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FleetData.html).
  Fleets: z
    .array(
      z.looseObject({
        FleetId: z.string().regex(/^fleet-[0-9a-f-]+$/),
        FleetState: fleetState.optional(),
        Type: fleetType.optional(),
        LaunchTemplateConfigs: z
          .array(z.looseObject({ LaunchTemplateSpecification: templateSpec.optional() }))
          .optional(),
      }),
    )
    .optional(),
  // `aws ec2 describe-spot-fleet-requests` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SpotFleetRequestConfig.html).
  SpotFleetRequestConfigs: z
    .array(
      z.looseObject({
        SpotFleetRequestId: z.string().regex(/^sfr-[0-9a-f-]+$/),
        SpotFleetRequestState: z
          .enum([
            'submitted',
            'active',
            'cancelled',
            'failed',
            'cancelled_running',
            'cancelled_terminating',
            'modifying',
          ])
          .optional(),
        SpotFleetRequestConfig: z.looseObject({
          Type: fleetType.optional(),
          LaunchTemplateConfigs: z
            .array(z.looseObject({ LaunchTemplateSpecification: templateSpec.optional() }))
            .optional(),
        }),
      }),
    )
    .optional(),
  // `aws eks describe-nodegroup` `.nodegroup` objects (https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html).
  nodegroups: z
    .array(
      z.looseObject({
        nodegroupName: z.string().min(1).max(63),
        clusterName: z.string().min(1).max(100),
        status: z
          .enum(['CREATING', 'ACTIVE', 'UPDATING', 'DELETING', 'CREATE_FAILED', 'DELETE_FAILED', 'DEGRADED'])
          .optional(),
        launchTemplate: z
          .looseObject({ id: z.string().optional(), name: z.string().optional(), version: z.string().optional() })
          .optional(),
      }),
    )
    .optional(),
});
type Records = z.infer<typeof records>;

/** "Each AWS account can have … up to 10,000 versions per launch template" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/launch-template-restrictions.html). */
export const VERSIONS_PER_TEMPLATE = 10_000;

const GROUP_ID = /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** The EC2 and Auto Scaling calls over the state file's records. */
export class LocalLaunchSourceApi implements LaunchSourceApi {
  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly records: Records,
  ) {}

  /** The records as read: a key the state file lacks is not added (the state written back has what it had). */
  private templates() {
    return this.records.LaunchTemplates ?? [];
  }

  private versions() {
    return this.records.LaunchTemplateVersions ?? [];
  }

  private groups() {
    return this.records.AutoScalingGroups ?? [];
  }

  private configurations() {
    return this.records.LaunchConfigurations ?? [];
  }

  /** DescribeLaunchTemplates: an id that does not exist is InvalidLaunchTemplateId.NotFound, a malformed one .Malformed. */
  private template(id: string) {
    if (!/^lt-[0-9a-f]+$/.test(id))
      fail('InvalidLaunchTemplateId.Malformed', `The launch template ID '${id}' is malformed.`);
    const template = this.templates().find((t) => t.LaunchTemplateId === id);
    if (!template)
      fail(
        'InvalidLaunchTemplateId.NotFound',
        `The specified launch template, with template ID ${id}, does not exist.`,
      );
    return template;
  }

  /** `$Default`, `$Latest` or a number; a version that does not exist is InvalidLaunchTemplateId.VersionNotFound. */
  private version(id: string, version: string) {
    const template = this.template(id);
    const number = versionNumberOf(template, version);
    const found = this.versions().find((v) => v.LaunchTemplateId === id && v.VersionNumber === number);
    if (!found)
      fail(
        'InvalidLaunchTemplateId.VersionNotFound',
        `Could not find launch template version ${version} for launch template ID ${id}.`,
      );
    return found;
  }

  async describeLaunchTemplates(ids?: string[]): Promise<LaunchTemplateRecord[]> {
    const templates = ids ? ids.map((id) => this.template(id)) : this.templates();
    return structuredClone(templates) as LaunchTemplateRecord[];
  }

  async describeLaunchTemplateVersions(
    templateId: string,
    versions?: string[],
  ): Promise<LaunchTemplateVersionRecord[]> {
    this.template(templateId);
    const found = versions
      ? [...new Set(versions.map((v) => this.version(templateId, v)))]
      : this.versions().filter((v) => v.LaunchTemplateId === templateId);
    return structuredClone(found).sort((a, b) => a.VersionNumber - b.VersionNumber) as LaunchTemplateVersionRecord[];
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplateVersion.html: the new version
   * inherits the source version's parameters except those given; numbered after the latest and becomes `$Latest`.
   * Group ids must be well formed (InvalidGroupId.Malformed); that they exist is not checked here — "launch template
   * parameters are not fully validated when you create the launch template", the launch fails
   * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/launch-template-restrictions.html). Past 10,000 versions:
   * VersionLimitExceeded (the code is assumed; the quota is documented there).
   */
  async createLaunchTemplateVersion(input: {
    LaunchTemplateId: string;
    SourceVersion: string;
    VersionDescription: string;
    LaunchTemplateData: TemplateData;
  }): Promise<number> {
    const template = this.template(input.LaunchTemplateId);
    const source = this.version(input.LaunchTemplateId, input.SourceVersion);
    if (this.versions().filter((v) => v.LaunchTemplateId === template.LaunchTemplateId).length >= VERSIONS_PER_TEMPLATE)
      fail('VersionLimitExceeded', `Launch template ${template.LaunchTemplateId} has reached its limit of versions.`);
    if (input.VersionDescription.length > 255)
      fail('InvalidParameterValue', 'VersionDescription must be at most 255 characters.');
    for (const id of groupsOfData(input.LaunchTemplateData))
      if (!GROUP_ID.test(id)) fail('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
    const number = template.LatestVersionNumber + 1;
    this.records.LaunchTemplateVersions ??= [];
    this.records.LaunchTemplateVersions.push({
      LaunchTemplateId: template.LaunchTemplateId,
      ...(template.LaunchTemplateName ? { LaunchTemplateName: template.LaunchTemplateName } : {}),
      VersionNumber: number,
      VersionDescription: input.VersionDescription,
      DefaultVersion: false,
      LaunchTemplateData: {
        ...structuredClone(source.LaunchTemplateData ?? {}),
        ...structuredClone(input.LaunchTemplateData),
      },
    });
    template.LatestVersionNumber = number;
    return number;
  }

  /** ModifyLaunchTemplate SetDefaultVersion: the version must exist (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyLaunchTemplate.html). */
  async modifyLaunchTemplate(input: { LaunchTemplateId: string; DefaultVersion: string }): Promise<void> {
    const template = this.template(input.LaunchTemplateId);
    const version = this.version(input.LaunchTemplateId, input.DefaultVersion);
    for (const v of this.versions())
      if (v.LaunchTemplateId === template.LaunchTemplateId)
        v.DefaultVersion = v.VersionNumber === version.VersionNumber;
    template.DefaultVersionNumber = version.VersionNumber;
  }

  /**
   * DeleteLaunchTemplateVersions: up to 200 versions; "you can't delete the default version"
   * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteLaunchTemplateVersions.html). Refusals are per
   * version in the answer (a missing one launchTemplateVersionDoesNotExist; the default one's code is assumed
   * unexpectedError); the port reports them like the SDK adapter does. `$Latest` becomes the highest remaining version
   * (assumed).
   */
  async deleteLaunchTemplateVersions(input: { LaunchTemplateId: string; Versions: string[] }): Promise<void> {
    const template = this.template(input.LaunchTemplateId);
    if (input.Versions.length > 200)
      fail('InvalidParameterValue', 'You can delete up to 200 launch template versions.');
    const refused: string[] = [];
    for (const version of input.Versions) {
      const number = Number(version);
      const index = this.versions().findIndex(
        (v) => v.LaunchTemplateId === template.LaunchTemplateId && v.VersionNumber === number,
      );
      if (index < 0) continue; // launchTemplateVersionDoesNotExist: what a re-run expects.
      if (number === template.DefaultVersionNumber) {
        refused.push(`version ${version}: unexpectedError (the default version cannot be deleted)`);
        continue;
      }
      this.versions().splice(index, 1);
    }
    const numbers = this.versions()
      .filter((v) => v.LaunchTemplateId === template.LaunchTemplateId)
      .map((v) => v.VersionNumber);
    template.LatestVersionNumber = Math.max(...numbers);
    if (refused.length > 0)
      throw new Error(`DeleteLaunchTemplateVersions on ${template.LaunchTemplateId} refused ${refused.join(', ')}`);
  }

  /** Names that match no group are left out of the answer (DescribeAutoScalingGroups). */
  async describeAutoScalingGroups(names?: string[]): Promise<AutoScalingGroupRecord[]> {
    const groups = this.groups().filter((g) => !names || names.includes(g.AutoScalingGroupName));
    return structuredClone(groups) as AutoScalingGroupRecord[];
  }

  /**
   * UpdateAutoScalingGroup (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html):
   * a group that does not exist, a launch configuration or template version that does not exist: ValidationError
   * (messages assumed). Naming a launch configuration drops the template and the reverse, as the group uses one source.
   */
  async updateAutoScalingGroup(input: Parameters<LaunchSourceApi['updateAutoScalingGroup']>[0]): Promise<void> {
    const group = this.groups().find((g) => g.AutoScalingGroupName === input.AutoScalingGroupName);
    if (!group) fail('ValidationError', `AutoScalingGroup name not found - ${input.AutoScalingGroupName}`);
    const checkSpec = (spec: { LaunchTemplateId?: string | undefined; Version?: string | undefined }) => {
      const id = spec.LaunchTemplateId ?? '';
      try {
        this.version(id, userVersion(spec.Version));
      } catch (error) {
        fail('ValidationError', `You must use a valid fully-formed launch template. ${(error as Error).message}`);
      }
    };
    if (input.LaunchConfigurationName !== undefined) {
      if (!this.configurations().some((lc) => lc.LaunchConfigurationName === input.LaunchConfigurationName))
        fail('ValidationError', `Launch configuration name not found - ${input.LaunchConfigurationName}`);
      group.LaunchConfigurationName = input.LaunchConfigurationName;
      delete group.LaunchTemplate;
      delete group.MixedInstancesPolicy;
    }
    if (input.LaunchTemplate) {
      checkSpec(input.LaunchTemplate);
      group.LaunchTemplate = { ...input.LaunchTemplate };
      delete group.LaunchConfigurationName;
    }
    const mixed = input.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    if (mixed) {
      checkSpec(mixed);
      group.MixedInstancesPolicy = {
        ...group.MixedInstancesPolicy,
        LaunchTemplate: { ...group.MixedInstancesPolicy?.LaunchTemplate, LaunchTemplateSpecification: { ...mixed } },
      };
    }
  }

  async describeLaunchConfigurations(names?: string[]): Promise<LaunchConfigurationRecord[]> {
    const found = this.configurations().filter((lc) => !names || names.includes(lc.LaunchConfigurationName));
    return structuredClone(found) as LaunchConfigurationRecord[];
  }

  async describeFleets(): Promise<FleetRecord[]> {
    return structuredClone(this.records.Fleets ?? []) as FleetRecord[];
  }

  async describeSpotFleetRequests(): Promise<SpotFleetRecord[]> {
    return structuredClone(this.records.SpotFleetRequestConfigs ?? []) as SpotFleetRecord[];
  }

  async describeNodegroups(): Promise<NodegroupRecord[]> {
    return structuredClone(this.records.nodegroups ?? []) as NodegroupRecord[];
  }

  /**
   * CreateLaunchConfiguration (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateLaunchConfiguration.html):
   * a name that exists is AlreadyExists ("You already have an Auto Scaling group or launch configuration with this
   * name"); a group that does not exist is ValidationError (assumed: the configuration is checked against EC2).
   */
  async createLaunchConfiguration(input: LaunchConfigurationRecord): Promise<void> {
    if (input.LaunchConfigurationName.length > 255)
      fail('ValidationError', 'LaunchConfigurationName must be at most 255 characters.');
    if (this.configurations().some((lc) => lc.LaunchConfigurationName === input.LaunchConfigurationName))
      fail('AlreadyExists', `Launch Configuration by this name already exists - ${input.LaunchConfigurationName}`);
    for (const id of input.SecurityGroups ?? [])
      if (!this.ec2.groupInfo(id)) fail('ValidationError', `The security group '${id}' does not exist`);
    this.records.LaunchConfigurations ??= [];
    this.records.LaunchConfigurations.push({
      ...structuredClone(input),
      CreatedTime: '2026-01-01T00:00:00.000Z',
    });
  }

  /**
   * DeleteLaunchConfiguration (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DeleteLaunchConfiguration.html):
   * one a group uses is ResourceInUse; one that does not exist is ValidationError (assumed message).
   */
  async deleteLaunchConfiguration(name: string): Promise<void> {
    const index = this.configurations().findIndex((lc) => lc.LaunchConfigurationName === name);
    if (index < 0) fail('ValidationError', `Launch configuration name not found - ${name}`);
    if (this.groups().some((g) => g.LaunchConfigurationName === name))
      fail('ResourceInUse', `Cannot delete launch configuration ${name} because it is attached to AutoScalingGroup`);
    this.configurations().splice(index, 1);
  }
}

export const localLaunchTemplates: LocalAdapterOwner<Records> = {
  records,
  adapter: (ec2, live) => new LaunchTemplateOwner(new LocalLaunchSourceApi(ec2, live)),
};

export const localLaunchConfigurations: LocalAdapterOwner<Records> = {
  records,
  adapter: (ec2, live) => new LaunchConfigurationOwner(new LocalLaunchSourceApi(ec2, live)),
};

type StateWithLaunchSources = Ec2State & Records;

/** The version number `$Default`, `$Latest` or a number names. */
function versionNumberOf(template: LaunchTemplateRecord, version: string): number | undefined {
  if (version === '$Default') return template.DefaultVersionNumber;
  if (version === '$Latest') return template.LatestVersionNumber;
  return Number(version);
}

/**
 * A scale-out, simulator-only: Auto Scaling launches one instance of `groupName` from the version of its launch
 * template it names (or its launch configuration) and the instance's interface is on the groups that names
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/launch-templates.html). Launching onto a group that does not
 * exist fails as RunInstances does (InvalidGroup.NotFound). Returns the new interface, added to `state`.
 */
export function launchFrom(
  state: Ec2State,
  groupName: string,
  instance: { networkInterfaceId: string; address: string },
): NetworkInterface {
  const launch = state as StateWithLaunchSources;
  const group = (launch.AutoScalingGroups ?? []).find((g) => g.AutoScalingGroupName === groupName);
  if (!group) fail('ValidationError', `AutoScalingGroup name not found - ${groupName}`);
  let groups: string[];
  const spec = group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (spec) {
    const template = (launch.LaunchTemplates ?? []).find(
      (t) => t.LaunchTemplateId === spec.LaunchTemplateId || t.LaunchTemplateName === spec.LaunchTemplateName,
    );
    if (!template) fail('InvalidLaunchTemplateId.NotFound', `${spec.LaunchTemplateId ?? spec.LaunchTemplateName}`);
    const version = userVersion(spec.Version);
    const number = versionNumberOf(template, version);
    const found = (launch.LaunchTemplateVersions ?? []).find(
      (v) => v.LaunchTemplateId === template.LaunchTemplateId && v.VersionNumber === number,
    );
    if (!found) fail('InvalidLaunchTemplateId.VersionNotFound', `${template.LaunchTemplateId} version ${version}`);
    groups = groupsOfData(found.LaunchTemplateData ?? {});
  } else {
    const lc = (launch.LaunchConfigurations ?? []).find(
      (c) => c.LaunchConfigurationName === group.LaunchConfigurationName,
    );
    if (!lc) fail('ValidationError', `Launch configuration name not found - ${group.LaunchConfigurationName}`);
    groups = [...(lc.SecurityGroups ?? [])];
  }
  const known = new Map(state.SecurityGroups.map((sg) => [sg.GroupId ?? '', sg]));
  const missing = groups.filter((id) => !known.has(id));
  if (missing.length > 0) fail('InvalidGroup.NotFound', `The security group '${missing[0]}' does not exist`);
  const vpcId = known.get(groups[0] ?? '')?.VpcId;
  const subnetId = group.VPCZoneIdentifier?.split(',')[0];
  const eni: NetworkInterface = {
    NetworkInterfaceId: instance.networkInterfaceId,
    ...(vpcId ? { VpcId: vpcId } : {}),
    ...(subnetId ? { SubnetId: subnetId } : {}),
    Description: '',
    InterfaceType: 'interface',
    Status: 'in-use',
    PrivateIpAddress: instance.address,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: instance.address }],
    Groups: groups.map((id) => ({ GroupId: id, GroupName: known.get(id)?.GroupName ?? '' })),
  };
  state.NetworkInterfaces.push(eni);
  return eni;
}
