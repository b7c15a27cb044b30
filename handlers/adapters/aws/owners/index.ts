/**
 * The owner services over the AWS SDK: one adapter per registered service (handlers/core/owners/), each building its
 * own client from the Region and credentials. A service missing here is a compile error.
 */
import type { OwnerService } from '../../../core/owners/index.ts';
import type { OwnerAdapter } from '../../../ports.ts';
import { captureBatch, sdkBatchOwner } from './batch.ts';
import type { OwnerCapture } from './capture-scope.ts';
import { captureCodeBuild, sdkCodeBuildOwner } from './codebuild.ts';
import type { SdkOwnerConfig } from './config.ts';
import { captureDms, sdkDmsOwner } from './dms.ts';
import { captureEcs, sdkEcsOwner } from './ecs.ts';
import { captureMountTargets, sdkMountTargetOwner } from './efs.ts';
import { captureElastiCache, sdkElastiCacheOwner } from './elasticache.ts';
import { captureLoadBalancers, sdkLoadBalancerOwner } from './elbv2.ts';
import { captureLambda, sdkLambdaOwner } from './lambda.ts';
import {
  captureLaunchConfigurations,
  captureLaunchTemplates,
  sdkLaunchConfigurationOwner,
  sdkLaunchTemplateOwner,
} from './launch-sources.ts';
import { captureRds, sdkRdsOwner } from './rds.ts';
import { captureRedshift, sdkRedshiftOwner } from './redshift.ts';
import { captureVpcEndpoints, sdkVpcEndpointOwner } from './vpc-endpoints.ts';

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

/**
 * What `capture` reads of each service for one VPC, under the state file's keys its local model reads
 * (handlers/adapters/local/owners/): a service missing here is a compile error, so a state file can always hold
 * every owner the simulator understands.
 */
export const SDK_CAPTURES = {
  lambda: captureLambda,
  rds: captureRds,
  elbv2: captureLoadBalancers,
  efs: captureMountTargets,
  'vpc-endpoints': captureVpcEndpoints,
  elasticache: captureElastiCache,
  'ec2-launch-templates': captureLaunchTemplates,
  'autoscaling-launch-configurations': captureLaunchConfigurations,
  ecs: captureEcs,
  redshift: captureRedshift,
  dms: captureDms,
  codebuild: captureCodeBuild,
  batch: captureBatch,
} satisfies Record<OwnerService, OwnerCapture>;

export type { CapturedRecords, CaptureScope } from './capture-scope.ts';
export type { SdkOwnerConfig } from './config.ts';
