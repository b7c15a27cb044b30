/** The launch sources over the SDK: the calls the moves make, in the EC2 and Auto Scaling API shapes. */
import {
  AutoScalingClient,
  CreateLaunchConfigurationCommand,
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
} from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkLaunchSourceApi } from '../../../handlers/adapters/aws/owners/launch-sources.ts';
import { LaunchConfigurationOwner, LaunchTemplateOwner } from '../../../handlers/adapters/launch-sources.ts';

const config = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
const ec2 = mockClient(EC2Client);
const autoscaling = mockClient(AutoScalingClient);
const eks = mockClient(EKSClient);
const api = new SdkLaunchSourceApi(new EC2Client(config), new AutoScalingClient(config), new EKSClient(config));

const LT = 'lt-0a1b2c3d4e5f60718';
const DEFAULT = 'sg-0d5e000000000d001';
const COPY = 'sg-0d5e000000000e001';
const change = { remediationId: 'rem-1', swap: { from: DEFAULT, to: COPY } };

beforeEach(() => {
  ec2.reset();
  autoscaling.reset();
  eks.reset();
  // No fleets and no node groups unless a test says so.
  ec2.on(DescribeFleetsCommand).resolves({ Fleets: [] });
  ec2.on(DescribeSpotFleetRequestsCommand).resolves({ SpotFleetRequestConfigs: [] });
  eks.on(ListClustersCommand).resolves({ clusters: [] });
});
afterAll(() => {
  ec2.restore();
  autoscaling.restore();
  eks.restore();
});

describe('launch templates over the SDK', () => {
  it('a new version from the default one naming the copy, the default moved to it, the pinned group re-pinned', async () => {
    const template = {
      LaunchTemplateId: LT,
      LaunchTemplateName: 'web-lt',
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
    };
    const versions = [{ VersionNumber: 1, LaunchTemplateData: { ImageId: 'ami-1', SecurityGroupIds: [DEFAULT] } }];
    ec2.on(DescribeLaunchTemplatesCommand).callsFake(async () => ({ LaunchTemplates: [{ ...template }] }));
    ec2.on(DescribeLaunchTemplateVersionsCommand).callsFake(async () => ({ LaunchTemplateVersions: versions }));
    ec2.on(CreateLaunchTemplateVersionCommand).callsFake(async () => {
      template.LatestVersionNumber = 2;
      return { LaunchTemplateVersion: { VersionNumber: 2 } };
    });
    ec2.on(ModifyLaunchTemplateCommand).resolves({});
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'batch-asg',
          LaunchTemplate: { LaunchTemplateId: LT, Version: '1' },
        } as never,
      ],
    });
    autoscaling.on(UpdateAutoScalingGroupCommand).resolves({});
    await new LaunchTemplateOwner(api).setGroups({ kind: 'launch-template', id: LT }, [COPY], change);
    const create = ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      LaunchTemplateId: LT,
      SourceVersion: '1',
      VersionDescription: `default-sg-remediation rem-1: version 1 with ${DEFAULT} replaced by ${COPY}`,
      LaunchTemplateData: { SecurityGroupIds: [COPY] },
    });
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)[0]?.args[0].input).toEqual({
      LaunchTemplateId: LT,
      DefaultVersion: '2',
    });
    expect(autoscaling.commandCalls(UpdateAutoScalingGroupCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'batch-asg',
      LaunchTemplate: { LaunchTemplateId: LT, Version: '2' },
    });
  });

  it('a version the account refuses to delete fails the move back; one already gone does not', async () => {
    ec2.on(DeleteLaunchTemplateVersionsCommand).resolves({
      UnsuccessfullyDeletedLaunchTemplateVersions: [
        { VersionNumber: 3, ResponseError: { Code: 'launchTemplateVersionDoesNotExist' } },
        { VersionNumber: 2, ResponseError: { Code: 'unexpectedError' } },
      ],
    });
    await expect(api.deleteLaunchTemplateVersions({ LaunchTemplateId: LT, Versions: ['2', '3'] })).rejects.toThrow(
      /version 2: unexpectedError/,
    );
  });
});

describe('fleets and EKS node groups pinning a template version, over the SDK', () => {
  it('reads every page of fleets, Spot Fleet requests, clusters and node groups; a pinned version naming the group blocks the template', async () => {
    ec2.on(DescribeLaunchTemplatesCommand).resolves({
      LaunchTemplates: [
        { LaunchTemplateId: LT, LaunchTemplateName: 'web-lt', DefaultVersionNumber: 2, LatestVersionNumber: 2 },
      ],
    });
    // Version 1 (on the default group) is used only by the pins; $Default and $Latest (2) name another group.
    ec2.on(DescribeLaunchTemplateVersionsCommand).callsFake(async (input: { Versions?: string[] }) => ({
      LaunchTemplateVersions: [
        { VersionNumber: 1, LaunchTemplateData: { SecurityGroupIds: [DEFAULT] } },
        { VersionNumber: 2, LaunchTemplateData: { SecurityGroupIds: [COPY] } },
      ].filter(
        (v) => !input.Versions || input.Versions.some((w) => w === String(v.VersionNumber) || w.startsWith('$')),
      ),
    }));
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    ec2
      .on(DescribeFleetsCommand)
      .resolvesOnce({
        Fleets: [
          {
            FleetId: 'fleet-11111111-2222-3333-4444-555555555555',
            FleetState: 'active',
            Type: 'maintain',
            LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: LT, Version: '1' } }],
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        // An instant fleet launched once; a deleted one launches no more: neither counts.
        Fleets: [
          {
            FleetId: 'fleet-11111111-2222-3333-4444-666666666666',
            Type: 'instant',
            LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: LT, Version: '1' } }],
          },
          {
            FleetId: 'fleet-11111111-2222-3333-4444-777777777777',
            FleetState: 'deleted',
            Type: 'maintain',
            LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: LT, Version: '1' } }],
          },
        ],
      });
    ec2.on(DescribeSpotFleetRequestsCommand).resolves({
      SpotFleetRequestConfigs: [
        {
          SpotFleetRequestId: 'sfr-11111111-2222-3333-4444-555555555555',
          SpotFleetRequestState: 'active',
          SpotFleetRequestConfig: {
            Type: 'request',
            IamFleetRole: 'arn:aws:iam::111122223333:role/fleet',
            TargetCapacity: 1,
            LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateName: 'web-lt', Version: '1' } }],
          },
        },
      ],
    });
    eks
      .on(ListClustersCommand)
      .resolvesOnce({ clusters: ['prod'], nextToken: 'c2' })
      .resolvesOnce({ clusters: ['dev'] });
    eks
      .on(ListNodegroupsCommand, { clusterName: 'prod' })
      .resolves({ nodegroups: ['workers'] })
      .on(ListNodegroupsCommand, { clusterName: 'dev' })
      .resolves({ nodegroups: [] });
    eks.on(DescribeNodegroupCommand).resolves({
      nodegroup: {
        nodegroupName: 'workers',
        clusterName: 'prod',
        status: 'ACTIVE',
        launchTemplate: { id: LT, version: '1' },
      },
    });

    const [found] = await new LaunchTemplateOwner(api).findUsing('vpc-1', DEFAULT);
    expect(ec2.commandCalls(DescribeFleetsCommand).map((call) => call.args[0].input.NextToken)).toEqual([
      undefined,
      'page-2',
    ]);
    expect(eks.commandCalls(DescribeNodegroupCommand).map((call) => call.args[0].input)).toEqual([
      { clusterName: 'prod', nodegroupName: 'workers' },
    ]);
    expect(found?.groups).toContain(DEFAULT);
    expect(found?.blocked).toContain(
      `aws eks update-nodegroup-version --cluster-name "prod" --nodegroup-name "workers" --launch-template id=${LT},version=<new version>`,
    );
    expect(found?.blocked).toContain('aws ec2 modify-fleet --fleet-id fleet-11111111-2222-3333-4444-555555555555');
    expect(found?.blocked).toContain(
      'Spot Fleet request sfr-11111111-2222-3333-4444-555555555555 (request, version 1)',
    );
    expect(found?.blocked).not.toContain('666666666666');
    expect(found?.blocked).not.toContain('777777777777');
  });
});

describe('launch configurations over the SDK', () => {
  it('copies the configuration with every field but the name, ARN, creation time and groups, then switches the group', async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [{ AutoScalingGroupName: 'legacy-asg', LaunchConfigurationName: 'legacy-lc' } as never],
    });
    autoscaling
      .on(DescribeLaunchConfigurationsCommand, { LaunchConfigurationNames: ['legacy-lc'] })
      .resolves({
        LaunchConfigurations: [
          {
            LaunchConfigurationName: 'legacy-lc',
            LaunchConfigurationARN: 'arn:aws:autoscaling:us-east-1:111122223333:launchConfiguration:x',
            CreatedTime: new Date(0),
            ImageId: 'ami-1',
            InstanceType: 't3.micro',
            UserData: 'IyEvYmluL3NoCg==',
            SecurityGroups: [DEFAULT],
          },
        ],
      })
      .on(DescribeLaunchConfigurationsCommand, { LaunchConfigurationNames: ['legacy-lc-rem-1'] })
      .resolves({ LaunchConfigurations: [] });
    autoscaling.on(CreateLaunchConfigurationCommand).resolves({});
    autoscaling.on(UpdateAutoScalingGroupCommand).resolves({});
    await new LaunchConfigurationOwner(api).setGroups(
      { kind: 'launch-configuration-group', id: 'legacy-asg' },
      [COPY],
      change,
    );
    expect(autoscaling.commandCalls(CreateLaunchConfigurationCommand)[0]?.args[0].input).toEqual({
      LaunchConfigurationName: 'legacy-lc-rem-1',
      ImageId: 'ami-1',
      InstanceType: 't3.micro',
      UserData: 'IyEvYmluL3NoCg==',
      SecurityGroups: [COPY],
    });
    expect(autoscaling.commandCalls(UpdateAutoScalingGroupCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'legacy-asg',
      LaunchConfigurationName: 'legacy-lc-rem-1',
    });
  });
});
