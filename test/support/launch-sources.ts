/**
 * The launch-sources scenario (issue 11), shared by test/machine/launch-sources.test.ts and the fault sweep: the
 * empty-default VPC (web, app and db tiers, nothing on the default group) plus "web-lt", whose only version names the
 * default group, used by web-asg through `$Default` and pinned by batch-asg; and legacy-asg on a launch configuration
 * naming it. Records in the describe output shapes (docs/simulator-fidelity.md).
 */
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { scenarioState } from './harness.ts';

export const TEMPLATE = 'lt-0a1b2c3d4e5f60718';
export const SUBNET = 'subnet-01527a1435ee3b01b';

export interface LaunchRecords {
  LaunchTemplates: {
    LaunchTemplateId: string;
    LaunchTemplateName: string;
    DefaultVersionNumber: number;
    LatestVersionNumber: number;
  }[];
  LaunchTemplateVersions: {
    LaunchTemplateId: string;
    LaunchTemplateName: string;
    VersionNumber: number;
    VersionDescription?: string;
    DefaultVersion: boolean;
    LaunchTemplateData: { ImageId: string; InstanceType: string; SecurityGroupIds?: string[] };
  }[];
  AutoScalingGroups: {
    AutoScalingGroupName: string;
    LaunchTemplate?: { LaunchTemplateId: string; LaunchTemplateName?: string; Version: string };
    LaunchConfigurationName?: string;
    VPCZoneIdentifier: string;
  }[];
  LaunchConfigurations: {
    LaunchConfigurationName: string;
    ImageId: string;
    InstanceType: string;
    SecurityGroups: string[];
  }[];
}
export type WithLaunch = Ec2State & LaunchRecords;

/**
 * The empty-default VPC (web, app and db tiers, nothing on the default group) plus: "web-lt" whose only version names
 * the default group, used by web-asg through `$Default` and pinned by batch-asg; and legacy-asg on a launch
 * configuration naming it.
 */
export function launchState(): { state: WithLaunch; defaultGroup: string } {
  const state = scenarioState('empty-default') as WithLaunch;
  const defaultGroup = state.SecurityGroups.find((group) => group.GroupName === 'default')?.GroupId ?? '';
  state.LaunchTemplates = [
    { LaunchTemplateId: TEMPLATE, LaunchTemplateName: 'web-lt', DefaultVersionNumber: 1, LatestVersionNumber: 1 },
  ];
  state.LaunchTemplateVersions = [
    {
      LaunchTemplateId: TEMPLATE,
      LaunchTemplateName: 'web-lt',
      VersionNumber: 1,
      VersionDescription: 'first',
      DefaultVersion: true,
      LaunchTemplateData: {
        ImageId: 'ami-0abcdef1234567890',
        InstanceType: 't3.micro',
        SecurityGroupIds: [defaultGroup],
      },
    },
  ];
  state.AutoScalingGroups = [
    {
      AutoScalingGroupName: 'web-asg',
      LaunchTemplate: { LaunchTemplateId: TEMPLATE, LaunchTemplateName: 'web-lt', Version: '$Default' },
      VPCZoneIdentifier: SUBNET,
    },
    {
      AutoScalingGroupName: 'batch-asg',
      LaunchTemplate: { LaunchTemplateId: TEMPLATE, LaunchTemplateName: 'web-lt', Version: '1' },
      VPCZoneIdentifier: SUBNET,
    },
    { AutoScalingGroupName: 'legacy-asg', LaunchConfigurationName: 'legacy-lc', VPCZoneIdentifier: SUBNET },
  ];
  state.LaunchConfigurations = [
    {
      LaunchConfigurationName: 'legacy-lc',
      ImageId: 'ami-0abcdef1234567890',
      InstanceType: 't3.micro',
      SecurityGroups: [defaultGroup],
    },
  ];
  return { state, defaultGroup };
}
