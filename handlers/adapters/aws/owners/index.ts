/**
 * The owner services over the AWS SDK: one adapter per registered service (handlers/core/owners/), each building its
 * own client from the Region and credentials. A service missing here is a compile error.
 */
import type { OwnerService } from '../../../core/owners/index.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { sdkBatchOwner } from './batch.ts';
import { sdkCodeBuildOwner } from './codebuild.ts';
import type { SdkOwnerConfig } from './config.ts';
import { sdkDmsOwner } from './dms.ts';
import { sdkEcsOwner } from './ecs.ts';
import { sdkMountTargetOwner } from './efs.ts';
import { sdkElastiCacheOwner } from './elasticache.ts';
import { sdkLoadBalancerOwner } from './elbv2.ts';
import { sdkLambdaOwner } from './lambda.ts';
import { sdkLaunchConfigurationOwner, sdkLaunchTemplateOwner } from './launch-sources.ts';
import { sdkRdsOwner } from './rds.ts';
import { sdkRedshiftOwner } from './redshift.ts';
import { sdkVpcEndpointOwner } from './vpc-endpoints.ts';

export const SDK_OWNERS = {
  lambda: sdkLambdaOwner,
  rds: sdkRdsOwner,
  elbv2: sdkLoadBalancerOwner,
  efs: sdkMountTargetOwner,
  'vpc-endpoints': sdkVpcEndpointOwner,
  elasticache: sdkElastiCacheOwner,
  'ec2-launch-templates': sdkLaunchTemplateOwner,
  'autoscaling-launch-configurations': sdkLaunchConfigurationOwner,
  ecs: sdkEcsOwner,
  redshift: sdkRedshiftOwner,
  dms: sdkDmsOwner,
  codebuild: sdkCodeBuildOwner,
  batch: sdkBatchOwner,
} satisfies Record<OwnerService, (config: SdkOwnerConfig) => OwnerAdapter>;

export type { SdkOwnerConfig } from './config.ts';
