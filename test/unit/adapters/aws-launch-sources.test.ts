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
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkLaunchSourceApi } from '../../../handlers/adapters/aws/owners/launch-sources.ts';
import { LaunchConfigurationOwner, LaunchTemplateOwner } from '../../../handlers/adapters/launch-sources.ts';

const config = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
const ec2 = mockClient(EC2Client);
const autoscaling = mockClient(AutoScalingClient);
const api = new SdkLaunchSourceApi(new EC2Client(config), new AutoScalingClient(config));

const LT = 'lt-0a1b2c3d4e5f60718';
const DEFAULT = 'sg-0d5e000000000d001';
const COPY = 'sg-0d5e000000000e001';
const change = { remediationId: 'rem-1', swap: { from: DEFAULT, to: COPY } };

beforeEach(() => {
  ec2.reset();
  autoscaling.reset();
});
afterAll(() => {
  ec2.restore();
  autoscaling.restore();
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
