/**
 * The launch sources over the SDK: EC2's launch template calls and Auto Scaling's group and launch configuration
 * calls, each paginated as its API reference says; the moves themselves are shared with the local models
 * (../../launch-sources.ts).
 */
import {
  AutoScalingClient,
  CreateLaunchConfigurationCommand,
  type CreateLaunchConfigurationCommandInput,
  DeleteLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeFleetsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSpotFleetRequestsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { groupsOfData } from '../../../core/owners/ec2-launch-templates.ts';
import type { OwnerAdapter } from '../../../ports.ts';
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
import { explainingSend } from '../sdk-errors.ts';
import { type CapturedRecords, type CaptureScope, namesGroupOf } from './capture-scope.ts';
import type { SdkOwnerConfig } from './config.ts';

export class SdkLaunchSourceApi implements LaunchSourceApi {
  private readonly ec2: EC2Client['send'];
  private readonly autoscaling: AutoScalingClient['send'];
  private readonly eks: EKSClient['send'];

  constructor(ec2: EC2Client, autoscaling: AutoScalingClient, eks: EKSClient) {
    this.ec2 = explainingSend(ec2, 'XML');
    this.autoscaling = explainingSend(autoscaling, 'XML');
    this.eks = explainingSend(eks, 'JSON');
  }

  async describeLaunchTemplates(ids?: string[]): Promise<LaunchTemplateRecord[]> {
    const found: LaunchTemplateRecord[] = [];
    let token: string | undefined;
    do {
      // LaunchTemplateIds cannot be combined with MaxResults (DescribeLaunchTemplates).
      const page = await this.ec2(
        new DescribeLaunchTemplatesCommand(ids ? { LaunchTemplateIds: ids } : { MaxResults: 200, NextToken: token }),
      );
      for (const template of page.LaunchTemplates ?? [])
        if (template.LaunchTemplateId)
          found.push({
            LaunchTemplateId: template.LaunchTemplateId,
            ...(template.LaunchTemplateName ? { LaunchTemplateName: template.LaunchTemplateName } : {}),
            DefaultVersionNumber: template.DefaultVersionNumber ?? 1,
            LatestVersionNumber: template.LatestVersionNumber ?? 1,
            ...(template.Tags ? { Tags: template.Tags } : {}),
          });
      token = ids ? undefined : page.NextToken;
    } while (token);
    return found;
  }

  async describeLaunchTemplateVersions(
    templateId: string,
    versions?: string[],
  ): Promise<LaunchTemplateVersionRecord[]> {
    const found: LaunchTemplateVersionRecord[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: templateId,
          ...(versions ? { Versions: versions } : { MaxResults: 200, NextToken: token }),
        }),
      );
      for (const version of page.LaunchTemplateVersions ?? [])
        if (version.VersionNumber !== undefined)
          found.push({
            VersionNumber: version.VersionNumber,
            ...(version.VersionDescription !== undefined ? { VersionDescription: version.VersionDescription } : {}),
            ...(version.DefaultVersion !== undefined ? { DefaultVersion: version.DefaultVersion } : {}),
            LaunchTemplateData: (version.LaunchTemplateData ?? {}) as LaunchTemplateVersionRecord['LaunchTemplateData'],
          });
      token = versions ? undefined : page.NextToken;
    } while (token);
    return found;
  }

  async createLaunchTemplateVersion(input: Parameters<LaunchSourceApi['createLaunchTemplateVersion']>[0]) {
    const answer = await this.ec2(
      new CreateLaunchTemplateVersionCommand({
        ...input,
        LaunchTemplateData: input.LaunchTemplateData as RequestLaunchTemplateData,
      }),
    );
    const number = answer.LaunchTemplateVersion?.VersionNumber;
    if (number === undefined)
      throw new Error(`CreateLaunchTemplateVersion on ${input.LaunchTemplateId} answered no version.`);
    return number;
  }

  async modifyLaunchTemplate(input: { LaunchTemplateId: string; DefaultVersion: string }): Promise<void> {
    await this.ec2(new ModifyLaunchTemplateCommand(input));
  }

  async deleteLaunchTemplateVersions(input: { LaunchTemplateId: string; Versions: string[] }): Promise<void> {
    const answer = await this.ec2(new DeleteLaunchTemplateVersionsCommand(input));
    // Refusals come back per version, not as an error; one already gone is what a re-run expects.
    const refused = (answer.UnsuccessfullyDeletedLaunchTemplateVersions ?? []).filter(
      (entry) => entry.ResponseError?.Code !== 'launchTemplateVersionDoesNotExist',
    );
    if (refused.length > 0)
      throw new Error(
        `DeleteLaunchTemplateVersions on ${input.LaunchTemplateId} refused ${refused
          .map((entry) => `version ${entry.VersionNumber}: ${entry.ResponseError?.Code}`)
          .join(', ')}`,
      );
  }

  async describeAutoScalingGroups(names?: string[]): Promise<AutoScalingGroupRecord[]> {
    const found: AutoScalingGroupRecord[] = [];
    let token: string | undefined;
    do {
      const page = await this.autoscaling(
        new DescribeAutoScalingGroupsCommand({
          ...(names ? { AutoScalingGroupNames: names } : {}),
          MaxRecords: 100,
          NextToken: token,
        }),
      );
      found.push(...((page.AutoScalingGroups ?? []) as AutoScalingGroupRecord[]));
      token = page.NextToken;
    } while (token);
    return found;
  }

  async updateAutoScalingGroup(input: Parameters<LaunchSourceApi['updateAutoScalingGroup']>[0]): Promise<void> {
    await this.autoscaling(new UpdateAutoScalingGroupCommand(input as never));
  }

  async describeLaunchConfigurations(names?: string[]): Promise<LaunchConfigurationRecord[]> {
    const found: LaunchConfigurationRecord[] = [];
    let token: string | undefined;
    do {
      const page = await this.autoscaling(
        new DescribeLaunchConfigurationsCommand({
          ...(names ? { LaunchConfigurationNames: names } : {}),
          MaxRecords: 100,
          NextToken: token,
        }),
      );
      found.push(...((page.LaunchConfigurations ?? []) as unknown as LaunchConfigurationRecord[]));
      token = page.NextToken;
    } while (token);
    return found;
  }

  /** DescribeFleets, up to 1,000 a page (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFleets.html). */
  async describeFleets(): Promise<FleetRecord[]> {
    const found: FleetRecord[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2(new DescribeFleetsCommand({ MaxResults: 1000, NextToken: token }));
      for (const fleet of page.Fleets ?? [])
        if (fleet.FleetId)
          found.push({
            FleetId: fleet.FleetId,
            ...(fleet.FleetState ? { FleetState: fleet.FleetState } : {}),
            ...(fleet.Type ? { Type: fleet.Type } : {}),
            LaunchTemplateConfigs: (fleet.LaunchTemplateConfigs ?? []).map((config) => ({
              ...(config.LaunchTemplateSpecification
                ? { LaunchTemplateSpecification: config.LaunchTemplateSpecification }
                : {}),
            })),
          });
      token = page.NextToken;
    } while (token);
    return found;
  }

  /** DescribeSpotFleetRequests, up to 1,000 a page (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotFleetRequests.html). */
  async describeSpotFleetRequests(): Promise<SpotFleetRecord[]> {
    const found: SpotFleetRecord[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2(new DescribeSpotFleetRequestsCommand({ MaxResults: 1000, NextToken: token }));
      for (const request of page.SpotFleetRequestConfigs ?? [])
        if (request.SpotFleetRequestId)
          found.push({
            SpotFleetRequestId: request.SpotFleetRequestId,
            ...(request.SpotFleetRequestState ? { SpotFleetRequestState: request.SpotFleetRequestState } : {}),
            SpotFleetRequestConfig: {
              ...(request.SpotFleetRequestConfig?.Type ? { Type: request.SpotFleetRequestConfig.Type } : {}),
              LaunchTemplateConfigs: (request.SpotFleetRequestConfig?.LaunchTemplateConfigs ?? []).map((config) => ({
                ...(config.LaunchTemplateSpecification
                  ? { LaunchTemplateSpecification: config.LaunchTemplateSpecification }
                  : {}),
              })),
            },
          });
      token = page.NextToken;
    } while (token);
    return found;
  }

  /**
   * Every cluster's managed node groups: ListClusters and ListNodegroups, up to 100 a page, then DescribeNodegroup for
   * the launch template (https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeNodegroup.html).
   */
  async describeNodegroups(): Promise<NodegroupRecord[]> {
    const clusters: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.eks(new ListClustersCommand({ maxResults: 100, nextToken: token }));
      clusters.push(...(page.clusters ?? []));
      token = page.nextToken;
    } while (token);
    const found: NodegroupRecord[] = [];
    for (const clusterName of clusters) {
      const names: string[] = [];
      let next: string | undefined;
      do {
        const page = await this.eks(new ListNodegroupsCommand({ clusterName, maxResults: 100, nextToken: next }));
        names.push(...(page.nodegroups ?? []));
        next = page.nextToken;
      } while (next);
      for (const nodegroupName of names) {
        const { nodegroup } = await this.eks(new DescribeNodegroupCommand({ clusterName, nodegroupName }));
        if (!nodegroup) continue;
        found.push({
          nodegroupName,
          clusterName,
          ...(nodegroup.status ? { status: nodegroup.status } : {}),
          ...(nodegroup.launchTemplate
            ? {
                launchTemplate: {
                  ...(nodegroup.launchTemplate.id ? { id: nodegroup.launchTemplate.id } : {}),
                  ...(nodegroup.launchTemplate.name ? { name: nodegroup.launchTemplate.name } : {}),
                  ...(nodegroup.launchTemplate.version ? { version: nodegroup.launchTemplate.version } : {}),
                },
              }
            : {}),
        });
      }
    }
    return found;
  }

  async createLaunchConfiguration(input: LaunchConfigurationRecord): Promise<void> {
    await this.autoscaling(new CreateLaunchConfigurationCommand(input as CreateLaunchConfigurationCommandInput));
  }

  async deleteLaunchConfiguration(name: string): Promise<void> {
    await this.autoscaling(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: name }));
  }
}

function api(config: SdkOwnerConfig): LaunchSourceApi {
  return new SdkLaunchSourceApi(new EC2Client(config), new AutoScalingClient(config), new EKSClient(config));
}

export const sdkLaunchTemplateOwner = (config: SdkOwnerConfig): OwnerAdapter => new LaunchTemplateOwner(api(config));

export const sdkLaunchConfigurationOwner = (config: SdkOwnerConfig): OwnerAdapter =>
  new LaunchConfigurationOwner(api(config));

type TemplateSpec = { LaunchTemplateId?: string | undefined; LaunchTemplateName?: string | undefined } | undefined;

/** Whether a launch template specification names one of `templates` (by id or by name, as either may be given). */
function namesTemplateIn(spec: TemplateSpec, templates: readonly { id: string; name?: string | undefined }[]): boolean {
  return (
    spec !== undefined &&
    templates.some(
      (t) => spec.LaunchTemplateId === t.id || (t.name !== undefined && spec.LaunchTemplateName === t.name),
    )
  );
}

/**
 * The launch templates for `capture`: every template (DescribeLaunchTemplates, 200 a page) with a version naming a
 * group of the VPC, with all its versions (DescribeLaunchTemplateVersions, paged), and what launches from them: the
 * Auto Scaling groups, EC2 Fleets, Spot Fleet requests and EKS node groups naming them.
 */
export async function captureLaunchTemplates(config: SdkOwnerConfig, scope: CaptureScope): Promise<CapturedRecords> {
  const source = api(config);
  const templates: LaunchTemplateRecord[] = [];
  const versions: LaunchTemplateVersionRecord[] = [];
  for (const template of await source.describeLaunchTemplates()) {
    const all = await source.describeLaunchTemplateVersions(template.LaunchTemplateId);
    if (!all.some((version) => namesGroupOf(scope, groupsOfData(version.LaunchTemplateData ?? {})))) continue;
    templates.push(template);
    // The version records name their template, as DescribeLaunchTemplateVersions answers them.
    const names = {
      LaunchTemplateId: template.LaunchTemplateId,
      ...(template.LaunchTemplateName ? { LaunchTemplateName: template.LaunchTemplateName } : {}),
    };
    versions.push(...all.map((version) => ({ ...names, ...version })));
  }
  if (templates.length === 0) return {};
  const kept = templates.map((t) => ({ id: t.LaunchTemplateId, name: t.LaunchTemplateName }));
  const groups = (await source.describeAutoScalingGroups()).filter(
    (group) =>
      namesTemplateIn(group.LaunchTemplate, kept) ||
      namesTemplateIn(group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification, kept),
  );
  const fleets = (await source.describeFleets()).filter((fleet) =>
    (fleet.LaunchTemplateConfigs ?? []).some((c) => namesTemplateIn(c.LaunchTemplateSpecification, kept)),
  );
  const spotFleets = (await source.describeSpotFleetRequests()).filter((request) =>
    (request.SpotFleetRequestConfig?.LaunchTemplateConfigs ?? []).some((c) =>
      namesTemplateIn(c.LaunchTemplateSpecification, kept),
    ),
  );
  const nodegroups = (await source.describeNodegroups()).filter((nodegroup) =>
    namesTemplateIn(
      nodegroup.launchTemplate && {
        LaunchTemplateId: nodegroup.launchTemplate.id,
        LaunchTemplateName: nodegroup.launchTemplate.name,
      },
      kept,
    ),
  );
  return records({
    LaunchTemplates: templates,
    LaunchTemplateVersions: versions,
    AutoScalingGroups: groups,
    Fleets: fleets,
    SpotFleetRequestConfigs: spotFleets,
    nodegroups,
  });
}

/**
 * The launch configurations for `capture`: those naming a group of the VPC (DescribeLaunchConfigurations, 100 a page)
 * and the Auto Scaling groups launching from them.
 */
export async function captureLaunchConfigurations(
  config: SdkOwnerConfig,
  scope: CaptureScope,
): Promise<CapturedRecords> {
  const source = api(config);
  const configurations = (await source.describeLaunchConfigurations()).filter((lc) =>
    namesGroupOf(scope, lc.SecurityGroups),
  );
  if (configurations.length === 0) return {};
  const names = new Set(configurations.map((lc) => lc.LaunchConfigurationName));
  const groups = (await source.describeAutoScalingGroups()).filter(
    (group) => group.LaunchConfigurationName !== undefined && names.has(group.LaunchConfigurationName),
  );
  return records({ LaunchConfigurations: configurations, AutoScalingGroups: groups });
}

/** The typed records as the state file's keys hold them; empty lists left out. */
function records(byKey: Record<string, readonly object[]>): CapturedRecords {
  return Object.fromEntries(
    Object.entries(byKey)
      .filter(([, list]) => list.length > 0)
      .map(([key, list]) => [key, list.map((record) => ({ ...record }) as Record<string, unknown>)]),
  );
}
