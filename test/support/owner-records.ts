/**
 * Builders of the owner services' records in the shapes the AWS CLI prints (docs/simulator-fidelity.md, "State
 * files"), shared by the scenarios (owner-scenarios.ts, launch-sources.ts) and the benchmark's mixed-owner VPC
 * (generate-vpc.ts `generateMixedVpc`).
 */

/** An ECS task's interface description: its ElasticNetworkInterface attachment's ARN. */
export function ecsAttachmentDescription(region: string, account: string, attachment: string): string {
  return `arn:aws:ecs:${region}:${account}:attachment/${attachment}`;
}

/** `aws ecs describe-services`: an ACTIVE `awsvpc` service; with `deployment`, one completed PRIMARY deployment. */
export function ecsService(options: {
  name: string;
  clusterArn: string;
  subnets: string[];
  groups: string[];
  running: number;
  deployment?: string;
}): Record<string, unknown> {
  const networkConfiguration = {
    awsvpcConfiguration: { subnets: options.subnets, securityGroups: options.groups, assignPublicIp: 'DISABLED' },
  };
  return {
    serviceName: options.name,
    clusterArn: options.clusterArn,
    status: 'ACTIVE',
    desiredCount: options.running,
    runningCount: options.running,
    networkConfiguration,
    ...(options.deployment && {
      deployments: [
        {
          id: options.deployment,
          status: 'PRIMARY',
          rolloutState: 'COMPLETED',
          desiredCount: options.running,
          runningCount: options.running,
          networkConfiguration,
        },
      ],
    }),
  };
}

/** `aws ecs describe-tasks`: a RUNNING task of service `service`, its interface attached as `attachment`. */
export function ecsTask(options: {
  taskArn: string;
  clusterArn: string;
  service: string;
  attachment: string;
  networkInterfaceId: string;
}): Record<string, unknown> {
  return {
    taskArn: options.taskArn,
    clusterArn: options.clusterArn,
    group: `service:${options.service}`,
    startedBy: 'ecs-svc/1',
    lastStatus: 'RUNNING',
    attachments: [
      {
        id: options.attachment,
        type: 'ElasticNetworkInterface',
        status: 'ATTACHED',
        details: [{ name: 'networkInterfaceId', value: options.networkInterfaceId }],
      },
    ],
  };
}

const vpcSecurityGroups = (groups: string[]) =>
  groups.map((VpcSecurityGroupId) => ({ VpcSecurityGroupId, Status: 'active' }));

/** `aws redshift describe-clusters`: an available cluster. */
export function redshiftCluster(id: string, vpcId: string, groups: string[]): Record<string, unknown> {
  return {
    ClusterIdentifier: id,
    ClusterStatus: 'available',
    VpcId: vpcId,
    VpcSecurityGroups: vpcSecurityGroups(groups),
  };
}

/** `aws dms describe-replication-instances`: an available replication instance. */
export function dmsReplicationInstance(options: {
  id: string;
  arn: string;
  vpcId: string;
  groups: string[];
}): Record<string, unknown> {
  return {
    ReplicationInstanceIdentifier: options.id,
    ReplicationInstanceArn: options.arn,
    ReplicationInstanceStatus: 'available',
    ReplicationSubnetGroup: { VpcId: options.vpcId },
    VpcSecurityGroups: vpcSecurityGroups(options.groups),
  };
}

/** `aws codebuild batch-get-projects`: a project that builds in the VPC. */
export function codebuildProject(
  name: string,
  vpcId: string,
  subnets: string[],
  groups: string[],
): Record<string, unknown> {
  return { name, vpcConfig: { vpcId, subnets, securityGroupIds: groups } };
}

/** `aws batch describe-compute-environments`: a valid managed Fargate compute environment. */
export function batchComputeEnvironment(name: string, subnets: string[], groups: string[]): Record<string, unknown> {
  return {
    computeEnvironmentName: name,
    type: 'MANAGED',
    status: 'VALID',
    computeResources: { type: 'FARGATE', subnets, securityGroupIds: groups, maxvCpus: 16 },
  };
}

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

const IMAGE = 'ami-0abcdef1234567890';

/**
 * `aws ec2 describe-launch-templates` and `describe-launch-template-versions`: a template whose only version (1, the
 * default) names `groups`.
 */
export function launchTemplate(
  id: string,
  name: string,
  groups: string[],
): { template: LaunchRecords['LaunchTemplates'][number]; version: LaunchRecords['LaunchTemplateVersions'][number] } {
  return {
    template: { LaunchTemplateId: id, LaunchTemplateName: name, DefaultVersionNumber: 1, LatestVersionNumber: 1 },
    version: {
      LaunchTemplateId: id,
      LaunchTemplateName: name,
      VersionNumber: 1,
      VersionDescription: 'first',
      DefaultVersion: true,
      LaunchTemplateData: { ImageId: IMAGE, InstanceType: 't3.micro', SecurityGroupIds: groups },
    },
  };
}

/** `aws autoscaling describe-auto-scaling-groups`: a group launching from a template version or a configuration. */
export function autoScalingGroup(
  name: string,
  subnet: string,
  source: { template: { id: string; name: string }; version: string } | { configuration: string },
): LaunchRecords['AutoScalingGroups'][number] {
  return 'configuration' in source
    ? { AutoScalingGroupName: name, LaunchConfigurationName: source.configuration, VPCZoneIdentifier: subnet }
    : {
        AutoScalingGroupName: name,
        LaunchTemplate: {
          LaunchTemplateId: source.template.id,
          LaunchTemplateName: source.template.name,
          Version: source.version,
        },
        VPCZoneIdentifier: subnet,
      };
}

/** `aws autoscaling describe-launch-configurations`: a configuration naming `groups`. */
export function launchConfiguration(name: string, groups: string[]): LaunchRecords['LaunchConfigurations'][number] {
  return { LaunchConfigurationName: name, ImageId: IMAGE, InstanceType: 't3.micro', SecurityGroups: groups };
}
